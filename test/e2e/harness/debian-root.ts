// A real Debian 12 system to run the wizard against with --root: debootstrap (minbase) plus the
// kernel, initramfs-tools, GRUB's tools and kmod, built once and cached under .cache/e2e. Each
// test works on a throw-away overlay of it, so the cached tree is never changed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from './guest.js';

const MIRROR = 'http://deb.debian.org/debian';
export const DEBIAN_ROOT_PACKAGES = ['linux-image-amd64', 'initramfs-tools', 'grub2-common', 'grub-pc-bin', 'kmod', 'pciutils', 'zstd', 'udev'];

function run(argv: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: opts.timeoutMs ?? 900_000, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`Debian root cannot be built: ${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`Debian root cannot be built: "${argv.join(' ')}" exited ${r.status}\n${r.stderr.slice(-3000)}`);
  return r.stdout;
}

/** Mounts /proc, /sys and /dev into `dir` for `fn` (chroot tools need them) and always unmounts. */
export function withSystemMounts<T>(dir: string, fn: () => T): T {
  run(['mount', '-t', 'proc', 'proc', path.join(dir, 'proc')]);
  try {
    run(['mount', '--rbind', '/sys', path.join(dir, 'sys')]);
    run(['mount', '--make-rslave', path.join(dir, 'sys')]);
    try {
      run(['mount', '--rbind', '/dev', path.join(dir, 'dev')]);
      run(['mount', '--make-rslave', path.join(dir, 'dev')]);
      try {
        return fn();
      } finally {
        run(['umount', '-R', path.join(dir, 'dev')]);
      }
    } finally {
      run(['umount', '-R', path.join(dir, 'sys')]);
    }
  } finally {
    run(['umount', path.join(dir, 'proc')]);
  }
}

/**
 * What the cached root was built from: a change to the package list or the recipe below (bump
 * RECIPE when editing it) makes the next run rebuild it instead of reusing a stale tree.
 */
const RECIPE = 1;
export const debianRootKey = (): string => `bookworm ${MIRROR} minbase recipe ${RECIPE}: ${DEBIAN_ROOT_PACKAGES.join(' ')}`;

/** The cached Debian root (built on first use: about 3 minutes and 1 GB). */
export function ensureDebianRoot(): string {
  const root = path.join(cacheDir, 'bookworm-root');
  const done = path.join(cacheDir, 'bookworm-root.complete');
  if (existsSync(done) && readFileSync(done, 'utf8').split('\n')[0] === debianRootKey()) return root;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  run(['debootstrap', '--variant=minbase', 'bookworm', root, MIRROR]);
  writeFileSync(path.join(root, 'etc', 'fstab'), 'LABEL=e2eroot / ext4 defaults 0 1\n');
  withSystemMounts(root, () =>
    run(['chroot', root, 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...DEBIAN_ROOT_PACKAGES], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    }),
  );
  run(['cp', path.join(root, 'usr/share/grub/default/grub'), path.join(root, 'etc/default/grub')]);
  mkdirSync(path.join(root, 'boot', 'grub'), { recursive: true });
  run(['chroot', root, 'apt-get', 'clean']);
  writeFileSync(done, `${debianRootKey()}\n${new Date().toISOString()}\n`);
  return root;
}

export function debianKernel(root: string): string {
  const k = readdirSync(path.join(root, 'lib/modules')).sort().pop();
  if (!k) throw new Error(`no kernel in ${root}/lib/modules`);
  return k;
}

export interface DebianRootCopy {
  dir: string;
  cleanup(): void;
}

/**
 * A writable throw-away copy of the cached root, on the same disk as the cache: GRUB's
 * grub-probe must find a real block device under the root, which overlayfs or tmpfs would hide.
 */
export function copyDebianRoot(): DebianRootCopy {
  const cached = ensureDebianRoot();
  const dir = mkdtempSync(path.join(cacheDir, 'work-'));
  run(['cp', '-a', `${cached}/.`, dir]);
  return {
    dir,
    cleanup() {
      spawnSync('umount', ['-R', path.join(dir, 'proc'), path.join(dir, 'sys'), path.join(dir, 'dev')], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
