#!/usr/bin/env node
// The real tools the test tiers use (TESTING.md): sh, lspci, kmod, grub-mkconfig, virt-install,
// virt-xml-validate, QEMU, tmux, … A missing tool must fail the run loudly, never skip a test.
// As root with apt-get (CI, a fresh Debian machine) the missing packages are installed;
// otherwise this prints the exact command to run and exits 1.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** binary (checked on PATH or as an absolute path) → Debian package that provides it */
export const REQUIRED = [
  ['sh', 'dash'],
  ['lspci', 'pciutils'],
  ['/usr/share/misc/pci.ids', 'pci.ids'],
  ['modprobe', 'kmod'],
  ['grub-mkconfig', 'grub2-common'],
  ['/usr/lib/grub/i386-pc', 'grub-pc-bin'],
  ['virsh', 'libvirt-clients'],
  ['virt-install', 'virtinst'],
  ['virt-xml-validate', 'libvirt-clients'],
  ['xmllint', 'libxml2-utils'],
  ['virt-host-validate', 'libvirt-clients'],
  ['qemu-system-x86_64', 'qemu-system-x86'],
  ['/usr/share/OVMF/OVMF_CODE_4M.fd', 'ovmf'],
  ['busybox', 'busybox-static'],
  ['cpio', 'cpio'],
  ['zstd', 'zstd'],
  ['debootstrap', 'debootstrap'],
  ['tmux', 'tmux'],
  // drives the bin on a real pseudo-terminal that hangs up (test/cli/cli-signals.test.ts); virtinst needs it anyway
  ['python3', 'python3'],
  ['unshare', 'util-linux'],
  // vm export --format vagrant is checked by `vagrant validate` with the libvirt provider
  ['vagrant', 'vagrant'],
  ['/usr/share/vagrant-plugins/plugins.d/vagrant-libvirt.json', 'vagrant-libvirt'],
  // the mdev step's commands run for real (test/share/mdevctl-oracle.test.ts and the mtty guest)
  ['mdevctl', 'mdevctl'],
  // the guest tier builds the kernel's sample mdev driver (mtty) against the guest kernel's headers
  ['make', 'make'],
  ['gcc', 'gcc'],
  ['xz', 'xz-utils'],
  // the full-chain guest's disk image (test/e2e/harness/disk.ts)
  ['mkfs.ext4', 'e2fsprogs'],
  ['debugfs', 'e2fsprogs'],
];

function onPath(bin) {
  if (bin.startsWith('/')) return existsSync(bin);
  return spawnSync('sh', ['-c', `command -v "$1" >/dev/null`, 'sh', bin]).status === 0;
}

export function missingPackages() {
  const pkgs = new Set();
  for (const [bin, pkg] of REQUIRED) if (!onPath(bin)) pkgs.add(pkg);
  return [...pkgs];
}

const missing = missingPackages();
if (missing.length === 0) process.exit(0);

const cmd = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
const canInstall = process.getuid?.() === 0 && onPath('apt-get');
if (!canInstall) {
  process.stderr.write(`The tests need these Debian packages: ${missing.join(' ')}\nInstall them with:\n  sudo apt-get update && sudo ${cmd}\n`);
  process.exit(1);
}
process.stderr.write(`Installing the packages the tests need: ${missing.join(' ')}\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const argv of [['apt-get', 'update', '-qq'], cmd.split(' ')]) {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env });
  if (r.status !== 0) {
    process.stderr.write(`"${argv.join(' ')}" failed (exit ${r.status}); the tests cannot run without these tools.\n`);
    process.exit(1);
  }
}
const still = missingPackages();
if (still.length) {
  process.stderr.write(`Still missing after install: ${still.join(' ')}\n`);
  process.exit(1);
}
