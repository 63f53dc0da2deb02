import fc from 'fast-check';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemRoot } from '../../src/host/root.js';
import { parseMemTotalKiB, readHostResources } from '../../src/vm/host-resources.js';
import { findOvmf, pairFromDescriptor, pickOvmf } from '../../src/vm/ovmf.js';
import { parseOsVariants, similarVariants } from '../../src/vm/os-variants.js';
import { groupFindings, parsePoolAvailable } from '../../src/vm/preflight.js';
import { vmCreatePlan } from '../../src/vm/vm-plan.js';
import {
  defaultDisplay,
  defaultMemoryMiB,
  defaultVcpus,
  defaultVmSpec,
  memoryProblem,
  nameProblem,
  parseMemoryMiB,
  specProblems,
  vcpusProblem,
} from '../../src/vm/vm-spec.js';
import { makeDevice, makeFacts } from '../support/facts.js';

const gpu = (addr: string, group: number, driver: string | null = 'vfio-pci') => makeDevice({ address: addr, class: '030000', iommuGroup: group, driver, vendor: '10de' });
const audio = (addr: string, group: number, driver: string | null = 'vfio-pci') => makeDevice({ address: addr, class: '040300', iommuGroup: group, driver, vendor: '10de' });

describe('defaults from the host', () => {
  it('memory is min(8 GiB, half the RAM); vCPUs min(4, threads − 1)', () => {
    expect(defaultMemoryMiB({ memTotalKiB: 64 * 1024 * 1024, threads: 32 })).toBe(8192);
    expect(defaultMemoryMiB({ memTotalKiB: 8 * 1024 * 1024, threads: 4 })).toBe(4096);
    expect(defaultMemoryMiB({ memTotalKiB: null, threads: null })).toBe(4096);
    expect(defaultVcpus({ memTotalKiB: null, threads: 16 })).toBe(4);
    expect(defaultVcpus({ memTotalKiB: null, threads: 3 })).toBe(2);
    expect(defaultVcpus({ memTotalKiB: null, threads: 1 })).toBe(1);
  });

  it('reads MemTotal from <root>/proc/meminfo and counts processors when facts have none', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vm-res-'));
    try {
      mkdirSync(path.join(dir, 'proc'));
      writeFileSync(path.join(dir, 'proc/meminfo'), 'MemTotal:       16314368 kB\nMemFree:  1 kB\n');
      writeFileSync(path.join(dir, 'proc/cpuinfo'), 'processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\n\nprocessor\t: 2\n');
      mkdirSync(path.join(dir, 'sys/class/net/br0/bridge'), { recursive: true });
      mkdirSync(path.join(dir, 'sys/class/net/eth0'), { recursive: true });
      expect(readHostResources(systemRoot(dir))).toEqual({ memTotalKiB: 16314368, threads: 3, bridges: ['br0'] });
      expect(readHostResources(systemRoot(dir), { cpu: { ...makeFacts().cpu, threads: 12 } }).threads).toBe(12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(parseMemTotalKiB('MemFree: 3 kB\n')).toBeNull();
  });

  it('no emulated display when a GPU is passed, VNC otherwise', () => {
    const facts = makeFacts({ devices: [gpu('0000:01:00.0', 1), makeDevice({ address: '0000:02:00.0', class: '120000', iommuGroup: 2 })] });
    expect(defaultDisplay(facts, ['0000:01:00.0'])).toBe('none');
    expect(defaultDisplay(facts, ['0000:02:00.0'])).toBe('vnc');
  });
});

describe('validation', () => {
  it('names: libvirt-safe characters, at most 64', () => {
    expect(nameProblem('win11-gpu_2.0+x')).toBeNull();
    expect(nameProblem('')).toMatch(/empty/);
    expect(nameProblem('a'.repeat(65))).toMatch(/at most 64/);
    expect(nameProblem('a'.repeat(64))).toBeNull();
    for (const bad of ['my vm', 'a/b', '-x', 'é', "x'y", '.hidden']) expect(nameProblem(bad), bad).not.toBeNull();
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => {
        // every accepted name is safe as a file name and an unquoted shell word
        if (nameProblem(s) === null) expect(s).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/);
      }),
    );
  });

  it('memory: units, a floor, and never the whole host', () => {
    expect(parseMemoryMiB('8G')).toBe(8192);
    expect(parseMemoryMiB('8GiB')).toBe(8192);
    expect(parseMemoryMiB('1.5g')).toBe(1536);
    expect(parseMemoryMiB('4096')).toBe(4096);
    expect(parseMemoryMiB('4096M')).toBe(4096);
    expect(parseMemoryMiB('lots')).toBeNull();
    expect(parseMemoryMiB('1.3M')).toBeNull();
    expect(memoryProblem(128, null)).toMatch(/At least 256/);
    expect(memoryProblem(16384, 16 * 1024 * 1024)).toMatch(/leave some for the host/);
    expect(memoryProblem(8192, 16 * 1024 * 1024)).toBeNull();
    expect(memoryProblem(null, null)).toMatch(/MiB/);
  });

  it('vCPUs: at least one, at most the host threads', () => {
    expect(vcpusProblem(0, 8)).not.toBeNull();
    expect(vcpusProblem(9, 8)).toMatch(/8 logical CPUs/);
    expect(vcpusProblem(8, 8)).toBeNull();
    expect(vcpusProblem(2.5, null)).not.toBeNull();
  });

  it('a whole spec: paths absolute and comma-free, a disk to import, a vendor id of ≤ 12', () => {
    const facts = makeFacts({ devices: [gpu('0000:01:00.0', 1)] });
    const spec = defaultVmSpec(facts, { memTotalKiB: null, threads: null }, ['0000:01:00.0'], 'vm1');
    expect(specProblems(spec)).toEqual([]);
    expect(specProblems({ ...spec, disk: { kind: 'none' } })).toEqual([expect.stringMatching(/^disk: --import/)]);
    expect(specProblems({ ...spec, install: { kind: 'iso', path: 'rel.iso' } })).toEqual([expect.stringMatching(/^iso:/)]);
    expect(specProblems({ ...spec, install: { kind: 'iso', path: '/a,b.iso' } })).toEqual([expect.stringMatching(/comma/)]);
    expect(specProblems({ ...spec, hypervVendorId: '1234567890abc' })).toEqual([expect.stringMatching(/vendor/)]);
    expect(specProblems({ ...spec, devices: [] })).toEqual([expect.stringMatching(/^devices/)]);
  });
});

