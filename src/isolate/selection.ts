// Choosing what to pass through: expand the user's pick to the whole card, show what else shares
// its IOMMU groups, and the guards that stop a choice from taking the host's own display, disks
// or network away. Pure: everything comes from HostFacts.
//
// The unit is the card, not the function: the kernel only lets a VM open an IOMMU group when every
// endpoint in it is bound to vfio-pci (or to nothing), and NVIDIA Turing and later cards carry four
// functions (VGA, HD audio, USB, UCSI). So one function picked means every endpoint function of its
// slot. Bridges and root ports are never selected: they stay with pcieport. SR-IOV virtual functions
// are units of their own (the point of a VF is to hand one out at a time).
import { compareAddress, isPciAddress } from '../host/pci-address.js';
import { isGpu, isGpuOrAccelerator, isNetwork, isStorage, isUsbController } from '../host/pci-class.js';
import type { HostFacts, PciDevice } from '../host/types.js';
import { blockingBridge, harmlessBridge, integratedEndpoint } from './group-rules.js';

export type SelectionError =
  | { kind: 'usage'; message: string; remedy: string }
  | { kind: 'badInput'; message: string; remedy: string };

export type SelectionResult =
  | {
      ok: true;
      /** full addresses, sorted */
      devices: string[];
      /** what each argument expanded to */
      expansions: { argument: string; devices: string[] }[];
    }
  | { ok: false; error: SelectionError };

const SLOT = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-1][0-9a-f])$/;
const FUNCTION = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-1][0-9a-f])\.([0-7])$/;

type ParsedArg = { kind: 'function'; address: string } | { kind: 'slot'; slot: string };

/** "01:00.0", "0000:01:00.0", "01:00", "0000:01:00" → a full function address or a slot prefix. */
export function parseDeviceArgument(raw: string): ParsedArg | null {
  const s = raw.trim().toLowerCase();
  const f = FUNCTION.exec(s);
  if (f) {
    const address = `${f[1] ?? '0000'}:${f[2]}:${f[3]}.${f[4]}`;
    return isPciAddress(address) ? { kind: 'function', address } : null;
  }
  const sl = SLOT.exec(s);
  if (sl) return { kind: 'slot', slot: `${sl[1] ?? '0000'}:${sl[2]}:${sl[3]}` };
  return null;
}

const slotOf = (address: string) => address.slice(0, address.lastIndexOf('.'));

/** Split a --device value ("01:00.0,02:00") and expand every part; see the file comment. */
export function expandSelection(facts: HostFacts, args: readonly string[]): SelectionResult {
  const parts = args.flatMap((a) => a.split(',')).map((a) => a.trim()).filter((a) => a !== '');
  if (parts.length === 0) {
    return { ok: false, error: { kind: 'usage', message: 'no device given', remedy: 'Pass --device ADDR[,ADDR…], for example --device 01:00.0 or --device 0000:01:00. Nothing was changed.' } };
  }
  const byAddress = new Map(facts.devices.map((d) => [d.address, d]));
  const chosen = new Set<string>();
  const expansions: { argument: string; devices: string[] }[] = [];
  for (const arg of parts) {
    const parsed = parseDeviceArgument(arg);
    if (!parsed) {
      return {
        ok: false,
        error: { kind: 'usage', message: `"${arg}" is not a PCI address`, remedy: 'Use the form lspci prints: 01:00.0 (one function), 01:00 (the whole slot) or with the domain, 0000:01:00.0. Nothing was changed.' },
      };
    }
    let devices: PciDevice[];
    if (parsed.kind === 'function') {
      const dev = byAddress.get(parsed.address);
      if (!dev) return { ok: false, error: notFound(arg) };
      if (dev.isBridge) {
        return {
          ok: false,
          error: {
            kind: 'badInput',
            message: `${dev.address} is a bridge or root port (${dev.className ?? dev.class}); bridges stay with the host`,
            remedy: 'Pick the device behind it instead (vfio-wizard scan lists each device with its parent bridges). Nothing was changed.',
          },
        };
      }
      devices =
        dev.physfn !== null || integratedEndpoint(dev)
          ? [dev]
          : facts.devices.filter((d) => slotOf(d.address) === slotOf(dev.address) && !d.isBridge && d.physfn === null);
    } else {
      // a slot named outright takes every endpoint in it, virtual functions included
      devices = facts.devices.filter((d) => slotOf(d.address) === parsed.slot && !d.isBridge);
      if (devices.length === 0) {
        const bridgesOnly = facts.devices.some((d) => slotOf(d.address) === parsed.slot);
        return {
          ok: false,
          error: bridgesOnly
            ? { kind: 'badInput', message: `slot ${parsed.slot} holds only bridges or root ports`, remedy: 'Pick the device behind the bridge instead. Nothing was changed.' }
            : notFound(arg),
        };
      }
    }
    const unknown = devices.filter((d) => d.unreadable);
    if (unknown.length > 0) {
      return {
        ok: false,
        error: {
          kind: 'badInput',
          message: `${unknown.map((d) => d.address).join(', ')}: vendor, device or class could not be read, so the wizard cannot tell what ${unknown.length === 1 ? 'it is' : 'they are'}`,
          remedy: 'Check the device with lspci -vvv -s ADDR (and the kernel log); a device that cannot be identified is never bound. Nothing was changed.',
        },
      };
    }
    const addrs = devices.map((d) => d.address).sort(compareAddress);
    for (const a of addrs) chosen.add(a);
    expansions.push({ argument: arg, devices: addrs });
  }
  return { ok: true, devices: [...chosen].sort(compareAddress), expansions };
}

