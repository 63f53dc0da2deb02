// The scan's per-function parsers cut fields out by index instead of splitting (the splits were
// most of a 1,024-function scan's garbage). Each is checked against the plain split-based reading
// it replaced, kept here as the oracle, over generated texts with the odd spacing, duplicate keys,
// missing fields and stray separators that fixture trees and hand-made roots contain.
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { largeBars, parseUevent, resolveLink, type Identity } from '../../src/host/pci.js';

const hexIdOracle = (raw: string | null): string | null => {
  if (raw === null) return null;
  const s = raw.trim().toLowerCase().replace(/^0x/, '');
  return /^[0-9a-f]{1,4}$/.test(s) ? s.padStart(4, '0') : null;
};

function ueventOracle(text: string): Identity {
  const id: Identity = { driver: null, vendor: null, device: null, subsystemVendor: null, subsystemDevice: null, class: null };
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'DRIVER') id.driver = value || null;
    else if (key === 'PCI_ID') {
      const [v, d] = value.split(':');
      id.vendor = hexIdOracle(v ?? null);
      id.device = hexIdOracle(d ?? null);
    } else if (key === 'PCI_SUBSYS_ID') {
      const [v, d] = value.split(':');
      id.subsystemVendor = hexIdOracle(v ?? null);
      id.subsystemDevice = hexIdOracle(d ?? null);
    } else if (key === 'PCI_CLASS') {
      const s = value.toLowerCase();
      id.class = /^[0-9a-f]{1,6}$/.test(s) ? s.padStart(6, '0') : null;
    }
  }
  return id;
}

function largeBarOracle(resource: string): { bar: number; start: string; size: number }[] {
  const lines = resource.split('\n').slice(0, 6);
  const found: { bar: number; start: string; size: number }[] = [];
  lines.forEach((line, bar) => {
    const [s, e, f] = line.trim().split(' ');
    if (!s || !e || !f) return;
    const start = Number.parseInt(s, 16);
    const end = Number.parseInt(e, 16);
    const flags = Number.parseInt(f, 16);
    if (!(flags & 0x200) || (start === 0 && end === 0)) return;
    const size = end - start + 1;
    if (size > 256 * 1024 * 1024 || (size === 256 * 1024 * 1024 && start >= 4 * 1024 * 1024 * 1024)) found.push({ bar, start: `0x${start.toString(16)}`, size });
  });
  return found;
}

const pick = <T,>(...xs: T[]) => fc.constantFrom(...xs);
const hex = (min: number, max: number) => fc.string({ unit: pick(...'0123456789abcdefABCDEF'), minLength: min, maxLength: max });
const blank = fc.string({ unit: pick(' ', '\t', '\r'), maxLength: 2 });

describe('parseUevent', () => {
  const id = fc.tuple(fc.option(pick('0x', '0X', ''), { nil: '' }), hex(0, 5)).map(([p, h]) => p + h);
  const value = fc.oneof(
    fc.tuple(id, pick(':', '::', ''), id, fc.option(fc.constant(':ffff'), { nil: '' })).map((xs) => xs.join('')),
    hex(0, 7),
    fc.string({ maxLength: 8 }),
  );
  const line = fc.oneof(
    fc.tuple(pick('DRIVER', 'PCI_ID', 'PCI_SUBSYS_ID', 'PCI_CLASS', 'PCI_SLOT_NAME', 'MODALIAS', 'XDRIVER', 'A=DRIVER'), blank, value, blank).map(
      ([k, b1, v, b2]) => `${k}=${b1}${v}${b2}`,
    ),
    fc.string({ maxLength: 12 }),
  );

  it('reads what the line-by-line reading reads, duplicates and damage included', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 9 }), fc.boolean(), (lines, trailingNewline) => {
        const text = lines.join('\n') + (trailingNewline ? '\n' : '');
        expect(parseUevent(text)).toEqual(ueventOracle(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads a real uevent', () => {
    const text = 'DRIVER=nvidia\nPCI_CLASS=30000\nPCI_ID=10DE:1B06\nPCI_SUBSYS_ID=1458:3752\nPCI_SLOT_NAME=0000:01:00.0\nMODALIAS=pci:v000010DEd00001B06sv00001458sd00003752bc03sc00i00\n';
    expect(parseUevent(text)).toEqual({
      driver: 'nvidia',
      vendor: '10de',
      device: '1b06',
      subsystemVendor: '1458',
      subsystemDevice: '3752',
      class: '030000',
    });
  });
});

describe('largeBars', () => {
  const num = fc.oneof(
    fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }).map((n) => `0x${n.toString(16).padStart(16, '0')}`),
    pick('0x0000000000000000', '0x0000000010000000', '0x000000000fffffff', '0x0000000100000000', '0x000000010fffffff', '0x0000000000040200', '0x0000000000140204'),
    hex(0, 3),
  );
  const sep = pick(' ', ' ', ' ', '  ', '\t');
  const line = fc.oneof(
    fc.tuple(blank, num, sep, num, sep, num, fc.option(fc.tuple(sep, num).map((x) => x.join('')), { nil: '' }), blank).map((xs) => xs.join('')),
    fc.string({ maxLength: 10 }),
  );
  // a big BAR: 16 GiB at 0x38000000000, flags IORESOURCE_MEM | 64-bit | prefetch
  const big = '0x0000038000000000 0x00000383ffffffff 0x000000000014220c';

  it('decides as the split-based reading does', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(line, fc.constant(big)), { maxLength: 9 }), (lines) => {
        const text = `${lines.join('\n')}\n`;
        expect(largeBars(text)).toEqual(largeBarOracle(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('finds a big BAR among the first six lines only', () => {
    const small = '0x00000000fb000000 0x00000000fbffffff 0x0000000000040200';
    expect(largeBars(`${small}\n${big}\n`)).toHaveLength(1);
    expect(largeBars(`${small}\n${small}\n${big}\n`)).toEqual([{ bar: 2, start: '0x38000000000', size: 16 * 1024 ** 3 }]);
    expect(largeBars(`${[small, small, small, small, small, small, big].join('\n')}\n`)).toEqual([]);
  });
});

describe('resolveLink', () => {
  const segment = fc.oneof(pick('..', '..', '..', '.', '', 'devices', 'pci0000:00', '0000:00:01.0', '0000:01:00.0', 'bus'), fc.string({ unit: pick('a', 'b', '.', ':'), minLength: 1, maxLength: 4 }));
  const dir = fc.array(pick('sys', 'bus', 'pci', 'devices', 'mnt', 'r o o t', 'x.y'), { minLength: 0, maxLength: 6 }).map((xs) => `/${xs.join('/')}`.replace(/^\/$/, '/'));

  it('resolves as path.resolve does', () => {
    fc.assert(
      fc.property(dir, fc.array(segment, { minLength: 1, maxLength: 8 }), fc.boolean(), (d, segs, trailing) => {
        const target = segs.join('/') + (trailing ? '/' : '');
        expect(resolveLink(d, target)).toBe(path.resolve(d, target));
      }),
      { numRuns: 5000 },
    );
  });

  it('takes the usual sysfs link the short way', () => {
    expect(resolveLink('/mnt/root/sys/bus/pci/devices', '../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0')).toBe(
      '/mnt/root/sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0',
    );
  });
});
