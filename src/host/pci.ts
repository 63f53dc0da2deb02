// PCI functions from sys/bus/pci/devices. Speed matters (a 1,024-function server should scan
// about as fast as lspci), so each function costs a handful of system calls: identity and driver
// come from the one-file `uevent` (DRIVER, PCI_ID, PCI_SUBSYS_ID, PCI_CLASS), with the separate
// vendor/device/class files and the driver link as the fallback for trees that lack it, and
// optional attributes are probed only where the kernel can create them. `config` and `rom` are
// never read: reading them can wake or disturb a device.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { className as classNameOf, isBridge as isBridgeClass, normaliseClass } from './pci-class.js';
import { addressesInPath, compareAddress, isPciAddress } from './pci-address.js';
import type { PciNames } from './pci-ids.js';
import type { SystemRoot } from './root.js';
import { baseName, type SysReader } from './sysfs-read.js';
import type { IommuGroup, LargeBar, PciDevice, SriovFacts } from './types.js';

const FOUR_GIB = 4 * 1024 * 1024 * 1024;
const BAR_WINDOW = 256 * 1024 * 1024;
const IORESOURCE_MEM = 0x200;
const NVME_NAMESPACE = /^nvme\d+(?:c\d+)?n\d+$/;
const VIRTIO_VENDOR = '1af4';
/** classes whose drivers offer mediated devices: GPUs (vGPU, GVT-g), accelerators, DSPs */
const MDEV_CLASSES = ['03', '12', '0b40', '11'];

const hexId = (raw: string | null): string | null => {
  if (raw === null) return null;
  const s = raw.trim().toLowerCase().replace(/^0x/, '');
  return /^[0-9a-f]{1,4}$/.test(s) ? s.padStart(4, '0') : null;
};

/** a count or number the kernel prints in decimal (group numbers, VF counts): never negative */
const intOrNull = (raw: string | null): number | null => {
  if (raw === null) return null;
  const t = raw.trim();
  return /^\d{1,9}$/.test(t) ? Number(t) : null;
};

export interface Identity {
  /** DRIVER= is present exactly when a driver is bound; its value is the driver link's name */
  driver: string | null;
  vendor: string | null;
  device: string | null;
  subsystemVendor: string | null;
  subsystemDevice: string | null;
  class: string | null;
}

/** The value of the last `KEY=` line (key given with its "=") in a uevent text, trimmed; null without one. */
function ueventValue(text: string, key: string): string | null {
  let at = text.lastIndexOf(key);
  // only at the start of a line
  while (at > 0 && text.charCodeAt(at - 1) !== 10) at = text.lastIndexOf(key, at - 1);
  if (at < 0) return null;
  const start = at + key.length;
  const nl = text.indexOf('\n', start);
  return text.slice(start, nl < 0 ? text.length : nl).trim();
}

/** "10DE:1B06" → ["10de", "1b06"]; each null when it is not a 1–4 digit hex ID */
function idPair(value: string | null): [string | null, string | null] {
  if (value === null) return [null, null];
  const c = value.indexOf(':');
  if (c < 0) return [hexId(value), null];
  const c2 = value.indexOf(':', c + 1);
  return [hexId(value.slice(0, c)), hexId(value.slice(c + 1, c2 < 0 ? value.length : c2))];
}

/**
 * Identity from a uevent text. Found by searching the text for the four keys, not by splitting
 * it into lines: on a 1,024-function server the lines were most of the scan's garbage.
 */
export function parseUevent(text: string): Identity {
  const driver = ueventValue(text, 'DRIVER=');
  const [vendor, device] = idPair(ueventValue(text, 'PCI_ID='));
  const [subsystemVendor, subsystemDevice] = idPair(ueventValue(text, 'PCI_SUBSYS_ID='));
  const cls = ueventValue(text, 'PCI_CLASS=')?.toLowerCase() ?? null;
  return {
    driver: driver || null,
    vendor,
    device,
    subsystemVendor,
    subsystemDevice,
    class: cls !== null && /^[0-9a-f]{1,6}$/.test(cls) ? cls.padStart(6, '0') : null,
  };
}

const NO_LARGE_BARS: readonly LargeBar[] = Object.freeze([]);

/**
 * The memory BARs (resource lines 0–5) that are large in the sense that matters for passthrough:
 * bigger than the classic 256 MiB window (Resizable BAR, compute cards), or 256 MiB and placed
 * above 4 GiB. Small 64-bit BARs above 4 GiB (virtio, NVMe doorbells) are ordinary and not listed.
 * Nearly every function has none: those share one frozen empty list.
 */
