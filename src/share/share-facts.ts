// What the host offers for sharing a device instead of giving it away whole, read under --root
// (read-only): mediated-device parents and their types (sys/class/mdev_bus — PCI GPUs, and
// non-PCI parents such as the kernel's sample mtty), the mdevs that exist (sys/bus/mdev/devices),
// the ones mdevctl keeps defined (etc/mdevctl.d/<parent>/<uuid>), and NVIDIA's vGPU interface on
// SR-IOV virtual functions (nvidia/creatable_vgpu_types, nvidia/current_vgpu_type). SR-IOV
// itself (sriov_totalvfs / sriov_numvfs / virtfn links) is in the PCI scan (HostFacts).
import type { SystemRoot } from '../host/root.js';
import { baseName, SysReader } from '../host/sysfs-read.js';
import type { HostFacts } from '../host/types.js';

export interface MdevType {
  /** the directory name under mdev_supported_types ("nvidia-222", "i915-GVTg_V5_4", "mtty-2") */
  id: string;
  name: string | null;
  description: string | null;
  /** how many more instances of this type can be created now; null when unreadable */
  availableInstances: number | null;
  deviceApi: string | null;
  /** UUIDs of the instances of this type that exist */
  instances: string[];
}

export interface MdevParent {
  /** the name under sys/class/mdev_bus: a PCI address, or the device's own name ("mtty") */
  name: string;
  /** the parent is a PCI function (its name is its address) */
  pci: boolean;
  types: MdevType[];
}

export interface MdevInstance {
  uuid: string;
  parent: string | null;
  type: string | null;
  iommuGroup: number | null;
  driver: string | null;
}

export interface MdevctlDefinition {
  uuid: string;
  parent: string;
  type: string | null;
  /** auto: started at boot by mdevctl's udev rule */
  start: string | null;
}

export interface NvidiaVfVgpu {
  /** the VF's PCI address */
  address: string;
  creatable: { id: number; name: string }[];
  /** the vGPU type the VF has now; 0 (or null when unreadable) means none */
  current: number | null;
}

export interface ShareFacts {
  parents: MdevParent[];
  mdevs: MdevInstance[];
  mdevctl: { installed: boolean; defined: MdevctlDefinition[] };
  nvidiaVfs: NvidiaVfVgpu[];
  /** MIG mode per GPU, from nvidia-smi when it is installed and was asked (empty otherwise) */
  mig: { address: string; enabled: boolean }[];
}

/** `nvidia-smi --query-gpu=pci.bus_id,mig.mode.current --format=csv,noheader`: "00000000:3B:00.0, Enabled". */
export function parseNvidiaSmiMig(text: string): { address: string; enabled: boolean }[] {
  const out: { address: string; enabled: boolean }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:[0-9a-f]*([0-9a-f]{4})):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])\s*,\s*(.+?)\s*$/i.exec(line);
    if (m) out.push({ address: `${m[1]}:${m[2]}:${m[3]}.${m[4]}`.toLowerCase(), enabled: /^enabled$/i.test(m[5]!) });
  }
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);

const intOrNull = (s: string | null): number | null => (s !== null && /^\s*\d+\s*$/.test(s) ? Number(s) : null);
const textOrNull = (s: string | null): string | null => (s === null ? null : s.trim() || null);

/** `ID : vGPU Name` rows of nvidia/creatable_vgpu_types (the header row and blank lines skipped). */
export function parseCreatableVgpuTypes(text: string): { id: number; name: string }[] {
  const out: { id: number; name: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s*:\s*(.+?)\s*$/.exec(line);
    if (m) out.push({ id: Number(m[1]), name: m[2]! });
  }
  return out;
}

/** `mdevctl list --dumpjson` (and `--defined`): [{ parent: [{ uuid: { mdev_type, start, … } }] }]. */
export function parseMdevctlJson(text: string): MdevctlDefinition[] {
  const out: MdevctlDefinition[] = [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return out;
  }
  for (const byParent of Array.isArray(doc) ? doc : []) {
    if (typeof byParent !== 'object' || byParent === null) continue;
    for (const [parent, list] of Object.entries(byParent as Record<string, unknown>)) {
      for (const item of Array.isArray(list) ? list : []) {
        if (typeof item !== 'object' || item === null) continue;
        for (const [uuid, cfg] of Object.entries(item as Record<string, unknown>)) {
          const c = (typeof cfg === 'object' && cfg !== null ? cfg : {}) as Record<string, unknown>;
          out.push({ uuid, parent, type: typeof c.mdev_type === 'string' ? c.mdev_type : null, start: typeof c.start === 'string' ? c.start : null });
        }
      }
    }
  }
  return out;
}

