// The synthetic hosts and the --demo workstation, materialized and scanned: each must show the
// state it was written for, as the scanner sees it through the fixture's files.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RootSpec } from '../../src/demo/root-spec.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_GROUPS_AFTER_ENABLING, SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import {
  AMD_FULLY_ENABLED,
  AMD_IVRS_NO_KERNEL_IOMMU,
  FOUR_FUNCTION_NVIDIA,
  IOMMU_OFF_IN_FIRMWARE,
  LEGACY_BIOS,
  NO_INTERRUPT_REMAPPING,
  NPU_HOST,
  SECURE_BOOT_ON,
  SYNTHETIC_HOSTS,
  TWO_IDENTICAL_GPUS,
} from '../../src/demo/synthetic-hosts.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import type { HostFacts, PciDevice } from '../../src/host/types.js';

let tmp = '';
const scans = new Map<string, HostFacts>();
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-synth-'));
  for (const spec of [SAMPLE_WORKSTATION, ...SYNTHETIC_HOSTS]) {
    const dir = path.join(tmp, spec.id);
    materializeRoot(spec, dir);
    scans.set(spec.id, scanHost(systemRoot(dir)));
  }
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const scan = (spec: RootSpec): HostFacts => scans.get(spec.id)!;
const dev = (f: HostFacts, addr: string): PciDevice => {
  const d = f.devices.find((x) => x.address === addr);
  if (!d) throw new Error(`${addr} missing`);
  return d;
};

describe('sample workstation (--demo)', () => {
  it('firmware exposes VT-d (DMAR) but the kernel has not enabled it: no units, no groups, no intel_iommu=on', () => {
    const f = scan(SAMPLE_WORKSTATION);
    expect(f.iommu).toMatchObject({ firmware: true, firmwareTables: ['DMAR'], enabled: false, units: [], groupCount: 0 });
    expect(f.kernel.cmdline).not.toMatch(/intel_iommu/);
    expect(f.cpu).toMatchObject({ vendor: 'intel', virtualization: true, flag: 'vmx', kvmDevice: true });
  });
  it('Debian 12, UEFI without Secure Boot, GRUB + initramfs-tools, vfio-pci a module of 6.1', () => {
    const f = scan(SAMPLE_WORKSTATION);
    expect(f.distro).toMatchObject({ id: 'debian', versionId: '12' });
    expect(f.boot).toMatchObject({ uefi: true, secureBoot: false });
    expect(f.boot.bootloader.id).toBe('grub');
    expect(f.boot.initramfs.id).toBe('initramfs-tools');
    expect(f.kernel).toMatchObject({ release: '6.1.0-13-amd64', vfioPci: 'module', vfio: 'module', vfioVirqfd: 'module' });
  });
  it('UHD 770 is the boot VGA on i915; the RTX 2070 has VGA, audio, USB and UCSI functions behind 00:01.0', () => {
    const f = scan(SAMPLE_WORKSTATION);
    expect(f.devices.filter((d) => d.bootVga).map((d) => [d.address, d.driver])).toEqual([['0000:00:02.0', 'i915']]);
    const gpu = f.devices.filter((d) => d.address.startsWith('0000:01:00.'));
    expect(gpu.map((d) => [d.class, d.driver])).toEqual([
      ['030000', 'nouveau'],
      ['040300', 'snd_hda_intel'],
      ['0c0330', 'xhci_hcd'],
      ['0c8000', 'nvidia-gpu'],
    ]);
    expect(gpu.every((d) => d.parents.join() === '0000:00:01.0')).toBe(true);
    expect(dev(f, '0000:01:00.0').name).toBe('NVIDIA Corporation TU106 [GeForce RTX 2070]');
  });
  it('the NVMe holds / and the ESP, the I226-V carries the default route', () => {
    const f = scan(SAMPLE_WORKSTATION);
    expect(f.hostCritical).toMatchObject({ rootBlockDevice: 'nvme0n1', espBlockDevice: 'nvme0n1', defaultRouteInterface: 'enp4s0' });
    expect(dev(f, '0000:02:00.0').hostCritical.sort()).toEqual(['esp', 'root-fs']);
    expect(dev(f, '0000:04:00.0').hostCritical).toEqual(['default-route']);
    expect(f.devices.filter((d) => d.hostCritical.length > 0)).toHaveLength(2);
  });
  it('the NPU 1ed2:0000 is a processing accelerator named from the bundled pci.ids excerpt', () => {
    const f = scan(SAMPLE_WORKSTATION);
    expect(dev(f, '0000:03:00.0')).toMatchObject({ class: '120000', driver: null, name: 'FuriosaAI, Inc. Warboy' });
    expect(f.pciIdsSource).toBe('/usr/share/misc/pci.ids');
    // the excerpt names every device except the host bridge (8086:a700, unnamed in the corpus too)
    expect(f.devices.filter((d) => d.deviceName === null).map((d) => d.address)).toEqual(['0000:00:00.0']);
  });
  it('the group table for after enabling covers exactly the devices, GPU functions together, NPU alone', () => {
    expect(Object.keys(SAMPLE_GROUPS_AFTER_ENABLING).sort()).toEqual(SAMPLE_WORKSTATION.devices.map((d) => d.address).sort());
    const members = (g: number) => Object.entries(SAMPLE_GROUPS_AFTER_ENABLING).filter(([, n]) => n === g).map(([a]) => a);
    expect(members(SAMPLE_GROUPS_AFTER_ENABLING['0000:01:00.0']!)).toEqual(['0000:01:00.0', '0000:01:00.1', '0000:01:00.2', '0000:01:00.3']);
    expect(members(SAMPLE_GROUPS_AFTER_ENABLING['0000:03:00.0']!)).toEqual(['0000:03:00.0']);
  });
});

