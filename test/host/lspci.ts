// Runs the real lspci (pciutils) and parses its -vmm -nn -k -D records, the oracle the scanner is
// compared with. A missing lspci is a failure with a remedy, never a skip.
import { execFileSync } from 'node:child_process';
import type { HostFacts } from '../../src/host/types.js';

export interface LspciRecord {
  slot: string;
  /** 4 hex digits (class + subclass) */
  class: string;
  progIf: string;
  vendor: string;
  vendorName: string | null;
  device: string;
  deviceName: string | null;
  subsystemVendor: string | null;
  subsystemDevice: string | null;
  rev: string | null;
  driver: string | null;
  iommuGroup: number | null;
}

export function runLspci(args: string[]): string {
  try {
    return execFileSync('lspci', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('lspci is not installed: these oracle tests need pciutils (apt-get install pciutils)');
    }
    throw e;
  }
}

/** "Intel Corporation [8086]" → ["Intel Corporation", "8086"]; lspci's "Device 347a" placeholder → null name */
function nameAndId(v: string): [string | null, string] {
  const m = /^(.*) \[([0-9a-f]{4})\]$/.exec(v);
  if (!m) throw new Error(`unexpected lspci -nn value: ${v}`);
  const name = m[1]!;
  return [/^Device [0-9a-f]{4}$/.test(name) || name === 'Device' ? null : name, m[2]!];
}

export function parseLspciVmm(text: string): Map<string, LspciRecord> {
  const out = new Map<string, LspciRecord>();
  for (const block of text.split(/\n\s*\n/)) {
    const kv = new Map<string, string>();
    for (const line of block.split('\n')) {
      const tab = line.indexOf(':\t');
      if (tab > 0) kv.set(line.slice(0, tab), line.slice(tab + 2));
    }
    const slot = kv.get('Slot');
    if (!slot) continue;
    const [, cls] = nameAndId(kv.get('Class')!);
    const [vendorName, vendor] = nameAndId(kv.get('Vendor')!);
    const [deviceName, device] = nameAndId(kv.get('Device')!);
    const sv = kv.get('SVendor');
    const sd = kv.get('SDevice');
    const g = kv.get('IOMMUGroup');
    out.set(slot, {
      slot,
      class: cls,
      progIf: kv.get('ProgIf') ?? '00',
      vendor,
      vendorName,
      device,
      deviceName,
      subsystemVendor: sv ? nameAndId(sv)[1] : null,
      subsystemDevice: sd ? nameAndId(sd)[1] : null,
      rev: kv.get('Rev') ?? null,
      driver: kv.get('Driver') ?? null,
      iommuGroup: g === undefined ? null : Number(g),
    });
  }
  return out;
}

/** Field-by-field differences between scanHost's devices and lspci's records (empty = agreement). */
export function diffAgainstLspci(facts: HostFacts, records: Map<string, LspciRecord>, opts: { names: boolean }): string[] {
  const diffs: string[] = [];
  const ours = new Map(facts.devices.map((d) => [d.address, d]));
  for (const slot of records.keys()) if (!ours.has(slot)) diffs.push(`${slot}: lspci lists it, the scan does not`);
  for (const a of ours.keys()) if (!records.has(a)) diffs.push(`${a}: the scan lists it, lspci does not`);
  for (const [slot, l] of records) {
    const d = ours.get(slot);
    if (!d) continue;
    const eq = (what: string, a: unknown, b: unknown) => {
      if (a !== b) diffs.push(`${slot} ${what}: scan ${JSON.stringify(a)} lspci ${JSON.stringify(b)}`);
    };
    eq('class', d.class, `${l.class}${l.progIf}`);
    eq('vendor', d.vendor, l.vendor);
    eq('device', d.device, l.device);
    eq('revision', d.revision, l.rev ?? '00');
    eq('driver', d.driver, l.driver);
    eq('iommuGroup', d.iommuGroup, l.iommuGroup);
    // lspci leaves the subsystem out for bridges and all-zero IDs; compare it where lspci has it
    if (l.subsystemVendor !== null) eq('subsystemVendor', d.subsystemVendor, l.subsystemVendor);
    if (l.subsystemDevice !== null) eq('subsystemDevice', d.subsystemDevice, l.subsystemDevice);
    if (opts.names) {
      eq('vendorName', d.vendorName, l.vendorName);
      eq('deviceName', d.deviceName, l.deviceName);
    }
  }
  return diffs;
}
