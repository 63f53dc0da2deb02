// Which PCI functions the host cannot give away: the controllers under /, /boot and the ESP
// (mountinfo → major:minor → sys/dev/block → walk up to the PCI function, through partitions and
// dm/LVM/md slaves), and the NIC carrying the default route (through bridges, bonds and VLANs).
import { realpathSync } from 'node:fs';
import { addressesInPath } from './pci-address.js';
import type { SystemRoot } from './root.js';
import { baseName, type SysReader } from './sysfs-read.js';
import type { HostCriticalFacts, HostCriticalReason, PciDevice } from './types.js';

interface Mount {
  devno: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

export function parseMountinfo(text: string): Mount[] {
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 10 || dash < 0) continue;
    out.push({ devno: f[2]!, mountPoint: unescape(f[4]!), fsType: f[dash + 1] ?? '', source: f[dash + 2] ?? '' });
  }
  return out;
}

/** mountinfo escapes space, tab, newline and backslash as octal */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** Resolved path, or null when missing or when a link leads out of a non-live root (an absolute
 * link in a copied tree must not make the scan read this host's /sys). */
function resolvedIn(root: SystemRoot, p: string): string | null {
  try {
    const real = realpathSync(p);
    if (root.live) return real;
    const top = realRoots.get(root.dir) ?? realpathSync(root.dir);
    realRoots.set(root.dir, top);
    return real === top || real.startsWith(`${top}/`) ? real : null;
  } catch {
    return null;
  }
}
const realRoots = new Map<string, string>();

/** PCI functions under a block device (following dm/md slaves), plus its kernel name. */
function blockToPci(root: SystemRoot, r: SysReader, real: string, depth = 0): string[] {
  const pci = addressesInPath(real);
  if (pci.length > 0) return [pci[pci.length - 1]!];
  if (depth > 4) return [];
  // dm-*/md* live under /sys/devices/virtual/block; their slaves are the real disks/partitions
  const out: string[] = [];
  for (const slave of r.list(`${real}/slaves`) ?? []) {
    const s = resolvedIn(root, root.at(`/sys/class/block/${slave}`));
    if (s) out.push(...blockToPci(root, r, s, depth + 1));
  }
  return out;
}

function mountBlock(root: SystemRoot, r: SysReader, m: Mount): string | null {
  const byDevno = resolvedIn(root, root.at(`/sys/dev/block/${m.devno}`));
  if (byDevno) return byDevno;
  // btrfs subvolumes and some other filesystems report an anonymous 0:N; use the source device
  if (m.source.startsWith('/dev/')) {
    const name = baseName(m.source);
    const byName = resolvedIn(root, root.at(`/sys/class/block/${name}`));
    if (byName) return byName;
    const viaDev = r.link(root.at(m.source));
    if (viaDev) return resolvedIn(root, root.at(`/sys/class/block/${baseName(viaDev)}`));
  }
  return null;
}

function defaultRouteInterface(root: SystemRoot, r: SysReader): string | null {
  const text = r.file(root.at('/proc/net/route'));
  let best: { ifname: string; metric: number } | null = null;
  if (text !== null) {
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 8 || f[1] !== '00000000' || f[7] !== '00000000') continue;
      const metric = Number(f[6]);
      if (best === null || metric < best.metric) best = { ifname: f[0]!, metric };
    }
  }
  if (best) return best.ifname;
  const v6 = r.file(root.at('/proc/net/ipv6_route'));
  if (v6 !== null) {
    for (const line of v6.split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 10 && /^0{32}$/.test(f[0]!) && f[1] === '00' && f[9] !== 'lo') return f[9]!;
    }
  }
  return null;
}

/** PCI functions behind a network interface: directly, or via bridge ports, bond slaves, lower devices. */
function netToPci(root: SystemRoot, r: SysReader, ifname: string, depth = 0): string[] {
  const base = root.at(`/sys/class/net/${ifname}`);
  const real = resolvedIn(root, base);
  if (real) {
    const pci = addressesInPath(real);
    if (pci.length > 0) return [pci[pci.length - 1]!];
  }
  if (depth > 3) return [];
  const lower = new Set<string>();
  for (const e of r.list(base) ?? []) if (e.startsWith('lower_')) lower.add(e.slice(6));
  for (const e of r.list(`${base}/brif`) ?? []) lower.add(e);
  for (const e of (r.text(`${base}/bonding/slaves`) ?? '').split(/\s+/)) if (e) lower.add(e);
  return [...lower].flatMap((l) => netToPci(root, r, l, depth + 1));
}

/** Fill HostCriticalFacts and mark PciDevice.hostCritical in place. */
export function scanHostCritical(root: SystemRoot, r: SysReader, devices: PciDevice[]): HostCriticalFacts {
  const byAddr = new Map(devices.map((d) => [d.address, d]));
  const mark = (addrs: string[], reason: HostCriticalReason, blockName?: string) => {
    for (const a of addrs) {
      const d = byAddr.get(a);
      if (!d) continue;
      if (!d.hostCritical.includes(reason)) d.hostCritical.push(reason);
      if (blockName && !d.blockDevices.includes(blockName)) {
        d.blockDevices.push(blockName);
        d.blockDevices.sort();
      }
    }
  };

  const facts: HostCriticalFacts = {
    rootBlockDevice: null,
    bootBlockDevice: null,
    espBlockDevice: null,
    defaultRouteInterface: null,
  };
  const mi = r.file(root.at('/proc/self/mountinfo'));
  if (mi === null) {
    r.notes.push('/proc/self/mountinfo is absent or unreadable: the controllers holding /, /boot and the ESP are unknown');
  } else {
    const mounts = parseMountinfo(mi);
    // the last mount on a path is the visible one
    const at = (p: string) => mounts.filter((m) => m.mountPoint === p).pop() ?? null;
    const vfat = (m: Mount | null) => (m && m.fsType === 'vfat' ? m : null);
    const targets: [keyof HostCriticalFacts, HostCriticalReason, Mount | null][] = [
      ['rootBlockDevice', 'root-fs', at('/')],
      ['bootBlockDevice', 'boot-fs', at('/boot')],
      ['espBlockDevice', 'esp', vfat(at('/boot/efi')) ?? vfat(at('/efi')) ?? vfat(at('/boot'))],
    ];
    for (const [key, reason, m] of targets) {
      if (!m) continue;
      const real = mountBlock(root, r, m);
      if (!real) {
        r.notes.push(`${m.mountPoint} (${m.source}, ${m.devno}): no block device found in sysfs`);
        continue;
      }
      const name = baseName(real);
      facts[key] = name;
      const parts = real.split('/');
      // for a partition, the whole disk's name is the parent directory (nvme0n1 for nvme0n1p2)
      const disk = r.exists(`${real}/partition`) ? parts[parts.length - 2] : name;
      const direct = addressesInPath(real).length > 0;
      mark(blockToPci(root, r, real), reason, direct ? (disk ?? name) : undefined);
    }
  }

  const ifname = defaultRouteInterface(root, r);
  facts.defaultRouteInterface = ifname;
  if (ifname) mark(netToPci(root, r, ifname), 'default-route');
  return facts;
}