describe('preflight from facts', () => {
  it('a group is viable when every other endpoint is on vfio-pci or driverless; bridges never count', () => {
    const facts = makeFacts({
      devices: [
        gpu('0000:01:00.0', 1),
        audio('0000:01:00.1', 1, null),
        makeDevice({ address: '0000:00:01.0', class: '060400', iommuGroup: 1, driver: 'pcieport' }),
      ],
    });
    expect(groupFindings(facts, ['0000:01:00.0'])).toEqual([{ id: 'group-1', status: 'ok', message: 'group 1 is viable' }]);
  });

  it('names the device that makes a group not viable, before libvirt does', () => {
    const facts = makeFacts({
      devices: [gpu('0000:00:02.0', 0, 'i915'), makeDevice({ address: '0000:00:1f.3', class: '040300', iommuGroup: 0, driver: 'snd_hda_intel' })],
    });
    const f = groupFindings(facts, ['0000:00:02.0']);
    expect(f.find((x) => x.id === 'group-0')).toMatchObject({ status: 'fail', message: 'group 0 is not viable: 0000:00:1f.3 (snd_hda_intel) shares it' });
    // the selected device's own host driver is only a warning: managed='yes' detaches it
    expect(f.find((x) => x.id === 'host-driver')).toMatchObject({ status: 'warn', message: expect.stringContaining('0000:00:02.0 (i915)') });
  });

  it('an ISA bridge with a host driver (lpc_ich) in the group makes it not viable; the same bridge without a driver does not', () => {
    const lpc = (driver: string | null) =>
      makeFacts({ devices: [makeDevice({ address: '0000:00:1f.0', class: '060100', iommuGroup: 0, driver }), makeDevice({ address: '0000:00:1f.3', class: '040300', iommuGroup: 0, driver: 'vfio-pci' })] });
    expect(groupFindings(lpc('lpc_ich'), ['0000:00:1f.3']).find((x) => x.id === 'group-0')).toMatchObject({ status: 'fail', message: 'group 0 is not viable: 0000:00:1f.0 (lpc_ich) shares it' });
    expect(groupFindings(lpc(null), ['0000:00:1f.3']).find((x) => x.id === 'group-0')).toMatchObject({ status: 'ok' });
  });

  it('no IOMMU group at all is a failure with the way forward', () => {
    const facts = makeFacts({ devices: [gpu('0000:01:00.0', 1)] });
    facts.devices[0]!.iommuGroup = null;
    expect(groupFindings(facts, ['0000:01:00.0'])[0]).toMatchObject({ status: 'fail', remedy: expect.stringContaining('intel_iommu=on') });
  });

  it('reads the free space virsh pool-info prints', () => {
    expect(parsePoolAvailable('Name: default\nCapacity:       100.00 GiB\nAvailable:      28.50 GiB\n')).toBe(28.5 * 1024 ** 3);
    expect(parsePoolAvailable('Available:      512.00 MiB\n')).toBe(512 * 1024 ** 2);
    expect(parsePoolAvailable('nothing')).toBeNull();
  });
});

