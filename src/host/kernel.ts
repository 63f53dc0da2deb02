// Kernel release, command line and whether the vfio modules are built in, modules or missing.
// Built-in matters: a built-in vfio-pci ignores /etc/modprobe.d options, so IDs must go on the
// kernel command line instead.
import type { KernelFacts, ModuleState } from './types.js';
import { readPath, type SystemRoot } from './root.js';
import type { SysReader } from './sysfs-read.js';

/** "kernel/drivers/vfio/pci/vfio-pci.ko.zst" → "vfio_pci" (module names treat - and _ alike) */
export function moduleName(pathLike: string): string {
  const base = pathLike.slice(pathLike.lastIndexOf('/') + 1);
  const ko = base.indexOf('.ko');
  return (ko < 0 ? base : base.slice(0, ko)).replaceAll('-', '_');
}

export function readLoadedModules(root: SystemRoot, r: SysReader): string[] | null {
  const text = r.file(root.at('/proc/modules'));
  if (text === null) return null;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    const name = sp < 0 ? line.trim() : line.slice(0, sp);
    if (name) out.push(name.replaceAll('-', '_'));
  }
  return out;
}

const KERNEL_RELEASE = /^[\w.+~-]{1,128}$/;

export interface ModuleIndex {
  builtin: Set<string> | null;
  modules: Set<string> | null;
  /** the modules directory used, as a system path */
  dir: string | null;
}

function readModuleIndex(root: SystemRoot, r: SysReader, release: string | null): ModuleIndex {
  const bases = ['/lib/modules', '/usr/lib/modules'];
  let kver = release;
  if (kver === null) {
    // an offline root has no /proc: use its only installed kernel when there is exactly one
    for (const b of bases) {
      const list = r.list(readPath(root, b));
      if (list && list.length === 1) {
        kver = list[0]!;
        r.notes.push(`kernel release unknown; using the only installed kernel ${kver} for module lookups`);
        break;
      }
    }
  }
  if (kver === null) return { builtin: null, modules: null, dir: null };
  for (const b of bases) {
    const dir = `${b}/${kver}`;
    const builtinText = r.file(readPath(root, `${dir}/modules.builtin`));
    const depText = r.file(readPath(root, `${dir}/modules.dep`));
    if (builtinText === null && depText === null) continue;
    const builtin = builtinText === null ? null : new Set(builtinText.split('\n').filter(Boolean).map(moduleName));
    const modules =
      depText === null
        ? null
        : new Set(
            depText
              .split('\n')
              .filter(Boolean)
              .map((l) => moduleName(l.slice(0, l.indexOf(':') < 0 ? l.length : l.indexOf(':')))),
          );
    return { builtin, modules, dir };
  }
  r.notes.push(`no modules.builtin or modules.dep for kernel ${kver}: vfio module availability is unknown`);
  return { builtin: null, modules: null, dir: null };
}

export function moduleState(index: ModuleIndex, name: string): ModuleState {
  const n = name.replaceAll('-', '_');
  if (index.builtin?.has(n)) return 'builtin';
  if (index.modules?.has(n)) return 'module';
  if (index.builtin === null && index.modules === null) return 'unknown';
  return 'missing';
}

export function scanKernel(
  root: SystemRoot,
  r: SysReader,
  loadedModules: string[] | null,
): { kernel: KernelFacts; index: ModuleIndex } {
  const releaseRaw = r.file(root.at('/proc/sys/kernel/osrelease'));
  let release = releaseRaw === null ? null : releaseRaw.trim() || null;
  // it names a directory under /lib/modules: anything but a plain name is not a kernel release
  if (release !== null && !KERNEL_RELEASE.test(release)) {
    r.notes.push(`/proc/sys/kernel/osrelease holds ${JSON.stringify(release.slice(0, 80))}, which is not a kernel release: ignored`);
    release = null;
  }
  const cmdlineRaw = r.file(root.at('/proc/cmdline'));
  const cmdline = cmdlineRaw === null ? null : cmdlineRaw.trim();
  if (releaseRaw === null || releaseRaw.trim() === '') r.notes.push('/proc/sys/kernel/osrelease is absent or unreadable: kernel release unknown');
  if (cmdline === null) r.notes.push('/proc/cmdline is absent or unreadable: kernel command line unknown');
  const m = release === null ? null : /^(\d+)\.(\d+)/.exec(release);
  const index = readModuleIndex(root, r, release);
  return {
    index,
    kernel: {
      release,
      cmdline,
      version: m ? { major: Number(m[1]), minor: Number(m[2]) } : null,
      vfioPci: moduleState(index, 'vfio-pci'),
      vfio: moduleState(index, 'vfio'),
      vfioIommuType1: moduleState(index, 'vfio_iommu_type1'),
      vfioVirqfd: moduleState(index, 'vfio_virqfd'),
      // filled from the kernel log by scanHost, which reads the log once for every part
      vfioLogLines: null,
      loadedModules,
    },
  };
}
