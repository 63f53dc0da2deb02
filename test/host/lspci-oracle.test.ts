// The real lspci reads a materialized fixture root (sysfs files + 256-byte config space) and
// must see exactly what scanHost sees: the fixture writer and the scanner checked by a third party.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { makeServerRoot } from '../../scripts/make-server-root.js';
import { tempDir, workstationDevices } from './fixture-root.js';
import { diffAgainstLspci, parseLspciVmm, runLspci } from './lspci.js';

const lspciOn = (dir: string) =>
  parseLspciVmm(runLspci(['-A', 'linux-sysfs', '-O', `sysfs.path=${path.join(dir, 'sys/bus/pci')}`, '-vmm', '-nn', '-k', '-D']));

describe('lspci -A linux-sysfs on a fixture root agrees with scanHost', () => {
  it('the 1,024-function server (4 domains, switches, VFs, NVMe, GPUs, group gaps), names included', { timeout: 120_000 }, () => {
    const dir = tempDir('vw-server-');
    makeServerRoot(dir);
    const facts = scanHost(systemRoot(dir));
    expect(facts.devices).toHaveLength(1024);
    // the shape the benchmark claims: several domains, deep bridge chains, VFs, group gaps
    expect(new Set(facts.devices.map((d) => d.address.split(':')[0])).size).toBe(4);
    expect(Math.max(...facts.devices.map((d) => d.parents.length))).toBe(3);
    expect(facts.devices.filter((d) => d.physfn !== null).length).toBeGreaterThan(500);
    const ids = facts.iommuGroups.map((g) => g.id);
    expect(ids[ids.length - 1]! - ids[0]! + 1).toBeGreaterThan(ids.length);
    expect(facts.devices.filter((d) => d.largeBar && d.class.startsWith('03')).length).toBeGreaterThan(0);
    expect(facts.devices.find((d) => d.hostCritical.includes('root-fs'))?.blockDevices).toEqual(['nvme0n1']);
    expect(facts.devices.find((d) => d.hostCritical.includes('default-route'))?.netInterfaces).toEqual(['ens0f0np0']);
    const records = lspciOn(dir);
    expect(records.size).toBe(1024);
    // the root carries a copy of this machine's pci.ids, the one lspci uses
    expect(diffAgainstLspci(facts, records, { names: facts.pciIdsSource !== null })).toEqual([]);
  });

  it('a workstation with a non-zero domain; and a negative control: a changed ID is caught', () => {
    const dir = tempDir('vw-ws-');
    const devices = [
      ...workstationDevices(),
      { address: '0001:05:00.0', vendor: '1ed2', device: '0000', class: '120000', revision: '01', driver: 'vfio-pci', iommuGroup: 30 },
    ];
    materializeRoot({ id: 'ws', source: 'synthetic', devices, pciConfig: true }, dir);
    const facts = scanHost(systemRoot(dir));
    expect(diffAgainstLspci(facts, lspciOn(dir), { names: false })).toEqual([]);

    const tampered = structuredClone(facts);
    tampered.devices.find((d) => d.address === '0000:01:00.0')!.device = '1e04';
    tampered.devices.pop();
    expect(diffAgainstLspci(tampered, lspciOn(dir), { names: false })).toEqual([
      '0001:05:00.0: lspci lists it, the scan does not',
      '0000:01:00.0 device: scan "1e04" lspci "1e07"',
    ]);
    rmSync(dir, { recursive: true, force: true });
  });
});