describe('OVMF on disk', () => {
  it('prefers descriptors (x86_64 q35 flash), finds distribution layouts, and picks Secure Boot when asked', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vm-ovmf-'));
    const put = (p: string, s = 'x') => {
      mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      writeFileSync(path.join(dir, p), s);
    };
    try {
      expect(findOvmf(systemRoot(dir))).toEqual({ descriptors: [], pairs: [] });
      put('usr/share/edk2/ovmf/OVMF_CODE.fd');
      put('usr/share/edk2/ovmf/OVMF_VARS.fd');
      put('usr/share/edk2/ovmf/OVMF_CODE.secboot.fd');
      put('usr/share/edk2/ovmf/OVMF_VARS.secboot.fd');
      let f = findOvmf(systemRoot(dir));
      expect(f.descriptors).toEqual([]);
      expect(pickOvmf(f, false)).toMatchObject({ code: '/usr/share/edk2/ovmf/OVMF_CODE.fd', vars: '/usr/share/edk2/ovmf/OVMF_VARS.fd', descriptor: null });
      expect(pickOvmf(f, true)).toMatchObject({ code: '/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd', secureBoot: true });
      const desc = {
        mapping: { device: 'flash', executable: { filename: '/usr/share/edk2/ovmf/OVMF_CODE.fd' }, 'nvram-template': { filename: '/usr/share/edk2/ovmf/OVMF_VARS.fd' } },
        targets: [{ architecture: 'x86_64', machines: ['pc-q35-*'] }],
        features: ['acpi-s3'],
      };
      put('usr/share/qemu/firmware/50-x.json', JSON.stringify(desc));
      put('usr/share/qemu/firmware/10-broken.json', '{');
      f = findOvmf(systemRoot(dir));
      expect(f.descriptors).toEqual(['/usr/share/qemu/firmware/50-x.json']);
      expect(pickOvmf(f, false)?.descriptor).toBe('/usr/share/qemu/firmware/50-x.json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // i440fx-only or non-flash descriptors are not for a q35 VM
    expect(pairFromDescriptor(JSON.stringify({ mapping: { device: 'flash', executable: { filename: '/c' } }, targets: [{ architecture: 'x86_64', machines: ['pc-i440fx-*'] }] }), '/d')).toBeNull();
    expect(pairFromDescriptor(JSON.stringify({ mapping: { device: 'memory', filename: '/c' }, targets: [{ architecture: 'x86_64', machines: ['pc-q35-*'] }] }), '/d')).toBeNull();
  });
});

describe('the create plan', () => {
  it('undoes in reverse: destroy, then undefine --nvram removing only the disk it created', () => {
    const facts = makeFacts({ devices: [gpu('0000:01:00.0', 1)] });
    const spec = { ...defaultVmSpec(facts, { memTotalKiB: null, threads: null }, ['0000:01:00.0'], 'vm1'), connect: 'qemu:///system' };
    const plan = vmCreatePlan(spec);
    const undos = plan.changes.map((c) => (c.kind === 'command' ? c.undo?.argv : null)).reverse();
    expect(undos).toEqual([
      ['virsh', '-c', 'qemu:///system', 'destroy', 'vm1'],
      ['virsh', '-c', 'qemu:///system', 'undefine', 'vm1', '--nvram', '--storage', 'vda'],
    ]);
    const imported = vmCreatePlan({ ...spec, disk: { kind: 'existing', path: '/img/win.qcow2' } });
    const first = imported.changes[0]!;
    expect(first.kind === 'command' && first.undo?.argv).toEqual(['virsh', '-c', 'qemu:///system', 'undefine', 'vm1', '--nvram']);
  });
});

describe('OS variants', () => {
  it('reads both osinfo-query tables and virt-install --osinfo list, aliases included', () => {
    expect(parseOsVariants(' Short ID             \n----------------------\n almalinux8           \n debian12             \n')).toEqual(['almalinux8', 'debian12']);
    expect(parseOsVariants('debian11, debianbullseye\nwin11\ngeneric\n')).toEqual(['debian11', 'debianbullseye', 'win11', 'generic']);
    expect(similarVariants(['debian11', 'debian12', 'win11'], 'debian99')).toEqual(['debian11', 'debian12']);
    expect(similarVariants(['debian11'], '42')).toEqual([]);
  });
});