function notFound(arg: string): SelectionError {
  return {
    kind: 'badInput',
    message: `no PCI device ${arg} on this system`,
    remedy: 'Run vfio-wizard scan to list the devices and their addresses. Nothing was changed.',
  };
}

export interface GroupMember {
  address: string;
  name: string;
  class: string;
  className: string | null;
  driver: string | null;
  hostCritical: PciDevice['hostCritical'];
}

export interface GroupViability {
  /** null: the IOMMU is off or groups are unknown, so viability cannot be judged yet */
  group: number | null;
  selected: string[];
  /** devices in the group that were not selected and keep it from a VM (bridges on pcieport excluded) */
  others: GroupMember[];
  viable: boolean | null;
  /** why, and what the user can do, line by line */
  explanation: string[];
}

const member = (d: PciDevice): GroupMember => ({
  address: d.address,
  name: d.name,
  class: d.class,
  className: d.className,
  driver: d.driver,
  hostCritical: d.hostCritical,
});

/** One entry per IOMMU group touched by the selection (plus one for functions without a group). */
export function groupViability(facts: HostFacts, selected: readonly string[]): GroupViability[] {
  const sel = new Set(selected);
  const devs = facts.devices.filter((d) => sel.has(d.address));
  const out: GroupViability[] = [];
  const ungrouped = devs.filter((d) => d.iommuGroup === null);
  if (ungrouped.length > 0) {
    out.push({
      group: null,
      selected: ungrouped.map((d) => d.address),
      others: [],
      viable: null,
      explanation: [
        'No IOMMU group is known for these functions: the IOMMU is off in the kernel or the firmware, or the capture had no groups.',
        'Enable the IOMMU first (the kernel command line step); the groups, and whether this card can be passed alone, show after the reboot.',
      ],
    });
  }
  const groups = [...new Set(devs.map((d) => d.iommuGroup).filter((g): g is number => g !== null))].sort((a, b) => a - b);
  for (const g of groups) {
    const inGroup = facts.devices.filter((d) => d.iommuGroup === g);
    const others = inGroup.filter((d) => !sel.has(d.address) && !harmlessBridge(d));
    const bridges = others.filter(blockingBridge);
    const selectedHere = inGroup.filter((d) => sel.has(d.address)).map((d) => d.address);
    const explanation: string[] = [];
    if (others.length === 0) {
      explanation.push(`IOMMU group ${g} holds only the selected functions${inGroup.some((d) => d.isBridge) ? ' and bridges on pcieport (they stay with the host and do not matter)' : ''}: it can be passed as is.`);
    } else {
      explanation.push(
        `IOMMU group ${g} also holds ${others.length} other device${others.length === 1 ? '' : 's'}: ${others.map((o) => `${o.address} ${o.name}${o.driver ? ` (driver ${o.driver})` : ''}`).join('; ')}.`,
        'A VM can only use a group when every device in it is detached from the host, so passing this card would take these away from the host too.',
        'Why: the PCIe path between them lacks ACS isolation (typical of chipset-attached slots), so the IOMMU cannot tell their DMA apart.',
        'Options: move the card to a CPU-attached slot (usually the first x16 slot) and rescan; or pass the whole group deliberately, if the host can live without these devices;',
        'or a kernel with the ACS override patch (pcie_acs_override=downstream,multifunction): it only pretends the devices are isolated, so they can still reach each other\'s memory. The wizard explains it but never applies it.',
      );
      if (bridges.length > 0) {
        explanation.push(
          `${bridges.map((b) => `${b.address} (${b.className ?? b.class}, driver ${b.driver})`).join(', ')} ${bridges.length === 1 ? 'is a bridge' : 'are bridges'} the host drives: a bridge is never handed to a VM, so passing the whole group does not help here — only a slot with its own group does.`,
        );
      }
    }
    out.push({ group: g, selected: selectedHere, others: others.map(member), viable: others.length === 0, explanation });
  }
  return out;
}

