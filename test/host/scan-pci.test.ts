import { mkdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { dev, makeRoot, scanSpec, workstationDevices } from './fixture-root.js';
import { expandSelection, groupViability } from '../../src/isolate/selection.js';
import type { HostFacts } from '../../src/host/types.js';

function expandSelectionOk(f: HostFacts, arg: string): string[] {
  const r = expandSelection(f, [arg]);
  if (!r.ok) throw new Error(r.error.message);
  return r.devices;
}

const PCI_IDS = `# test pci.ids
10de  NVIDIA Corporation
\t1e07  TU102 [GeForce RTX 2080 Ti Rev. A]
\t\t1462 3715  RTX 2080 Ti GAMING X TRIO
\t10f7  TU102 High Definition Audio Controller
144d  Samsung Electronics Co Ltd
\ta808  NVMe SSD Controller SM981/PM981/PM983
8086  Intel Corporation
\t1901  6th-10th Gen Core Processor PCIe Controller (x16)
\t3e98  CoffeeLake-S GT2 [UHD Graphics 630]
C 03  Display controller
\t00  VGA compatible controller
`;

describe('PCI devices from sysfs', () => {
  it('reads identity, driver, group, bridge chain and flags from the real (symlinked) layout', () => {
    const { facts } = scanSpec({ devices: workstationDevices(), files: { 'usr/share/misc/pci.ids': PCI_IDS } });
    const gpu = dev(facts, '0000:01:00.0');
    expect(gpu).toMatchObject({
      vendor: '10de',
      device: '1e07',
      subsystemVendor: '1462',
      subsystemDevice: '3715',
      class: '030000',
      revision: 'a1',
      driver: 'nvidia',
      iommuGroup: 1,
      bootVga: false,
      resetMethods: ['bus'],
      parents: ['0000:00:01.0'],
      isBridge: false,
      largeBar: true,
      vendorName: 'NVIDIA Corporation',
      deviceName: 'TU102 [GeForce RTX 2080 Ti Rev. A]',
      className: 'VGA compatible controller',
      name: 'NVIDIA Corporation TU102 [GeForce RTX 2080 Ti Rev. A]',
      sriov: null,
      physfn: null,
      mdevSupportedTypes: false,
    });
    expect(dev(facts, '0000:00:02.0').bootVga).toBe(true);
    expect(dev(facts, '0000:00:01.0')).toMatchObject({ isBridge: true, parents: [], driver: 'pcieport' });
    expect(dev(facts, '0000:00:00.0')).toMatchObject({ driver: null, resetMethods: null, largeBar: false });
    expect(dev(facts, '0000:02:00.0')).toMatchObject({ blockDevices: ['nvme0n1'], parents: ['0000:00:1d.0'] });
    expect(dev(facts, '0000:00:1f.6').netInterfaces).toEqual(['eno1']);
    expect(facts.pciIdsSource).toBe('/usr/share/misc/pci.ids');
    expect(facts.iommuGroups).toEqual([
      { id: 0, devices: ['0000:00:00.0'] },
      { id: 1, devices: ['0000:00:01.0', '0000:01:00.0', '0000:01:00.1'] },
      { id: 2, devices: ['0000:00:02.0'] },
      { id: 9, devices: ['0000:00:1d.0'] },
      { id: 10, devices: ['0000:02:00.0'] },
      { id: 12, devices: ['0000:00:1f.6'] },
    ]);
    expect(facts.devices.map((d) => d.address)).toEqual([
      '0000:00:00.0', '0000:00:01.0', '0000:00:02.0', '0000:00:1d.0', '0000:00:1f.6', '0000:01:00.0', '0000:01:00.1', '0000:02:00.0',
    ]);
  });

  it('the fixture really is the kernel layout: bus entries and group members are relative symlinks', () => {
    const dir = makeRoot({ devices: workstationDevices() });
    expect(readlinkSync(path.join(dir, 'sys/bus/pci/devices/0000:01:00.0'))).toBe(
      '../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0',
    );
    expect(readlinkSync(path.join(dir, 'sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/driver'))).toBe(
      '../../../../bus/pci/drivers/nvidia',
    );
    expect(readlinkSync(path.join(dir, 'sys/kernel/iommu_groups/1/devices/0000:01:00.0'))).toBe(
      '../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0',
    );
  });

  it('plain directories give the same devices, drivers and groups (without the bridge chain)', () => {
    const linked = scanSpec({ devices: workstationDevices() }).facts;
    const plain = scanSpec({ devices: workstationDevices(), layout: 'plain' }).facts;
    const strip = (f: typeof linked) => f.devices.map(({ parents: _p, ...d }) => d);
    expect(strip(plain)).toEqual(strip(linked));
    expect(plain.iommuGroups).toEqual(linked.iommuGroups);
    expect(dev(plain, '0000:01:00.0').parents).toEqual([]);
  });

  it('handles non-zero and 5-digit PCI domains and sorts them numerically', () => {
    const { facts } = scanSpec({
      devices: [
        { address: '10000:e0:06.0', vendor: '8086', device: '09ab', class: '060400', iommuGroup: 3 },
        { address: '10000:e1:00.0', vendor: '144d', device: 'a808', class: '010802', iommuGroup: 3, parents: ['10000:e0:06.0'], driver: 'nvme' },
        { address: '0001:00:00.0', vendor: '8086', device: '09a2', class: '060000', iommuGroup: 2 },
        { address: '0002:3a:00.0', vendor: '10de', device: '20b0', class: '030200', iommuGroup: 1 },
      ],
    });
    expect(facts.devices.map((d) => d.address)).toEqual(['0001:00:00.0', '0002:3a:00.0', '10000:e0:06.0', '10000:e1:00.0']);
    expect(dev(facts, '10000:e1:00.0').parents).toEqual(['10000:e0:06.0']);
    expect(facts.iommuGroups.find((g) => g.id === 3)?.devices).toEqual(['10000:e0:06.0', '10000:e1:00.0']);
  });

  it('sorts IOMMU groups numerically and keeps gaps', () => {
    const { facts } = scanSpec({
      devices: [
        { address: '00:03.0', vendor: '8086', device: '0001', class: '020000', iommuGroup: 10 },
        { address: '00:02.0', vendor: '8086', device: '0002', class: '020000', iommuGroup: 2 },
        { address: '00:01.0', vendor: '8086', device: '0003', class: '020000', iommuGroup: 17 },
        { address: '00:04.0', vendor: '8086', device: '0004', class: '020000', iommuGroup: 2 },
      ],
    });
    expect(facts.iommuGroups.map((g) => g.id)).toEqual([2, 10, 17]);
    expect(facts.iommuGroups[0]!.devices).toEqual(['0000:00:02.0', '0000:00:04.0']);
    expect(facts.iommu.groupCount).toBe(3);
  });

  it('SR-IOV: totals, the VFs that exist, and each VF’s physical function', () => {
    const { facts } = scanSpec({
      devices: [
        { address: '03:00.0', vendor: '8086', device: '1521', class: '020000', driver: 'igb', sriovTotalVfs: 7, sriovNumVfs: 3, iommuGroup: 20 },
        { address: '03:10.0', vendor: '8086', device: '1520', class: '020000', physfn: '03:00.0', iommuGroup: 21 },
        { address: '03:10.4', vendor: '8086', device: '1520', class: '020000', physfn: '03:00.0', iommuGroup: 22 },
        { address: '03:11.0', vendor: '8086', device: '1520', class: '020000', physfn: '03:00.0', iommuGroup: 23, driver: 'igbvf' },
      ],
    });
    expect(dev(facts, '0000:03:00.0').sriov).toEqual({
      totalVfs: 7,
      numVfs: 3,
      virtfns: ['0000:03:10.0', '0000:03:10.4', '0000:03:11.0'],
    });
    expect(dev(facts, '0000:03:10.4')).toMatchObject({ physfn: '0000:03:00.0', sriov: null, driver: null });
    expect(dev(facts, '0000:03:11.0').driver).toBe('igbvf');
  });

  it('mdev_supported_types marks mediated-device capable GPUs', () => {
    const { facts } = scanSpec({
      devices: [
        {
          address: '00:02.0', vendor: '8086', device: '3e92', class: '030000', driver: 'i915', iommuGroup: 0,
          mdevTypes: [{ id: 'i915-GVTg_V5_4', name: 'GVTg_V5_4', availableInstances: 1, description: 'low_gm_size: 128MB' }],
        },
        { address: '01:00.0', vendor: '10de', device: '1e07', class: '030000', iommuGroup: 1 },
      ],
    });
    expect(dev(facts, '0000:00:02.0').mdevSupportedTypes).toBe(true);
    expect(dev(facts, '0000:01:00.0').mdevSupportedTypes).toBe(false);
  });

  it('large BAR: bigger than the classic 256 MiB window, or 256 MiB above 4 GiB; I/O ports and small BARs (even above 4 GiB) do not count', () => {
    const { facts } = scanSpec({
      devices: [
        // 8 GiB (Resizable BAR on)
        { address: '01:00.0', vendor: '10de', device: '2204', class: '030000', resources: [['0x0000000080000000', '0x000000027fffffff', '0x0000000000042208']] },
        // 4 GiB, starting below 4 GiB: large too
        { address: '04:00.0', vendor: '10de', device: '2204', class: '030000', resources: [['0x0000000040000000', '0x000000013fffffff', '0x0000000000042208']] },
        // 16 MiB below 4 GiB
        { address: '02:00.0', vendor: '10de', device: '2204', class: '030000', resources: [['0x00000000de000000', '0x00000000deffffff', '0x0000000000040200']] },
        // 32 bytes above 4 GiB (a NIC's, or virtio's 16 KiB): ordinary
        { address: '03:00.0', vendor: '8086', device: '1533', class: '020000', resources: [['0x0000000100000000', '0x000000010000001f', '0x0000000000040101']] },
        { address: '05:00.0', vendor: '1af4', device: '1041', class: '020000', resources: [['0x0000000800000000', '0x0000000800003fff', '0x000000000014220c']] },
        // 256 MiB: below 4 GiB ordinary, above 4 GiB large
        { address: '06:00.0', vendor: '1002', device: '73bf', class: '030000', resources: [['0x00000000c0000000', '0x00000000cfffffff', '0x0000000000042208']] },
        { address: '07:00.0', vendor: '1002', device: '73bf', class: '030000', resources: [['0x0000004000000000', '0x000000400fffffff', '0x0000000000042208']] },
      ],
    });
    expect(dev(facts, '0000:01:00.0').largeBar).toBe(true);
    expect(dev(facts, '0000:04:00.0').largeBar).toBe(true);
    expect(dev(facts, '0000:02:00.0').largeBar).toBe(false);
    expect(dev(facts, '0000:03:00.0').largeBar).toBe(false);
    expect(dev(facts, '0000:05:00.0').largeBar).toBe(false);
    expect(dev(facts, '0000:06:00.0').largeBar).toBe(false);
    expect(dev(facts, '0000:07:00.0').largeBar).toBe(true);
    // each large BAR with its number, address and size; none listed for the ordinary ones
    expect(dev(facts, '0000:01:00.0').largeBars).toEqual([{ bar: 0, start: '0x80000000', size: 8 * 1024 ** 3 }]);
    expect(dev(facts, '0000:07:00.0').largeBars).toEqual([{ bar: 0, start: '0x4000000000', size: 256 * 1024 ** 2 }]);
    expect(dev(facts, '0000:05:00.0').largeBars).toEqual([]);
  });

  it('names an unknown device like lspci does, and says when the root has no pci.ids', () => {
    const withIds = scanSpec({
      devices: [
        { address: '01:00.0', vendor: '1ed2', device: '0000', class: '120000' },
        { address: '02:00.0', vendor: '10de', device: 'ffff', class: '030000' },
      ],
      files: { 'usr/share/hwdata/pci.ids': PCI_IDS },
    }).facts;
    expect(dev(withIds, '0000:01:00.0')).toMatchObject({ name: 'Device 1ed2:0000', vendorName: null, deviceName: null, className: 'Processing accelerators' });
    expect(dev(withIds, '0000:02:00.0').name).toBe('NVIDIA Corporation Device ffff');
    expect(withIds.pciIdsSource).toBe('/usr/share/hwdata/pci.ids');

    const without = scanSpec({ devices: [{ address: '01:00.0', vendor: '10de', device: '1e07', class: '030000' }] }).facts;
    expect(without.pciIdsSource).toBeNull();
    expect(dev(without, '0000:01:00.0').name).toBe('Device 10de:1e07');
    expect(without.notes.some((n) => n.includes('pci.ids'))).toBe(true);
  });

  it('falls back to the vendor/device/class files when uevent is missing', () => {
    const dir = makeRoot({ devices: workstationDevices() });
    rmSync(path.join(dir, 'sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/uevent'));
    const facts = scanHost(systemRoot(dir));
    expect(dev(facts, '0000:01:00.0')).toMatchObject({ vendor: '10de', device: '1e07', class: '030000', subsystemVendor: '1462', driver: 'nvidia' });
  });

  it('an unreadable attribute becomes null plus a note; an unidentifiable device stays listed as unidentified, counts in its group, and cannot be selected', () => {
    const dir = makeRoot({ devices: workstationDevices() });
    const gpuDir = path.join(dir, 'sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0');
    // root can read any mode, so make the attribute something that cannot be read as a file
    rmSync(path.join(gpuDir, 'revision'));
    mkdirSync(path.join(gpuDir, 'revision'));
    const nicDir = path.join(dir, 'sys/devices/pci0000:00/0000:00:1f.6');
    for (const f of ['uevent', 'vendor']) {
      rmSync(path.join(nicDir, f));
      mkdirSync(path.join(nicDir, f));
    }
    const facts = scanHost(systemRoot(dir));
    expect(dev(facts, '0000:01:00.0').revision).toBeNull();
    expect(facts.notes.some((n) => n.includes('0000:01:00.0/revision') && n.includes('EISDIR'))).toBe(true);
    expect(dev(facts, '0000:00:1f.6')).toMatchObject({ unreadable: true, vendor: 'ffff', device: '15bc', class: '020000', vendorName: null, name: 'Unidentified device (its IDs could not be read)' });
    expect(facts.notes.some((n) => n.startsWith('0000:00:1f.6: vendor, device or class unreadable'))).toBe(true);
    // it still counts in its IOMMU group: group viability does not forget it
    expect(facts.iommuGroups.find((g) => g.id === 12)?.devices).toEqual(['0000:00:1f.6']);
    const sel = expandSelection(facts, ['00:1f.6']);
    expect(sel.ok === false && sel.error).toMatchObject({ kind: 'badInput', message: expect.stringContaining('could not be read') });
    // in the GPU's group, the unidentified function keeps the group from being called viable
    const gpuGroup = dev(facts, '0000:01:00.0').iommuGroup;
    const shared = { ...facts, devices: facts.devices.map((d) => (d.address === '0000:00:1f.6' ? { ...d, iommuGroup: gpuGroup } : d)) };
    const v = groupViability(shared, expandSelectionOk(shared, '01:00.0'));
    expect(v.find((g) => g.group === gpuGroup)).toMatchObject({ viable: false, others: expect.arrayContaining([expect.objectContaining({ address: '0000:00:1f.6' })]) });
  });

  it('an absolute bus link in a copied tree is read inside the root, not from this host', () => {
    const dir = makeRoot({ devices: workstationDevices() });
    const bus = path.join(dir, 'sys/bus/pci/devices/0000:00:02.0');
    rmSync(bus);
    symlinkSync('/sys/devices/pci0000:00/0000:00:02.0', bus);
    const facts = scanHost(systemRoot(dir));
    expect(dev(facts, '0000:00:02.0')).toMatchObject({ vendor: '8086', device: '3e98', driver: 'i915', bootVga: true });
  });

  it('a dangling or odd link does not crash the scan', () => {
    const dir = makeRoot({ devices: workstationDevices() });
    const nic = path.join(dir, 'sys/devices/pci0000:00/0000:00:1f.6');
    rmSync(path.join(nic, 'iommu_group'));
    symlinkSync('../../../kernel/iommu_groups/not-a-number', path.join(nic, 'iommu_group'));
    writeFileSync(path.join(nic, 'resource'), 'garbage\n');
    const facts = scanHost(systemRoot(dir));
    expect(dev(facts, '0000:00:1f.6')).toMatchObject({ iommuGroup: null, largeBar: false });
    expect(facts.notes.some((n) => n.includes('odd iommu_group link'))).toBe(true);
  });
});
