// Tier 3 oracle: the REAL grub-mkconfig (Debian's grub2-common) run against a fixture root's
// /etc/default (grub + grub.d) with dummy kernels in a private /boot, inside a private mount
// namespace — the machine's own /etc/default and /boot are never touched.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const KERNELS = ['6.1.0-99-amd64', '6.1.0-98-amd64'];

export function grubMkconfig(rootDir: string): string {
  for (const tool of ['/usr/sbin/grub-mkconfig', '/usr/bin/unshare']) {
    if (!existsSync(tool)) throw new Error(`${tool} is missing: install grub2-common, grub-pc-bin and util-linux (scripts/test-prereqs.mjs)`);
  }
  const t = mkdtempSync(path.join(os.tmpdir(), 'vw-grub-mkconfig-'));
  try {
    mkdirSync(path.join(t, 'boot', 'grub'), { recursive: true });
    for (const k of KERNELS) {
      writeFileSync(path.join(t, 'boot', `vmlinuz-${k}`), '');
      writeFileSync(path.join(t, 'boot', `initrd.img-${k}`), '');
    }
    cpSync(path.join(rootDir, 'etc', 'default'), path.join(t, 'default'), { recursive: true });
    // Fedora/CentOS files compute GRUB_DISTRIBUTOR from /etc/system-release: give them one, in an
    // overlay on /etc that exists only inside the namespace.
    mkdirSync(path.join(t, 'etc-up'));
    mkdirSync(path.join(t, 'etc-work'));
    writeFileSync(path.join(t, 'etc-up', 'system-release'), 'Fedora release 38 (Thirty Eight)\n');
    const out = path.join(t, 'grub.cfg');
    const r = spawnSync(
      'unshare',
      ['-m', 'sh', '-c', 'mount --make-rprivate / && mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/etc-up,workdir=$1/etc-work" /etc && mount --bind "$1/boot" /boot && mount --bind "$1/default" /etc/default && exec grub-mkconfig -o "$2"', 'sh', t, out],
      { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } },
    );
    if (r.status !== 0) throw new Error(`grub-mkconfig failed (exit ${r.status}):\n${r.stderr}`);
    // grub-mkrelpath names the bind source (our temp dir) in the kernel paths: show /boot instead
    return readFileSync(out, 'utf8').replaceAll(`${t}/boot/`, '/boot/');
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
}

/** Every `linux` line of the config, with the title of its menu entry. */
export function linuxLines(cfg: string): { entry: string; args: string }[] {
  const out: { entry: string; args: string }[] = [];
  let entry = '';
  for (const raw of cfg.split('\n')) {
    const line = raw.trim();
    const m = /^menuentry\s+'([^']*)'/.exec(line);
    if (m) entry = m[1]!;
    const l = /^linux\s+\S+\s*(.*)$/.exec(line);
    if (l) out.push({ entry, args: l[1]! });
  }
  return out;
}
