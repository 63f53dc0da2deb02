// Temp fixture roots for the scanner tests: materialize a RootSpec, scan it, clean up.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import type { DeviceSpec, RootSpec } from '../../src/demo/root-spec.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import type { HostFacts, PciDevice } from '../../src/host/types.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'vw-host-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

export function makeRoot(spec: Partial<RootSpec> & { devices?: DeviceSpec[] }): string {
  const dir = tempDir();
  materializeRoot({ id: 'test', source: 'synthetic: test', devices: [], ...spec }, dir);
  return dir;
}

export function scanSpec(spec: Partial<RootSpec> & { devices?: DeviceSpec[] }): { facts: HostFacts; dir: string } {
  const dir = makeRoot(spec);
  return { facts: scanHost(systemRoot(dir)), dir };
}

export function dev(facts: HostFacts, address: string): PciDevice {
  const d = facts.devices.find((x) => x.address === address);
  if (!d) throw new Error(`device ${address} not in scan: ${facts.devices.map((x) => x.address).join(', ')}`);
  return d;
}

/** A small workstation: Intel CPU, GPU + HDMI audio behind the CPU root port, NVMe, NIC. */
export const workstationDevices = (): DeviceSpec[] => [
  { address: '00:00.0', vendor: '8086', device: '3e30', class: '060000', iommuGroup: 0 },
  { address: '00:01.0', vendor: '8086', device: '1901', class: '060400', driver: 'pcieport', iommuGroup: 1 },
  {
    address: '01:00.0', vendor: '10de', device: '1e07', class: '030000', subsystemVendor: '1462', subsystemDevice: '3715',
    revision: 'a1', driver: 'nvidia', iommuGroup: 1, parents: ['00:01.0'], bootVga: false, resetMethod: 'bus',
    resources: [
      ['0x00000000de000000', '0x00000000deffffff', '0x0000000000040200'],
      ['0x0000006000000000', '0x000000600fffffff', '0x000000000014220c'],
    ],
  },
  { address: '01:00.1', vendor: '10de', device: '10f7', class: '040300', revision: 'a1', driver: 'snd_hda_intel', iommuGroup: 1, parents: ['00:01.0'] },
  { address: '00:02.0', vendor: '8086', device: '3e98', class: '030000', driver: 'i915', iommuGroup: 2, bootVga: true, resetMethod: 'flr' },
  { address: '00:1d.0', vendor: '8086', device: 'a330', class: '060400', driver: 'pcieport', iommuGroup: 9 },
  {
    address: '02:00.0', vendor: '144d', device: 'a808', class: '010802', driver: 'nvme', iommuGroup: 10, parents: ['00:1d.0'],
    block: ['nvme0n1'], resetMethod: 'flr bus',
  },
  { address: '00:1f.6', vendor: '8086', device: '15bc', class: '020000', driver: 'e1000e', iommuGroup: 12, net: ['eno1'] },
];
