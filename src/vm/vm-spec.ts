// What the VM is: the user's choices for the last screen of the main path, with defaults taken from
// the host, and the validation of each field. Pure: the callers read the host (HostFacts,
// HostResources) and pass it in. Every export format and the create path start from a VmSpec.
import { isGpu } from '../host/pci-class.js';
import type { HostFacts } from '../host/types.js';
import type { HostResources } from './host-resources.js';

export type VmDisk =
  /** a new qcow2 volume `<name>.qcow2` of this size in a libvirt storage pool (virt-install creates it) */
  | { kind: 'new'; sizeGiB: number; pool: string }
  /** an existing image, used as is (never deleted by rollback) */
  | { kind: 'existing'; path: string }
  | { kind: 'none' };

export type VmInstall = { kind: 'iso'; path: string } | { kind: 'import' };
export type VmNetwork = { kind: 'nat'; network: string } | { kind: 'bridge'; bridge: string } | { kind: 'none' };
export type VmDisplay = 'none' | 'vnc' | 'spice';
export interface VmMdev {
  uuid: string;
  /** the parent under sys/class/mdev_bus: a PCI address or a name (mtty) */
  parent: string;
}

export interface VmFirmware {
  /** ask for a Secure Boot capable OVMF with Microsoft keys enrolled */
  secureBoot: boolean;
  /**
   * explicit OVMF code and variable-store template. null: let libvirt choose from the firmware
   * descriptors in /usr/share/qemu/firmware (`<os firmware='efi'>`), the modern way.
   */
  loader: { code: string; vars: string | null } | null;
}

export interface VmSpec {
  name: string;
  memoryMiB: number;
  vcpus: number;
  disk: VmDisk;
  install: VmInstall;
  /** libosinfo short id ("debian12", "win11") or "generic" */
  osVariant: string;
  network: VmNetwork;
  firmware: VmFirmware;
  display: VmDisplay;
  /** full PCI addresses of every function passed through, sorted */
  devices: string[];
  /** mediated devices given to the VM (their parent stays with the host): UUID and parent name */
  mdevs: VmMdev[];
  /** hide the KVM signature from the guest (old NVIDIA drivers refuse to start in a VM: "error 43") */
  kvmHidden: boolean;
  /** Hyper-V vendor_id (≤ 12 characters) for old NVIDIA drivers in Windows guests; null: not set */
  hypervVendorId: string | null;
  /** libvirt connection URI */
  connect: string;
}

export const DEFAULT_URI = 'qemu:///system';
export const MAX_NAME = 64;
export const MIN_MEMORY_MIB = 256;
const GIB_MIB = 1024;

// libvirt accepts more, but these survive shells, file names (NAME.qcow2, NAME_VARS.fd) and
// Vagrant's define names unquoted.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** null when usable as a libvirt domain name here, else why not. */
export function nameProblem(name: string): string | null {
  if (name === '') return 'The name is empty.';
  if (name.length > MAX_NAME) return `The name is ${name.length} characters long; at most ${MAX_NAME}.`;
  if (!NAME.test(name)) return 'Use letters, digits and _ . + - only, starting with a letter or digit.';
  return null;
}

/** "8192", "8192M", "8192MiB", "8G", "8GiB", "1.5G" → MiB; null when it is not a size. */
export function parseMemoryMiB(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(m|mb|mib|g|gb|gib)?\s*$/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const mib = unit.startsWith('g') ? n * GIB_MIB : n;
  return Number.isFinite(mib) && Number.isInteger(mib) ? mib : null;
}

/** null when the memory fits the host, else why not. */
export function memoryProblem(mib: number | null, hostKiB: number | null): string | null {
  if (mib === null || !Number.isInteger(mib)) return 'Give the memory as MiB (8192) or with a unit (8G).';
  if (mib < MIN_MEMORY_MIB) return `At least ${MIN_MEMORY_MIB} MiB; a UEFI guest does not boot with less.`;
  if (hostKiB !== null) {
    const hostMiB = Math.floor(hostKiB / 1024);
    if (mib >= hostMiB) return `The host has ${hostMiB} MiB in all; leave some for the host itself.`;
  }
  return null;
}

export function vcpusProblem(n: number | null, hostThreads: number | null): string | null {
  if (n === null || !Number.isInteger(n) || n < 1) return 'Give a whole number of virtual CPUs, at least 1.';
  if (hostThreads !== null && n > hostThreads) return `The host has ${hostThreads} logical CPUs; give at most that many.`;
  return null;
}

/** Libvirt defaults sized for the host: memory min(8 GiB, half the RAM), vCPUs min(4, threads − 1). */
export function defaultMemoryMiB(r: HostResources): number {
  if (r.memTotalKiB === null) return 4 * GIB_MIB;
  const half = Math.floor(r.memTotalKiB / 1024 / 2);
  return Math.max(MIN_MEMORY_MIB, Math.min(8 * GIB_MIB, half));
}

