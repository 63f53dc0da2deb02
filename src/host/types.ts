// HostFacts: everything the scanner reads, as one plain JSON-serialisable object.
// `null` always means "could not be determined" (unreadable, absent, odd value), never "no".
// The JSON shape is a public contract (docs/json.md); add fields, do not rename them.

export type CpuVendor = 'intel' | 'amd' | 'other';

export interface CpuFacts {
  vendor: CpuVendor;
  /** model name from /proc/cpuinfo, when readable */
  model: string | null;
  /** vmx (Intel VT-x) or svm (AMD-V) flag present; null when /proc/cpuinfo is unreadable or lists no flags */
  virtualization: boolean | null;
  flag: 'vmx' | 'svm' | null;
  /** /dev/kvm exists */
  kvmDevice: boolean;
  /** kvm_intel / kvm_amd (or kvm) listed in /proc/modules, or built in; null when unreadable */
  kvmModuleLoaded: boolean | null;
  /** logical CPUs counted in /proc/cpuinfo */
  threads: number | null;
}

export type AcpiIommuTable = 'DMAR' | 'IVRS';

export interface IommuFacts {
  /** ACPI DMAR/IVRS table present: the firmware exposes an IOMMU. null when the tables directory is unreadable */
  firmware: boolean | null;
  firmwareTables: AcpiIommuTable[];
  /** the kernel enabled an IOMMU: /sys/class/iommu non-empty or IOMMU groups exist */
  enabled: boolean;
  /** entries of /sys/class/iommu (dmar0, ivhd0, …) */
  units: string[];
  groupCount: number;
  /** /sys/kernel/iommu_groups could be listed; false: unreadable or absent (an offline root has no sysfs), so groupCount says nothing */
  groupsReadable: boolean;
  /** interrupt remapping from the kernel log; null when the log is unreadable or silent */
  interruptRemapping: boolean | null;
  /** the log line that decided interruptRemapping */
  interruptRemappingEvidence: string | null;
  /** where the kernel log was read from (e.g. "/dev/kmsg", "var/log/dmesg"), null if none */
  kernelLogSource: string | null;
  /** IOMMU-related kernel log lines worth showing (DMAR/AMD-Vi/iommu), bounded */
  kernelLogLines: string[];
}

export type BootloaderId =
  | 'grub'
  | 'grub-bls'
  | 'systemd-boot'
  | 'kernelstub'
  | 'proxmox-boot-tool'
  | 'refind'
  | 'efistub'
  | 'rpm-ostree'
  | 'nixos'
  | 'unknown';

export type InitramfsGeneratorId = 'initramfs-tools' | 'dracut' | 'mkinitcpio' | 'booster' | 'unknown';

export interface Detection<T extends string> {
  id: T;
  /** the files or facts that led to this answer, human-readable */
  evidence: string[];
}

export interface BootFacts {
  /** booted through UEFI (/sys/firmware/efi); null when the root has no /sys/firmware (an offline system: unknown) */
  uefi: boolean | null;
  /** SecureBoot efivar; null when not UEFI or unreadable */
  secureBoot: boolean | null;
  bootloader: Detection<BootloaderId>;
  initramfs: Detection<InitramfsGeneratorId>;
}

export type ModuleState = 'builtin' | 'module' | 'missing' | 'unknown';

export interface KernelFacts {
  release: string | null;
  cmdline: string | null;
  /** major.minor parsed from release */
  version: { major: number; minor: number } | null;
  vfioPci: ModuleState;
  vfio: ModuleState;
  vfioIommuType1: ModuleState;
  /** vfio_virqfd exists as its own module only before 6.2 */
  vfioVirqfd: ModuleState;
  /** modules currently loaded (from /proc/modules), null when unreadable */
  loadedModules: string[] | null;
  /** the newest kernel log lines about vfio or a known passthrough symptom (src/host/vfio-symptoms.ts); null when the log is unreadable */
  vfioLogLines: string[] | null;
}

export interface DistroFacts {
  id: string | null;
  idLike: string[];
  versionId: string | null;
  prettyName: string | null;
}

export interface VirtStackFacts {
  /** absolute paths (as seen inside the root) or null when absent */
  qemu: string | null;
  virsh: string | null;
  virtInstall: string | null;
  virtHostValidate: string | null;
  /** OVMF/edk2 firmware code files found */
  ovmf: string[];
}

export interface SriovFacts {
  totalVfs: number | null;
  numVfs: number | null;
  /** addresses of the virtual functions that exist now */
  virtfns: string[];
}

export type HostCriticalReason = 'root-fs' | 'boot-fs' | 'esp' | 'default-route';

/** A memory BAR large enough to need Above 4G Decoding (see PciDevice.largeBar). */
export interface LargeBar {
  /** the BAR's number, 0–5 (the line of the resource file) */
  bar: number;
  /** where the kernel placed it: "0x38000000000" */
  start: string;
  /** in bytes */
  size: number;
}

export interface PciDevice {
  /** full address with domain: "0000:01:00.0" */
  address: string;
  vendor: string; // 4 lower-case hex digits
  device: string;
  subsystemVendor: string | null;
  subsystemDevice: string | null;
  /** 6 hex digits: class, subclass, prog-if ("030000") */
  class: string;
  revision: string | null;
  driver: string | null;
  iommuGroup: number | null;
  bootVga: boolean;
  /** reset_method contents split on spaces; null when the file is absent */
  resetMethods: string[] | null;
  sriov: SriovFacts | null;
  /** the physical function's address when this is an SR-IOV virtual function */
  physfn: string | null;
  mdevSupportedTypes: boolean;
  /** PCI bridges from the root port down to this device's immediate parent */
  parents: string[];
  /** PCI-to-PCI bridge / host bridge / root port (class 0604, 0600 …) */
  isBridge: boolean;
  /** a memory BAR larger than 256 MiB, or of 256 MiB above 4 GiB (src/host/pci.ts largeBars) */
  largeBar: boolean;
  /** those BARs, each with its number, address and size (empty when largeBar is false) */
  largeBars: readonly LargeBar[];
  vendorName: string | null;
  deviceName: string | null;
  className: string | null;
  /** display name: "NVIDIA Corporation TU102 [GeForce RTX 2080 Ti]" or "Device 1ed2:0000" */
  name: string;
  /** why the host needs this device (root filesystem controller, default-route NIC, …) */
  hostCritical: HostCriticalReason[];
  /**
   * vendor, device or class could not be read: shown with ffff:ffff and class ff0000, counted in
   * its IOMMU group, never selectable (absent when the IDs were read)
   */
  unreadable?: true;
  /** network interfaces / block devices under this function, when readable */
  netInterfaces: string[];
  blockDevices: string[];
}

export interface IommuGroup {
  id: number;
  devices: string[];
}

export interface HostCriticalFacts {
  /** block devices holding /, /boot and the ESP, resolved from mountinfo, when readable */
  rootBlockDevice: string | null;
  bootBlockDevice: string | null;
  espBlockDevice: string | null;
  defaultRouteInterface: string | null;
}

export interface HostFacts {
  schemaVersion: 1;
  /** the --root the scan ran against */
  root: string;
  cpu: CpuFacts;
  iommu: IommuFacts;
  boot: BootFacts;
  kernel: KernelFacts;
  distro: DistroFacts;
  virt: VirtStackFacts;
  hostCritical: HostCriticalFacts;
  devices: PciDevice[];
  iommuGroups: IommuGroup[];
  /** where pci.ids came from, null when none was found */
  pciIdsSource: string | null;
  /** things the scanner could not read; each is also why a fact is null/unknown */
  notes: string[];
}
