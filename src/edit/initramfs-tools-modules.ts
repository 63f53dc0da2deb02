// /etc/initramfs-tools/modules: one module per line ("module_name [args ...]"), "#" comments,
// loaded by the initramfs in the order listed. We add the vfio modules that are missing and keep
// every other line byte for byte. They go before the first display (KMS) module listed there, so
// vfio-pci claims the guest card before amdgpu/nouveau/i915 can; otherwise at the end.
// "vfio-pci" and "vfio_pci" are the same module (modprobe normalises the dash).
//
// Pure: text in, text out.
import { normaliseModuleName } from '../isolate/host-drivers.js';

export const INITRAMFS_TOOLS_MODULES = '/etc/initramfs-tools/modules';

/** Early-KMS display modules: vfio must be loaded before any of these. */
export const KMS_MODULES = ['amdgpu', 'radeon', 'nouveau', 'i915', 'xe', 'nvidia', 'nvidia_drm', 'nvidia_modeset', 'nvidia_uvm'];
const isKms = (m: string) => KMS_MODULES.includes(m) || m.startsWith('nvidia');

/**
 * vfio_virqfd was merged into vfio in Linux 6.2; before that it is a module of its own. An unknown
 * kernel version gets the modern list: naming a module that does not exist breaks some builds.
 */
export function vfioModules(kernel: { major: number; minor: number } | null): string[] {
  const old = kernel !== null && (kernel.major < 6 || (kernel.major === 6 && kernel.minor < 2));
  return ['vfio', 'vfio_iommu_type1', 'vfio_pci', ...(old ? ['vfio_virqfd'] : [])];
}

export interface ModuleListEdit {
  text: string;
  changed: boolean;
  added: string[];
  /** listed vfio modules that come after a KMS module (they stay, but we add nothing after) */
  notes: string[];
}

/** The module named on each line, or null for blank and comment lines. */
export function moduleOfLine(line: string): string | null {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return null;
  return normaliseModuleName(t.split(/\s+/)[0]!);
}

export function editInitramfsToolsModules(current: string | null, modules: readonly string[]): ModuleListEdit {
  const text = current ?? '';
  const lines = text === '' ? [] : (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  const listed = lines.map(moduleOfLine);
  const missing = modules.map(normaliseModuleName).filter((m) => !listed.includes(m));
  const notes: string[] = [];
  const firstKms = listed.findIndex((m) => m !== null && isKms(m));
  if (firstKms >= 0) {
    for (const m of modules.map(normaliseModuleName)) {
      const at = listed.indexOf(m);
      if (at > firstKms) notes.push(`${m} is listed after ${listed[firstKms]} in ${INITRAMFS_TOOLS_MODULES}; the display driver may claim the card first. Move ${m} above it.`);
    }
  }
  if (missing.length === 0) return { text, changed: false, added: [], notes };
  const at = firstKms >= 0 ? firstKms : lines.length;
  const out = [...lines.slice(0, at), ...missing, ...lines.slice(at)];
  return { text: `${out.join('\n')}\n`, changed: true, added: missing, notes };
}
