// A declarative description of a machine, turned into a fixture root (a directory laid out
// like "/") by src/demo/materialize.ts (used by --demo and by the tests). Corpus captures are parsed into this shape.

export interface DeviceSpec {
  /** "0000:01:00.0" (domain optional in input: "01:00.0" means domain 0000) */
  address: string;
  vendor: string;
  device: string;
  /** 6 hex digits ("030000"); 4 digits ("0300") get prog-if 00 */
  class: string;
  subsystemVendor?: string;
  subsystemDevice?: string;
  revision?: string;
  driver?: string | null;
  iommuGroup?: number | null;
  bootVga?: boolean;
  resetMethod?: string;
  /** bridge chain from the root port down to the direct parent */
  parents?: string[];
  sriovTotalVfs?: number;
  sriovNumVfs?: number;
  physfn?: string;
  /** mediated device types (the device becomes an mdev parent under sys/class/mdev_bus); instances: UUIDs that exist */
  mdevTypes?: { id: string; name: string; description?: string; availableInstances: number; deviceApi?: string; instances?: string[] }[];
  /** NVIDIA's vGPU interface on an SR-IOV VF (driver 17+): nvidia/creatable_vgpu_types as ID/name rows, current_vgpu_type */
  nvidiaVgpu?: { creatable: { id: number; name: string }[]; current: number };
  /** BARs as [start, end, flags] hex strings, lines of the sysfs `resource` file */
  resources?: [string, string, string][];
  net?: string[];
  block?: string[];
  /** lspci's name for it when the capture had one (used to check our pci.ids lookup, not written) */
  capturedName?: string;
}

export interface RootSpec {
  /** short id; becomes the fixture directory name */
  id: string;
  /** where the data came from (corpus file, or "synthetic: …") */
  source: string;
  cpu?: { vendor: 'GenuineIntel' | 'AuthenticAMD' | string; flags?: string[]; model?: string; threads?: number };
  kvmDevice?: boolean;
  /** ACPI tables present under sys/firmware/acpi/tables */
  acpiTables?: string[];
  /** entries of sys/class/iommu */
  iommuUnits?: string[];
  uefi?: boolean;
  secureBoot?: boolean | null;
  kernelRelease?: string;
  cmdline?: string;
  /** written to var/log/dmesg */
  dmesg?: string;
  /** contents of etc/os-release */
  osRelease?: string;
  /** lines of lib/modules/<kver>/modules.builtin (paths like kernel/drivers/vfio/pci/vfio-pci.ko) */
  modulesBuiltin?: string[];
  /** lines of lib/modules/<kver>/modules.dep */
  modulesDep?: string[];
  /** /proc/modules module names */
  loadedModules?: string[];
  devices: DeviceSpec[];
  /** extra files: path relative to root → contents */
  files?: Record<string, string>;
  /** whether sys/bus/pci/devices entries are symlinks into sys/devices (real layout) or plain dirs */
  layout?: 'symlinks' | 'plain';
  /** write a 256-byte `config` file per device so lspci -A linux-sysfs can read the tree */
  pciConfig?: boolean;
  /**
   * what the source did not capture and the tree therefore leaves out, so that the scan says
   * "unknown" instead of a guess: 'iommuGroups' — no sys/kernel/iommu_groups (a capture without
   * groups would otherwise read as "the kernel has no IOMMU")
   */
  unknown?: 'iommuGroups'[];
}
