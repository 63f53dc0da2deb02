// A second real Debian 12 system whose initramfs generator is dracut instead of initramfs-tools:
// debootstrap (minbase) plus the kernel, dracut, kmod, zstd and udev, built once and cached under
// .cache/e2e next to the initramfs-tools root (debian-root.ts). initramfs-tools is never installed
// here, so the wizard's detection must find dracut on its own. Each test works on a throw-away copy.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CHROOT_ENV, copyCachedRoot, debianKernel, ensureCachedRoot, type DebianRootCopy } from './debian-root.js';

export const DRACUT_ROOT_PACKAGES = ['linux-image-amd64', 'dracut', 'kmod', 'zstd', 'udev'];

function run(argv: string[]): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 1_200_000, env: CHROOT_ENV });
  if (r.error || r.status !== 0) throw new Error(`Debian dracut root cannot be built: "${argv.join(' ')}" ${r.error?.message ?? `exited ${r.status}`}\n${(r.stderr ?? '').slice(-3000)}`);
}

/** The cached Debian root with dracut (built on first use: a few minutes and about 1 GB). */
export function ensureDracutRoot(): string {
  return ensureCachedRoot({
    name: 'bookworm-dracut-root',
    packages: DRACUT_ROOT_PACKAGES,
    recipe: 1,
    finish(root) {
      // the kernel's postinst hook normally builds the image; build it if the install order skipped that
      const kver = debianKernel(root);
      if (!existsSync(path.join(root, 'boot', `initrd.img-${kver}`))) run(['chroot', root, 'dracut', '--force', `/boot/initrd.img-${kver}`, kver]);
      // dracut conflicts with initramfs-tools in Debian: the package must not be there
      if (spawnSync('chroot', [root, 'dpkg-query', '-W', '-f', '${Status}', 'initramfs-tools'], { encoding: 'utf8' }).stdout.includes('install ok installed')) {
        throw new Error('Debian dracut root: initramfs-tools got installed; this root must have dracut only');
      }
    },
  });
}

/** A writable throw-away copy of the cached dracut root, on the same disk as the cache. */
export function copyDracutRoot(): DebianRootCopy {
  return copyCachedRoot(ensureDracutRoot(), 'work-dracut-');
}
