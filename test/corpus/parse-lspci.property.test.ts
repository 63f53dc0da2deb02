// Property: whatever the devices, printing them in any of the supported capture shapes and parsing
// the text gives the devices back (address, IDs, class, revision, group, name).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCapture } from '../../src/corpus/parse-lspci.js';

const hex = (n: number) => fc.integer({ min: 0, max: 16 ** n - 1 }).map((v) => v.toString(16).padStart(n, '0'));
const CLASSES: [string, string][] = [
  ['VGA compatible controller', '0300'],
  ['Audio device', '0403'],
  ['USB controller', '0c03'],
  ['PCI bridge', '0604'],
  ['Non-Volatile memory controller', '0108'],
  ['Processing accelerators', '1200'],
  ['Serial bus controller', '0c80'],
  ['Ethernet controller', '0200'],
];
// lspci names: words, sometimes with a bracketed part like "[AMD]" or "[GeForce RTX 3060]"
const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9/.,+-]{0,9}$/);
const name = fc
  .array(fc.oneof(word, word.map((w) => `[${w}]`), word.map((w) => `(${w})`)), { minLength: 1, maxLength: 6 })
  .map((ws) => ws.join(' '))
  .filter((n) => !/\((rev|prog-if) /.test(n));

const device = fc.record({
  bus: hex(2),
  slot: fc.integer({ min: 0, max: 31 }).map((v) => v.toString(16).padStart(2, '0')),
  fn: fc.integer({ min: 0, max: 7 }),
  vendor: hex(4),
  device: hex(4),
  cls: fc.constantFrom(...CLASSES),
  rev: fc.option(hex(2), { nil: null }),
  name,
  group: fc.integer({ min: 0, max: 200 }),
});
const devices = fc.uniqueArray(device, { minLength: 1, maxLength: 12, selector: (d) => `${d.bus}:${d.slot}.${d.fn}` });
type Dev = typeof device extends fc.Arbitrary<infer T> ? T : never;

const bdf = (d: Dev) => `${d.bus}:${d.slot}.${d.fn}`;
const rev = (d: Dev) => (d.rev ? ` (rev ${d.rev})` : '');
const nnLine = (d: Dev) => `${bdf(d)} ${d.cls[0]} [${d.cls[1]}]: ${d.name} [${d.vendor}:${d.device}]${rev(d)}`;

const printers: Record<string, (ds: Dev[]) => string> = {
  'lspci-nn': (ds) => ds.map(nnLine).join('\n'),
  'iommu-groups': (ds) => ds.map((d) => `IOMMU Group ${d.group}:\n\t${nnLine(d)}`).join('\n'),
  'iommu-groups-inline': (ds) => ds.map((d) => `IOMMU Group ${d.group} ${nnLine(d)}`).join('\n'),
  'iommu-groups-numbered': (ds) => ds.map((d) => `IOMMU GROUP ${d.group}\n (${d.group}) ${nnLine(d)}`).join('\n'),
  'iommu-table': (ds) =>
    ds.map((d) => `Group ${d.group}:\t[${d.vendor}:${d.device}] [R] ${bdf(d)}  ${d.cls[0].padEnd(41)}${d.name}${rev(d)}`).join('\n'),
};

describe('parseCapture round trip', () => {
  for (const [format, print] of Object.entries(printers)) {
    it(`${format}: devices come back unchanged`, () => {
      fc.assert(
        fc.property(devices, (ds) => {
          const p = parseCapture(`${print(ds)}\n`, 'prop');
          expect(p.format).toBe(format);
          expect(p.warnings).toEqual([]);
          expect(p.devices.map((d) => [d.address, d.vendor, d.device, d.class, d.revision, d.name, d.iommuGroup])).toEqual(
            ds.map((d) => [
              `0000:${bdf(d)}`,
              d.vendor,
              d.device,
              `${d.cls[1]}00`,
              d.rev,
              d.name,
              format === 'lspci-nn' ? null : d.group,
            ]),
          );
        }),
        { numRuns: 150 },
      );
    });
  }
});
