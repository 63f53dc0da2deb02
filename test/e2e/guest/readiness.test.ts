// Guest scenario 1: `vfio-wizard scan --json` and `check --json` inside real Linux kernels under
// QEMU with an emulated Intel IOMMU, an emulated AMD IOMMU, and no IOMMU (the negative control).
// The kernel's own view (sysfs groups, ACPI tables, kernel log) is recorded in the same guest
// by plain shell and compared with what the wizard reports.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, projectDir, type GuestIommu, type GuestResult } from '../harness/guest.js';
import type { HostFacts } from '../../../src/host/types.js';
import type { Check } from '../../../src/checks/types.js';

const script = readFileSync(path.join(projectDir, 'test/e2e/guest/readiness.sh'), 'utf8');

function runReadiness(iommu: GuestIommu, append: string) {
  if (!existsSync(path.join(projectDir, 'dist/cli.js'))) {
    throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  }
  const g = bootGuest({ iommu, script, append, files: { 'project-dir': projectDir } });
  if (g.rc !== 0) throw new Error(`guest (${iommu}) did not finish cleanly (rc ${g.rc}); serial tail:\n${g.serial.slice(-3000)}`);
  return g;
}

function sysfsGroups(g: GuestResult): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const line of g.read('sysfs-groups.txt').split('\n').filter(Boolean)) {
    const [id, addr] = line.split(' ');
    const list = groups.get(Number(id)) ?? [];
    list.push(addr!);
    groups.set(Number(id), list.sort());
  }
  return groups;
}

const byId = (checks: Check[], id: string) => {
  const c = checks.find((x) => x.id === id);
  if (!c) throw new Error(`check ${id} missing from check --json`);
  return c;
};

describe.each([
  { iommu: 'intel' as const, append: 'intel_iommu=on', table: 'DMAR', unit: /^dmar\d+$/, remap: /DMAR-IR: Enabled IRQ remapping/ },
  { iommu: 'amd' as const, append: '', table: 'IVRS', unit: /^ivhd\d+$/, remap: /AMD-Vi: Interrupt remapping enabled/ },
])('guest with an emulated $iommu IOMMU', ({ iommu, append, table, unit, remap }) => {
  let g: GuestResult;
  beforeAll(() => {
    g = runReadiness(iommu, append);
  });
  afterAll(() => g?.cleanup());

  it('scan --json reports the firmware table, the kernel IOMMU and exactly the kernel’s groups', () => {
    expect(g.read('scan.rc').trim()).toBe('0');
    const facts = JSON.parse(g.read('scan.json')) as HostFacts;
    expect(g.read('acpi-tables.txt')).toContain(table);
    expect(facts.iommu.firmware).toBe(true);
    expect(facts.iommu.firmwareTables).toContain(table);
    expect(facts.iommu.enabled).toBe(true);
    expect(facts.iommu.units.length).toBeGreaterThan(0);
    for (const u of facts.iommu.units) expect(u).toMatch(unit);
    const kernelGroups = sysfsGroups(g);
    expect(kernelGroups.size).toBeGreaterThan(1);
    expect(new Map(facts.iommuGroups.map((x) => [x.id, [...x.devices].sort()]))).toEqual(kernelGroups);
    // every function's group agrees with sysfs; only the IOMMU's own PCI function (AMD) has none
    const groupOf = new Map([...kernelGroups].flatMap(([id, addrs]) => addrs.map((a) => [a, id] as const)));
    for (const d of facts.devices) expect([d.address, d.iommuGroup]).toEqual([d.address, groupOf.get(d.address) ?? null]);
    const groupless = facts.devices.filter((d) => d.iommuGroup === null);
    expect(groupless.every((d) => d.class.startsWith('0806'))).toBe(true);
    // the kernel log really says interrupt remapping is on, and the scanner saw it
    expect(g.read('dmesg.txt')).toMatch(remap);
    expect(facts.iommu.interruptRemapping).toBe(true);
    // TCG's "max" CPU is AuthenticAMD with svm (never vmx)
    expect(facts.cpu.vendor).toBe('amd');
    expect(facts.cpu.virtualization).toBe(true);
  });

  it('check --json passes the IOMMU layers and exits 0 unless another layer fails', () => {
    const checks = (JSON.parse(g.read('check.json')) as { checks: Check[] }).checks;
    expect(byId(checks, 'iommu-firmware').status).toBe('pass');
    expect(byId(checks, 'iommu-kernel').status).toBe('pass');
    expect(byId(checks, 'interrupt-remapping').status).toBe('pass');
    expect(byId(checks, 'cpu-virtualization').status).toBe('pass');
    const failed = checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(g.read('check.rc').trim()).toBe(failed.length ? '3' : '0');
  });
});

describe('guest with no IOMMU (negative control)', () => {
  let g: GuestResult;
  beforeAll(() => {
    g = runReadiness('none', '');
  });
  afterAll(() => g?.cleanup());

  it('scan reports no firmware table, no kernel IOMMU and no groups', () => {
    const facts = JSON.parse(g.read('scan.json')) as HostFacts;
    expect(g.read('sysfs-groups.txt').trim()).toBe('');
    expect(g.read('acpi-tables.txt')).not.toMatch(/DMAR|IVRS/);
    expect(facts.iommu.firmware).toBe(false);
    expect(facts.iommu.enabled).toBe(false);
    expect(facts.iommuGroups).toEqual([]);
    expect(facts.devices.length).toBeGreaterThan(3);
    for (const d of facts.devices) expect(d.iommuGroup).toBeNull();
  });

  it('check fails the firmware IOMMU layer and exits 3', () => {
    const checks = (JSON.parse(g.read('check.json')) as { checks: Check[] }).checks;
    expect(byId(checks, 'iommu-firmware').status).toBe('fail');
    expect(byId(checks, 'iommu-kernel').status).toBe('fail');
    expect(g.read('check.rc').trim()).toBe('3');
  });
});
