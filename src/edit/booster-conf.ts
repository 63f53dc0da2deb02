// booster: /etc/booster.yaml `modules_force_load: a,b,c` (a comma-separated list; these modules
// are also added to the image). Only that one key is touched; every other line stays as it is.
// Whether booster applies /etc/modprobe.d options inside the image is not documented, so the plan
// notes that the binding must be verified after the reboot.
//
// Pure: text in, text out.
import { normaliseModuleName } from '../isolate/host-drivers.js';

export const BOOSTER_CONF = '/etc/booster.yaml';

const KEY = /^(modules_force_load:)(\s*)(.*?)(\s*(?:#.*)?)$/;

export function editBoosterConf(current: string | null, modules: readonly string[]): { text: string; changed: boolean; added: string[] } {
  const text = current ?? '';
  const lines = text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  const at = lines.findIndex((l) => KEY.test(l));
  const existing = at >= 0 ? KEY.exec(lines[at]!)![3]!.split(',').map((m) => m.trim()).filter((m) => m !== '') : [];
  const have = existing.map(normaliseModuleName);
  const added = modules.map(normaliseModuleName).filter((m) => !have.includes(m));
  if (added.length === 0) return { text, changed: false, added };
  const list = [...existing, ...added].join(',');
  if (at >= 0) {
    const m = KEY.exec(lines[at]!)!;
    lines[at] = `${m[1]} ${list}${m[4]}`;
  } else {
    lines.push(`modules_force_load: ${list}`);
  }
  return { text: `${lines.join('\n')}\n`, changed: true, added };
}
