// Names from the system's own pci.ids (~1.4 MB). Only the vendors actually present are parsed:
// a native indexOf finds each vendor line ("\nVVVV  Name"), one native regex scan finds the end
// of its block, and device names are searched only inside that block.
import type { SystemRoot } from './root.js';
import type { SysReader } from './sysfs-read.js';

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

/** the next line that starts a vendor or the class section (not a tab, comment or blank line) */
const BLOCK_END = /\n[^\t#\n]/g;

/** Index over one pci.ids text; each vendor's block is cut out on first use. */
export function pciNamesFromText(text: string): PciNames {
  // the class section ("C xx  name") follows the vendor list; vendor matches past it are ignored
  const classStart = text.indexOf('\nC ');
  const end = classStart < 0 ? text.length : classStart;
  const vendors = new Map<string, VendorEntry | null>();

  const findVendor = (vendor: string): VendorEntry | null => {
    const head = text.startsWith(`${vendor}  `) ? 0 : text.indexOf(`\n${vendor}  `) + 1;
    if ((head === 0 && !text.startsWith(`${vendor}  `)) || head >= end) return null;
    const nl = text.indexOf('\n', head);
    if (nl < 0) return { name: text.slice(head + vendor.length + 2).trimEnd(), block: '' };
    BLOCK_END.lastIndex = nl;
    const stop = BLOCK_END.exec(text)?.index ?? text.length;
    return { name: text.slice(head + vendor.length + 2, nl).trimEnd(), block: text.slice(nl, stop + 1) };
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
    return e.block.slice(at + needle.length, nl < 0 ? e.block.length : nl).trimEnd();
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

/** Load the root's own pci.ids (never the host's when scanning another root). */
export function loadPciNames(root: SystemRoot, reader: SysReader): { names: PciNames | null; source: string | null } {
  for (const p of PCI_IDS_PATHS) {
    const text = reader.file(root.at(p));
    if (text !== null) return { names: pciNamesFromText(text), source: p };
  }
  return { names: null, source: null };
}
