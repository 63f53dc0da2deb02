import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pciNamesFromText } from '../../src/host/pci-ids.js';

const hex4 = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16).padStart(4, '0'));
const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 .,()/+-]{0,30}[A-Za-z0-9)]$/);

/** a pci.ids-shaped text from a model: vendors with devices, subsystem lines, comments, a class section */
const model = fc.uniqueArray(
  fc.record({
    id: hex4,
    name,
    devices: fc.uniqueArray(fc.record({ id: hex4, name, subs: fc.array(fc.tuple(hex4, hex4, name), { maxLength: 2 }) }), {
      selector: (d) => d.id,
      maxLength: 6,
    }),
    comment: fc.boolean(),
  }),
  { selector: (v) => v.id, minLength: 1, maxLength: 8 },
);

function toText(vendors: { id: string; name: string; devices: { id: string; name: string; subs: [string, string, string][] }[]; comment: boolean }[]): string {
  const lines = ['#', '# List of PCI IDs', '#', ''];
  for (const v of vendors) {
    lines.push(`${v.id}  ${v.name}`);
    for (const d of v.devices) {
      lines.push(`\t${d.id}  ${d.name}`);
      for (const [sv, sd, sn] of d.subs) lines.push(`\t\t${sv} ${sd}  ${sn}`);
      if (v.comment) lines.push('# a comment inside a vendor block');
    }
  }
  lines.push('', '# List of known device classes', 'C 00  Unclassified device', '\t00  Non-VGA unclassified device', 'C 03  Display controller', '\t00  VGA compatible controller', '');
  return lines.join('\n');
}

describe('pci.ids lookups', () => {
  it('find every vendor and device of the file, and nothing else', () => {
    fc.assert(
      // the block's end is searched in windows: tiny ones put window edges everywhere
      fc.property(model, hex4, fc.nat(), fc.nat(), fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }), (vendors, randomV, i, j, window) => {
        const names = pciNamesFromText(toText(vendors), window);
        for (const v of vendors) {
          expect(names.vendor(v.id)).toBe(v.name);
          expect(names.vendor(v.id.toUpperCase())).toBe(v.name);
          for (const d of v.devices) expect(names.device(v.id, d.id)).toBe(d.name);
        }
        // probe with a vendor of the file (or a random one) and a device ID taken from any vendor,
        // subsystem IDs included, so a lookup leaking into a neighbouring block would be caught
        const probeV = i % 3 === 0 ? randomV : vendors[i % vendors.length]!.id;
        const allIds = vendors.flatMap((v) => v.devices.flatMap((d) => [d.id, ...d.subs.map((s) => s[1])]));
        const probeD = allIds.length > 0 ? allIds[j % allIds.length]! : randomV;
        const pv = vendors.find((v) => v.id === probeV);
        expect(names.vendor(probeV)).toBe(pv?.name ?? null);
        // a device ID is looked up only inside its own vendor's block, never a neighbour's or a subsystem line
        expect(names.device(probeV, probeD)).toBe(pv?.devices.find((d) => d.id === probeD)?.name ?? null);
      }),
      { numRuns: 300 },
    );
  });

  it('class-section lines are never taken for vendors', () => {
    const names = pciNamesFromText(toText([{ id: '10de', name: 'NVIDIA Corporation', devices: [], comment: false }]));
    expect(names.vendor('0000')).toBeNull();
    expect(names.device('10de', '0000')).toBeNull();
  });
});
