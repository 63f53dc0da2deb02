// Which kernel parameters this host needs, and why — decided from the scan, one by one.
// DOMAIN.md: only what the host needs; never amd_iommu=on (not a valid value); iommu=pt is an
// offer, not a default; allow_unsafe_interrupts only when interrupt remapping is really absent.
import type { HostFacts } from '../host/types.js';
import { normalizeParamName, tokenizeCmdline, type CmdlineToken } from '../edit/cmdline-tokens.js';

export interface ParamDecision {
  /** "intel_iommu=on" */
  token: string;
  /** selected unless the user says otherwise */
  selected: boolean;
  /** one line: why this host needs it (or why it is only offered) */
  reason: string;
  /** what it costs, shown with a warning style */
  warning: string | null;
}

export interface ParamRemoval {
  /** token on the current command line that works against passthrough ("intel_iommu=off") */
  token: string;
  reason: string;
}

export interface CmdlineDecision {
  params: ParamDecision[];
  /** conflicting tokens: removed only with the user's consent */
  conflicts: ParamRemoval[];
  /** things the user should know that do not change the command line */
  notes: string[];
}

export interface CmdlineInputs {
  /** vendor:device IDs the isolation step binds; used only when vfio-pci is built into the kernel */
  vfioPciIds?: string[];
}

const nameOf = (token: CmdlineToken) => normalizeParamName(token.name);

/** Why a token turns the IOMMU off for this CPU (null when it does not). */
export function iommuOffReason(token: CmdlineToken, vendor: HostFacts['cpu']['vendor']): string | null {
  const name = nameOf(token);
  const values = (token.value ?? '').split(',');
  if (name === 'iommu' && token.value === 'off') return 'iommu=off disables every IOMMU; passthrough needs it on';
  if (name === 'intel_iommu' && vendor === 'intel' && values.includes('off')) return `${token.text} turns the Intel IOMMU off; passthrough needs intel_iommu=on`;
  if (name === 'amd_iommu' && vendor === 'amd' && values.includes('off')) return `${token.text} turns the AMD IOMMU off; the kernel enables it by default without it`;
  return null;
}
const valueOf = (token: CmdlineToken) => token.value ?? null;

export function decideCmdlineParams(facts: HostFacts, inputs: CmdlineInputs = {}): CmdlineDecision {
  const params: ParamDecision[] = [];
  const conflicts: ParamRemoval[] = [];
  const notes: string[] = [];
  const current = tokenizeCmdline(facts.kernel.cmdline ?? '').tokens;
  const find = (name: string) => current.filter((t) => nameOf(t) === name);

  for (const t of find('iommu')) {
    if (valueOf(t) === 'off') conflicts.push({ token: t.text, reason: 'iommu=off disables every IOMMU; passthrough needs it on' });
  }

  if (facts.cpu.vendor === 'intel') {
    for (const t of find('intel_iommu')) {
      const v = valueOf(t) ?? '';
      if (v.split(',').includes('off')) {
        conflicts.push({ token: t.text, reason: `${t.text} turns the Intel IOMMU off; passthrough needs intel_iommu=on` });
      }
    }
    if (!facts.iommu.enabled) {
      params.push({
        token: 'intel_iommu=on',
        selected: true,
        reason:
          facts.iommu.firmware === false
            ? 'turns on the Intel IOMMU in the kernel — it also needs VT-d enabled in the firmware setup, where it is off now'
            : 'the firmware exposes VT-d but this kernel has not enabled the IOMMU (Intel kernels need intel_iommu=on)',
        warning: null,
      });
    }
  } else if (facts.cpu.vendor === 'amd') {
    for (const t of find('amd_iommu')) {
      const v = valueOf(t) ?? '';
      if (v.split(',').includes('off')) {
        conflicts.push({ token: t.text, reason: `${t.text} turns the AMD IOMMU off; the kernel enables it by default without it` });
      }
      // "on" is not a value the kernel knows ("AMD-Vi: Unknown option - 'on'"): harmless but wrong.
      if (v === 'on') notes.push(`${t.text} is not a valid value (the kernel logs "AMD-Vi: Unknown option"); it does nothing and can be removed`);
    }
    if (!facts.iommu.enabled) {
      notes.push(
        facts.iommu.firmware === false
          ? 'AMD kernels enable the IOMMU by themselves; it is off because the firmware does not expose it (IOMMU / AMD-Vi in the firmware setup) — no kernel parameter fixes that'
          : 'AMD kernels enable the IOMMU by themselves; no parameter is needed (amd_iommu=on is not a valid value)',
      );
    }
  }

  params.push({
    token: 'iommu=pt',
    selected: find('iommu').some((t) => valueOf(t) === 'pt'),
    reason: 'optional: devices the host keeps skip IOMMU translation (identity mapping) — a little faster DMA for the host',
    warning: 'host devices are then not isolated by the IOMMU from each other; passthrough itself works either way',
  });

  if (facts.iommu.interruptRemapping === false) {
    params.push({
      token: 'vfio_iommu_type1.allow_unsafe_interrupts=1',
      selected: true,
      reason: 'interrupt remapping is not available, and vfio refuses to assign devices without it unless told to',
      warning:
        'a guest could then forge interrupts (MSI) towards the host; use it only with guests you trust, or enable interrupt remapping (x2APIC / IOMMU settings in the firmware)',
    });
  } else if (facts.iommu.interruptRemapping === null) {
    notes.push('interrupt remapping could not be read from the kernel log; if vfio later refuses a device for it, vfio_iommu_type1.allow_unsafe_interrupts=1 is the (unsafe) way out');
  }

  if (facts.kernel.vfioPci === 'builtin') {
    const ids = [...new Set(inputs.vfioPciIds ?? [])];
    if (ids.length) {
      params.push({
        token: `vfio-pci.ids=${ids.join(',')}`,
        selected: true,
        reason: 'vfio-pci is built into this kernel, so options in /etc/modprobe.d are ignored: the IDs must be on the command line',
        warning: null,
      });
    } else {
      notes.push('vfio-pci is built into this kernel: the device IDs go on the command line (vfio-pci.ids=…) once you choose devices in the isolation step');
    }
  }

  if (facts.boot.initramfs.id === 'dracut' && facts.kernel.vfioPci === 'module' && (inputs.vfioPciIds?.length ?? 0) > 0) {
    params.push({
      token: 'rd.driver.pre=vfio-pci',
      selected: true,
      reason: 'dracut loads vfio-pci first in the initramfs, before any graphics driver can claim the card',
      warning: null,
    });
  }

  return { params, conflicts, notes };
}
