// CPU vendor and hardware virtualization from /proc/cpuinfo, /dev/kvm and /proc/modules.
import type { CpuFacts, CpuVendor } from './types.js';
import type { SystemRoot } from './root.js';
import type { SysReader } from './sysfs-read.js';

export function scanCpu(root: SystemRoot, r: SysReader, loadedModules: string[] | null, builtinKvm: boolean): CpuFacts {
  const info = r.file(root.at('/proc/cpuinfo'));
  let vendor: CpuVendor = 'other';
  let model: string | null = null;
  let flags: Set<string> | null = null;
  let threads: number | null = null;
  if (info === null) {
    r.notes.push('/proc/cpuinfo is absent or unreadable: CPU vendor and virtualization flags are unknown');
  } else {
    threads = 0;
    for (const line of info.split('\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key === 'processor') threads++;
      else if (key === 'vendor_id' && vendor === 'other') {
        vendor = value === 'GenuineIntel' ? 'intel' : value === 'AuthenticAMD' || value === 'HygonGenuine' ? 'amd' : 'other';
      } else if (key === 'model name' && model === null) model = value;
      else if (key === 'flags' && flags === null) flags = new Set(value.split(/\s+/));
    }
    if (threads === 0) threads = null;
    if (flags === null) r.notes.push('/proc/cpuinfo lists no flags: whether the CPU has VT-x/AMD-V is unknown');
  }
  const flag = flags?.has('vmx') ? 'vmx' : flags?.has('svm') ? 'svm' : null;
  const kvmModules = ['kvm_intel', 'kvm_amd', 'kvm'];
  const kvmModuleLoaded = builtinKvm ? true : loadedModules === null ? null : kvmModules.some((m) => loadedModules.includes(m));
  return {
    vendor,
    model,
    virtualization: flags === null ? null : flag !== null,
    flag,
    kvmDevice: r.exists(root.at('/dev/kvm')),
    kvmModuleLoaded,
    threads,
  };
}