/** The selection plus every other endpoint of its groups: what "pass the whole group" binds. */
export function withGroupMembers(facts: HostFacts, selected: readonly string[]): string[] {
  const all = new Set(selected);
  const bridge = new Set(facts.devices.filter((d) => d.isBridge).map((d) => d.address));
  for (const v of groupViability(facts, selected)) for (const o of v.others) if (!bridge.has(o.address)) all.add(o.address);
  return [...all].sort(compareAddress);
}

export type BlockerId = 'boot-gpu' | 'last-host-gpu' | 'host-storage' | 'default-route-nic' | 'group-not-viable';

/** The explicit flag that lets `apply` go ahead despite each blocker. */
export const OVERRIDE_FLAGS: Record<BlockerId, string> = {
  'boot-gpu': '--allow-boot-gpu',
  'last-host-gpu': '--allow-no-host-gpu',
  'host-storage': '--allow-host-storage',
  'default-route-nic': '--allow-default-route-nic',
  'group-not-viable': '--pass-whole-group',
};

export interface Blocker {
  id: BlockerId;
  /** the devices it is about */
  devices: string[];
  message: string;
  override: string;
}

export interface Warning {
  id: string;
  devices: string[];
  message: string;
}

export interface GuardResult {
  blockers: Blocker[];
  warnings: Warning[];
}

const HOST_DRIVER_FREE = new Set(['vfio-pci', 'vfio_pci', 'pci-stub', 'pci_stub']);
const hasHostDriver = (d: PciDevice) => d.driver !== null && !HOST_DRIVER_FREE.has(d.driver);