export function largeBars(resource: string): readonly LargeBar[] {
  let found: LargeBar[] | null = null;
  let at = 0;
  for (let i = 0; i < 6 && at < resource.length; i++) {
    const nl = resource.indexOf('\n', at);
    const line = resource.slice(at, nl < 0 ? resource.length : nl).trim();
    at = nl < 0 ? resource.length : nl + 1;
    // "start end flags", one space apart; the fields are cut out by index, not split
    const sp1 = line.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
    if (sp2 < 0) continue;
    const sp3 = line.indexOf(' ', sp2 + 1);
    const fEnd = sp3 < 0 ? line.length : sp3;
    if (sp1 === 0 || sp2 === sp1 + 1 || fEnd === sp2 + 1) continue;
    const start = Number.parseInt(line.slice(0, sp1), 16);
    const end = Number.parseInt(line.slice(sp1 + 1, sp2), 16);
    const flags = Number.parseInt(line.slice(sp2 + 1, fEnd), 16);
    if (!(flags & IORESOURCE_MEM) || (start === 0 && end === 0)) continue;
    const size = end - start + 1;
    if (size > BAR_WINDOW || (size === BAR_WINDOW && start >= FOUR_GIB)) (found ??= []).push({ bar: i, start: `0x${start.toString(16)}`, size });
  }
  return found ?? NO_LARGE_BARS;
}

/**
 * A relative link target resolved from `dir`, as path.resolve(dir, target) — by cutting one
 * component per leading "../" for the usual "../../../devices/…", and by path.resolve itself for
 * anything else (absolute, "./", "//", a "." inside, the root directory, running out of components).
 */
export function resolveLink(dir: string, target: string): string {
  let d = dir;
  let t = target;
  while (t.startsWith('../')) {
    const slash = d.lastIndexOf('/');
    if (slash <= 0) return path.resolve(dir, target);
    d = d.slice(0, slash);
    t = t.slice(3);
  }
  if (d.endsWith('/') || t === '' || t.startsWith('.') || t.startsWith('/') || t.endsWith('/') || t.includes('/.') || t.includes('//')) return path.resolve(dir, target);
  return `${d}/${t}`;
}

export interface PciScan {
  devices: PciDevice[];
  groups: IommuGroup[];
}

