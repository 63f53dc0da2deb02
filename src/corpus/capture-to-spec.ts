// Turns parsed PCI captures (plus an optional dmesg / cmdline of the same machine) into a RootSpec:
// the machine a fixture root stands for. Pure. Everything the capture does not show is either left
// out (so the scanner reports "unknown") or inferred by a rule written down here and echoed in the
// spec's `source`, so a reader of a failing test can tell capture facts from inferences.
import { normaliseClass } from '../host/pci-class.js';
import type { DeviceSpec, RootSpec } from '../demo/root-spec.js';
import type { CapturedDevice, ParsedCapture } from './parse-lspci.js';

export interface CaptureExtras {
  /** fixture id; default: the first capture's file name without directory and ".txt" */
  id?: string;
  /** kernel log lines of the same machine (corpus cmdline-dmesg/), header line already dropped */
  dmesg?: string;
  dmesgSource?: string;
  /** /proc/cmdline of the same machine */
  cmdline?: string;
  cmdlineSource?: string;
}

interface Merged {
  dev: CapturedDevice;
  /** where each fact came from, for conflicts */
  from: string;
}

const busOf = (addr: string): number => parseInt(addr.split(':')[1] ?? '0', 16);
const domainOf = (addr: string): string => addr.split(':')[0] ?? '0000';
const isPciBridge = (d: CapturedDevice): boolean => (d.class ?? '').startsWith('0604');
const isHostBridge = (d: CapturedDevice): boolean => (d.class ?? '').startsWith('0600');

function mergeCaptures(captures: ParsedCapture[], notes: string[]): CapturedDevice[] {
  const byAddr = new Map<string, Merged>();
  const order: string[] = [];
  for (const cap of captures) {
    for (const d of cap.devices) {
      const have = byAddr.get(d.address);
      if (!have) {
        byAddr.set(d.address, { dev: { ...d }, from: cap.fileName });
        order.push(d.address);
        continue;
      }
      const h = have.dev;
      if (d.vendor && h.vendor && (d.vendor !== h.vendor || d.device !== h.device)) {
        notes.push(`${d.address}: ${cap.fileName} says ${d.vendor}:${d.device}, ${have.from} says ${h.vendor}:${h.device}; kept the latter`);
        continue;
      }
      h.vendor ??= d.vendor;
      h.device ??= d.device;
      h.class ??= d.class;
      h.className ??= d.className;
      h.name ??= d.name;
      h.subsystemVendor ??= d.subsystemVendor;
      h.subsystemDevice ??= d.subsystemDevice;
      h.revision ??= d.revision;
      if (h.driver === undefined && d.driver !== undefined) h.driver = d.driver;
      if (h.iommuGroup === null) h.iommuGroup = d.iommuGroup;
      else if (d.iommuGroup !== null && d.iommuGroup !== h.iommuGroup) {
        notes.push(`${d.address}: group ${d.iommuGroup} in ${cap.fileName}, ${h.iommuGroup} in ${have.from}; kept the latter`);
      }
    }
  }
  return order.map((a) => byAddr.get(a)!.dev);
}