describe('synthetic hosts', () => {
  it('IOMMU off in firmware: no DMAR table, nothing enabled', () => {
    const f = scan(IOMMU_OFF_IN_FIRMWARE);
    expect(f.iommu).toMatchObject({ firmware: false, firmwareTables: [], enabled: false, groupCount: 0, interruptRemapping: null });
    expect(f.cpu.vendor).toBe('intel');
  });
  it('AMD with IVRS but amd_iommu=off: firmware yes, kernel no', () => {
    const f = scan(AMD_IVRS_NO_KERNEL_IOMMU);
    expect(f.iommu).toMatchObject({ firmware: true, firmwareTables: ['IVRS'], enabled: false, units: [], groupCount: 0 });
    expect(f.cpu).toMatchObject({ vendor: 'amd', flag: 'svm' });
    expect(f.kernel.cmdline).toContain('amd_iommu=off');
  });
  it('AMD fully enabled: ivhd0, groups, interrupt remapping from the AMD-Vi line', () => {
    const f = scan(AMD_FULLY_ENABLED);
    expect(f.iommu).toMatchObject({ firmware: true, enabled: true, units: ['ivhd0'], interruptRemapping: true });
    expect(f.iommu.interruptRemappingEvidence).toContain('AMD-Vi: Interrupt remapping enabled');
    expect(f.iommuGroups.find((g) => g.id === 27)?.devices).toEqual(['0000:2d:00.0', '0000:2d:00.1']);
  });
  it('two identical GPUs: same IDs on both cards, one boot VGA, one group per card, vfio-pci built in', () => {
    const f = scan(TWO_IDENTICAL_GPUS);
    const vga = f.devices.filter((d) => d.class === '030000');
    expect(vga.map((d) => [d.address, `${d.vendor}:${d.device}`, d.bootVga])).toEqual([
      ['0000:3b:00.0', '10de:1e07', true],
      ['0000:af:00.0', '10de:1e07', false],
    ]);
    expect(f.iommuGroups.find((g) => g.id === 21)?.devices).toHaveLength(4);
    expect(f.iommuGroups.find((g) => g.id === 61)?.devices).toEqual(['0000:af:00.0', '0000:af:00.1', '0000:af:00.2', '0000:af:00.3']);
    expect(f.kernel.vfioPci).toBe('builtin');
  });
  it('4-function NVIDIA card alone in its group, root port in another', () => {
    const f = scan(FOUR_FUNCTION_NVIDIA);
    expect(f.iommuGroups.find((g) => g.id === 12)?.devices).toEqual(['0000:01:00.0', '0000:01:00.1', '0000:01:00.2', '0000:01:00.3']);
    expect(dev(f, '0000:00:01.0').iommuGroup).toBe(1);
    expect(dev(f, '0000:00:02.0').bootVga).toBe(true);
  });
  it('NPU host (seed 000): CentOS 8, Warboy unnamed without pci.ids, GRUB with BLS, dracut, vfio_virqfd a module', () => {
    const f = scan(NPU_HOST);
    expect(dev(f, '0000:01:00.0')).toMatchObject({ class: '120000', name: 'Device 1ed2:0000', driver: null, revision: '01' });
    expect(f.distro.id).toBe('centos');
    expect(f.boot.bootloader.id).toBe('grub-bls');
    expect(f.boot.initramfs.id).toBe('dracut');
    expect(f.kernel).toMatchObject({ vfioPci: 'module', vfioVirqfd: 'module', version: { major: 4, minor: 18 } });
    expect(f.iommu).toMatchObject({ firmware: true, enabled: false });
    expect(f.virt.qemu).toBe('/usr/libexec/qemu-kvm');
  });
  it('Secure Boot on (efivar value 1)', () => {
    const f = scan(SECURE_BOOT_ON);
    expect(f.boot).toMatchObject({ uefi: true, secureBoot: true });
    expect(f.kernel.vfioPci).toBe('builtin');
  });
  it('legacy BIOS: not UEFI, Secure Boot not applicable', () => {
    const f = scan(LEGACY_BIOS);
    expect(f.boot).toMatchObject({ uefi: false, secureBoot: null });
    expect(f.boot.bootloader.id).toBe('grub');
  });
  it('no interrupt remapping: IOMMU on, remapping reported off with the log line', () => {
    const f = scan(NO_INTERRUPT_REMAPPING);
    expect(f.iommu).toMatchObject({ enabled: true, interruptRemapping: false });
    expect(f.iommu.interruptRemappingEvidence).toContain("IRQ remapping doesn't support X2APIC mode");
  });
  it('negative control: the states differ where they should (Secure Boot, UEFI, remapping, firmware)', () => {
    expect(scan(SECURE_BOOT_ON).boot.secureBoot).not.toBe(scan(FOUR_FUNCTION_NVIDIA).boot.secureBoot);
    expect(scan(LEGACY_BIOS).boot.uefi).not.toBe(scan(FOUR_FUNCTION_NVIDIA).boot.uefi);
    expect(scan(NO_INTERRUPT_REMAPPING).iommu.interruptRemapping).not.toBe(scan(FOUR_FUNCTION_NVIDIA).iommu.interruptRemapping);
    expect(scan(IOMMU_OFF_IN_FIRMWARE).iommu.firmware).not.toBe(scan(AMD_IVRS_NO_KERNEL_IOMMU).iommu.firmware);
    expect(new Set(SYNTHETIC_HOSTS.map((h) => h.id)).size).toBe(SYNTHETIC_HOSTS.length);
  });
});
