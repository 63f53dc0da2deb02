import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { makeRoot, tempDir } from './fixture-root.js';

describe('materializeRoot', () => {
  it('writes attributes the way the kernel formats them', () => {
    const dir = makeRoot({
      devices: [
        { address: '01:00.0', vendor: '10DE', device: '1e07', class: '0300', revision: 'A1', driver: 'nvidia', iommuGroup: 1, bootVga: true },
        { address: '01:00.1', vendor: '10de', device: '10f7', class: '040300', iommuGroup: 1 },
      ],
    });
    const d = path.join(dir, 'sys/devices/pci0000:01/0000:01:00.0');
    expect(readFileSync(path.join(d, 'vendor'), 'utf8')).toBe('0x10de\n');
    expect(readFileSync(path.join(d, 'class'), 'utf8')).toBe('0x030000\n');
    expect(readFileSync(path.join(d, 'revision'), 'utf8')).toBe('0xa1\n');
    expect(readFileSync(path.join(d, 'boot_vga'), 'utf8')).toBe('1\n');
    expect(readFileSync(path.join(d, 'uevent'), 'utf8')).toContain('DRIVER=nvidia\nPCI_CLASS=30000\nPCI_ID=10DE:1E07\n');
    expect(readFileSync(path.join(d, 'resource'), 'utf8').split('\n')).toHaveLength(14);
    // boot_vga exists only on VGA-class devices, as in the kernel
    expect(existsSync(path.join(dir, 'sys/bus/pci/devices/0000:01:00.1/boot_vga'))).toBe(false);
    expect(readdirSync(path.join(dir, 'sys/bus/pci/drivers/nvidia'))).toEqual(['0000:01:00.0']);
  });

  it('writes SR-IOV links, mdev types, the SecureBoot efivar and a config space lspci can parse', () => {
    const dir = makeRoot({
      uefi: true,
      secureBoot: true,
      pciConfig: true,
      devices: [
        { address: '03:00.0', vendor: '8086', device: '1521', class: '020000', subsystemVendor: '8086', subsystemDevice: '0001', revision: '01', sriovTotalVfs: 7, sriovNumVfs: 2 },
        { address: '03:10.0', vendor: '8086', device: '1520', class: '020000', physfn: '03:00.0' },
        { address: '03:10.4', vendor: '8086', device: '1520', class: '020000', physfn: '03:00.0' },
        { address: '00:02.0', vendor: '8086', device: '3e92', class: '030000', mdevTypes: [{ id: 'i915-GVTg_V5_4', name: 'GVTg_V5_4', availableInstances: 2 }] },
      ],
    });
    const pf = path.join(dir, 'sys/bus/pci/devices/0000:03:00.0');
    expect(readlinkSync(path.join(pf, 'virtfn0'))).toBe('../0000:03:10.0');
    expect(readlinkSync(path.join(pf, 'virtfn1'))).toBe('../0000:03:10.4');
    expect(readlinkSync(path.join(dir, 'sys/bus/pci/devices/0000:03:10.4/physfn'))).toBe('../0000:03:00.0');
    expect(readFileSync(path.join(pf, 'sriov_numvfs'), 'utf8')).toBe('2\n');
    const t = path.join(dir, 'sys/bus/pci/devices/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4');
    expect(readFileSync(path.join(t, 'available_instances'), 'utf8')).toBe('2\n');
    expect(readFileSync(path.join(t, 'device_api'), 'utf8')).toBe('vfio-pci\n');
    const sb = readFileSync(path.join(dir, 'sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c'));
    expect([...sb]).toEqual([6, 0, 0, 0, 1]);
    const cfg = readFileSync(path.join(pf, 'config'));
    expect(cfg).toHaveLength(256);
    expect([cfg.readUInt16LE(0), cfg.readUInt16LE(2), cfg[8], cfg[0x0b], cfg.readUInt16LE(0x2c), cfg.readUInt16LE(0x2e)]).toEqual([
      0x8086, 0x1521, 1, 0x02, 0x8086, 0x0001,
    ]);
  });

  it('refuses a spec that lists one address twice', () => {
    const spec = {
      id: 'dup',
      source: 'synthetic',
      devices: [
        { address: '01:00.0', vendor: '10de', device: '1e07', class: '030000' },
        { address: '0000:01:00.0', vendor: '10de', device: '1e07', class: '030000' },
      ],
    };
    expect(() => materializeRoot(spec, tempDir())).toThrow(/0000:01:00\.0 is listed twice/);
  });
});
