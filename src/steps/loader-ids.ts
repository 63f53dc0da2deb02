import type { BootloaderId } from '../host/types.js';

/** Every boot loader id the kernel command line step knows (for --loader and its help text). */
export const LOADER_IDS: readonly BootloaderId[] = [
  'grub', 'grub-bls', 'systemd-boot', 'kernelstub', 'proxmox-boot-tool', 'refind', 'efistub', 'rpm-ostree', 'nixos', 'unknown',
];