function readTypes(r: SysReader, dir: string): MdevType[] {
  const base = `${dir}/mdev_supported_types`;
  return (r.optionalList(base) ?? []).sort().map((id) => ({
    id,
    name: textOrNull(r.optionalText(`${base}/${id}/name`)),
    description: textOrNull(r.optionalText(`${base}/${id}/description`)),
    availableInstances: intOrNull(r.optionalText(`${base}/${id}/available_instances`)),
    deviceApi: textOrNull(r.optionalText(`${base}/${id}/device_api`)),
    instances: (r.optionalList(`${base}/${id}/devices`) ?? []).filter(isUuid).sort(),
  }));
}

export function readShareFacts(root: SystemRoot, facts: Pick<HostFacts, 'devices'>): ShareFacts {
  const r = new SysReader(root.live ? '' : root.dir);
  const parents: MdevParent[] = (r.optionalList(root.at('/sys/class/mdev_bus')) ?? []).sort().map((name) => ({
    name,
    pci: facts.devices.some((d) => d.address === name),
    types: readTypes(r, root.at(`/sys/class/mdev_bus/${name}`)),
  }));
  const mdevs: MdevInstance[] = (r.optionalList(root.at('/sys/bus/mdev/devices')) ?? [])
    .filter(isUuid)
    .sort()
    .map((uuid) => {
      const dir = root.at(`/sys/bus/mdev/devices/${uuid}`);
      const type = r.link(`${dir}/mdev_type`);
      // the mdev's directory sits inside its parent's: …/<parent>/<uuid>
      const real = r.link(dir);
      const parentDir = real ? real.split('/').slice(-2, -1)[0] ?? null : null;
      const group = r.link(`${dir}/iommu_group`);
      const driver = r.link(`${dir}/driver`);
      return { uuid, parent: parentDir, type: type ? baseName(type) : null, iommuGroup: group ? intOrNull(baseName(group)) : null, driver: driver ? baseName(driver) : null };
    });
  const defined: MdevctlDefinition[] = [];
  for (const parent of (r.optionalList(root.at('/etc/mdevctl.d')) ?? []).sort()) {
    if (parent === 'scripts.d') continue;
    for (const uuid of (r.optionalList(root.at(`/etc/mdevctl.d/${parent}`)) ?? []).filter(isUuid).sort()) {
      let cfg: Record<string, unknown> = {};
      try {
        cfg = JSON.parse(r.optionalText(root.at(`/etc/mdevctl.d/${parent}/${uuid}`)) ?? '{}') as Record<string, unknown>;
      } catch {
        // an unreadable definition still names the device; its type stays unknown
      }
      defined.push({ uuid, parent, type: typeof cfg.mdev_type === 'string' ? cfg.mdev_type : null, start: typeof cfg.start === 'string' ? cfg.start : null });
    }
  }
  const installed = ['/usr/sbin/mdevctl', '/usr/bin/mdevctl', '/sbin/mdevctl', '/bin/mdevctl'].some((p) => r.exists(root.at(p)));
  const nvidiaVfs: NvidiaVfVgpu[] = [];
  for (const d of facts.devices) {
    if (d.physfn === null || d.vendor !== '10de') continue;
    const dir = root.at(`/sys/bus/pci/devices/${d.address}/nvidia`);
    const creatable = r.optionalText(`${dir}/creatable_vgpu_types`);
    if (creatable === null) continue;
    nvidiaVfs.push({ address: d.address, creatable: parseCreatableVgpuTypes(creatable), current: intOrNull(r.optionalText(`${dir}/current_vgpu_type`)) });
  }
  return { parents, mdevs, mdevctl: { installed, defined }, nvidiaVfs, mig: [] };
}
