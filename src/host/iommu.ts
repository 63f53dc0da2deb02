// IOMMU, layer by layer: the firmware's ACPI table (DMAR for Intel VT-d, IVRS for AMD-Vi), the
// kernel's IOMMU units and groups, and interrupt remapping as the kernel log reports it.
import type { AcpiIommuTable, IommuFacts } from './types.js';
import type { SystemRoot } from './root.js';
import type { SysReader } from './sysfs-read.js';
import type { KernelLog } from './kernel-log.js';

const RELEVANT = /DMAR|AMD-Vi|IOMMU|remapping|x2apic|intremap/i;
const REMAP_ON = /Enabled IRQ remapping|Interrupt remapping enabled|IRQ remapping enabled/i;
const REMAP_OFF =
  /IRQ remapping (?:was )?disabled|Interrupt remapping disabled|Failed to enable irq remapping|Not enabling interrupt remapping|IRQ remapping doesn't support|remapping not supported|Disabling IRQ remapping|interrupt remapping is not supported/i;
const COMMAND_LINE = /command line:/i;
/** one line per device on large machines; they would crowd out the lines that explain something */
const GROUP_ADD = /Adding to iommu group/;
const MAX_LOG_LINES = 40;

export function scanIommu(root: SystemRoot, r: SysReader, log: KernelLog | null): IommuFacts {
  const tablesDir = root.at('/sys/firmware/acpi/tables');
  const tables = r.list(tablesDir);
  const firmwareTables: AcpiIommuTable[] = [];
  if (tables === null) {
    r.notes.push('/sys/firmware/acpi/tables is absent or unreadable: whether the firmware exposes an IOMMU is unknown');
  } else {
    // Intel can publish DMAR, AMD IVRS; some firmwares number duplicates (DMAR1)
    if (tables.some((t) => t === 'DMAR' || /^DMAR\d+$/.test(t))) firmwareTables.push('DMAR');
    if (tables.some((t) => t === 'IVRS' || /^IVRS\d+$/.test(t))) firmwareTables.push('IVRS');
  }
  const units = (r.list(root.at('/sys/class/iommu')) ?? []).sort();
  const groupList = r.list(root.at('/sys/kernel/iommu_groups'));
  const groupCount = (groupList ?? []).filter((g) => /^\d+$/.test(g)).length;

  let interruptRemapping: boolean | null = null;
  let evidence: string | null = null;
  const kernelLogLines: string[] = [];
  if (log) {
    let off: string | null = null;
    for (const raw of log.lines) {
      if (!RELEVANT.test(raw)) continue;
      const line = raw.trimEnd();
      if (kernelLogLines.length < MAX_LOG_LINES && !GROUP_ADD.test(line)) kernelLogLines.push(line);
      if (COMMAND_LINE.test(line)) continue;
      if (interruptRemapping !== true && REMAP_ON.test(line)) {
        interruptRemapping = true;
        evidence = line.trim();
      } else if (off === null && REMAP_OFF.test(line)) {
        off = line.trim();
      }
    }
    if (interruptRemapping === null && off !== null) {
      interruptRemapping = false;
      evidence = off;
    }
  }
  return {
    firmware: tables === null ? null : firmwareTables.length > 0,
    firmwareTables,
    enabled: units.length > 0 || groupCount > 0,
    units,
    groupCount,
    groupsReadable: groupList !== null,
    interruptRemapping,
    interruptRemappingEvidence: evidence,
    kernelLogSource: log?.source ?? null,
    kernelLogLines,
  };
}
