// Layer: vfio in the running kernel. Whether vfio-pci is built in or a module changes how it
// must be configured, and the kernel version decides whether vfio_virqfd still exists.
import type { HostFacts, ModuleState } from '../host/types.js';
import type { Check } from './types.js';

const WHY =
  'vfio-pci is the driver that holds a device for a guest; vfio and vfio_iommu_type1 connect it to the IOMMU. ' +
  'How to configure vfio-pci depends on whether it is built into the kernel or a loadable module.';

const STATE_TEXT: Record<ModuleState, string> = {
  builtin: 'built into the kernel (modules.builtin)',
  module: 'loadable module (modules.dep)',
  missing: 'not in this kernel',
  unknown: 'unknown (module lists unreadable)',
};

/** vfio_virqfd was merged into vfio in Linux 6.2. */
export function hasSeparateVirqfd(version: { major: number; minor: number } | null): boolean | null {
  if (version === null) return null;
  return version.major < 6 || (version.major === 6 && version.minor < 2);
}

export function checkVfioModules(facts: HostFacts): Check {
  const { kernel } = facts;
  const base = { id: 'vfio-modules' as const, title: 'vfio modules', why: WHY };
  const release = kernel.release ?? 'the running kernel';
  const modules: [string, ModuleState][] = [
    ['vfio-pci', kernel.vfioPci],
    ['vfio', kernel.vfio],
    ['vfio_iommu_type1', kernel.vfioIommuType1],
  ];
  const evidence = modules.map(([name, state]) => `${name}: ${STATE_TEXT[state]}`);
  evidence.push(`kernel: ${kernel.release ?? 'unknown release'}`);

  const separate = hasSeparateVirqfd(kernel.version);
  const notes: string[] = [];
  if (separate === false) {
    notes.push('vfio_virqfd is part of vfio since Linux 6.2: do not list it in initramfs or modules-load configuration');
  } else if (separate === true) {
    evidence.push(`vfio_virqfd: ${STATE_TEXT[kernel.vfioVirqfd]}`);
    notes.push('before Linux 6.2 vfio_virqfd is a module of its own and belongs in the early-load list');
  }
  evidence.push(...notes);

  const missing = modules.filter(([, s]) => s === 'missing').map(([n]) => n);
  if (missing.length) {
    return {
      ...base,
      status: 'fail',
      summary: `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not part of ${release}`,
      evidence,
      remedy:
        'Boot a kernel built with CONFIG_VFIO and CONFIG_VFIO_PCI: the distribution\'s standard kernel has them, minimal ' +
        'or cloud flavours sometimes do not (on Ubuntu, for example, linux-generic has it).',
    };
  }
  if (modules.some(([, s]) => s === 'unknown')) {
    return {
      ...base,
      status: 'unknown',
      summary: `could not read modules.builtin / modules.dep for ${release}`,
      evidence,
      remedy: `Check that /lib/modules/${kernel.release ?? '$(uname -r)'}/ exists and is readable; \`modinfo vfio-pci\` shows whether the module is there.`,
    };
  }
  if (separate === true && kernel.vfioVirqfd === 'missing') {
    return {
      ...base,
      status: 'warn',
      summary: `${release} is older than 6.2 but has no vfio_virqfd module`,
      evidence,
      remedy: 'vfio needs vfio_virqfd for interrupt forwarding before 6.2; use the distribution\'s full kernel modules package.',
    };
  }
  const builtin = kernel.vfioPci === 'builtin';
  return {
    ...base,
    status: 'pass',
    summary: builtin
      ? 'vfio-pci is built into the kernel: options in /etc/modprobe.d are ignored, vfio-pci.ids= must go on the kernel command line'
      : 'vfio-pci, vfio and vfio_iommu_type1 are available as modules',
    evidence: builtin
      ? [...evidence, 'built-in vfio-pci ignores "options vfio-pci ids=" in /etc/modprobe.d; it reads vfio-pci.ids= from the kernel command line']
      : evidence,
    remedy: null,
  };
}
