// Boot mode (UEFI/legacy, Secure Boot) and which boot loader and initramfs generator this
// system uses. Detection is evidence-based: every answer lists the files that led to it, so the
// wizard can show why it will edit, say, /etc/kernel/cmdline rather than /etc/default/grub.
import type { BootFacts, BootloaderId, Detection, InitramfsGeneratorId } from './types.js';
import { readPath, type SystemRoot } from './root.js';
import type { SysReader } from './sysfs-read.js';

const EFI_GLOBAL = '8be4df61-93ca-11d2-aa0d-00e098032b8c';
/** systemd-boot's vendor GUID: LoaderInfo is set by systemd-boot on the running system */
const SYSTEMD_BOOT_VENDOR = '4a67b082-0a4c-41cf-b6c7-440b29bb8c4f';
const BIN_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function secureBoot(root: SystemRoot, r: SysReader): boolean | null {
  const p = root.at(`/sys/firmware/efi/efivars/SecureBoot-${EFI_GLOBAL}`);
  const b = r.bytes(p, 64);
  if (b === null) {
    // older kernels expose the same variable through sysfs efivars (value only, no attribute bytes)
    const old = r.bytes(root.at(`/sys/firmware/efi/vars/SecureBoot-${EFI_GLOBAL}/data`), 8);
    if (old !== null && old.length >= 1) return old[0] === 1;
    return null;
  }
  // efivarfs: 4 bytes of attributes, then the one-byte value
  if (b.length < 5) {
    r.notes.push(`SecureBoot efivar has ${b.length} bytes (expected 5): Secure Boot state unknown`);
    return null;
  }
  return b[4] === 1;
}

export function detectBootloader(root: SystemRoot, r: SysReader): Detection<BootloaderId> {
  const has = (p: string) => r.exists(root.at(p));
  const bin = (name: string) => BIN_DIRS.map((d) => `${d}/${name}`).find(has) ?? null;
  const first = (paths: string[]) => paths.find(has) ?? null;

  const ostree = first(['/run/ostree-booted', '/sysroot/ostree', '/ostree']);
  if (ostree) return { id: 'rpm-ostree', evidence: [`${ostree} exists (an OSTree-managed system)`] };
  if (has('/etc/NIXOS')) return { id: 'nixos', evidence: ['/etc/NIXOS exists'] };
  if (has('/etc/kernel/proxmox-boot-uuids')) {
    return { id: 'proxmox-boot-tool', evidence: ['/etc/kernel/proxmox-boot-uuids exists (proxmox-boot-tool manages the ESPs)'] };
  }
  if (has('/etc/kernelstub/configuration')) {
    return { id: 'kernelstub', evidence: ['/etc/kernelstub/configuration exists'] };
  }

  const grubCfg = first(['/boot/grub/grub.cfg', '/boot/grub2/grub.cfg']);
  const defaultGrub = has('/etc/default/grub') ? '/etc/default/grub' : null;
  const loaderConf = first(['/boot/efi/loader/loader.conf', '/boot/loader/loader.conf', '/efi/loader/loader.conf']);
  const loaderInfo = has(`/sys/firmware/efi/efivars/LoaderInfo-${SYSTEMD_BOOT_VENDOR}`);
  const refind = first(['/boot/refind_linux.conf', '/boot/efi/EFI/refind/refind.conf']);

  if (loaderInfo || (loaderConf && !grubCfg)) {
    const ev: string[] = [];
    if (loaderInfo) ev.push('the LoaderInfo EFI variable is set (systemd-boot started this system)');
    if (loaderConf) ev.push(`${loaderConf} exists`);
    if (grubCfg) ev.push(`${grubCfg} exists too, but systemd-boot is the running loader`);
    return { id: 'systemd-boot', evidence: ev };
  }
  if (grubCfg || defaultGrub) {
    const ev = [grubCfg, defaultGrub].filter((x): x is string => x !== null).map((p) => `${p} exists`);
    const entries = (r.list(readPath(root, '/boot/loader/entries')) ?? []).filter((e) => e.endsWith('.conf'));
    const grubby = bin('grubby');
    const defaultText = defaultGrub ? r.file(readPath(root, defaultGrub)) : null;
    const blsFlag = defaultText !== null && /^\s*GRUB_ENABLE_BLSCFG\s*=\s*["']?true/m.test(defaultText);
    if (entries.length > 0 && (grubby || blsFlag)) {
      ev.push(`/boot/loader/entries holds ${entries.length} BLS entr${entries.length === 1 ? 'y' : 'ies'}`);
      if (grubby) ev.push(`${grubby} exists`);
      if (blsFlag) ev.push('GRUB_ENABLE_BLSCFG=true in /etc/default/grub');
      return { id: 'grub-bls', evidence: ev };
    }
    if (loaderConf) ev.push(`${loaderConf} exists too; GRUB's config is taken as the active one`);
    return { id: 'grub', evidence: ev };
  }
  if (refind) return { id: 'refind', evidence: [`${refind} exists`] };
  if (loaderConf) return { id: 'systemd-boot', evidence: [`${loaderConf} exists`] };
  return { id: 'unknown', evidence: ['no GRUB, systemd-boot, kernelstub, Proxmox, rEFInd, OSTree or NixOS files found'] };
}

export function detectInitramfs(root: SystemRoot, r: SysReader): Detection<InitramfsGeneratorId> {
  const has = (p: string) => r.exists(root.at(p));
  const candidates: { id: InitramfsGeneratorId; config: string[]; bins: string[] }[] = [
    { id: 'initramfs-tools', config: ['/etc/initramfs-tools/initramfs.conf', '/etc/initramfs-tools'], bins: ['update-initramfs', 'mkinitramfs'] },
    { id: 'dracut', config: ['/etc/dracut.conf', '/etc/dracut.conf.d'], bins: ['dracut'] },
    { id: 'mkinitcpio', config: ['/etc/mkinitcpio.conf', '/etc/mkinitcpio.d'], bins: ['mkinitcpio'] },
    { id: 'booster', config: ['/etc/booster.yaml'], bins: ['booster'] },
  ];
  let best: Detection<InitramfsGeneratorId> | null = null;
  let bestScore = 0;
  for (const c of candidates) {
    const ev: string[] = [];
    let score = 0;
    const conf = c.config.find(has);
    if (conf) {
      ev.push(`${conf} exists`);
      score += 1;
    }
    const b = c.bins.flatMap((n) => BIN_DIRS.map((d) => `${d}/${n}`)).find(has);
    if (b) {
      ev.push(`${b} exists`);
      score += 2;
    }
    if (score > bestScore) {
      best = { id: c.id, evidence: ev };
      bestScore = score;
    }
  }
  return best ?? { id: 'unknown', evidence: ['no initramfs-tools, dracut, mkinitcpio or booster files found'] };
}

export function scanBoot(root: SystemRoot, r: SysReader): BootFacts {
  // every running kernel has /sys/firmware; without it this is a system at rest (no sysfs mounted)
  const firmwareDir = r.isDir(root.at('/sys/firmware'));
  if (!firmwareDir) r.notes.push('/sys/firmware is absent (no sysfs under this root): UEFI or legacy boot is unknown');
  const uefi = firmwareDir ? r.isDir(root.at('/sys/firmware/efi')) : null;
  return {
    uefi,
    secureBoot: uefi ? secureBoot(root, r) : null,
    bootloader: detectBootloader(root, r),
    initramfs: detectInitramfs(root, r),
  };
}
