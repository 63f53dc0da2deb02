// A readiness check: pure data derived from HostFacts (plus, for a few, the output of a
// command that the caller ran and passed in). The JSON shape is a public contract.

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'unknown';

export type CheckId =
  | 'cpu-virtualization'
  | 'iommu-firmware'
  | 'iommu-kernel'
  | 'interrupt-remapping'
  | 'uefi'
  | 'secure-boot'
  | 'vfio-modules'
  | 'virt-stack'
  | 'virt-host-validate'
  | 'boot-gpu'
  | 'large-bars'
  | 'pci-names'
  | 'vfio-log';

export interface Check {
  id: CheckId;
  /** short title shown in the checklist */
  title: string;
  status: CheckStatus;
  /** one line: what was found */
  summary: string;
  /** the facts the check used, each a human-readable line ("/sys/firmware/acpi/tables/DMAR present") */
  evidence: string[];
  /** why it matters for passthrough */
  why: string;
  /** how to fix, when status is not pass; null otherwise */
  remedy: string | null;
}
