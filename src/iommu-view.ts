// The device browser's model: HostFacts → IOMMU groups with their devices and the flags a user
// needs to judge whether a device can be passed through. Pure; the Ink browser, the plain
// listing and the tests all read the same rows.
import type { HostCriticalReason, HostFacts, PciDevice } from './host/types.js';
import { isGpuOrAccelerator } from './host/pci-class.js';
import { cardKey, harmlessBridge } from './isolate/group-rules.js';

/** "gpu": GPUs and accelerators (03xx, 12xx, 0b40) with their group mates; "all": everything. */
export type DeviceFilter = 'gpu' | 'all';

export interface DeviceFlags {
  /** the firmware initialised this display device (boot_vga = 1): the console is on it */
  bootGpu: boolean;
  bridge: boolean;
  /** an SR-IOV virtual function (it has a physfn link) */
  vf: boolean;
  /** the host needs it (root or boot filesystem controller, ESP, default-route NIC) */
  hostCritical: HostCriticalReason[];
  /**
   * the group also holds an endpoint of another card: a group is passed through whole, so this
   * device cannot go to a VM without taking that other device along
   */
  sharesGroupWithOtherEndpoints: boolean;
}

export interface DeviceRow {
  device: PciDevice;
  flags: DeviceFlags;
  /** matches the filter; the other members of a visible group are shown dimmed */
  matches: boolean;
}

export interface GroupRow {
  /** null: the devices the kernel put in no IOMMU group (IOMMU off, or no group link) */
  id: number | null;
  devices: DeviceRow[];
}

const SLOT = /^(.*)\.[0-7]$/;

/** "0000:01:00.1" → "0000:01:00": the functions of one slot belong to one card. */
export function slotOf(address: string): string {
  return SLOT.exec(address)?.[1] ?? address;
}

/** The card a function belongs to: a virtual function counts as part of its physical function's card. */
const cardOf = cardKey;

/** Drop the "0000:" domain when it is the common zero domain, as lspci does. */
export function shortAddress(address: string): string {
  return address.startsWith('0000:') ? address.slice(5) : address;
}

function compareAddress(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every IOMMU group in numeric order (devices by address), then the group-less devices. */
export function buildGroups(facts: HostFacts): GroupRow[] {
  const byGroup = new Map<number | null, PciDevice[]>();
  for (const d of facts.devices) {
    const key = d.iommuGroup;
    const list = byGroup.get(key) ?? [];
    list.push(d);
    byGroup.set(key, list);
  }
  const ids = [...byGroup.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : a - b));
  return ids.map((id) => {
    const members = [...(byGroup.get(id) ?? [])].sort((a, b) => compareAddress(a.address, b.address));
    return {
      id,
      devices: members.map((device) => ({
        device,
        flags: deviceFlags(device, id === null ? [] : members),
        matches: true,
      })),
    };
  });
}

/** Flags of one device, given the members of its IOMMU group (empty when it has none). */
export function deviceFlags(d: PciDevice, groupMembers: readonly PciDevice[]): DeviceFlags {
  const card = cardOf(d);
  return {
    bootGpu: d.bootVga,
    bridge: d.isBridge,
    vf: d.physfn !== null,
    hostCritical: d.hostCritical,
    sharesGroupWithOtherEndpoints:
      !d.isBridge && groupMembers.some((m) => m.address !== d.address && !harmlessBridge(m) && cardOf(m) !== card),
  };
}

export function matchesFilter(d: PciDevice, filter: DeviceFilter): boolean {
  return filter === 'all' || isGpuOrAccelerator(d.class);
}

/**
 * The groups visible under a filter: a group stays when any of its devices matches, and keeps
 * all its members (the non-matching ones marked `matches: false`, drawn dimmed) because the
 * whole group goes to a VM together. The group-less bucket keeps only its matching devices.
 */
export function filterGroups(groups: readonly GroupRow[], filter: DeviceFilter): GroupRow[] {
  const out: GroupRow[] = [];
  for (const g of groups) {
    const marked = g.devices.map((r) => ({ ...r, matches: matchesFilter(r.device, filter) }));
    // Group-less devices share nothing, so there are no group mates to show.
    const devices = g.id === null ? marked.filter((r) => r.matches) : marked;
    if (devices.some((r) => r.matches)) out.push({ id: g.id, devices });
  }
  return out;
}

