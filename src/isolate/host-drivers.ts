// Which host kernel modules could claim a PCI function, so that each gets a
// `softdep <module> pre: vfio-pci` and vfio-pci is always loaded first.
//
// A function's candidates are its current driver plus the drivers known for its class and vendor.
// The current driver is a *driver* name (/sys/bus/pci/drivers/<name>), which is not always the
// module name: xhci-pci registers the PCI driver "xhci_hcd", i2c-nvidia-gpu registers "nvidia-gpu".
// softdep lines name modules, so drivers are mapped to modules first.
//
// Known drivers by class/vendor (what the table below encodes):
//   display (03xx), NVIDIA 10de: nouveau, nvidia, nvidia_drm, nvidia_modeset, nvidiafb
//   display, AMD 1002:            amdgpu, radeon
//   display, Intel 8086:          i915, xe
//   audio (0401/0403):            snd_hda_intel
//   USB (0c03):                   xhci_pci, xhci_hcd (xHCI); ehci_pci, ohci_pci, uhci_hcd by prog-if
//   serial bus (0c80), NVIDIA:    i2c_nvidia_gpu — the card's USB-C/UCSI function. ucsi_ccg then binds
//                                 to the I2C client i2c_nvidia_gpu creates, never to the PCI function,
//                                 so a softdep on ucsi_ccg would change nothing.
//   NVMe (0108):                  nvme
//   NICs, accelerators, others:   the current driver only (no safe guess exists)
import type { PciDevice } from '../host/types.js';

/** kmod treats "-" and "_" in module names as the same character. */
export function normaliseModuleName(name: string): string {
  return name.trim().replace(/-/g, '_');
}

/** Drivers that already mean "held for passthrough": never a softdep target. */
const PASSTHROUGH_DRIVERS = new Set(['vfio_pci', 'pci_stub', 'vfio_pci_core']);

/** PCI driver names whose module has another name (keys and values normalised). */
const DRIVER_MODULE: Record<string, string> = {
  xhci_hcd: 'xhci_pci',
  ehci_pci: 'ehci_pci',
  nvidia_gpu: 'i2c_nvidia_gpu',
  intel_lpss: 'intel_lpss_pci',
  i801_smbus: 'i2c_i801',
  piix4_smbus: 'i2c_piix4',
  pcieport: '',
};

/** The module behind a bound PCI driver, or null when it is part of the kernel (pcieport). */
export function driverModule(driver: string): string | null {
  const d = normaliseModuleName(driver);
  const mapped = DRIVER_MODULE[d];
  if (mapped === '') return null;
  return mapped ?? d;
}

export interface CandidateDriver {
  module: string;
  /** why this module could claim the function */
  reason: string;
}

function knownForClass(dev: PciDevice): CandidateDriver[] {
  const cls = dev.class;
  const out = (mods: string[], reason: string) => mods.map((module) => ({ module, reason }));
  if (cls.startsWith('03')) {
    if (dev.vendor === '10de') return out(['nouveau', 'nvidia', 'nvidia_drm', 'nvidia_modeset', 'nvidiafb'], 'NVIDIA display drivers');
    if (dev.vendor === '1002') return out(['amdgpu', 'radeon'], 'AMD display drivers');
    if (dev.vendor === '8086') return out(['i915', 'xe'], 'Intel display drivers');
    return [];
  }
  if (cls.startsWith('0401') || cls.startsWith('0403')) return out(['snd_hda_intel'], 'HD audio driver');
  if (cls.startsWith('0c03')) {
    const progIf = cls.slice(4, 6);
    const legacy: Record<string, string> = { '00': 'uhci_hcd', '10': 'ohci_pci', '20': 'ehci_pci' };
    // captures without prog-if read as 0c0300; most cards' USB functions are xHCI (prog-if 30)
    return [...out(['xhci_pci', 'xhci_hcd'], 'USB 3 (xHCI) host driver'), ...(legacy[progIf] ? out([legacy[progIf]!], 'USB host driver for this prog-if') : [])];
  }
  if (cls.startsWith('0c80') && dev.vendor === '10de') return out(['i2c_nvidia_gpu'], "NVIDIA USB-C/UCSI function's I2C driver");
  if (cls.startsWith('0108')) return out(['nvme'], 'NVMe driver');
  return [];
}

/**
 * Every module that could claim this function, current driver first, then the modules whose
 * modules.alias entries match it (when the caller has the kernel's alias table), then the known
 * ones for its class and vendor; without duplicates.
 */
export function candidateDrivers(dev: PciDevice, aliasModules: readonly string[] = []): CandidateDriver[] {
  const found: CandidateDriver[] = [];
  const seen = new Set<string>();
  const add = (c: CandidateDriver) => {
    const m = normaliseModuleName(c.module);
    if (PASSTHROUGH_DRIVERS.has(m) || seen.has(m)) return;
    seen.add(m);
    found.push({ module: m, reason: c.reason });
  };
  if (dev.driver) {
    const mod = driverModule(dev.driver);
    if (mod) add({ module: mod, reason: `bound to ${dev.address} now (driver ${dev.driver})` });
  }
  for (const m of aliasModules) add({ module: m, reason: `the kernel's modules.alias matches ${dev.address} to it` });
  for (const c of knownForClass(dev)) add(c);
  return found;
}

/** The union of candidate modules over a selection, in first-seen order. */
export function softdepModules(devices: readonly PciDevice[], aliasModules: Readonly<Record<string, readonly string[]>> = {}): CandidateDriver[] {
  const out = new Map<string, CandidateDriver>();
  for (const d of devices) for (const c of candidateDrivers(d, aliasModules[d.address])) if (!out.has(c.module)) out.set(c.module, c);
  return [...out.values()];
}
