// dracut: our drop-in /etc/dracut.conf.d/10-vfio.conf. dracut reads only *.conf there (a file
// without the extension — quickpassthrough's bug — is silently ignored).
// - force_drivers both puts the modules in the image and loads them early (add_drivers only adds
//   them), so vfio-pci is bound before udev loads a GPU driver;
// - install_items puts our modprobe file in the image: Debian's dracut builds generic (hostonly=no)
//   images that leave /etc/modprobe.d out, so without it the ids and softdeps never reach the initrd;
// - values are space-separated lists and must keep a leading and trailing space inside the quotes,
//   because `+=` concatenates strings.
// Existing configuration is parsed so modules another file already force-loads are not repeated.
//
// Pure: the caller passes every dracut.conf / dracut.conf.d/*.conf it found.
import { normaliseModuleName } from '../isolate/host-drivers.js';

export const DRACUT_DROPIN = '/etc/dracut.conf.d/10-vfio.conf';

export interface DracutSettings {
  forceDrivers: string[];
  addDrivers: string[];
  installItems: string[];
}

const ASSIGN = /^\s*(force_drivers|add_drivers|install_items)\s*(\+?=)\s*(?:"([^"]*)"|'([^']*)'|(\S*))\s*(?:#.*)?$/;

/** The lists a dracut config file sets (`+=` appends, `=` replaces), in file order. */
export function readDracutSettings(texts: readonly string[]): DracutSettings {
  const out: DracutSettings = { forceDrivers: [], addDrivers: [], installItems: [] };
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const m = ASSIGN.exec(line);
      if (!m) continue;
      const key = m[1] === 'force_drivers' ? 'forceDrivers' : m[1] === 'add_drivers' ? 'addDrivers' : 'installItems';
      const words = (m[3] ?? m[4] ?? m[5] ?? '').split(/\s+/).filter((w) => w !== '');
      const values = key === 'installItems' ? words : words.map(normaliseModuleName);
      out[key] = m[2] === '=' ? values : [...out[key], ...values];
    }
  }
  return out;
}

/** dracut.conf.d files in the order dracut sources them (by name), our drop-in excluded. */
export function dracutConfigOrder(paths: readonly string[]): string[] {
  const main = paths.filter((p) => p === '/etc/dracut.conf');
  const dropins = paths
    .filter((p) => /^\/(?:etc|usr\/lib)\/dracut\.conf\.d\/[^/]+\.conf$/.test(p) && p !== DRACUT_DROPIN)
    .sort((a, b) => {
      const ba = a.slice(a.lastIndexOf('/') + 1);
      const bb = b.slice(b.lastIndexOf('/') + 1);
      return ba < bb ? -1 : ba > bb ? 1 : 0;
    });
  return [...main, ...dropins];
}

export interface DracutEdit {
  /** the drop-in's new contents, or null when nothing needs to be written */
  text: string | null;
  forceDrivers: string[];
  installItems: string[];
}

const HEADER = '# Written by vfio-wizard: load vfio-pci early from the initramfs. To undo: delete this file and rebuild the initramfs.';

/**
 * Our drop-in for `modules` (force-loaded) and `items` (files copied into the image). Modules
 * other files already force-load are left out; what our drop-in listed before is kept.
 */
export function planDracutDropin(files: Record<string, string | null>, modules: readonly string[], items: readonly string[]): DracutEdit {
  const others = readDracutSettings(dracutConfigOrder(Object.keys(files)).map((p) => files[p] ?? ''));
  const ownBefore = readDracutSettings([files[DRACUT_DROPIN] ?? '']);
  const force = [...new Set([...ownBefore.forceDrivers, ...modules.map(normaliseModuleName).filter((m) => !others.forceDrivers.includes(m))])];
  const install = [...new Set([...ownBefore.installItems, ...items.filter((i) => !others.installItems.includes(i))])];
  if (force.length === 0 && install.length === 0) return { text: null, forceDrivers: [], installItems: [] };
  const lines = [HEADER];
  if (force.length) lines.push(`force_drivers+=" ${force.join(' ')} "`);
  if (install.length) lines.push(`install_items+=" ${install.join(' ')} "`);
  const text = `${lines.join('\n')}\n`;
  return { text, forceDrivers: force, installItems: install };
}
