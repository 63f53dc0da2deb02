import { describe, expect, it } from 'vitest';
import {
  buildGroups,
  deviceLine,
  filterGroups,
  flagExplanations,
  flagTags,
  slotOf,
  visibleAddresses,
} from '../../src/iommu-view.js';
import { hostWith, pci } from './builders.js';

// A workstation shaped like the common consumer board: the chipset group lumps a NIC, a USB
// controller and the second GPU's slot together; the primary GPU has its own group.
const workstation = hostWith([
  pci('00:00.0', '060000', { iommuGroup: 0 }),
  pci('00:01.0', '060400', { iommuGroup: 1 }),
  pci('01:00.0', '030000', { iommuGroup: 1, bootVga: true, driver: 'nvidia', vendor: '10de', device: '2204', name: 'NVIDIA GA102 [GeForce RTX 3090]' }),
  pci('01:00.1', '040300', { iommuGroup: 1, driver: 'snd_hda_intel', vendor: '10de', device: '1aef' }),
  pci('00:1c.0', '060400', { iommuGroup: 12 }),
  pci('04:00.0', '020000', { iommuGroup: 12, driver: 'igb', hostCritical: ['default-route'] }),
  pci('05:00.0', '030200', { iommuGroup: 12, driver: 'amdgpu' }),
  pci('06:00.0', '010802', { iommuGroup: 2, hostCritical: ['root-fs'] }),
  pci('07:00.0', '120000', { iommuGroup: 14, driver: 'amdxdna' }),
  pci('08:00.0', '020000', { iommuGroup: 3, sriov: { totalVfs: 4, numVfs: 1, virtfns: ['0000:08:02.0'] } }),
  pci('08:02.0', '020000', { iommuGroup: 3, physfn: '0000:08:00.0' }),
]);

describe('buildGroups', () => {
  it('sorts groups numerically (not as strings) and devices by address', () => {
    const groups = buildGroups(workstation);
    expect(groups.map((g) => g.id)).toEqual([0, 1, 2, 3, 12, 14]);
    expect(groups[1]?.devices.map((r) => r.device.address)).toEqual(['0000:00:01.0', '0000:01:00.0', '0000:01:00.1']);
  });

  it('puts devices without an IOMMU group in a last, group-less bucket', () => {
    const groups = buildGroups(hostWith([pci('00:02.0', '030000'), pci('00:00.0', '060000', { iommuGroup: 0 })]));
    expect(groups.map((g) => g.id)).toEqual([0, null]);
  });

  it('flags boot GPU, bridge, VF and host-critical devices', () => {
    const rows = new Map(buildGroups(workstation).flatMap((g) => g.devices.map((r) => [r.device.address, r.flags])));
    expect(rows.get('0000:01:00.0')?.bootGpu).toBe(true);
    expect(rows.get('0000:05:00.0')?.bootGpu).toBe(false);
    expect(rows.get('0000:00:01.0')?.bridge).toBe(true);
    expect(rows.get('0000:08:02.0')?.vf).toBe(true);
    expect(rows.get('0000:08:00.0')?.vf).toBe(false);
    expect(rows.get('0000:06:00.0')?.hostCritical).toEqual(['root-fs']);
  });

  it('marks a shared group only when it holds an endpoint of another card', () => {
    const flags = new Map(
      buildGroups(workstation).flatMap((g) => g.devices.map((r) => [r.device.address, r.flags.sharesGroupWithOtherEndpoints])),
    );
    // GPU + its own audio function + the root port above them: one card, not shared.
    expect(flags.get('0000:01:00.0')).toBe(false);
    expect(flags.get('0000:01:00.1')).toBe(false);
    // The chipset group: the second GPU comes with the host's NIC.
    expect(flags.get('0000:05:00.0')).toBe(true);
    expect(flags.get('0000:04:00.0')).toBe(true);
    // Bridges are never the reason a group is unusable, and never flagged themselves.
    expect(flags.get('0000:00:1c.0')).toBe(false);
    // A virtual function in its physical function's group belongs to the same card.
    expect(flags.get('0000:08:02.0')).toBe(false);
    expect(flags.get('0000:08:00.0')).toBe(false);
  });

  it('never reports sharing for group-less devices (there is no group to share)', () => {
    const groups = buildGroups(hostWith([pci('00:02.0', '030000'), pci('00:03.0', '020000')]));
    expect(groups[0]?.devices.every((r) => !r.flags.sharesGroupWithOtherEndpoints)).toBe(true);
  });
});

describe('filterGroups', () => {
  it('keeps every group under "all"', () => {
    const groups = buildGroups(workstation);
    expect(filterGroups(groups, 'all')).toHaveLength(groups.length);
    expect(filterGroups(groups, 'all').every((g) => g.devices.every((r) => r.matches))).toBe(true);
  });

  it('keeps GPU and accelerator groups whole, with the other members marked as not matching', () => {
    const gpu = filterGroups(buildGroups(workstation), 'gpu');
    expect(gpu.map((g) => g.id)).toEqual([1, 12, 14]);
    const chipset = gpu.find((g) => g.id === 12);
    expect(chipset?.devices.map((r) => [r.device.address, r.matches])).toEqual([
      ['0000:00:1c.0', false],
      ['0000:04:00.0', false],
      ['0000:05:00.0', true],
    ]);
  });

  it('counts co-processors (0b40) as accelerators but not other processors (0b00), nor signal processing (11xx: chipset thermal and telemetry)', () => {
    const groups = buildGroups(
      hostWith([
        pci('09:00.0', '0b4000', { iommuGroup: 5 }),
        pci('0a:00.0', '0b0000', { iommuGroup: 6 }),
        pci('00:14.2', '118000', { iommuGroup: 7 }),
        pci('0b:00.0', '120000', { iommuGroup: 8 }),
      ]),
    );
    expect(filterGroups(groups, 'gpu').map((g) => g.id)).toEqual([5, 8]);
  });

  it('shows only the matching devices of the group-less bucket (they share no group)', () => {
    const groups = buildGroups(hostWith([pci('00:02.0', '030000'), pci('00:03.0', '020000'), pci('00:04.0', '120000')]));
    expect(filterGroups(groups, 'gpu')[0]?.devices.map((r) => r.device.address)).toEqual(['0000:00:02.0', '0000:00:04.0']);
    expect(filterGroups(groups, 'all')[0]?.devices).toHaveLength(3);
  });

  it('gives the cursor order group by group', () => {
    expect(visibleAddresses(buildGroups(workstation), 'gpu')).toEqual([
      '0000:00:01.0', '0000:01:00.0', '0000:01:00.1',
      '0000:00:1c.0', '0000:04:00.0', '0000:05:00.0',
      '0000:07:00.0',
    ]);
  });
});

describe('text', () => {
  it('renders a device line with IDs, class, name, driver and tags', () => {
    const row = buildGroups(workstation)[1]?.devices[1];
    expect(row && deviceLine(row)).toBe(
      '01:00.0 [10de:2204] VGA compatible controller: NVIDIA GA102 [GeForce RTX 3090] (driver nvidia) [boot GPU]',
    );
  });

  it('names the other cards of a shared group', () => {
    const group = buildGroups(workstation).find((g) => g.id === 12);
    const gpu = group?.devices.find((r) => r.device.address === '0000:05:00.0');
    expect(gpu && group && flagExplanations(gpu, group).join('\n')).toContain('also holds 04:00.0; a group');
    expect(gpu && flagTags(gpu.flags)).toEqual(['shared group']);
  });

  it('takes the slot from an address', () => {
    expect(slotOf('0000:01:00.1')).toBe('0000:01:00');
  });
});
