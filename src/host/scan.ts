// scanHost: read the system under `root` into HostFacts. Read-only and synchronous: no command
// is run, nothing is written, and `config`/`rom` attributes are never opened.
import { scanBoot } from './boot.js';
import { scanCpu } from './cpu.js';
import { scanDistro } from './distro.js';
import { scanHostCritical } from './host-critical.js';
import { scanIommu } from './iommu.js';
import { readKernelLog } from './kernel-log.js';
import { SYMPTOM_LINE } from './vfio-symptoms.js';

const MAX_VFIO_LOG_LINES = 60;
import { readLoadedModules, scanKernel } from './kernel.js';
import { scanPci } from './pci.js';
import { loadPciNames } from './pci-ids.js';
import type { SystemRoot } from './root.js';
import { SysReader } from './sysfs-read.js';
import type { HostFacts } from './types.js';
import { scanVirtStack } from './virt-stack.js';

export function scanHost(root: SystemRoot): HostFacts {
  const r = new SysReader(root.live ? '' : root.dir);
  const loadedModules = readLoadedModules(root, r);
  if (loadedModules === null) r.notes.push('/proc/modules is absent or unreadable: loaded modules unknown');
  const { kernel, index } = scanKernel(root, r, loadedModules);
  const builtinKvm = ['kvm_intel', 'kvm_amd'].some((m) => index.builtin?.has(m) ?? false);
  const cpu = scanCpu(root, r, loadedModules, builtinKvm);
  const log = readKernelLog(root, r);
  const iommu = scanIommu(root, r, log);
  // the newest ones: a symptom logged at the last boot or bind is the one that explains now
  kernel.vfioLogLines = log ? log.lines.filter((l) => SYMPTOM_LINE.test(l)).slice(-MAX_VFIO_LOG_LINES) : null;
  const boot = scanBoot(root, r);
  const distro = scanDistro(root, r);
  const virt = scanVirtStack(root, r);

  const { names, source } = loadPciNames(root, r);
  if (names === null) {
    r.notes.push('no pci.ids under the root (usr/share/misc, usr/share/hwdata): devices are named by ID only');
  }
  const { devices, groups } = scanPci(root, r, names);
  const hostCritical = scanHostCritical(root, r, devices);

  return {
    schemaVersion: 1,
    root: root.dir,
    cpu,
    iommu,
    boot,
    kernel,
    distro,
    virt,
    hostCritical,
    devices,
    iommuGroups: groups,
    pciIdsSource: source,
    notes: r.notes,
  };
}
