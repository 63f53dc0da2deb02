// PCI class codes (the 6-hex-digit `class` value: class, subclass, prog-if) and the
// predicates the wizard needs. Names follow the PCI-SIG class code list used by pci.ids.

const CLASS_NAMES: Record<string, string> = {
  '00': 'Unclassified device',
  '01': 'Mass storage controller',
  '02': 'Network controller',
  '03': 'Display controller',
  '04': 'Multimedia controller',
  '05': 'Memory controller',
  '06': 'Bridge',
  '07': 'Communication controller',
  '08': 'Generic system peripheral',
  '09': 'Input device controller',
  '0a': 'Docking station',
  '0b': 'Processor',
  '0c': 'Serial bus controller',
  '0d': 'Wireless controller',
  '0e': 'Intelligent controller',
  '0f': 'Satellite communications controller',
  '10': 'Encryption controller',
  '11': 'Signal processing controller',
  '12': 'Processing accelerators',
  '13': 'Non-Essential Instrumentation',
  '40': 'Coprocessor',
  ff: 'Unassigned class',
};

const SUBCLASS_NAMES: Record<string, string> = {
  '0100': 'SCSI storage controller',
  '0101': 'IDE interface',
  '0104': 'RAID bus controller',
  '0106': 'SATA controller',
  '0107': 'Serial Attached SCSI controller',
  '0108': 'Non-Volatile memory controller',
  '0200': 'Ethernet controller',
  '0280': 'Network controller',
  '0300': 'VGA compatible controller',
  '0301': 'XGA compatible controller',
  '0302': '3D controller',
  '0380': 'Display controller',
  '0401': 'Multimedia audio controller',
  '0403': 'Audio device',
  '0480': 'Multimedia controller',
  '0500': 'RAM memory',
  '0600': 'Host bridge',
  '0601': 'ISA bridge',
  '0604': 'PCI bridge',
  '0680': 'Bridge',
  '0700': 'Serial controller',
  '0780': 'Communication controller',
  '0805': 'SD Host controller',
  '0880': 'System peripheral',
  '0b40': 'Co-processor',
  '0c03': 'USB controller',
  '0c05': 'SMBus',
  '0c80': 'Serial bus controller',
  '0c0a': 'USB4 Host Interface',
  '1080': 'Encryption controller',
  '1180': 'Signal processing controller',
  '1200': 'Processing accelerators',
  '1300': 'Non-Essential Instrumentation',
};

/** Normalise "0x030000", "0300", "030000" to 6 lower-case hex digits; null when not a class code. */
export function normaliseClass(raw: string): string | null {
  const s = raw.trim().toLowerCase().replace(/^0x/, '');
  if (/^[0-9a-f]{6}$/.test(s)) return s;
  if (/^[0-9a-f]{4}$/.test(s)) return `${s}00`;
  return null;
}

export function className(cls: string): string {
  return SUBCLASS_NAMES[cls.slice(0, 4)] ?? CLASS_NAMES[cls.slice(0, 2)] ?? `Class ${cls.slice(0, 4)}`;
}

/** VGA, XGA, 3D and "display" controllers (class 03xx) */
export const isGpu = (cls: string): boolean => cls.startsWith('03');
/**
 * processing accelerators (12xx: NPUs, FPGAs) and co-processors (0b40). Not signal processing
 * (11xx): on PCs that is the chipset's thermal, telemetry and performance-counter functions.
 */
export const isAccelerator = (cls: string): boolean => cls.startsWith('12') || cls.startsWith('0b40');
/** host bridges, PCI-to-PCI bridges, ISA bridges and the like (class 06xx) */
export const isBridge = (cls: string): boolean => cls.startsWith('06');
export const isAudio = (cls: string): boolean => cls.startsWith('0403') || cls.startsWith('0401');
export const isUsbController = (cls: string): boolean => cls.startsWith('0c03');
export const isNetwork = (cls: string): boolean => cls.startsWith('02');
export const isStorage = (cls: string): boolean => cls.startsWith('01');
/** what the device browser's "GPUs and accelerators" filter shows */
export const isGpuOrAccelerator = (cls: string): boolean => isGpu(cls) || isAccelerator(cls);
