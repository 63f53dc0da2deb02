// Layers 2–4: the IOMMU as the firmware exposes it (ACPI DMAR / IVRS), as the kernel enabled it
// (IOMMU units and groups), and interrupt remapping. The checks keep "off in the firmware" apart
// from "a kernel parameter is missing or turns it off": they have different fixes.
import type { HostFacts } from '../host/types.js';
import type { Check } from './types.js';
import { iommuMenu } from './firmware-menus.js';
import { paramOptions } from './cmdline-params.js';

const TABLE_FOR = { intel: 'DMAR', amd: 'IVRS', other: 'DMAR/IVRS' } as const;

const FIRMWARE_WHY =
  'The IOMMU isolates a device\'s DMA so it can be handed to a guest safely. The firmware announces it ' +
  'with an ACPI table (DMAR for Intel VT-d, IVRS for AMD-Vi); without that table no kernel parameter can ' +
  'enable it.';

export function checkIommuFirmware(facts: HostFacts): Check {
  const { iommu, cpu } = facts;
  const base = { id: 'iommu-firmware' as const, title: 'IOMMU exposed by firmware', why: FIRMWARE_WHY };
  const table = TABLE_FOR[cpu.vendor];
  if (iommu.firmware === true) {
    return {
      ...base,
      status: 'pass',
      summary: `the firmware publishes ${iommu.firmwareTables.join(' and ')}`,
      evidence: iommu.firmwareTables.map((t) => `/sys/firmware/acpi/tables/${t} present`),
      remedy: null,
    };
  }
  if (iommu.enabled) {
    // No ACPI table but the kernel has IOMMU units (a virtio-iommu guest, a device-tree platform):
    // the IOMMU exists, which is all this layer asks.
    return {
      ...base,
      status: 'pass',
      summary: `no ACPI ${table} table${iommu.firmware === null ? ' could be read' : ''}, but the kernel has IOMMU units (${iommu.units.join(', ') || `${iommu.groupCount} groups`})`,
      evidence: [
        iommu.firmware === null ? '/sys/firmware/acpi/tables unreadable' : `/sys/firmware/acpi/tables: no ${table}`,
        `/sys/class/iommu: ${iommu.units.join(', ') || '(empty)'}`,
        `${iommu.groupCount} IOMMU groups`,
      ],
      remedy: null,
    };
  }
  if (iommu.firmware === null) {
    return {
      ...base,
      status: 'unknown',
      summary: '/sys/firmware/acpi/tables could not be read, so whether the firmware exposes an IOMMU is unknown',
      evidence: ['/sys/firmware/acpi/tables: absent or unreadable'],
      remedy:
        `Run the check as root on the running system. If ${table} is still missing: ${iommuMenu(cpu.vendor)}`,
    };
  }
  return {
    ...base,
    status: 'fail',
    summary: `no ACPI ${table} table: the IOMMU is off in the firmware setup (or the platform has none)`,
    evidence: [`/sys/firmware/acpi/tables: no ${table}`],
    remedy: `${iommuMenu(cpu.vendor)} After saving, /sys/firmware/acpi/tables/${table} appears on the next boot.`,
  };
}

const KERNEL_WHY =
  'Even when the firmware exposes an IOMMU, the kernel must turn it on: only then are devices sorted ' +
  'into IOMMU groups, and vfio-pci can only hand whole groups to a guest.';

function logEvidence(facts: HostFacts): string[] {
  const { iommu } = facts;
  if (iommu.kernelLogSource === null) return ['kernel log: unreadable'];
  const lines = iommu.kernelLogLines.slice(0, 8).map((l) => `${iommu.kernelLogSource}: ${l.trim()}`);
  return lines.length ? lines : [`${iommu.kernelLogSource}: no IOMMU lines`];
}