/** The device addresses in display order under a filter: what the browser's cursor walks. */
export function visibleAddresses(groups: readonly GroupRow[], filter: DeviceFilter): string[] {
  return filterGroups(groups, filter).flatMap((g) => g.devices.map((r) => r.device.address));
}

/** Short tags for one line: [boot GPU] [bridge] [VF] [host] [shared group]. */
export function flagTags(f: DeviceFlags): string[] {
  const tags: string[] = [];
  if (f.bootGpu) tags.push('boot GPU');
  if (f.bridge) tags.push('bridge');
  if (f.vf) tags.push('VF');
  if (f.hostCritical.length > 0) tags.push('host');
  if (f.sharesGroupWithOtherEndpoints) tags.push('shared group');
  return tags;
}

const HOST_CRITICAL_TEXT: Record<HostCriticalReason, string> = {
  'root-fs': 'holds the root filesystem',
  'boot-fs': 'holds /boot',
  esp: 'holds the EFI system partition',
  'default-route': 'carries the default network route',
};

/** One sentence per flag, for the details pane and the plain listing. */
export function flagExplanations(row: DeviceRow, group: GroupRow): string[] {
  const { flags, device } = row;
  const lines: string[] = [];
  if (flags.bootGpu) {
    lines.push('Boot GPU: the firmware and the console use it; passing it through leaves the host without a display.');
  }
  if (flags.bridge) lines.push('Bridge: part of the PCI topology, not passed through itself.');
  if (flags.vf) lines.push(`SR-IOV virtual function of ${shortAddress(device.physfn ?? '')}.`);
  if (flags.hostCritical.length > 0) {
    lines.push(`Host-critical: ${flags.hostCritical.map((r) => HOST_CRITICAL_TEXT[r]).join(', ')}.`);
  }
  if (flags.sharesGroupWithOtherEndpoints) {
    const card = cardOf(device);
    const others = group.devices
      .filter((r) => !harmlessBridge(r.device) && cardOf(r.device) !== card)
      .map((r) => shortAddress(r.device.address));
    lines.push(
      `Shared group: IOMMU group ${group.id} also holds ${others.join(', ')}; a group goes to a VM whole.`,
    );
  }
  return lines;
}

/** "01:00.0 [10de:2204] VGA compatible controller: NVIDIA … (driver nvidia) [boot GPU]" */
export function deviceLine(row: DeviceRow): string {
  const d = row.device;
  const tags = flagTags(row.flags).map((t) => `[${t}]`);
  const driver = d.driver ? `driver ${d.driver}` : 'no driver';
  const cls = d.className ?? `class ${d.class.slice(0, 4)}`;
  return [`${shortAddress(d.address)} [${d.vendor}:${d.device}] ${cls}: ${d.name} (${driver})`, ...tags].join(' ');
}

/** The distinct cards (slots) with endpoints in a group: more than one means the group is shared. */
export function endpointCards(g: GroupRow): string[] {
  return [...new Set(g.devices.filter((r) => !r.device.isBridge).map((r) => cardOf(r.device)))];
}

export function groupTitle(g: GroupRow): string {
  return g.id === null ? 'No IOMMU group' : `IOMMU group ${g.id}`;
}

/** Why there are no IOMMU groups to show, or null when the kernel made them. */
export function noGroupsNote(facts: HostFacts): string | null {
  if (facts.iommu.enabled) return null;
  if (!facts.iommu.groupsReadable) {
    // an offline root, or no permission: "off" would be a guess (the iommu-kernel check says the same)
    return 'No IOMMU groups to show: /sys/kernel/iommu_groups could not be read (a system at rest under --root, or no permission), so whether the kernel enabled the IOMMU is unknown.';
  }
  if (facts.iommu.firmware === false) {
    return 'No IOMMU groups: the firmware exposes no IOMMU (VT-d / AMD-Vi is off or absent); see the readiness checks.';
  }
  return 'The kernel has not enabled the IOMMU, so there are no groups yet: they appear once the IOMMU is turned on in the kernel command line and the machine has rebooted.';
}
