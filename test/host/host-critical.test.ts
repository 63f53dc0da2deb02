import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { dev, makeRoot, workstationDevices } from './fixture-root.js';

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
const NVME = 'sys/devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1';

/** Add a partition under a disk directory and its sys/dev/block + sys/class/block links. */
function partition(dir: string, diskRel: string, name: string, devno: string): string {
  const p = path.join(dir, diskRel, name);
  mkdirSync(p, { recursive: true });
  writeFileSync(path.join(p, 'partition'), '2\n');
  writeFileSync(path.join(p, 'dev'), `${devno}\n`);
  symlinkSync(path.relative(path.join(dir, 'sys/dev/block'), p), path.join(dir, 'sys/dev/block', devno));
  symlinkSync(path.relative(path.join(dir, 'sys/class/block'), p), path.join(dir, 'sys/class/block', name));
  return p;
}

describe('host-critical devices', () => {
  it('marks the NVMe holding / (a partition) and /boot, and the NIC on the default route', () => {
    const dir = makeRoot({
      devices: workstationDevices(),
      files: {
        'proc/self/mountinfo':
          '22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n' +
          '23 22 259:1 / /boot rw,relatime shared:2 - ext4 /dev/nvme0n1p1 rw\n' +
          '24 22 0:21 / /proc rw - proc proc rw\n',
        'proc/net/route':
          ROUTE_HEADER +
          'eno1\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n' +
          'eno1\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n',
      },
    });
    partition(dir, NVME, 'nvme0n1p1', '259:1');
    partition(dir, NVME, 'nvme0n1p2', '259:2');
    const facts = scanHost(systemRoot(dir));
    expect(facts.hostCritical).toEqual({
      rootBlockDevice: 'nvme0n1p2',
      bootBlockDevice: 'nvme0n1p1',
      espBlockDevice: null,
      defaultRouteInterface: 'eno1',
    });
    expect(dev(facts, '0000:02:00.0').hostCritical).toEqual(['root-fs', 'boot-fs']);
    expect(dev(facts, '0000:00:1f.6').hostCritical).toEqual(['default-route']);
    expect(dev(facts, '0000:01:00.0').hostCritical).toEqual([]);
  });

  it('follows LVM/dm slaves to the disk, finds a vfat ESP on a SATA disk, and a bridged default route', () => {
    const devices = [
      ...workstationDevices(),
      { address: '00:17.0', vendor: '8086', device: 'a352', class: '010601', driver: 'ahci', iommuGroup: 11 },
    ];
    const dir = makeRoot({
      devices,
      files: {
        'proc/self/mountinfo':
          '22 1 253:0 / / rw - xfs /dev/mapper/vg-root rw\n' + '25 22 8:1 / /boot/efi rw - vfat /dev/sda1 rw\n',
        'proc/net/route': ROUTE_HEADER + 'br0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n',
      },
    });
    partition(dir, NVME, 'nvme0n1p3', '259:3');
    // dm-0 lives under devices/virtual and lists its slave partition
    const dm = path.join(dir, 'sys/devices/virtual/block/dm-0');
    mkdirSync(path.join(dm, 'slaves'), { recursive: true });
    symlinkSync('../../../../pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1/nvme0n1p3', path.join(dm, 'slaves/nvme0n1p3'));
    symlinkSync('../../devices/virtual/block/dm-0', path.join(dir, 'sys/dev/block/253:0'));
    // an AHCI disk sits deep under ata/host/target directories
    const sda = 'sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/block/sda';
    mkdirSync(path.join(dir, sda), { recursive: true });
    symlinkSync(path.relative(path.join(dir, 'sys/class/block'), path.join(dir, sda)), path.join(dir, 'sys/class/block/sda'));
    partition(dir, sda, 'sda1', '8:1');
    // br0 is virtual; its port is the onboard NIC
    const br = path.join(dir, 'sys/devices/virtual/net/br0');
    mkdirSync(path.join(br, 'brif'), { recursive: true });
    symlinkSync('../../../../pci0000:00/0000:00:1f.6/net/eno1/brport', path.join(br, 'brif/eno1'));
    symlinkSync('../../devices/virtual/net/br0', path.join(dir, 'sys/class/net/br0'));

    const facts = scanHost(systemRoot(dir));
    expect(facts.hostCritical).toMatchObject({ rootBlockDevice: 'dm-0', espBlockDevice: 'sda1', defaultRouteInterface: 'br0' });
    expect(dev(facts, '0000:02:00.0').hostCritical).toEqual(['root-fs']);
    expect(dev(facts, '0000:00:17.0')).toMatchObject({ hostCritical: ['esp'], blockDevices: ['sda'] });
    expect(dev(facts, '0000:00:1f.6').hostCritical).toEqual(['default-route']);
  });

  it('without mountinfo or routes nothing is marked, and the note says why', () => {
    const dir = makeRoot({ devices: workstationDevices() });
    const facts = scanHost(systemRoot(dir));
    expect(facts.devices.every((d) => d.hostCritical.length === 0)).toBe(true);
    expect(facts.hostCritical).toEqual({ rootBlockDevice: null, bootBlockDevice: null, espBlockDevice: null, defaultRouteInterface: null });
    expect(facts.notes.some((n) => n.includes('mountinfo'))).toBe(true);
  });

  it('a root filesystem whose device is not in sysfs (ZFS, NFS) is a note, not a guess', () => {
    const dir = makeRoot({
      devices: workstationDevices(),
      files: { 'proc/self/mountinfo': '22 1 0:25 / / rw - zfs rpool/ROOT/pve-1 rw\n' },
    });
    const facts = scanHost(systemRoot(dir));
    expect(facts.hostCritical.rootBlockDevice).toBeNull();
    expect(facts.notes.some((n) => n.includes('rpool/ROOT/pve-1'))).toBe(true);
  });
});
