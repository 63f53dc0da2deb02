// Names from the system's own pci.ids (~1.4 MB). The file is searched through its latin1 view (one
// copy of the bytes, never decoded as UTF-8 as a whole): only the vendors actually present are
// looked up — indexOf finds each vendor line ("\nVVVV  Name"), one regular expression the end of its
// block — and only those blocks are decoded, where device names are searched.
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

/**
 * Index of the newline that ends the block whose first line ends at the newline `from`: the one
 * before the next line that starts a vendor or the class section; the length at the end. One
 * regular-expression search over the file's latin1 view (its indices are the byte offsets): a
 * big vendor's block has thousands of lines, and an indexOf call per line cost milliseconds.
 */
function blockEnd(latin1: string, from: number): number {
  TOP_LINE.lastIndex = from;
  const m = TOP_LINE.exec(latin1);
  return m === null ? latin1.length : m.index;
}

/** Index over one pci.ids file's bytes; each vendor's block is cut out on first use. */
export function pciNamesFromBytes(bytes: Buffer): PciNames {
  // searched as a latin1 string, whose indices are the byte offsets (one copy of the file, no
  // decoding); names are decoded from the bytes as UTF-8
  const latin1 = bytes.toString('latin1');
  // the class section ("C xx  name") follows the vendor list; vendor matches past it are ignored
  const classStart = latin1.indexOf('\nC ');
  const end = classStart < 0 ? bytes.length : classStart;
  const vendors = new Map<string, VendorEntry | null>();

  const findVendor = (vendor: string): VendorEntry | null => {
    // IDs are four hex digits (the callers normalise them); anything else cannot be a vendor line
    if (!/^[0-9a-f]{4}$/.test(vendor)) return null;
    const line = `${vendor}  `;
    const first = latin1.startsWith(line);
    const head = first ? 0 : latin1.indexOf(`\n${line}`) + 1;
    if ((head === 0 && !first) || head >= end) return null;
    const nameStart = head + vendor.length + 2;
    const nl = latin1.indexOf('\n', head);
    if (nl < 0) return { name: hostText(bytes.toString('utf8', nameStart).trimEnd()), block: '' };
    const stop = blockEnd(latin1, nl);
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
export function pciNamesFromText(text: string): PciNames {
  return pciNamesFromBytes(Buffer.from(text, 'utf8'));
}

/** Load the root's own pci.ids (never the host's when scanning another root). */
export function loadPciNames(root: SystemRoot, reader: SysReader): { names: PciNames | null; source: string | null } {
  for (const p of PCI_IDS_PATHS) {
    const bytes = reader.fileBytes(readPath(root, p));
    if (bytes !== null) return { names: pciNamesFromBytes(bytes), source: p };
  }
  return { names: null, source: null };
}
