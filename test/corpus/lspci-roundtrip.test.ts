// Real pciutils as the oracle: `lspci -A linux-sysfs -O sysfs.path=<root>/sys/bus/pci` reads each
// corpus fixture root (config space, driver and iommu_group links) the way it reads a live /sys.
// 1. lspci -vmm (parsed here by its own simple key/value rules, not by our parser) must report
//    the IDs, class, revision, subsystem, driver and IOMMU group the capture had.
// 2. Our parser, fed real `lspci -nnk` output of the fixture, must read back the same devices.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCorpusSpecs, type CorpusHost } from '../../scripts/corpus-to-fixtures.js';
import { parseCapture } from '../../src/corpus/parse-lspci.js';
import { materializeRoot } from '../../src/demo/materialize.js';

const hosts: CorpusHost[] = loadCorpusSpecs();
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-lspci-'));
  // config space files are what lspci reads IDs, class and revision from
  for (const h of hosts) materializeRoot({ ...h.spec, pciConfig: true }, path.join(tmp, h.spec.id));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function lspci(id: string, args: string[]): string {
  return execFileSync('lspci', [...args, '-D', '-A', 'linux-sysfs', '-O', `sysfs.path=${path.join(tmp, id, 'sys/bus/pci')}`], {
    encoding: 'utf8',
    // lspci warns about libkmod on stderr when the root has no modules; the data is on stdout
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

interface VmmRecord {
  slot: string;
  cls: string;
  vendor: string;
  device: string;
  rev: string | null;
  progIf: string;
  svendor: string | null;
  sdevice: string | null;
  driver: string | null;
  group: number | null;
}

/** lspci -vmmnnk: blank-line separated records of "Key:\tValue"; numeric IDs in trailing [..]. */
function vmm(text: string): VmmRecord[] {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((block) => {
      const kv = new Map(block.split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as const));
      const code = (k: string) => /\[([0-9a-f]+)\]$/.exec(kv.get(k) ?? '')?.[1] ?? null;
      return {
        slot: kv.get('Slot')!,
        cls: code('Class')!,
        vendor: code('Vendor')!,
        device: code('Device')!,
        rev: kv.get('Rev') ?? null,
        progIf: kv.get('ProgIf') ?? '00',
        svendor: code('SVendor'),
        sdevice: code('SDevice'),
        driver: kv.get('Driver') ?? null,
        group: kv.has('IOMMUGroup') ? Number(kv.get('IOMMUGroup')) : null,
      };
    });
}

describe('lspci reads every corpus fixture root as the capture described it', () => {
  for (const h of hosts) {
    it(`${h.spec.id}: lspci -vmm agrees on IDs, class, revision, subsystem, driver and group`, () => {
      const records = vmm(lspci(h.spec.id, ['-vmmnnk']));
      const bySlot = new Map(records.map((r) => [r.slot, r]));
      // every captured function, nothing more
      expect([...bySlot.keys()].sort()).toEqual(h.parsed.flatMap((p) => p.devices.map((d) => d.address)).filter((a, i, all) => all.indexOf(a) === i).sort());
      for (const cap of h.parsed) {
        for (const d of cap.devices) {
          const r = bySlot.get(d.address)!;
          const where = `${cap.fileName} line ${d.line}`;
          expect([r.vendor, r.device], where).toEqual([d.vendor, d.device]);
          expect(`${r.cls}${r.progIf}`, where).toBe(d.class);
          expect(r.rev, where).toBe(d.revision);
          if (d.subsystemVendor && !d.class?.startsWith('0604')) {
            expect([r.svendor, r.sdevice], where).toEqual([d.subsystemVendor, d.subsystemDevice]);
          }
          if (d.driver !== undefined) expect(r.driver, where).toBe(d.driver);
          if (d.iommuGroup !== null) expect(r.group, where).toBe(d.iommuGroup);
        }
      }
    });
  }

  it('our parser reads real `lspci -nnk` output of a fixture back to the same devices (yyu X570)', () => {
    const id = 'yyu-x570-gt710-rx570';
    const back = parseCapture(lspci(id, ['-nnk']), 'lspci-of-fixture');
    expect(back.format).toBe('lspci-nnk');
    expect(back.warnings).toEqual([]);
    const spec = hosts.find((h) => h.spec.id === id)!.spec;
    expect(back.devices.map((d) => [d.address, d.vendor, d.device, d.class, d.revision ?? undefined, d.driver ?? null])).toEqual(
      spec.devices.map((s) => [s.address, s.vendor, s.device, s.class, s.revision, s.driver ?? null]),
    );
  });

  it('lspci -v prints the IOMMU group from the fixture\'s iommu_group link (z170 GTX 960 in group 1)', () => {
    expect(lspci('z170-itx-hd530-gtx960-groups', ['-v', '-s', '01:00.0'])).toMatch(/IOMMU group 1\b/);
  });
});
