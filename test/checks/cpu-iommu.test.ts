import { describe, expect, it } from 'vitest';
import { makeFacts } from '../support/facts.js';
import { checkCpuVirtualization } from '../../src/checks/cpu.js';
import { checkInterruptRemapping, checkIommuFirmware, checkIommuKernel } from '../../src/checks/iommu.js';
import type { HostFacts } from '../../src/host/types.js';

const amd = (over: Parameters<typeof makeFacts>[0] = {}): HostFacts =>
  makeFacts({
    ...over,
    cpu: { vendor: 'amd', flag: 'svm', model: 'AMD Ryzen 7 5800X 8-Core Processor', ...over.cpu },
    iommu: { firmwareTables: ['IVRS'], units: ['ivhd0'], ...over.iommu },
    kernel: { cmdline: 'BOOT_IMAGE=/vmlinuz root=/dev/nvme0n1p2 ro quiet', ...over.kernel },
  });

/** IOMMU off on the kernel side: no units, no groups (the firmware part is left to the caller). */
const kernelOff = { enabled: false, units: [], groupCount: 0 };

describe('cpu-virtualization', () => {
  it('passes with vmx and /dev/kvm', () => {
    const c = checkCpuVirtualization(makeFacts());
    expect(c.status).toBe('pass');
    expect(c.remedy).toBeNull();
    expect(c.evidence).toContain('/proc/cpuinfo: vmx flag present');
  });

  it('fails without the flag and names the vendor’s firmware switch', () => {
    const intel = checkCpuVirtualization(makeFacts({ cpu: { virtualization: false, flag: null, kvmDevice: false } }));
    expect(intel.status).toBe('fail');
    expect(intel.summary).toContain('vmx');
    expect(intel.remedy).toContain('Intel Virtualization Technology');
    const a = checkCpuVirtualization(amd({ cpu: { virtualization: false, flag: null, kvmDevice: false } }));
    expect(a.status).toBe('fail');
    expect(a.summary).toContain('svm');
    expect(a.remedy).toContain('SVM Mode');
  });

  it('warns when the flag is there but /dev/kvm is not', () => {
    const c = checkCpuVirtualization(makeFacts({ cpu: { kvmDevice: false, kvmModuleLoaded: false } }));
    expect(c.status).toBe('warn');
    expect(c.remedy).toContain('modprobe kvm_intel');
    expect(checkCpuVirtualization(amd({ cpu: { kvmDevice: false } })).remedy).toContain('modprobe kvm_amd');
  });

  it('is unknown when /proc/cpuinfo was unreadable, or lists no flags (not a failure)', () => {
    const c = checkCpuVirtualization(makeFacts({ cpu: { vendor: 'other', virtualization: null, flag: null, threads: null, model: null } }));
    expect(c.status).toBe('unknown');
    expect(c.summary).toMatch(/could not be read/);
    const noFlags = checkCpuVirtualization(makeFacts({ cpu: { vendor: 'intel', virtualization: null, flag: null, threads: 8, model: null } }));
    expect(noFlags.status).toBe('unknown');
    expect(noFlags.summary).toBe('/proc/cpuinfo lists no CPU flags, so whether VT-x/AMD-V is there is unknown');
    // flags read and no vmx: a real failure
    expect(checkCpuVirtualization(makeFacts({ cpu: { vendor: 'intel', virtualization: false, flag: null, threads: 8, model: null } })).status).toBe('fail');
  });
});

describe('iommu-firmware', () => {
  it('passes when DMAR is present', () => {
    const c = checkIommuFirmware(makeFacts());
    expect(c.status).toBe('pass');
    expect(c.evidence).toEqual(['/sys/firmware/acpi/tables/DMAR present']);
  });

  it('fails with Intel menu names when DMAR is absent', () => {
    const c = checkIommuFirmware(makeFacts({ iommu: { firmware: false, firmwareTables: [], ...kernelOff } }));
    expect(c.status).toBe('fail');
    expect(c.summary).toContain('DMAR');
    expect(c.remedy).toContain('VT-d');
    expect(c.remedy).toContain('Intel Virtualization Technology for Directed I/O');
    expect(c.remedy).not.toMatch(/AMD CBS/);
  });

  it('fails with AMD menu names when IVRS is absent', () => {
    const c = checkIommuFirmware(amd({ iommu: { firmware: false, firmwareTables: [], ...kernelOff } }));
    expect(c.status).toBe('fail');
    expect(c.summary).toContain('IVRS');
    expect(c.remedy).toMatch(/AMD-Vi/);
    expect(c.remedy).toMatch(/AMD CBS → NBIO/);
    expect(c.remedy).not.toMatch(/VT-d/);
  });

  it('is unknown when the tables directory was unreadable and the kernel shows nothing', () => {
    expect(checkIommuFirmware(makeFacts({ iommu: { firmware: null, firmwareTables: [], ...kernelOff } })).status).toBe('unknown');
  });

  it('passes without a table when the kernel has IOMMU units anyway (virtio-iommu, device tree)', () => {
    const c = checkIommuFirmware(makeFacts({ iommu: { firmware: false, firmwareTables: [], units: ['virtio-iommu0'] } }));
    expect(c.status).toBe('pass');
    expect(c.summary).toContain('virtio-iommu0');
  });
});