export function defaultVcpus(r: HostResources): number {
  if (r.threads === null) return 2;
  return Math.max(1, Math.min(4, r.threads - 1));
}

/** No emulated display when a GPU is passed: the guest's screen is the card's own output. */
export function defaultDisplay(facts: Pick<HostFacts, 'devices'>, devices: readonly string[]): VmDisplay {
  const sel = new Set(devices);
  return facts.devices.some((d) => sel.has(d.address) && isGpu(d.class)) ? 'none' : 'vnc';
}

export function defaultVmSpec(facts: Pick<HostFacts, 'devices'>, resources: HostResources, devices: readonly string[], name = 'vfio-vm'): VmSpec {
  return {
    name,
    memoryMiB: defaultMemoryMiB(resources),
    vcpus: defaultVcpus(resources),
    disk: { kind: 'new', sizeGiB: 40, pool: 'default' },
    install: { kind: 'import' },
    osVariant: 'generic',
    network: { kind: 'nat', network: 'default' },
    firmware: { secureBoot: false, loader: null },
    display: defaultDisplay(facts, devices),
    devices: [...devices],
    mdevs: [],
    kvmHidden: false,
    hypervVendorId: null,
    connect: DEFAULT_URI,
  };
}

const VENDOR_ID = /^[A-Za-z0-9]{1,12}$/;
const BRIDGE = /^[A-Za-z0-9_.:-]{1,15}$/;

/** Every problem with a spec, as "field: message" lines; empty when it can be built. */
export function specProblems(spec: VmSpec, r: HostResources = { memTotalKiB: null, threads: null }): string[] {
  const out: string[] = [];
  const add = (field: string, p: string | null) => {
    if (p !== null) out.push(`${field}: ${p}`);
  };
  add('name', nameProblem(spec.name));
  add('memory', memoryProblem(spec.memoryMiB, r.memTotalKiB));
  add('vcpus', vcpusProblem(spec.vcpus, r.threads));
  if (spec.devices.length === 0 && spec.mdevs.length === 0) out.push('devices: no device or mediated device to pass through.');
  if (spec.disk.kind === 'new' && (!Number.isInteger(spec.disk.sizeGiB) || spec.disk.sizeGiB < 1)) out.push('disk: the new disk needs a whole number of GiB, at least 1.');
  if (spec.disk.kind === 'new' && nameProblem(spec.disk.pool) !== null) out.push('disk: not a storage pool name.');
  if (spec.disk.kind === 'existing' && !spec.disk.path.startsWith('/')) out.push('disk: give the image as an absolute path.');
  if (spec.install.kind === 'iso' && !spec.install.path.startsWith('/')) out.push('iso: give the ISO as an absolute path.');
  // virt-install and QEMU both split option values on commas; a path with one would be misread.
  const paths = [spec.disk.kind === 'existing' ? spec.disk.path : null, spec.install.kind === 'iso' ? spec.install.path : null, spec.firmware.loader?.code ?? null, spec.firmware.loader?.vars ?? null];
  if (paths.some((p) => p !== null && p.includes(','))) out.push('paths: a path with a comma cannot be passed to virt-install or QEMU; rename or link the file.');
  if (spec.install.kind === 'import' && spec.disk.kind === 'none') out.push('disk: --import boots from the disk, so it needs one (or give an ISO).');
  if (!/^[a-z0-9][a-z0-9.+_-]*$/i.test(spec.osVariant)) out.push('os-variant: not an osinfo short id (osinfo-query os lists them).');
  if (spec.network.kind === 'bridge' && !BRIDGE.test(spec.network.bridge)) out.push('network: not a bridge interface name.');
  if (spec.network.kind === 'nat' && nameProblem(spec.network.network) !== null) out.push('network: not a libvirt network name.');
  if (spec.hypervVendorId !== null && !VENDOR_ID.test(spec.hypervVendorId)) out.push('hyperv-vendor-id: 1 to 12 letters or digits.');
  return out;
}

/** The bus/slot/function parts of "0000:01:00.0", as numbers. */
export function addressParts(address: string): { domain: number; bus: number; slot: number; fn: number } {
  const m = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(address);
  if (!m) throw new Error(`not a full PCI address: ${address}`);
  return { domain: parseInt(m[1]!, 16), bus: parseInt(m[2]!, 16), slot: parseInt(m[3]!, 16), fn: parseInt(m[4]!, 16) };
}

/** libvirt's node device name: pci_0000_01_00_0. */
export const nodeDeviceName = (address: string): string => `pci_${address.replace(/[:.]/g, '_')}`;

/** libvirt's node device name of a mediated device: mdev_<uuid>_<parent>, dashes, colons and dots as _. */
export const mdevNodeDeviceName = (m: VmMdev): string => `mdev_${m.uuid.replace(/-/g, '_')}_${m.parent.replace(/[:.-]/g, '_')}`;

/** The volume virt-install creates for a new disk. */
export const newVolumeName = (spec: Pick<VmSpec, 'name'>): string => `${spec.name}.qcow2`;
