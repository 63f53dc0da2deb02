// Before virt-install runs: what can be judged from the scanned facts (IOMMU groups, OVMF on disk)
// and what needs libvirt (reachable, the name free, room in the pool), as findings with a remedy.
// The fact part is pure; the probes go through a Runner and change nothing.
import type { HostFacts } from '../host/types.js';
import type { Runner } from '../run/types.js';
import { pickOvmf, type OvmfFindings } from './ovmf.js';
import { newVolumeName, type VmSpec } from './vm-spec.js';
import { harmlessBridge } from '../isolate/group-rules.js';

export type FindingStatus = 'ok' | 'warn' | 'fail';

export interface Finding {
  id: string;
  status: FindingStatus;
  message: string;
  remedy?: string;
}

const DRIVER_FREE = new Set(['vfio-pci', 'vfio_pci', 'pci-stub', 'pci_stub']);
const hostDriver = (driver: string | null) => driver !== null && !DRIVER_FREE.has(driver);

/** IOMMU group viability: every endpoint sharing a selected device's group must be on vfio-pci or driverless. */
export function groupFindings(facts: Pick<HostFacts, 'devices'>, devices: readonly string[]): Finding[] {
  const sel = new Set(devices);
  const chosen = facts.devices.filter((d) => sel.has(d.address));
  const out: Finding[] = [];
  const missing = devices.filter((a) => !chosen.some((d) => d.address === a));
  if (missing.length > 0) out.push({ id: 'device-missing', status: 'fail', message: `not on this host: ${missing.join(', ')}`, remedy: 'Run vfio-wizard scan for the addresses.' });
  const noGroup = chosen.filter((d) => d.iommuGroup === null);
  if (noGroup.length > 0) {
    out.push({
      id: 'no-iommu-group',
      status: 'fail',
      message: `${noGroup.map((d) => d.address).join(', ')} ${noGroup.length === 1 ? 'has' : 'have'} no IOMMU group: the IOMMU is off`,
      remedy: 'Apply the kernel command line step (on Intel it adds intel_iommu=on; AMD needs no parameter), check that the IOMMU is on in the firmware, reboot, then come back.',
    });
  }
  const groups = [...new Set(chosen.map((d) => d.iommuGroup).filter((g): g is number => g !== null))].sort((a, b) => a - b);
  for (const g of groups) {
    const blockers = facts.devices.filter((d) => d.iommuGroup === g && !sel.has(d.address) && !harmlessBridge(d) && hostDriver(d.driver));
    if (blockers.length > 0) {
      out.push({
        id: `group-${g}`,
        status: 'fail',
        message: `group ${g} is not viable: ${blockers.map((d) => `${d.address} (${d.driver})`).join(', ')} ${blockers.length === 1 ? 'shares' : 'share'} it`,
        remedy: 'Pass those devices too, bind them to vfio-pci (the isolate step), or move the card to a slot with its own group. libvirt would refuse to start the VM.',
      });
    } else {
      out.push({ id: `group-${g}`, status: 'ok', message: `group ${g} is viable` });
    }
  }
  const driven = chosen.filter((d) => hostDriver(d.driver));
  if (driven.length > 0) {
    out.push({
      id: 'host-driver',
      status: 'warn',
      message: `${driven.map((d) => `${d.address} (${d.driver})`).join(', ')} still ${driven.length === 1 ? 'has' : 'have'} a host driver; libvirt detaches ${driven.length === 1 ? 'it' : 'them'} when the VM starts (managed='yes')`,
      remedy: 'Binding them to vfio-pci at boot (the isolate step) avoids drivers that do not let go cleanly.',
    });
  }
  return out;
}

export function ovmfFinding(spec: VmSpec, found: OvmfFindings, exists: (systemPath: string) => boolean): Finding {
  if (spec.firmware.loader) {
    const missing = [spec.firmware.loader.code, spec.firmware.loader.vars].filter((p): p is string => p !== null && !exists(p));
    return missing.length === 0
      ? { id: 'ovmf', status: 'ok', message: `UEFI firmware ${spec.firmware.loader.code}` }
      : { id: 'ovmf', status: 'fail', message: `UEFI firmware not found: ${missing.join(', ')}`, remedy: 'Install OVMF (Debian/Ubuntu: ovmf; Fedora: edk2-ovmf; Arch: edk2-ovmf) or give the right path.' };
  }
  const pair = pickOvmf(found, spec.firmware.secureBoot);
  if (found.descriptors.length > 0 && pair?.descriptor) return { id: 'ovmf', status: 'ok', message: `UEFI firmware: libvirt will pick ${pair.code} (${pair.descriptor})` };
  if (pair) {
    return { id: 'ovmf', status: 'warn', message: `OVMF is at ${pair.code} but no firmware descriptor for it was found`, remedy: `libvirt may not pick it by itself; pass --loader ${pair.code} to name it explicitly.` };
  }
  return {
    id: 'ovmf',
    status: 'fail',
    message: spec.firmware.secureBoot ? 'no Secure Boot OVMF firmware found' : 'no OVMF (UEFI firmware for VMs) found',
    remedy: 'Install OVMF: Debian/Ubuntu apt install ovmf; Fedora dnf install edk2-ovmf; Arch pacman -S edk2-ovmf.',
  };
}

/** "Available:      28.89 GiB" from `virsh pool-info` → bytes. */
export function parsePoolAvailable(text: string): number | null {
  const m = /^Available:\s+([\d.]+)\s*(bytes|B|KiB|MiB|GiB|TiB|PiB)\s*$/m.exec(text);
  if (!m) return null;
  const pow = { bytes: 0, B: 0, KiB: 1, MiB: 2, GiB: 3, TiB: 4, PiB: 5 }[m[2] as 'B'];
  return Number(m[1]) * 1024 ** pow;
}