describe('iommu-kernel: off in firmware vs kernel parameter missing', () => {
  it('passes with groups', () => {
    const c = checkIommuKernel(makeFacts());
    expect(c.status).toBe('pass');
    expect(c.summary).toContain('5 IOMMU groups');
  });

  it('Intel, DMAR present, no parameter: "kernel parameter missing" → add intel_iommu=on', () => {
    const c = checkIommuKernel(makeFacts({ iommu: kernelOff, kernel: { cmdline: 'root=/dev/sda2 ro quiet' } }));
    expect(c.status).toBe('fail');
    expect(c.summary).toMatch(/kernel parameter missing/);
    expect(c.remedy).toContain('intel_iommu=on');
  });

  it('Intel, DMAR absent: the firmware is blamed and no parameter is suggested', () => {
    const c = checkIommuKernel(makeFacts({ iommu: { firmware: false, firmwareTables: [], ...kernelOff }, kernel: { cmdline: 'ro quiet' } }));
    expect(c.status).toBe('fail');
    expect(c.summary).toMatch(/firmware exposes no IOMMU/);
    expect(c.remedy).not.toContain('intel_iommu=on');
    expect(c.remedy).toContain('VT-d');
  });

  it('Intel, intel_iommu=off on the command line: remove it', () => {
    const c = checkIommuKernel(makeFacts({ iommu: kernelOff, kernel: { cmdline: 'ro intel_iommu=off quiet' } }));
    expect(c.status).toBe('fail');
    expect(c.summary).toContain('intel_iommu=off');
    expect(c.remedy).toMatch(/Remove intel_iommu=off/);
  });

  it('Intel, the last intel_iommu token wins', () => {
    const on = checkIommuKernel(makeFacts({ iommu: kernelOff, kernel: { cmdline: 'intel_iommu=off intel_iommu=on,igfx_off' } }));
    expect(on.summary).toMatch(/intel_iommu=on is set/);
    const off = checkIommuKernel(makeFacts({ iommu: kernelOff, kernel: { cmdline: 'intel_iommu=on intel_iommu=off' } }));
    expect(off.summary).toContain('turns it off');
  });

  it('Intel, iommu=off: remove it', () => {
    const c = checkIommuKernel(makeFacts({ iommu: kernelOff, kernel: { cmdline: 'ro iommu=off' } }));
    expect(c.remedy).toMatch(/Remove iommu=off/);
  });

  it('AMD, IVRS present and nothing disables it: no parameter is missing, look at the log', () => {
    const c = checkIommuKernel(amd({ iommu: kernelOff }));
    expect(c.status).toBe('fail');
    expect(c.summary).toMatch(/nothing on the command line turns it off/);
    expect(c.remedy).toMatch(/enables the AMD IOMMU by default/);
    expect(c.remedy).not.toContain('amd_iommu=on');
  });

  it('AMD, amd_iommu=off: remove it and add nothing', () => {
    const c = checkIommuKernel(amd({ iommu: kernelOff, kernel: { cmdline: 'ro amd_iommu=off' } }));
    expect(c.status).toBe('fail');
    expect(c.summary).toContain('amd_iommu=off');
    expect(c.remedy).toMatch(/Remove amd_iommu=off/);
    expect(c.remedy).toMatch(/Nothing needs to be added/);
    expect(c.remedy).not.toContain('amd_iommu=on');
  });

  it('AMD, IVRS absent: the firmware is blamed', () => {
    const c = checkIommuKernel(amd({ iommu: { firmware: false, firmwareTables: [], ...kernelOff } }));
    expect(c.summary).toMatch(/firmware exposes no IOMMU/);
    expect(c.remedy).toMatch(/AMD CBS/);
  });

  it('follows the ACPI table, not the CPU vendor: an emulated VT-d under an AMD CPU needs intel_iommu=on', () => {
    const c = checkIommuKernel(amd({ iommu: { ...kernelOff, firmwareTables: ['DMAR'] } }));
    expect(c.summary).toMatch(/kernel parameter missing/);
    expect(c.remedy).toContain('intel_iommu=on');
  });

  it('warns when units exist without groups', () => {
    const c = checkIommuKernel(makeFacts({ iommu: { groupCount: 0 } }));
    expect(c.status).toBe('warn');
  });

  it('is unknown when /sys/kernel/iommu_groups cannot be read, instead of "no groups"', () => {
    const none = checkIommuKernel(makeFacts({ iommu: { ...kernelOff, groupsReadable: false } }));
    expect(none.status).toBe('unknown');
    expect(none.summary).toMatch(/^\/sys\/kernel\/iommu_groups could not be read/);
    const units = checkIommuKernel(makeFacts({ iommu: { enabled: true, units: ['dmar0'], groupCount: 0, groupsReadable: false } }));
    expect(units.status).toBe('unknown');
    expect(units.summary).toMatch(/registered IOMMU units \(dmar0\), but \/sys\/kernel\/iommu_groups could not be read/);
    // readable and empty: the real "no groups" warning stays
    expect(checkIommuKernel(makeFacts({ iommu: { enabled: true, units: ['dmar0'], groupCount: 0 } })).status).toBe('warn');
  });

  it('says so when the ACPI tables were unreadable, and claims nothing about the firmware then', () => {
    const c = checkIommuKernel(makeFacts({ iommu: { firmware: null, firmwareTables: [], ...kernelOff }, kernel: { cmdline: 'ro' } }));
    expect(c.status).toBe('fail');
    expect(c.summary).toMatch(/could not be read/);
    expect(c.summary).not.toMatch(/firmware exposes VT-d|parameter missing/);
    expect(c.summary).toMatch(/^the kernel enabled no IOMMU and intel_iommu=on is not set; whether the firmware exposes it is unknown/);
    expect(c.remedy).toMatch(/^First make sure the firmware exposes it \(.+\)\. Then: Add intel_iommu=on/);
    const off = checkIommuKernel(makeFacts({ iommu: { firmware: null, firmwareTables: [], ...kernelOff }, kernel: { cmdline: 'ro intel_iommu=off' } }));
    expect(off.summary).toMatch(/^the kernel command line turns the Intel IOMMU off \(intel_iommu=off\); whether the firmware exposes it is unknown/);
    // readable tables: the firmware layer is named as fine
    const known = checkIommuKernel(makeFacts({ iommu: { ...kernelOff }, kernel: { cmdline: 'ro' } }));
    expect(known.summary).toBe('kernel parameter missing: the firmware exposes VT-d but this kernel does not enable it by default');
    expect(known.remedy).toMatch(/^Add intel_iommu=on/);
  });

  it('shows the kernel log lines as evidence', () => {
    const c = checkIommuKernel(amd({ iommu: { ...kernelOff, kernelLogLines: ['[    0.5] AMD-Vi: Unknown option - \'on\''] } }));
    expect(c.evidence.some((e) => e.includes('AMD-Vi: Unknown option'))).toBe(true);
  });
});