export function scanPci(root: SystemRoot, r: SysReader, names: PciNames | null): PciScan {
  const busDir = root.at('/sys/bus/pci/devices');
  let entries: { name: string; link: boolean }[];
  try {
    entries = readdirSync(busDir, { withFileTypes: true }).map((d) => ({ name: d.name, link: d.isSymbolicLink() }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    r.notes.push(
      code === 'ENOENT' ? '/sys/bus/pci/devices is absent: no PCI devices were read' : `cannot list /sys/bus/pci/devices: ${code ?? String(e)}`,
    );
    return { devices: [], groups: [] };
  }

  const devices: PciDevice[] = [];
  const groupMap = new Map<number, string[]>();
  // with the IOMMU off no device has an iommu_group link; skip 1,000 failing readlinks
  const groupsExist = (r.list(root.at('/sys/kernel/iommu_groups')) ?? []).length > 0;

  // address order puts every physical function before its virtual functions (a VF's routing ID is
  // the PF's plus a non-zero offset), so VFs are known by the time they are reached
  entries = entries.filter((e) => isPciAddress(e.name)).sort((a, b) => compareAddress(a.name, b.name));
  const pfOf = new Map<string, string>();

  for (const { name: address, link } of entries) {
    // the resolved location (…/pci0000:00/0000:00:01.0/0000:01:00.0) gives the bridge chain, and
    // opening attributes through it spares the kernel a symlink walk per file
    const target = link ? r.link(`${busDir}/${address}`) : null;
    // an absolute link in a copied tree names a path inside that system, never this host's /sys
    const dir = target === null ? `${busDir}/${address}` : target.startsWith('/') ? root.at(target) : resolveLink(busDir, target);
    const chain = target ? addressesInPath(target) : [];
    const parents = chain.length > 0 && chain[chain.length - 1] === address ? chain.slice(0, -1) : [];
    const read = (f: string) => r.text(`${dir}/${f}`);

    const ue = read('uevent');
    const id = ue !== null ? parseUevent(ue) : null;
    const readVendor = id?.vendor ?? hexId(read('vendor'));
    const readDevice = id?.device ?? hexId(read('device'));
    let readCls = id?.class ?? null;
    if (readCls === null) {
      const raw = read('class');
      readCls = raw === null ? null : normaliseClass(raw);
    }

    const groupLink = groupsExist ? r.link(`${dir}/iommu_group`) : null;
    const iommuGroup = groupLink === null ? null : intOrNull(baseName(groupLink));
    if (groupLink !== null && iommuGroup === null) r.notes.push(`${address}: odd iommu_group link ${groupLink}`);
    if (iommuGroup !== null) {
      const members = groupMap.get(iommuGroup);
      if (members) members.push(address);
      else groupMap.set(iommuGroup, [address]);
    }

    // an unidentifiable function stays in the list — it still counts in its IOMMU group, and the
    // group guards must see it — with PCI's "no device" IDs and the "unassigned" class, marked so
    // that nothing selects it
    const unreadable = readVendor === null || readDevice === null || readCls === null;
    if (unreadable) r.notes.push(`${address}: vendor, device or class unreadable; listed as an unidentified device, which cannot be selected`);
    const vendor = readVendor ?? 'ffff';
    const device = readDevice ?? 'ffff';
    const cls = readCls ?? 'ff0000';
    const subsystemVendor = id ? id.subsystemVendor : hexId(read('subsystem_vendor'));
    const subsystemDevice = id ? id.subsystemDevice : hexId(read('subsystem_device'));
    const revRaw = read('revision');
    const revision = revRaw === null ? null : (hexId(revRaw)?.slice(2) ?? null);
    // a uevent without its PCI_ID is not the kernel's: the driver link says which driver is bound
    const driverLink = id !== null && id.vendor !== null ? id.driver : r.link(`${dir}/driver`);
    // present on nearly every function of a current kernel, so read it without a stat first
    const resetRaw = read('reset_method');
    const resourceRaw = read('resource');
    const bars = resourceRaw === null ? NO_LARGE_BARS : largeBars(resourceRaw);

    // Optional attributes are probed by class instead of listing every directory: the kernel
    // creates boot_vga only for VGA devices, SR-IOV never sits on bridges, and net/block
    // children belong to network and storage functions.
    const bridge = isBridgeClass(cls);
    const bootVgaRaw = cls.startsWith('0300') ? read('boot_vga') : null;
    let sriov: SriovFacts | null = null;
    const physfn = pfOf.get(address) ?? null;
    if (!bridge && physfn === null && r.exists(`${dir}/sriov_totalvfs`)) {
      const numVfs = intOrNull(read('sriov_numvfs'));
      const virtfns: string[] = [];
      for (let i = 0; i < (numVfs ?? 0); i++) {
        const t = r.link(`${dir}/virtfn${i}`);
        if (t === null) continue;
        virtfns.push(baseName(t));
        pfOf.set(baseName(t), address);
      }
      sriov = { totalVfs: intOrNull(read('sriov_totalvfs')), numVfs, virtfns };
    }
    // mediated device types, network interfaces and disks are all created by a bound driver
    const bound = driverLink !== null;
    const mdev = bound && MDEV_CLASSES.some((c) => cls.startsWith(c)) && r.exists(`${dir}/mdev_supported_types`);

    const netInterfaces: string[] = [];
    const blockDevices: string[] = [];
    if (bound && cls.startsWith('02')) netInterfaces.push(...(r.optionalList(`${dir}/net`) ?? []));
    if (bound && cls.startsWith('01')) {
      blockDevices.push(...(r.optionalList(`${dir}/block`) ?? []));
      for (const ctrl of r.optionalList(`${dir}/nvme`) ?? []) {
        for (const ns of r.list(`${dir}/nvme/${ctrl}`) ?? []) if (NVME_NAMESPACE.test(ns)) blockDevices.push(ns);
      }
    }
    if (bound && vendor === VIRTIO_VENDOR) {
      // virtio functions keep their net/block children one level down (…/0000:00:02.0/virtio1/block/vda)
      for (const f of r.list(dir) ?? []) {
        if (!f.startsWith('virtio')) continue;
        netInterfaces.push(...(r.optionalList(`${dir}/${f}/net`) ?? []));
        blockDevices.push(...(r.optionalList(`${dir}/${f}/block`) ?? []));
      }
    }

    const vendorName = unreadable ? null : (names?.vendor(vendor) ?? null);
    const deviceName = unreadable ? null : (names?.device(vendor, device) ?? null);
    devices.push({
      address,
      vendor,
      device,
      subsystemVendor,
      subsystemDevice,
      class: cls,
      revision,
      driver: driverLink === null ? null : baseName(driverLink),
      iommuGroup,
      bootVga: bootVgaRaw !== null && bootVgaRaw.trim() === '1',
      // the kernel's method names (flr, pm, bus, device_specific …); anything else is not one
      resetMethods: resetRaw === null ? null : resetRaw.trim().split(/\s+/).filter((m) => /^[a-z][a-z0-9_]{0,31}$/.test(m)),
      sriov,
      physfn,
      mdevSupportedTypes: mdev,
      parents,
      isBridge: bridge,
      largeBar: bars.length > 0,
      largeBars: bars,
      vendorName,
      deviceName,
      className: classNameOf(cls),
      name: unreadable ? 'Unidentified device (its IDs could not be read)' : displayName(vendor, device, vendorName, deviceName),
      ...(unreadable ? { unreadable: true as const } : {}),
      hostCritical: [],
      netInterfaces: netInterfaces.sort(),
      blockDevices: blockDevices.sort(),
    });
  }

  const groups: IommuGroup[] = [...groupMap.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, members]) => ({ id, devices: members.sort(compareAddress) }));
  return { devices, groups };
}

/** lspci's naming: "Vendor Device-name", "Vendor Device 0000" or "Device 1ed2:0000". */
export function displayName(vendor: string, device: string, vendorName: string | null, deviceName: string | null): string {
  if (vendorName && deviceName) return `${vendorName} ${deviceName}`;
  if (vendorName) return `${vendorName} Device ${device}`;
  return `Device ${vendor}:${device}`;
}