/** libvirt reachable, the name free, room for a new disk: read-only virsh calls. */
export async function probeFindings(runner: Runner, spec: VmSpec): Promise<Finding[]> {
  const virsh = (...args: string[]) => runner.run(['virsh', '-c', spec.connect, ...args], { name: 'virsh', timeoutMs: 30_000 });
  const out: Finding[] = [];
  const uri = await virsh('uri');
  if (!uri.ok) {
    out.push({
      id: 'libvirt',
      status: 'fail',
      message: uri.spawnError ? 'virsh is not installed' : `libvirt is not reachable at ${spec.connect}: ${uri.tail.at(-1) ?? `exit ${uri.exitCode}`}`,
      remedy: uri.spawnError
        ? 'Install libvirt (Debian/Ubuntu: libvirt-daemon-system libvirt-clients virtinst).'
        : 'Start it (sudo systemctl enable --now libvirtd) and run as root or as a member of the libvirt group.',
    });
    return out;
  }
  out.push({ id: 'libvirt', status: 'ok', message: `libvirt reachable at ${uri.stdout.trim() || spec.connect}` });
  const dom = await virsh('dominfo', spec.name);
  out.push(
    dom.ok
      ? { id: 'name', status: 'fail', message: `a domain named ${spec.name} already exists`, remedy: `Choose another --name, or remove the old one: virsh -c ${spec.connect} undefine --nvram ${spec.name}` }
      : { id: 'name', status: 'ok', message: `the name ${spec.name} is free` },
  );
  if (spec.network.kind === 'nat') {
    const net = await virsh('net-info', spec.network.network);
    const active = /^Active:\s+yes\s*$/m.test(net.stdout);
    const n = spec.network.network;
    out.push(
      !net.ok
        ? { id: 'network', status: 'fail', message: `libvirt network ${n} not found`, remedy: n === 'default' ? 'Define it: virsh net-define /usr/share/libvirt/networks/default.xml && virsh net-start default && virsh net-autostart default' : `Create it, or use --network network=default.` }
        : active
          ? { id: 'network', status: 'ok', message: `network ${n} is active` }
          : { id: 'network', status: 'fail', message: `network ${n} is not active`, remedy: `Start it: virsh -c ${spec.connect} net-start ${n} (and net-autostart ${n} to keep it on).` },
    );
  }
  if (spec.disk.kind === 'new') {
    const pool = await virsh('pool-info', spec.disk.pool);
    const avail = pool.ok ? parsePoolAvailable(pool.stdout) : null;
    if (!pool.ok) {
      out.push({
        id: 'pool',
        status: 'fail',
        message: `storage pool ${spec.disk.pool} not found`,
        remedy: `Create it: virsh pool-define-as ${spec.disk.pool} dir --target /var/lib/libvirt/images && virsh pool-start ${spec.disk.pool} && virsh pool-autostart ${spec.disk.pool}`,
      });
    } else if (avail !== null && avail < spec.disk.sizeGiB * 1024 ** 3) {
      out.push({ id: 'pool', status: 'fail', message: `pool ${spec.disk.pool} has ${(avail / 1024 ** 3).toFixed(1)} GiB free; the disk needs ${spec.disk.sizeGiB} GiB`, remedy: 'Choose a smaller disk or another pool.' });
    } else {
      out.push({ id: 'pool', status: 'ok', message: `pool ${spec.disk.pool}${avail === null ? '' : ` has ${(avail / 1024 ** 3).toFixed(1)} GiB free`}` });
      const vol = await virsh('vol-info', '--pool', spec.disk.pool, newVolumeName(spec));
      if (vol.ok) out.push({ id: 'volume', status: 'fail', message: `volume ${newVolumeName(spec)} already exists in pool ${spec.disk.pool}`, remedy: 'Choose another --name, or use the image with --disk PATH.' });
    }
  }
  return out;
}

/** A bridge network must name a bridge the host has. */
export function bridgeFinding(spec: VmSpec, bridges: readonly string[]): Finding | null {
  if (spec.network.kind !== 'bridge') return null;
  const br = spec.network.bridge;
  return bridges.includes(br)
    ? { id: 'network', status: 'ok', message: `bridge ${br} exists` }
    : {
        id: 'network',
        status: 'fail',
        message: `no bridge ${br} on this host${bridges.length ? ` (bridges: ${bridges.join(', ')})` : ' (it has none)'}`,
        remedy: 'Use --network network=default (libvirt NAT), or create the bridge first (NetworkManager: nmcli connection add type bridge ifname br0).',
      };
}

/** An OS variant libosinfo does not know makes virt-install stop; say so with the near ones. */
export function osVariantFinding(spec: VmSpec, known: readonly string[] | null, similar: (k: readonly string[], w: string) => string[]): Finding | null {
  if (spec.osVariant === 'generic' || known === null) return null;
  if (known.includes(spec.osVariant)) return { id: 'os-variant', status: 'ok', message: `OS variant ${spec.osVariant}` };
  const near = similar(known, spec.osVariant);
  return {
    id: 'os-variant',
    status: 'fail',
    message: `libosinfo does not know the OS variant ${spec.osVariant}`,
    remedy: near.length ? `Did you mean ${near.join(', ')}? (virt-install --osinfo list)` : 'Pick one from virt-install --osinfo list (or osinfo-query os), or use generic.',
  };
}

export const blocking = (fs: readonly Finding[]): Finding[] => fs.filter((f) => f.status === 'fail');