describe('interrupt-remapping', () => {
  it('passes with the log line as evidence', () => {
    const c = checkInterruptRemapping(makeFacts());
    expect(c.status).toBe('pass');
    expect(c.evidence[0]).toContain('DMAR-IR: Enabled IRQ remapping');
  });

  it('warns when absent and explains the allow_unsafe_interrupts trade-off', () => {
    const c = checkInterruptRemapping(
      makeFacts({ iommu: { interruptRemapping: false, interruptRemappingEvidence: 'DMAR-IR: IRQ remapping was disabled' } }),
    );
    expect(c.status).toBe('warn');
    expect(c.remedy).toContain('vfio_iommu_type1.allow_unsafe_interrupts=1');
    expect(c.remedy).toMatch(/trust/);
  });

  it('is unknown when the log was unreadable, and when it was silent', () => {
    const unreadable = checkInterruptRemapping(makeFacts({ iommu: { interruptRemapping: null, interruptRemappingEvidence: null, kernelLogSource: null } }));
    expect(unreadable.status).toBe('unknown');
    expect(unreadable.summary).toMatch(/could not be read/);
    const silent = checkInterruptRemapping(makeFacts({ iommu: { interruptRemapping: null, interruptRemappingEvidence: null } }));
    expect(silent.status).toBe('unknown');
    expect(silent.summary).toMatch(/says nothing/);
  });

  it('warns, pointing at the firmware, when no IOMMU is exposed at all', () => {
    const c = checkInterruptRemapping(
      makeFacts({ iommu: { firmware: false, firmwareTables: [], ...kernelOff, interruptRemapping: null, interruptRemappingEvidence: null } }),
    );
    expect(c.status).toBe('warn');
    expect(c.summary).toMatch(/firmware exposes no IOMMU/);
  });
});