export function checkIommuKernel(facts: HostFacts): Check {
  const { iommu, cpu, kernel } = facts;
  const base = { id: 'iommu-kernel' as const, title: 'IOMMU enabled by kernel', why: KERNEL_WHY };
  const cmdline = kernel.cmdline;
  const cmdEvidence = cmdline === null ? '/proc/cmdline: unreadable' : `/proc/cmdline: ${cmdline}`;

  // nothing to say about the kernel when its sysfs cannot be read: an offline root, or no permission
  if (!iommu.groupsReadable && iommu.units.length === 0) {
    return {
      ...base,
      status: 'unknown',
      summary: '/sys/kernel/iommu_groups could not be read (a system at rest under --root, or no permission), so whether the kernel enabled an IOMMU is unknown',
      evidence: ['/sys/kernel/iommu_groups: unreadable or absent', cmdEvidence],
      remedy: 'Run the check on the running system, as root.',
    };
  }
  if (iommu.enabled && !iommu.groupsReadable) {
    return {
      ...base,
      status: 'unknown',
      summary: `the kernel registered IOMMU units (${iommu.units.join(', ')}), but /sys/kernel/iommu_groups could not be read, so its groups are unknown`,
      evidence: [`/sys/class/iommu: ${iommu.units.join(', ')}`, '/sys/kernel/iommu_groups: unreadable', cmdEvidence],
      remedy: 'Run the check as root.',
    };
  }
  if (iommu.enabled && iommu.groupCount > 0) {
    return {
      ...base,
      status: 'pass',
      summary: `enabled: ${iommu.groupCount} IOMMU groups${iommu.units.length ? ` (${iommu.units.join(', ')})` : ''}`,
      evidence: [`/sys/class/iommu: ${iommu.units.join(', ') || '(empty)'}`, `/sys/kernel/iommu_groups: ${iommu.groupCount} groups`],
      remedy: null,
    };
  }
  if (iommu.enabled) {
    return {
      ...base,
      status: 'warn',
      summary: `the kernel registered IOMMU units (${iommu.units.join(', ')}) but created no IOMMU groups`,
      evidence: [`/sys/class/iommu: ${iommu.units.join(', ')}`, '/sys/kernel/iommu_groups: empty', cmdEvidence, ...logEvidence(facts)],
      remedy:
        'Read the kernel log lines above for IOMMU errors (`dmesg | grep -i -e DMAR -e AMD-Vi -e iommu`). ' +
        'A parameter such as iommu=off or a firmware bug can leave the units without groups; a firmware update often helps.',
    };
  }

  const evidence = ['/sys/class/iommu: empty', '/sys/kernel/iommu_groups: empty', cmdEvidence];
  if (iommu.firmware === false) {
    return {
      ...base,
      status: 'fail',
      summary: 'not enabled, because the firmware exposes no IOMMU (see iommu-firmware); no kernel parameter can fix that',
      evidence,
      remedy: `Fix the firmware layer first: ${iommuMenu(cpu.vendor)}`,
    };
  }

  // the table says which IOMMU the kernel would drive (an emulated VT-d can sit under an AMD CPU)
  const kind = iommu.firmwareTables.includes('DMAR') ? 'intel' : iommu.firmwareTables.includes('IVRS') ? 'amd' : cpu.vendor;
  // unreadable ACPI tables: nothing may be said about the firmware layer, only that it is unknown
  const known = iommu.firmware === true;
  const unsure = known ? '' : '; whether the firmware exposes it is unknown (its ACPI tables could not be read), so the firmware may be the cause too';
  const firmwareFirst = known ? '' : `First make sure the firmware exposes it (${iommuMenu(cpu.vendor)}). Then: `;
  const iommuOff = paramOptions(cmdline, 'iommu').includes('off');
  evidence.push(...logEvidence(facts));

  if (kind === 'intel') {
    const intel = paramOptions(cmdline, 'intel_iommu');
    if (intel.includes('off') || iommuOff) {
      const culprit = intel.includes('off') ? 'intel_iommu=off' : 'iommu=off';
      return {
        ...base,
        status: 'fail',
        summary: `${known ? 'the firmware exposes VT-d but the kernel command line turns it off' : 'the kernel command line turns the Intel IOMMU off'} (${culprit})${unsure}`,
        evidence,
        remedy: `${firmwareFirst}Remove ${culprit} from the kernel command line and add intel_iommu=on (the wizard's kernel command line step does this), then reboot.`,
      };
    }
    if (intel.includes('on')) {
      return {
        ...base,
        status: 'fail',
        summary: `intel_iommu=on is set, yet the kernel enabled no IOMMU${unsure}`,
        evidence,
        remedy:
          'Read the DMAR lines of the kernel log (`dmesg | grep -i DMAR`): a broken DMAR table ("firmware bug") ' +
          'needs a firmware update, and a kernel built without CONFIG_INTEL_IOMMU needs another kernel.',
      };
    }
    return {
      ...base,
      status: 'fail',
      summary: known
        ? 'kernel parameter missing: the firmware exposes VT-d but this kernel does not enable it by default'
        : `the kernel enabled no IOMMU and intel_iommu=on is not set${unsure}`,
      evidence,
      remedy: `${firmwareFirst}Add intel_iommu=on to the kernel command line (the wizard's kernel command line step does this), then reboot.`,
    };
  }

  if (kind === 'amd') {
    const amdOff = paramOptions(cmdline, 'amd_iommu').includes('off');
    if (amdOff || iommuOff) {
      const culprit = amdOff ? 'amd_iommu=off' : 'iommu=off';
      return {
        ...base,
        status: 'fail',
        summary: `${known ? 'the firmware exposes AMD-Vi but the kernel command line turns it off' : 'the kernel command line turns the AMD IOMMU off'} (${culprit})${unsure}`,
        evidence,
        remedy:
          `${firmwareFirst}Remove ${culprit} from the kernel command line, then reboot. Nothing needs to be added: the kernel ` +
          'enables the AMD IOMMU by itself whenever the firmware exposes it.',
      };
    }
    return {
      ...base,
      status: 'fail',
      summary: `${known ? 'the firmware exposes AMD-Vi and ' : ''}nothing on the command line turns it off, yet the kernel enabled no IOMMU${unsure}`,
      evidence,
      remedy:
        'The kernel enables the AMD IOMMU by default, so no parameter is missing (do not add an amd_iommu ' +
        'option: "on" is not a valid value). Read the AMD-Vi lines of the kernel log (`dmesg | grep -i AMD-Vi`); ' +
        'set the firmware\'s "IOMMU" option from Auto to Enabled, and update the firmware if the log reports an IVRS error.',
    };
  }

  return {
    ...base,
    status: 'fail',
    summary: `the kernel enabled no IOMMU${unsure}`,
    evidence,
    remedy:
      'Check that the firmware exposes an IOMMU and that nothing on the kernel command line turns it off ' +
      '(iommu=off); read `dmesg | grep -i iommu` for the reason.',
  };
}

