// Which modules the kernel would load for a device: its modalias (built from the IDs and class the
// scan read, exactly as the kernel writes it) matched against the kernel's modules.alias. This
// finds host drivers no table knows about (bochs for QEMU's VGA, vendor NIC drivers, …), also for
// functions that no driver has claimed yet.
import type { PciDevice } from '../host/types.js';

const hex8 = (h: string | null) => (h ?? 'ffff').toUpperCase().padStart(8, '0');

/** "pci:v000010DEd00001F02sv00001458sd00003FC6bc03sc00i00", as in /sys/bus/pci/devices/ADDR/modalias. */
export function modaliasOf(d: Pick<PciDevice, 'vendor' | 'device' | 'subsystemVendor' | 'subsystemDevice' | 'class'>): string {
  const c = d.class.toUpperCase();
  return `pci:v${hex8(d.vendor)}d${hex8(d.device)}sv${hex8(d.subsystemVendor)}sd${hex8(d.subsystemDevice)}bc${c.slice(0, 2)}sc${c.slice(2, 4)}i${c.slice(4, 6)}`;
}

/** modules.alias glob (`*`, `?`, `[…]`) → RegExp */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface PciAliasTable {
  /** modules whose PCI alias patterns match the modalias, in file order, without duplicates */
  modulesFor(modalias: string): string[];
}

/** Parses the `alias pci:…` lines of modules.alias (other buses are skipped). */
export function parsePciAliases(modulesAlias: string): PciAliasTable {
  const rules: { re: RegExp; module: string }[] = [];
  for (const line of modulesAlias.split('\n')) {
    if (!line.startsWith('alias pci:')) continue;
    const [, pattern, module] = line.trim().split(/\s+/);
    if (pattern && module) rules.push({ re: globToRegExp(pattern), module });
  }
  return {
    modulesFor(modalias) {
      const out: string[] = [];
      for (const r of rules) if (!out.includes(r.module) && r.re.test(modalias)) out.push(r.module);
      return out;
    },
  };
}
