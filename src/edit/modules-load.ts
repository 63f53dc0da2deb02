// /etc/modules-load.d/vfio.conf: systemd-modules-load loads these after the switch to the real
// root. Used when no initramfs generator can be edited (or vfio is not needed early): vfio-pci is
// then loaded even when no host driver's softdep pulls it in (a card with no host driver at all,
// such as an NPU, would otherwise stay unbound).
//
// Pure: text in, text out.
import { normaliseModuleName } from '../isolate/host-drivers.js';
import { moduleOfLine } from './initramfs-tools-modules.js';

export const MODULES_LOAD_FILE = '/etc/modules-load.d/vfio.conf';

export function editModulesLoad(current: string | null, modules: readonly string[]): { text: string; changed: boolean; added: string[] } {
  const text = current ?? '';
  const lines = text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  const listed = lines.map(moduleOfLine);
  const added = modules.map(normaliseModuleName).filter((m) => !listed.includes(m));
  if (added.length === 0) return { text, changed: false, added };
  const head = lines.length === 0 ? ['# Written by vfio-wizard: load vfio-pci at boot. To undo: delete this file.'] : [];
  return { text: `${[...head, ...lines, ...added].join('\n')}\n`, changed: true, added };
}
