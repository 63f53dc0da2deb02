// Layer 1: the CPU's hardware virtualization (VT-x / AMD-V), which KVM needs to run any guest.
import type { HostFacts } from '../host/types.js';
import type { Check } from './types.js';
import { cpuVirtualizationMenu } from './firmware-menus.js';

const WHY =
  'KVM needs the CPU virtualization extensions (VT-x on Intel, AMD-V on AMD) to run a guest; without them ' +
  'a passed-through device has no virtual machine to go to.';

export function checkCpuVirtualization(facts: HostFacts): Check {
  const { cpu } = facts;
  const kvmModule = cpu.vendor === 'amd' ? 'kvm_amd' : 'kvm_intel';
  const base = { id: 'cpu-virtualization' as const, title: 'CPU virtualization', why: WHY };
  const evidence: string[] = [];
  if (cpu.model) evidence.push(`CPU: ${cpu.model}`);

  // null: /proc/cpuinfo could not be read at all (threads null too), or it lists no flags line
  if (cpu.virtualization === null) {
    const unreadable = cpu.threads === null;
    return {
      ...base,
      status: 'unknown',
      summary: unreadable ? '/proc/cpuinfo could not be read, so the virtualization flags are unknown' : '/proc/cpuinfo lists no CPU flags, so whether VT-x/AMD-V is there is unknown',
      evidence: [...evidence, unreadable ? '/proc/cpuinfo: unreadable' : '/proc/cpuinfo: no flags line'],
      remedy: 'Run the check on the running system (not an offline --root) or make /proc readable, then check again.',
    };
  }

  if (!cpu.virtualization) {
    const flag = cpu.vendor === 'amd' ? 'svm' : cpu.vendor === 'intel' ? 'vmx' : 'vmx/svm';
    return {
      ...base,
      status: 'fail',
      summary: `the CPU reports no ${flag} flag: hardware virtualization is off or missing`,
      evidence: [...evidence, `/proc/cpuinfo: no ${flag} flag`, cpu.kvmDevice ? '/dev/kvm exists' : '/dev/kvm absent'],
      remedy:
        `${cpuVirtualizationMenu(cpu.vendor)} Inside a virtual machine the host must offer nested ` +
        'virtualization instead.',
    };
  }

  evidence.push(`/proc/cpuinfo: ${cpu.flag ?? 'virtualization'} flag present`);
  evidence.push(cpu.kvmDevice ? '/dev/kvm exists' : '/dev/kvm absent');
  if (cpu.kvmModuleLoaded !== null) {
    evidence.push(cpu.kvmModuleLoaded ? `${kvmModule} (or kvm) loaded or built in` : `${kvmModule} not loaded`);
  }
  if (!cpu.kvmDevice) {
    return {
      ...base,
      status: 'warn',
      summary: `the CPU supports ${cpu.flag ?? 'virtualization'} but /dev/kvm does not exist: KVM is not loaded`,
      evidence,
      remedy:
        `Load KVM with \`modprobe ${kvmModule}\`. If that fails, \`dmesg | grep -i kvm\` tells why ` +
        '("disabled by bios" means the firmware switch is off: ' +
        `${cpuVirtualizationMenu(cpu.vendor)})`,
    };
  }
  return {
    ...base,
    status: 'pass',
    summary: `${cpu.flag ?? 'virtualization'} flag present and /dev/kvm exists`,
    evidence,
    remedy: null,
  };
}
