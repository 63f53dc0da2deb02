// Names from the system's own pci.ids (~1.4 MB). The file is searched as bytes, never decoded as
// a whole: only the vendors actually present are looked up — a native indexOf finds each vendor
// line ("\nVVVV  Name"), a regular expression over small windows the end of its block — and only
// those blocks become text, where device names are searched. (A latin1 copy of the whole file to
// search as one string cost more than it saved: 1.4 MB of fresh memory, page by page.)
import { readPath, type SystemRoot } from './root.js';
import type { SysReader } from './sysfs-read.js';
import { hostText } from '../terminal-safe.js';

export const PCI_IDS_PATHS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids', '/usr/share/pci.ids'];

export interface PciNames {
  vendor(id: string): string | null;
  device(vendor: string, device: string): string | null;
}

interface VendorEntry {
  name: string;
  /** the vendor's block: its device and subsystem lines */
  block: string;
}

// a line that starts a vendor or the class section: not a device or subsystem line (tab), a
// comment or a blank line
const TOP_LINE = /\n[^\t#\n]/g;
const WINDOW = 32 * 1024;

/**
 * Index of the newline that ends the block whose first line ends at the newline `from`: the one
 * before the next line that starts a vendor or the class section; the length at the end. A big
 * vendor's block has thousands of lines (an indexOf call per line cost milliseconds), so the
 * regular expression runs over latin1 windows of the bytes (their indices are byte offsets), each
 * one byte longer than the step so that a newline at a window's end is seen with what follows.
 */
function blockEnd(bytes: Buffer, from: number, window: number): number {
  for (let at = from; at < bytes.length; at += window) {
    const text = bytes.toString('latin1', at, Math.min(bytes.length, at + window + 1));
    TOP_LINE.lastIndex = 0;
    const m = TOP_LINE.exec(text);
    if (m !== null) return at + m.index;
  }
  return bytes.length;
}

/** Index over one pci.ids file's bytes; each vendor's block is cut out on first use. `window`: for tests. */
export function pciNamesFromBytes(bytes: Buffer, window = WINDOW): PciNames {
  // the class section ("C xx  name") follows the vendor list; vendor matches past it are ignored
  const classStart = bytes.indexOf('\nC ', 0, 'latin1');
  const end = classStart < 0 ? bytes.length : classStart;
  const vendors = new Map<string, VendorEntry | null>();

  const findVendor = (vendor: string): VendorEntry | null => {
    // IDs are four hex digits (the callers normalise them); anything else cannot be a vendor line
    if (!/^[0-9a-f]{4}$/.test(vendor)) return null;
    const line = `${vendor}  `;
    const first = bytes.length >= line.length && bytes.toString('latin1', 0, line.length) === line;
    const head = first ? 0 : bytes.indexOf(`\n${line}`, 0, 'latin1') + 1;
    if ((head === 0 && !first) || head >= end) return null;
    const nameStart = head + vendor.length + 2;
    const nl = bytes.indexOf(0x0a, head);
    if (nl < 0) return { name: hostText(bytes.toString('utf8', nameStart).trimEnd()), block: '' };
    const stop = blockEnd(bytes, nl, window);
    return { name: hostText(bytes.toString('utf8', nameStart, nl).trimEnd()), block: bytes.toString('utf8', nl, Math.min(stop + 1, bytes.length)) };
  };

  const entry = (vendor: string): VendorEntry | null => {
    const v = vendor.toLowerCase();
    let e = vendors.get(v);
    if (e === undefined) {
      e = findVendor(v);
      vendors.set(v, e);
    }
    return e;
  };

  // servers repeat the same few IDs hundreds of times (VFs); search each pair once
  const deviceNames = new Map<string, string | null>();
  const findDevice = (vendor: string, device: string): string | null => {
    const e = entry(vendor);
    if (!e) return null;
    // device lines are "\tDDDD  name"; subsystem lines have two tabs and never match
    const needle = `\n\t${device.toLowerCase()}  `;
    const at = e.block.indexOf(needle);
    if (at < 0) return null;
    const nl = e.block.indexOf('\n', at + needle.length);
    return hostText(e.block.slice(at + needle.length, nl < 0 ? e.block.length : nl).trimEnd());
  };

  return {
    vendor: (id) => entry(id)?.name ?? null,
    device(vendor, device) {
      const key = `${vendor}:${device}`;
      let name = deviceNames.get(key);
      if (name === undefined) {
        name = findDevice(vendor, device);
        deviceNames.set(key, name);
      }
      return name;
    },
  };
}

/** The same index over a text (tests, and callers that already hold the text). */
export function pciNamesFromText(text: string, window?: number): PciNames {
  return pciNamesFromBytes(Buffer.from(text, 'utf8'), window);
}

/** Load the root's own pci.ids (never the host's when scanning another root). */
export function loadPciNames(root: SystemRoot, reader: SysReader): { names: PciNames | null; source: string | null } {
  for (const p of PCI_IDS_PATHS) {
    const bytes = reader.fileBytes(readPath(root, p));
    if (bytes !== null) return { names: pciNamesFromBytes(bytes), source: p };
  }
  return { names: null, source: null };
}
