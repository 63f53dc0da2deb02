// HostFacts for tests: a ready Intel workstation (Debian 12, UEFI, VT-d on, interrupt remapping,
// an iGPU that boots the console plus an NVIDIA card alone in its group with its root port,
// QEMU/libvirt/OVMF installed), changed by a deep-partial override.
// Objects merge key by key; arrays and null replace the default wholesale.
import type { HostFacts, PciDevice } from '../../src/host/types.js';
import { className, isBridge } from '../../src/host/pci-class.js';

export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepMerge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k], v as DeepPartial<unknown>) : v;
  }
  return out as T;
}

/** A PCI function with sensible empty defaults; `name` is built from the names when given. */
export function makeDevice(over: Partial<PciDevice> & { address: string; class: string }): PciDevice {
  const vendor = over.vendor ?? '8086';
  const device = over.device ?? '0000';
  const vendorName = over.vendorName === undefined ? null : over.vendorName;
  const deviceName = over.deviceName === undefined ? null : over.deviceName;
  return {
    vendor,
    device,
    subsystemVendor: null,
    subsystemDevice: null,
    revision: '00',
    driver: null,
    iommuGroup: null,
    bootVga: false,
    resetMethods: null,
    sriov: null,
    physfn: null,
    mdevSupportedTypes: false,
    parents: [],
    isBridge: isBridge(over.class),
    largeBar: false,
    largeBars: [],
    vendorName,
    deviceName,
    className: className(over.class),
    name: vendorName && deviceName ? `${vendorName} ${deviceName}` : `Device ${vendor}:${device}`,
    hostCritical: [],
    netInterfaces: [],
    blockDevices: [],
    ...over,
  };
}

const INTEL = 'Intel Corporation';
const NVIDIA = 'NVIDIA Corporation';

export function defaultDevices(): PciDevice[] {
  return [
    makeDevice({ address: '0000:00:00.0', class: '060000', vendor: '8086', device: '3e30', vendorName: INTEL, deviceName: '8th/9th Gen Core 8-core Desktop Processor Host Bridge/DRAM Registers [Coffee Lake S]', driver: 'skl_uncore', iommuGroup: 0 }),
    makeDevice({ address: '0000:00:01.0', class: '060400', vendor: '8086', device: '1901', vendorName: INTEL, deviceName: '6th-10th Gen Core Processor PCIe Controller (x16)', driver: 'pcieport', iommuGroup: 1 }),
    makeDevice({ address: '0000:00:02.0', class: '030000', vendor: '8086', device: '3e92', vendorName: INTEL, deviceName: 'CoffeeLake-S GT2 [UHD Graphics 630]', driver: 'i915', iommuGroup: 2, bootVga: true, resetMethods: ['flr', 'bus'] }),
    makeDevice({ address: '0000:00:17.0', class: '010601', vendor: '8086', device: 'a352', vendorName: INTEL, deviceName: 'Cannon Lake PCH SATA AHCI Controller', driver: 'ahci', iommuGroup: 5, hostCritical: ['root-fs', 'boot-fs', 'esp'], blockDevices: ['sda'] }),
    makeDevice({ address: '0000:00:1f.6', class: '020000', vendor: '8086', device: '15bc', vendorName: INTEL, deviceName: 'Ethernet Connection (7) I219-V', driver: 'e1000e', iommuGroup: 8, hostCritical: ['default-route'], netInterfaces: ['eno1'] }),
    makeDevice({ address: '0000:01:00.0', class: '030000', vendor: '10de', device: '1b81', vendorName: NVIDIA, deviceName: 'GP104 [GeForce GTX 1070]', driver: 'nouveau', iommuGroup: 1, parents: ['0000:00:01.0'], resetMethods: ['bus'], largeBar: false }),
    makeDevice({ address: '0000:01:00.1', class: '040300', vendor: '10de', device: '10f0', vendorName: NVIDIA, deviceName: 'GP104 High Definition Audio Controller', driver: 'snd_hda_intel', iommuGroup: 1, parents: ['0000:00:01.0'], resetMethods: ['bus'] }),
  ];
}

export function defaultFacts(): HostFacts {
  const devices = defaultDevices();
  const groups = new Map<number, string[]>();
  for (const d of devices) if (d.iommuGroup !== null) groups.set(d.iommuGroup, [...(groups.get(d.iommuGroup) ?? []), d.address]);
  return {
    schemaVersion: 1,
    root: '/',
    cpu: {
      vendor: 'intel',
      model: 'Intel(R) Core(TM) i7-9700K CPU @ 3.60GHz',
      virtualization: true,
      flag: 'vmx',
      kvmDevice: true,
      kvmModuleLoaded: true,
      threads: 8,
    },
    iommu: {
      firmware: true,
      firmwareTables: ['DMAR'],
      enabled: true,
      units: ['dmar0', 'dmar1'],
      groupCount: groups.size,
      groupsReadable: true,
      interruptRemapping: true,
      interruptRemappingEvidence: '[    0.093481] DMAR-IR: Enabled IRQ remapping in x2apic mode',
      kernelLogSource: '/dev/kmsg',
      kernelLogLines: [
        '[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=0b6c7e1a-3f0e-4c9b-9c1e-2f7d1f0a8e51 ro quiet intel_iommu=on',
        '[    0.012345] ACPI: DMAR 0x000000007A3B1000 0000A8 (v01 INTEL  EDK2     00000002      01000013)',
        '[    0.089012] DMAR: IOMMU enabled',
        '[    0.093481] DMAR-IR: Enabled IRQ remapping in x2apic mode',
      ],
    },
    boot: {
      uefi: true,
      secureBoot: false,
      bootloader: { id: 'grub', evidence: ['/etc/default/grub', '/usr/sbin/update-grub'] },
      initramfs: { id: 'initramfs-tools', evidence: ['/usr/sbin/update-initramfs'] },
    },
    kernel: {
      release: '6.1.0-18-amd64',
      cmdline: 'BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=0b6c7e1a-3f0e-4c9b-9c1e-2f7d1f0a8e51 ro quiet intel_iommu=on',
      version: { major: 6, minor: 1 },
      vfioPci: 'module',
      vfio: 'module',
      vfioIommuType1: 'module',
      vfioVirqfd: 'module',
      loadedModules: ['kvm_intel', 'kvm', 'i915', 'nouveau', 'snd_hda_intel', 'e1000e', 'ahci'],
      vfioLogLines: [],
    },
    distro: { id: 'debian', idLike: [], versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' },
    virt: {
      qemu: '/usr/bin/qemu-system-x86_64',
      virsh: '/usr/bin/virsh',
      virtInstall: '/usr/bin/virt-install',
      virtHostValidate: '/usr/bin/virt-host-validate',
      ovmf: ['/usr/share/OVMF/OVMF_CODE_4M.fd'],
    },
    hostCritical: {
      rootBlockDevice: 'sda2',
      bootBlockDevice: 'sda2',
      espBlockDevice: 'sda1',
      defaultRouteInterface: 'eno1',
    },
    devices,
    iommuGroups: [...groups].map(([id, devs]) => ({ id, devices: devs })),
    pciIdsSource: '/usr/share/misc/pci.ids',
    notes: [],
  };
}

/** The default ready Intel host with `over` merged in (objects deep-merged, arrays replaced). */
export function makeFacts(over: DeepPartial<HostFacts> = {}): HostFacts {
  return deepMerge<HostFacts>(defaultFacts(), over);
}
