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

export const CHROOT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

export interface CachedRootRecipe {
  /** directory name under the cache */
  name: string;
  packages: string[];
  /** bump when `finish` (or anything else about the build) changes */
  recipe: number;
  /** runs after the packages are installed, with /proc, /sys and /dev mounted */
  finish?: (root: string) => void;
}

/**
 * What a cached root was built from: a change to its package list or recipe makes the next run
 * rebuild it instead of reusing a stale tree.
 */
export const cachedRootKey = (r: CachedRootRecipe): string => `bookworm ${MIRROR} minbase recipe ${r.recipe}: ${r.packages.join(' ')}`;

/** A debootstrapped bookworm (minbase) with these packages, built once and cached under .cache/e2e. */
export function ensureCachedRoot(r: CachedRootRecipe): string {
  const root = path.join(cacheDir, r.name);
  const done = path.join(cacheDir, `${r.name}.complete`);
  if (existsSync(done) && readFileSync(done, 'utf8').split('\n')[0] === cachedRootKey(r)) return root;
  rmSync(root, { recursive: true, force: true });
  mkdirSync(cacheDir, { recursive: true });
  run(['debootstrap', '--variant=minbase', 'bookworm', root, MIRROR]);
  writeFileSync(path.join(root, 'etc', 'fstab'), 'LABEL=e2eroot / ext4 defaults 0 1\n');
  withSystemMounts(root, () => {
    run(['chroot', root, 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...r.packages], { env: CHROOT_ENV });
    r.finish?.(root);
  });
  run(['chroot', root, 'apt-get', 'clean']);
  writeFileSync(done, `${cachedRootKey(r)}\n${new Date().toISOString()}\n`);
  return root;
}

const INITRAMFS_TOOLS_ROOT: CachedRootRecipe = {
  name: 'bookworm-root',
  packages: DEBIAN_ROOT_PACKAGES,
  recipe: 1,
  finish(root) {
    run(['cp', path.join(root, 'usr/share/grub/default/grub'), path.join(root, 'etc/default/grub')]);
    mkdirSync(path.join(root, 'boot', 'grub'), { recursive: true });
  },
};
export const debianRootKey = (): string => cachedRootKey(INITRAMFS_TOOLS_ROOT);

/** The cached Debian root with initramfs-tools and GRUB's tools (built on first use: about 3 minutes and 1 GB). */
export function ensureDebianRoot(): string {
  return ensureCachedRoot(INITRAMFS_TOOLS_ROOT);
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
  return copyCachedRoot(ensureDebianRoot(), 'work-');
}

/** A throw-away copy of a cached root (see copyDebianRoot), unmounted and removed by cleanup(). */
export function copyCachedRoot(cached: string, prefix: string): DebianRootCopy {
  const dir = mkdtempSync(path.join(cacheDir, prefix));
  run(['cp', '-a', `${cached}/.`, dir]);
  return {
    dir,
    cleanup() {
      spawnSync('umount', ['-R', path.join(dir, 'proc'), path.join(dir, 'sys'), path.join(dir, 'dev')], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