/** Blockers (each overridable only by its explicit flag) and warnings for a selection. */
export function guards(facts: HostFacts, selected: readonly string[]): GuardResult {
  const sel = new Set(selected);
  const devs = facts.devices.filter((d) => sel.has(d.address));
  const blockers: Blocker[] = [];
  const warnings: Warning[] = [];
  const block = (id: BlockerId, devices: string[], message: string) => blockers.push({ id, devices, message, override: OVERRIDE_FLAGS[id] });

  const bootGpu = devs.filter((d) => d.bootVga);
  if (bootGpu.length > 0) {
    block(
      'boot-gpu',
      bootGpu.map((d) => d.address),
      `${bootGpu.map((d) => `${d.address} ${d.name}`).join(', ')} is the boot GPU (boot_vga=1): the firmware and the console use it, and firmware shadows its VBIOS, which often breaks it in a VM. Choose another card, or make another GPU primary in the firmware settings.`,
    );
  }

  const selectedGpus = devs.filter((d) => isGpu(d.class));
  if (selectedGpus.length > 0) {
    const remaining = facts.devices.filter((d) => isGpu(d.class) && !sel.has(d.address));
    const driven = remaining.filter(hasHostDriver);
    if (driven.length === 0) {
      block(
        'last-host-gpu',
        selectedGpus.map((d) => d.address),
        remaining.length === 0
          ? 'No other GPU would be left for the host: after the reboot it has no display at all (only SSH or a serial console).'
          : `No other GPU has a host driver bound now (${remaining.map((d) => d.address).join(', ')} ${remaining.length === 1 ? 'has' : 'have'} none): the host may be left without a display.`,
      );
    }
  }

  const storage = devs.filter((d) => d.hostCritical.some((r) => r === 'root-fs' || r === 'boot-fs' || r === 'esp'));
  if (storage.length > 0) {
    block(
      'host-storage',
      storage.map((d) => d.address),
      `${storage.map((d) => `${d.address} ${d.name} (holds ${d.hostCritical.filter((r) => r !== 'default-route').join(', ')})`).join('; ')}: the host would lose its own disk and fail to boot.`,
    );
  }

  const nics = devs.filter((d) => d.hostCritical.includes('default-route'));
  if (nics.length > 0) {
    block(
      'default-route-nic',
      nics.map((d) => d.address),
      `${nics.map((d) => `${d.address} ${d.name}${d.netInterfaces.length ? ` (${d.netInterfaces.join(', ')})` : ''}`).join('; ')} carries the default route: the host would lose its network (and this SSH session, if there is one).`,
    );
  }

  const notViable = groupViability(facts, selected).filter((v) => v.viable === false);
  if (notViable.length > 0) {
    block(
      'group-not-viable',
      notViable.flatMap((v) => v.selected),
      notViable.map((v) => v.explanation.join(' ')).join(' '),
    );
  }
  for (const v of groupViability(facts, selected)) {
    if (v.viable === null) warnings.push({ id: 'group-unknown', devices: v.selected, message: v.explanation.join(' ') });
  }

  // the guards above can only fire on what the scan could resolve: say so when it could not
  const hc = facts.hostCritical;
  const unknownDisks = [hc.rootBlockDevice === null ? '/' : null, hc.espBlockDevice === null && facts.boot.uefi !== false ? 'the ESP' : null].filter((x): x is string => x !== null);
  const disks = devs.filter((d) => isStorage(d.class) && !storage.includes(d));
  if (disks.length > 0 && unknownDisks.length > 0) {
    warnings.push({
      id: 'host-disk-unknown',
      devices: disks.map((d) => d.address),
      message: `Which controller holds ${unknownDisks.join(' and ')} could not be read (mount information unreadable or not resolved), so the host-disk guard cannot vouch for ${disks.map((d) => d.address).join(', ')}. Check with lsblk and findmnt that the host does not boot from it.`,
    });
  }
  const netDevs = devs.filter((d) => isNetwork(d.class) && !nics.includes(d));
  if (netDevs.length > 0 && hc.defaultRouteInterface === null) {
    warnings.push({
      id: 'default-route-unknown',
      devices: netDevs.map((d) => d.address),
      message: `The interface carrying the default route could not be read, so the network guard cannot vouch for ${netDevs.map((d) => d.address).join(', ')}. Check with ip route that the host does not reach its network (or this SSH session) through it.`,
    });
  }

  for (const d of devs) {
    if (d.class.startsWith('0108') && !storage.includes(d)) {
      warnings.push({ id: 'nvme', devices: [d.address], message: `${d.address} is an NVMe controller${d.blockDevices.length ? ` (${d.blockDevices.join(', ')})` : ''}: every disk on it leaves the host. Make sure nothing the host mounts (swap, /home, LVM, ZFS pools) lives there.` });
    }
    if (isNetwork(d.class) && !nics.includes(d) && d.netInterfaces.length > 0) {
      warnings.push({ id: 'nic', devices: [d.address], message: `${d.address} is the host's network interface ${d.netInterfaces.join(', ')}: it goes away from the host.` });
    }
    // a GPU's own USB-C function is part of the card; a standalone or chipset controller has ports the host may use
    const onGpuCard = facts.devices.some((x) => slotOf(x.address) === slotOf(d.address) && isGpuOrAccelerator(x.class));
    if (isUsbController(d.class) && !onGpuCard) {
      warnings.push({ id: 'usb-controller', devices: [d.address], message: `${d.address} is a USB controller: keyboards, mice and disks plugged into its ports leave the host with it.` });
    }
    if (d.sriov && d.sriov.virtfns.length > 0 && d.physfn === null) {
      warnings.push({ id: 'sriov-pf', devices: [d.address], message: `${d.address} is an SR-IOV physical function with ${d.sriov.virtfns.length} virtual functions: passing the PF removes its VFs. To share the card, pass VFs instead.` });
    }
    if (d.resetMethods !== null && d.resetMethods.length === 0) {
      warnings.push({ id: 'no-reset', devices: [d.address], message: `${d.address} reports no reset method: the VM may fail to restart it without a host reboot.` });
    }
  }

  const identical = identicalIds(facts, selected);
  for (const i of identical) {
    warnings.push({
      id: 'identical-ids',
      devices: i.selected,
      message: `${i.id} is also used by ${i.others.join(', ')}, which stays with the host: binding by ID would take those too, so the devices are bound by address (driver_override).`,
    });
  }
  return { blockers, warnings };
}