const REMAP_WHY =
  'Interrupt remapping stops a guest from forging interrupts (MSI) to the host. Without it vfio refuses to ' +
  'assign devices unless vfio_iommu_type1.allow_unsafe_interrupts=1 is set, which trusts the guest not to misuse that.';

export function checkInterruptRemapping(facts: HostFacts): Check {
  const { iommu } = facts;
  const base = { id: 'interrupt-remapping' as const, title: 'Interrupt remapping', why: REMAP_WHY };
  if (iommu.interruptRemapping === true) {
    return {
      ...base,
      status: 'pass',
      summary: 'the kernel enabled interrupt remapping',
      evidence: [`${iommu.kernelLogSource ?? 'kernel log'}: ${iommu.interruptRemappingEvidence ?? 'remapping enabled'}`],
      remedy: null,
    };
  }
  if (iommu.interruptRemapping === false) {
    return {
      ...base,
      status: 'warn',
      summary: 'the kernel reports interrupt remapping as unavailable',
      evidence: [`${iommu.kernelLogSource ?? 'kernel log'}: ${iommu.interruptRemappingEvidence ?? 'remapping disabled'}`],
      remedy:
        'Look for an "Interrupt Remapping" option next to VT-d / IOMMU in the firmware setup and update the firmware. ' +
        'Only if the platform really lacks it: vfio_iommu_type1.allow_unsafe_interrupts=1 lets passthrough work, ' +
        'at the cost that a malicious guest could send interrupts to the host; use it only for guests you trust.',
    };
  }
  if (iommu.firmware === false && !iommu.enabled) {
    // no IOMMU hardware is exposed, so there is nothing that could remap interrupts
    return {
      ...base,
      status: 'warn',
      summary: 'unavailable: the firmware exposes no IOMMU, and interrupt remapping is part of it (see iommu-firmware)',
      evidence: [`/sys/firmware/acpi/tables: no ${TABLE_FOR[facts.cpu.vendor]}`, `${iommu.kernelLogSource ?? 'kernel log'}: no interrupt remapping line`],
      remedy: 'Enable the IOMMU in the firmware setup first (see iommu-firmware); interrupt remapping comes with it on current platforms.',
    };
  }
  if (iommu.kernelLogSource === null) {
    return {
      ...base,
      status: 'unknown',
      summary: 'the kernel log could not be read, so interrupt remapping is unknown',
      evidence: ['kernel log: unreadable (/dev/kmsg, /var/log/dmesg)'],
      remedy: 'Run the check as root (the kernel log may be restricted), or look yourself: `dmesg | grep -i remapping`.',
    };
  }
  return {
    ...base,
    status: 'unknown',
    summary: 'the kernel log says nothing about interrupt remapping (the boot messages may have rotated out)',
    evidence: [`${iommu.kernelLogSource}: no interrupt remapping line`],
    remedy:
      'Look in the boot log: `journalctl -k -b | grep -i remapping`. "DMAR-IR: Enabled IRQ remapping" (Intel) or ' +
      '"AMD-Vi: Interrupt remapping enabled" (AMD) means it is on.',
  };
}
