// The guest tier's harness: Debian's kernel (downloaded by apt, extracted, cached), a small test
// initramfs (cached, rebuilt when its inputs change), and QEMU q35 under TCG with an emulated
// Intel or AMD IOMMU (or none, the negative control). A scenario is a shell script that runs
// inside the guest; it writes its results to /e2e-share, which the test reads back.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const projectDir = path.resolve(here, '../../..');
export const cacheDir = process.env.VFIO_WIZARD_E2E_CACHE ?? path.join(projectDir, '.cache', 'e2e');

function sh(argv: string[], opts: { cwd?: string; timeoutMs?: number } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd: opts.cwd,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`guest tier cannot start: ${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`guest tier cannot start: "${argv.join(' ')}" exited ${r.status}\n${r.stderr}\n${r.stdout}`.trim());
  }
  return r.stdout;
}

export interface GuestKernel {
  kroot: string;
  kver: string;
  vmlinuz: string;
}

/** Debian's current kernel package for this release: downloaded once, extracted, depmod'ed. */
export function ensureKernel(): GuestKernel {
  const deps = sh(['apt-cache', 'depends', 'linux-image-amd64']);
  const pkg = /Depends: (linux-image-[0-9][^\s]*-amd64)\b/.exec(deps)?.[1];
  if (!pkg) throw new Error(`guest tier cannot start: no linux-image package in "apt-cache depends linux-image-amd64":\n${deps}`);
  const kver = pkg.replace(/^linux-image-/, '');
  const kroot = path.join(cacheDir, `kernel-${kver}`);
  const vmlinuz = path.join(kroot, 'boot', `vmlinuz-${kver}`);
  const done = path.join(kroot, '.complete');
  if (!existsSync(done)) {
    rmSync(kroot, { recursive: true, force: true });
    const dl = path.join(cacheDir, 'download');
    mkdirSync(dl, { recursive: true });
    sh(['apt-get', 'download', pkg], { cwd: dl });
    const deb = readdirSync(dl).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`guest tier cannot start: apt-get download ${pkg} left no .deb in ${dl}`);
    sh(['dpkg-deb', '-x', path.join(dl, deb), kroot]);
    sh(['depmod', '-b', kroot, kver]);
    rmSync(path.join(dl, deb));
    writeFileSync(done, `${pkg}\n`);
  }
  return { kroot, kver, vmlinuz };
}

/** The base initramfs, rebuilt when the build script, kernel or host tools change. */
export function ensureBaseInitramfs(k: GuestKernel): string {
  const script = path.join(here, 'build-initramfs.sh');
  const key = createHash('sha256')
    .update(readFileSync(script))
    .update(k.kver)
    .update(readFileSync('/usr/bin/kmod'))
    .update(readFileSync('/usr/bin/busybox'))
    .digest('hex')
    .slice(0, 16);
  const out = path.join(cacheDir, `base-${k.kver}-${key}.cpio`);
  if (!existsSync(out)) {
    for (const f of readdirSync(cacheDir)) if (f.startsWith('base-') && f.endsWith('.cpio')) rmSync(path.join(cacheDir, f));
    sh(['bash', script, k.kroot, k.kver, `${out}.tmp`], { timeoutMs: 600_000 });
    sh(['mv', `${out}.tmp`, out]);
  }
  return out;
}

export type GuestIommu = 'intel' | 'amd' | 'none';

export interface GuestOptions {
  iommu: GuestIommu;
  /** shell script run inside the guest (as /tmp/test.sh in the host-userspace chroot) */
  script: string;
  /** extra files for the guest's /tmp (name → contents) */
  files?: Record<string, string | Buffer>;
  /** more QEMU arguments (extra emulated devices) */
  qemuExtra?: string[];
  /** extra kernel command line; KEY=VALUE words without a dot reach the script's environment */
  append?: string;
  firmware?: 'bios' | 'uefi';
  timeoutMs?: number;
}

export interface GuestResult {
  /** the script's exit status, or null when the guest did not finish */
  rc: number | null;
  serial: string;
  /** files the script wrote to /e2e-share */
  share: string;
  read(name: string): string;
  cleanup(): void;
}

/** Boots one throw-away guest with the host's userspace (read-only 9p + tmpfs overlay). */
export function bootGuest(opts: GuestOptions): GuestResult {
  const k = ensureKernel();
  const base = ensureBaseInitramfs(k);
  const work = mkdtempSync(path.join(os.tmpdir(), 'vw-guest-'));
  const ov = path.join(work, 'ov');
  mkdirSync(path.join(ov, 'e2e'), { recursive: true });
  writeFileSync(path.join(ov, 'e2e', 'test.sh'), opts.script, { mode: 0o755 });
  for (const [name, body] of Object.entries(opts.files ?? {})) writeFileSync(path.join(ov, 'e2e', name), body);
  const share = path.join(work, 'share');
  mkdirSync(share);
  const ovCpio = spawnSync('sh', ['-c', 'cd "$1" && find . -mindepth 1 | cpio -o -H newc --quiet -R 0:0', 'sh', ov], {
    maxBuffer: 256 * 1024 * 1024,
  });
  if (ovCpio.status !== 0) throw new Error(`guest tier cannot start: cpio failed: ${ovCpio.stderr}`);
  const initrd = path.join(work, 'initrd');
  writeFileSync(initrd, Buffer.concat([readFileSync(base), ovCpio.stdout]));
  const serialLog = path.join(work, 'serial.log');

  const iommuDev =
    opts.iommu === 'intel'
      ? ['-device', 'intel-iommu,intremap=on,caching-mode=on']
      : opts.iommu === 'amd'
        ? ['-device', 'amd-iommu,intremap=on']
        : [];
  const fw: string[] = [];
  if (opts.firmware === 'uefi') {
    copyFileSync('/usr/share/OVMF/OVMF_VARS_4M.fd', path.join(work, 'vars.fd'));
    fw.push(
      '-drive', 'if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
      '-drive', `if=pflash,format=raw,file=${path.join(work, 'vars.fd')}`,
    );
  }
  const argv = [
    'qemu-system-x86_64',
    '-M', 'q35,kernel-irqchip=split', '-accel', 'tcg', '-cpu', 'max', '-m', '2G', '-smp', '2',
    '-nodefaults', '-display', 'none', '-no-reboot', '-monitor', 'none', '-serial', `file:${serialLog}`,
    ...iommuDev,
    '-device', 'e1000e,netdev=n0', '-netdev', 'user,id=n0,restrict=on',
    '-device', 'VGA', '-device', 'ich9-intel-hda',
    ...(opts.qemuExtra ?? []),
    ...fw,
    '-virtfs', 'local,path=/,mount_tag=rootfs,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${share},mount_tag=share,security_model=none,multidevs=remap`,
    '-kernel', k.vmlinuz, '-initrd', initrd,
    '-append', `console=ttyS0 panic=-1 loglevel=4 E2E_ROOTFS=1 ${opts.append ?? ''}`.trim(),
  ];
  const r = spawnSync(argv[0]!, argv.slice(1), { timeout: opts.timeoutMs ?? 400_000, encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('guest tier cannot start: qemu-system-x86_64 is not installed (package qemu-system-x86)');
  }
  const serial = existsSync(serialLog) ? readFileSync(serialLog, 'latin1') : '';
  const end = /^E2E-END rc=(\d+)/m.exec(serial);
  return {
    rc: end ? Number(end[1]) : null,
    serial,
    share,
    read: (name) => readFileSync(path.join(share, name), 'utf8'),
    cleanup: () => rmSync(work, { recursive: true, force: true }),
  };
}
