// The virtualization stack a passthrough VM is created with: QEMU, libvirt (virsh),
// virt-install and OVMF (UEFI firmware for guests), with the package names of the host's
// distribution family.
import type { DistroFacts, HostFacts } from '../host/types.js';
import type { Check } from './types.js';

export type DistroFamily = 'debian' | 'fedora' | 'arch' | 'suse' | 'unknown';
export type StackPart = 'qemu' | 'libvirt' | 'virt-install' | 'ovmf';

export function distroFamily(d: DistroFacts): DistroFamily {
  const ids = [d.id, ...d.idLike].filter((x): x is string => Boolean(x)).map((x) => x.toLowerCase());
  const has = (...names: string[]) => ids.some((i) => names.includes(i));
  // order matters: Ubuntu's ID_LIKE is "debian", Rocky's is "rhel centos fedora", Manjaro's is "arch"
  if (has('debian', 'ubuntu')) return 'debian';
  if (has('fedora', 'rhel', 'centos')) return 'fedora';
  if (has('arch')) return 'arch';
  if (ids.some((i) => i === 'suse' || i.startsWith('opensuse') || i === 'sles')) return 'suse';
  return 'unknown';
}

const PACKAGES: Record<Exclude<DistroFamily, 'unknown'>, { install: string; pkg: Record<StackPart, string> }> = {
  debian: {
    install: 'apt install',
    pkg: { qemu: 'qemu-system-x86', libvirt: 'libvirt-daemon-system', 'virt-install': 'virtinst', ovmf: 'ovmf' },
  },
  fedora: {
    install: 'dnf install',
    pkg: { qemu: 'qemu-kvm', libvirt: 'libvirt', 'virt-install': 'virt-install', ovmf: 'edk2-ovmf' },
  },
  arch: {
    install: 'pacman -S --needed',
    pkg: { qemu: 'qemu-full', libvirt: 'libvirt', 'virt-install': 'virt-install', ovmf: 'edk2-ovmf' },
  },
  suse: {
    install: 'zypper install',
    pkg: { qemu: 'qemu-x86', libvirt: 'libvirt', 'virt-install': 'virt-install', ovmf: 'qemu-ovmf-x86_64' },
  },
};

const PART_TEXT: Record<StackPart, string> = {
  qemu: 'QEMU (qemu-system-x86_64)',
  libvirt: 'libvirt (virsh)',
  'virt-install': 'virt-install',
  ovmf: 'OVMF (UEFI firmware for guests)',
};

/** The install command for the given parts on this distribution, or null when the family is unknown. */
export function installCommand(d: DistroFacts, parts: StackPart[]): string | null {
  const family = distroFamily(d);
  if (family === 'unknown' || parts.length === 0) return null;
  const p = PACKAGES[family];
  return `${p.install} ${parts.map((x) => p.pkg[x]).join(' ')}`;
}

const WHY =
  'The VM that receives the device is run by QEMU, managed by libvirt (virsh), created with virt-install, and ' +
  'boots UEFI firmware (OVMF), which modern GPUs expect. Binding devices to vfio-pci works without them; creating the VM does not.';

export function checkVirtStack(facts: HostFacts): Check {
  const { virt, distro } = facts;
  const base = { id: 'virt-stack' as const, title: 'Virtualization stack', why: WHY };
  const found: [StackPart, string | null][] = [
    ['qemu', virt.qemu],
    ['libvirt', virt.virsh],
    ['virt-install', virt.virtInstall],
    ['ovmf', virt.ovmf[0] ?? null],
  ];
  const evidence = found.map(([part, path]) => `${PART_TEXT[part]}: ${path ?? 'not found'}`);
  if (virt.ovmf.length > 1) evidence[3] = `${PART_TEXT.ovmf}: ${virt.ovmf.join(', ')}`;
  evidence.push(`virt-host-validate: ${virt.virtHostValidate ?? 'not found'}`);
  const missing = found.filter(([, path]) => path === null).map(([part]) => part);
  if (missing.length === 0) {
    return { ...base, status: 'pass', summary: 'QEMU, libvirt, virt-install and OVMF are installed', evidence, remedy: null };
  }
  const cmd = installCommand(distro, missing);
  const names = missing.map((m) => PART_TEXT[m]).join(', ');
  return {
    ...base,
    status: 'warn',
    summary: `missing: ${names}`,
    evidence: [...evidence, `distribution: ${distro.prettyName ?? distro.id ?? 'unknown'}`],
    remedy: cmd
      ? `Install them: \`${cmd}\`${missing.includes('libvirt') ? ', then make sure libvirt runs (`systemctl enable --now libvirtd`)' : ''}.`
      : `Install ${names} with your distribution's package manager (package names vary: QEMU for x86_64, libvirt, virt-install, edk2/OVMF).`,
  };
}