export interface IdenticalId {
  /** "10de:1e07" */
  id: string;
  selected: string[];
  /** non-selected, non-bridge functions with the same vendor:device */
  others: string[];
}

/** vendor:device pairs shared by a selected and a non-selected function: `ids=` cannot tell them apart. */
export function identicalIds(facts: HostFacts, selected: readonly string[]): IdenticalId[] {
  const sel = new Set(selected);
  const byId = new Map<string, { selected: string[]; others: string[] }>();
  for (const d of facts.devices) {
    if (d.isBridge) continue;
    const id = `${d.vendor}:${d.device}`;
    const e = byId.get(id) ?? { selected: [], others: [] };
    (sel.has(d.address) ? e.selected : e.others).push(d.address);
    byId.set(id, e);
  }
  return [...byId]
    .filter(([, e]) => e.selected.length > 0 && e.others.length > 0)
    .map(([id, e]) => ({ id, selected: e.selected, others: e.others }));
}

/** The distinct vendor:device IDs of the selection, in address order. */
export function selectedIds(facts: HostFacts, selected: readonly string[]): string[] {
  const sel = new Set(selected);
  const ids: string[] = [];
  for (const d of [...facts.devices].sort((a, b) => compareAddress(a.address, b.address))) {
    const id = `${d.vendor}:${d.device}`;
    if (sel.has(d.address) && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

export interface SelectionReport {
  /** the functions to bind (with the group's other endpoints when passWholeGroup) */
  devices: string[];
  expansions: { argument: string; devices: string[] }[];
  groups: GroupViability[];
  blockers: Blocker[];
  warnings: Warning[];
  identicalIds: IdenticalId[];
}

/**
 * Everything `plan --step isolate --device …` prints: the expanded selection, group viability,
 * blockers and warnings. With passWholeGroup (the user's --pass-whole-group), the groups' other
 * endpoints join the selection and are guarded like the rest.
 */
export function selectionReport(facts: HostFacts, args: readonly string[], opts: { passWholeGroup?: boolean } = {}): { ok: true; report: SelectionReport } | { ok: false; error: SelectionError } {
  const sel = expandSelection(facts, args);
  if (!sel.ok) return sel;
  const devices = opts.passWholeGroup ? withGroupMembers(facts, sel.devices) : sel.devices;
  const g = guards(facts, devices);
  return { ok: true, report: { devices, expansions: sel.expansions, groups: groupViability(facts, devices), blockers: g.blockers, warnings: g.warnings, identicalIds: identicalIds(facts, devices) } };
}

/** The blockers whose override flag the user did not pass: `apply` must refuse while any remain. */
export function unmetBlockers(blockers: readonly Blocker[], flags: readonly string[]): Blocker[] {
  return blockers.filter((b) => !flags.includes(b.override));
}