/** "pci 0000:01:00.0: Adding to iommu group 1" lines of a kernel log. */
export function groupsFromDmesg(dmesg: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = /\b([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]): Adding to iommu group (\d+)/g;
  for (const m of dmesg.matchAll(re)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** The command line a kernel log records ("Kernel command line: …"), if any. */
export function cmdlineFromDmesg(dmesg: string): string | null {
  const m = /Kernel command line:\s*(.*)$/m.exec(dmesg);
  return m ? m[1]!.trim() : null;
}

/** "BOOT_IMAGE=/boot/vmlinuz-5.4.0-47-generic …" → "5.4.0-47-generic"; null unless it looks like a release. */
export function releaseFromCmdline(cmdline: string): string | null {
  const m = /\bBOOT_IMAGE=\S*vmlinuz-(\d+\.\d+\.\d+\S*)/.exec(cmdline);
  return m ? m[1]! : null;
}

/**
 * Parent bridges, inferred only from IOMMU-group evidence. A bridge without ACS shares its group
 * with what sits below it, so for a device on bus B the group-mate PCI bridge on the highest bus
 * below B is its parent when it is the only bridge on that bus. "Any bridge on a lower bus" is not
 * used: firmware leaves gaps in bus numbers (an X570 GPU on bus 2d sits behind CPU port 00:03.1,
 * not behind the chipset ports on bus 21), so that rule would invent wrong chains. Where there is
 * no evidence the chain stops, and a device with no known parent is placed on a root bus named
 * after its own bus (sys/devices/pci0000:BB/…): the capture does not show its real upstream port.
 */
function inferParents(devs: CapturedDevice[]): { parents: Map<string, string[]>; unknown: string[] } {
  const direct = new Map<string, string | null>();
  const rootBuses = new Set(devs.filter((d) => busOf(d.address) === 0 || isHostBridge(d)).map((d) => `${domainOf(d.address)}:${busOf(d.address)}`));
  const unknown: string[] = [];
  for (const d of devs) {
    if (rootBuses.has(`${domainOf(d.address)}:${busOf(d.address)}`)) {
      direct.set(d.address, null);
      continue;
    }
    const cands =
      d.iommuGroup === null
        ? []
        : devs.filter(
            (b) =>
              b !== d &&
              isPciBridge(b) &&
              b.iommuGroup === d.iommuGroup &&
              domainOf(b.address) === domainOf(d.address) &&
              busOf(b.address) < busOf(d.address),
          );
    const top = Math.max(...cands.map((b) => busOf(b.address)));
    const onTop = cands.filter((b) => busOf(b.address) === top);
    if (onTop.length === 1) direct.set(d.address, onTop[0]!.address);
    else {
      direct.set(d.address, null);
      unknown.push(d.address);
    }
  }
  const parents = new Map<string, string[]>();
  const chain = (addr: string, depth: number): string[] => {
    const p = direct.get(addr);
    if (!p || depth > 32) return [];
    return [...chain(p, depth + 1), p];
  };
  for (const d of devs) parents.set(d.address, chain(d.address, 0));
  return { parents, unknown };
}

/**
 * Boot VGA, by rule: the first VGA-class (0300) device on bus 00 (an Intel iGPU); otherwise the only
 * VGA-class device of the capture (the firmware had no other VGA device to start on — e.g. an iGPU
 * that enumerates as "Display controller [0380]") — only when the capture lists the whole machine
 * (not filtered, and bus 00 is in it: an excerpt of one group says nothing about other GPUs). With several VGA devices off bus 00 the capture
 * does not say which one the firmware used, so none is marked.
 */
function bootVgaAddress(devs: CapturedDevice[], partial: boolean): { address: string | null; rule: string } {
  const vga = devs.filter((d) => (d.class ?? '').startsWith('0300'));
  const onBus0 = vga.find((d) => busOf(d.address) === 0);
  if (onBus0) return { address: onBus0.address, rule: `boot VGA ${onBus0.address}: the VGA device on bus 00` };
  if (partial && vga.length > 0) return { address: null, rule: 'boot VGA unknown: the capture is only part of the machine' };
  if (vga.length === 1) return { address: vga[0]!.address, rule: `boot VGA ${vga[0]!.address}: the only VGA device` };
  if (vga.length === 0) return { address: null, rule: 'no VGA device in the capture' };
  return { address: null, rule: `boot VGA unknown: ${vga.length} VGA devices off bus 00` };
}

function cpuVendor(devs: CapturedDevice[], dmesg: string | undefined): { vendor: 'GenuineIntel' | 'AuthenticAMD' | null; why: string } {
  const hb = devs.find((d) => busOf(d.address) === 0 && isHostBridge(d) && (d.vendor === '8086' || d.vendor === '1022'));
  if (hb) {
    return hb.vendor === '8086'
      ? { vendor: 'GenuineIntel', why: `Intel host bridge ${hb.address}` }
      : { vendor: 'AuthenticAMD', why: `AMD host bridge ${hb.address}` };
  }
  // AMD-Vi lines also appear on Intel machines ("AMD IOMMUv2 … not available"), so only the
  // lines that need the vendor's IOMMU count
  if (dmesg && /DMAR: IOMMU enabled|ACPI: DMAR\b/.test(dmesg)) return { vendor: 'GenuineIntel', why: 'DMAR lines in dmesg' };
  if (dmesg && /AMD-Vi: (Found IOMMU|Interrupt remapping enabled|IOMMU performance counters)|ACPI: IVRS\b/.test(dmesg)) {
    return { vendor: 'AuthenticAMD', why: 'AMD-Vi lines in dmesg' };
  }
  return { vendor: null, why: 'CPU vendor unknown (no host bridge on bus 00 in the capture)' };
}

export function captureToSpec(input: ParsedCapture | ParsedCapture[], extras: CaptureExtras = {}): RootSpec {
  const captures = Array.isArray(input) ? input : [input];
  const first = captures[0];
  if (!first) throw new RangeError('captureToSpec needs at least one capture');
  const notes: string[] = [];
  const devs = mergeCaptures(captures, notes);

  const dmesg = extras.dmesg
    ?.split('\n')
    .filter((l) => /^\[\s*\d+\.\d+\]/.test(l))
    .join('\n');
  const dmesgText = dmesg ? `${dmesg}\n` : undefined;

  if (dmesg) {
    let filled = 0;
    for (const [addr, g] of groupsFromDmesg(dmesg)) {
      const d = devs.find((x) => x.address === addr);
      if (!d) continue;
      if (d.iommuGroup === null) {
        d.iommuGroup = g;
        filled++;
      } else if (d.iommuGroup !== g) notes.push(`${addr}: group ${d.iommuGroup} in the listing, ${g} in dmesg; kept the listing`);
    }
    if (filled) notes.push(`${filled} groups taken from dmesg "Adding to iommu group"`);
  }

  const hasGroups = devs.some((d) => d.iommuGroup !== null);
  const cpu = cpuVendor(devs, dmesg);
  notes.push(cpu.why);
  // a listing without any bus-00 device, or a grep'd one, is an excerpt rather than the machine
  const partial = captures.every((c) => c.filtered) || !devs.some((d) => busOf(d.address) === 0);
  const boot = bootVgaAddress(devs, partial);
  notes.push(boot.rule);
  const { parents, unknown } = inferParents(devs);
  if (unknown.length) {
    notes.push(`parent bridge unknown for ${unknown.length} device(s) off the root buses (placed on a root bus of their own): ${unknown.slice(0, 6).join(', ')}${unknown.length > 6 ? ', …' : ''}`);
  }

  // IOMMU: groups in the listing (or dmesg) prove the firmware table and a kernel IOMMU.
  let acpiTables: string[] | undefined;
  let iommuUnits: string[] | undefined;
  const amdIommuFns = devs.filter((d) => (d.class ?? '').startsWith('0806') && d.vendor === '1022').length;
  const dmarUnits = dmesg ? [...new Set([...dmesg.matchAll(/DMAR: (dmar\d+):/g)].map((m) => m[1]!))] : [];
  if (cpu.vendor === 'GenuineIntel' && (hasGroups || (dmesg && /ACPI: DMAR\b/.test(dmesg)))) {
    acpiTables = ['DMAR'];
    if (hasGroups) iommuUnits = dmarUnits.length ? dmarUnits : ['dmar0'];
  } else if (cpu.vendor === 'AuthenticAMD' && (hasGroups || amdIommuFns > 0)) {
    acpiTables = ['IVRS'];
    if (hasGroups) iommuUnits = Array.from({ length: Math.max(1, amdIommuFns) }, (_, i) => `ivhd${i}`);
  }
  if (acpiTables) {
    notes.push(
      hasGroups
        ? `${acpiTables[0]} table and IOMMU units ${iommuUnits!.join(',')} because the capture lists IOMMU groups`
        : `${acpiTables[0]} table because the capture shows the IOMMU itself (no groups captured: kernel state unknown, fixture has none)`,
    );
  } else notes.push('no ACPI tables directory: the capture does not show whether the firmware exposes an IOMMU');

  const cmdline = extras.cmdline?.trim() ?? (dmesg ? cmdlineFromDmesg(dmesg) : null) ?? undefined;
  const release = cmdline ? releaseFromCmdline(cmdline) : null;

  const unknownClass: string[] = [];
  const devices: DeviceSpec[] = devs.map((d) => {
    const cls = d.class ? normaliseClass(d.class) : null;
    if (!cls) unknownClass.push(d.address);
    const spec: DeviceSpec = {
      address: d.address,
      vendor: d.vendor ?? 'ffff',
      device: d.device ?? 'ffff',
      class: cls ?? 'ff0000',
      iommuGroup: d.iommuGroup,
      parents: parents.get(d.address) ?? [],
    };
    if (d.subsystemVendor) spec.subsystemVendor = d.subsystemVendor;
    if (d.subsystemDevice) spec.subsystemDevice = d.subsystemDevice;
    if (d.revision) spec.revision = d.revision;
    if (d.driver !== undefined) spec.driver = d.driver;
    if (boot.address === d.address) spec.bootVga = true;
    if (d.name) spec.capturedName = d.name;
    return spec;
  });
  if (unknownClass.length) notes.push(`class unknown, written as ff0000: ${unknownClass.join(', ')}`);
  if (captures.some((c) => c.filtered)) notes.push('the capture was filtered (grep / lspci -d): only part of the machine');

  const sources = [
    ...captures.map((c) => `${c.fileName} [${c.format}; ${c.choice}]`),
    ...(extras.dmesgSource ? [extras.dmesgSource] : []),
    ...(extras.cmdlineSource ? [extras.cmdlineSource] : []),
  ];
  const id = extras.id ?? first.fileName.replace(/^.*\//, '').replace(/\.txt$/, '');
  const spec: RootSpec = {
    id,
    source: `corpus: ${sources.join(' + ')}; inferred: ${notes.join('; ')}`,
    devices,
    layout: 'symlinks',
  };
  if (cpu.vendor) spec.cpu = { vendor: cpu.vendor };
  if (acpiTables) spec.acpiTables = acpiTables;
  if (iommuUnits) spec.iommuUnits = iommuUnits;
  if (cmdline) spec.cmdline = cmdline;
  if (release) spec.kernelRelease = release;
  if (dmesgText) spec.dmesg = dmesgText;
  // no group in the capture: whether the kernel had any is unknown, not "none"
  if (!hasGroups) spec.unknown = ['iommuGroups'];
  return spec;
}
