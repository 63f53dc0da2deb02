// Step 3: the device browser. IOMMU groups with their devices, filterable to GPUs and
// accelerators; a scrolling list bounded by the terminal height and a details pane for the
// highlighted device.
import type { WizardState } from '../src/wizard.js';
import {
  endpointCards,
  filterGroups,
  flagExplanations,
  flagTags,
  groupTitle,
  noGroupsNote,
  shortAddress,
  slotOf,
  type DeviceRow,
  type GroupRow,
} from '../src/iommu-view.js';
import { capLines, truncate, viewport, width } from './text-layout.js';
import { largeBarFlag } from '../src/host/bar-text.js';
import { isSelectedCard } from '../src/wizard-isolate.js';
import { verdictFor } from '../src/wizard-share.js';
import type { ShareVerdict } from '../src/share/capability.js';
import { Lines, plain, wrapped, type Line, type Segment } from './Lines.js';

/** Below this width rows drop the class name and use short tags; the details pane has it all. */
const WIDE = 80;

const TAG_STYLE: Record<string, { short: string; color: string }> = {
  'boot GPU': { short: 'boot', color: 'yellow' },
  bridge: { short: 'bridge', color: 'gray' },
  VF: { short: 'VF', color: 'cyan' },
  host: { short: 'host', color: 'red' },
  'shared group': { short: 'shared', color: 'magenta' },
};

/** Short class labels for the one-line rows; the details pane shows the full pci.ids class name. */
const SHORT_CLASS: Record<string, string> = {
  'VGA compatible controller': 'VGA',
  'XGA compatible controller': 'XGA',
  '3D controller': '3D',
  'Display controller': 'Display',
  'Audio device': 'Audio',
  'Multimedia audio controller': 'Audio',
  'Ethernet controller': 'Ethernet',
  'Network controller': 'Network',
  'Non-Volatile memory controller': 'NVMe',
  'SATA controller': 'SATA',
  'USB controller': 'USB',
  'Processing accelerators': 'Accelerator',
  'Signal processing controller': 'DSP',
  'Serial bus controller': 'Serial bus',
  'System peripheral': 'Peripheral',
  'Communication controller': 'Communication',
  'Encryption controller': 'Encryption',
  'RAM memory': 'RAM',
};

/** "Advanced Micro Devices, Inc. [AMD/ATI]" → "AMD/ATI"; "NVIDIA Corporation" → "NVIDIA". */
export function shortVendor(name: string): string {
  const bracket = /\[([^\]]+)\]\s*$/.exec(name);
  if (bracket?.[1]) return bracket[1];
  return name.replace(/,?\s+(Corporation|Corp\.?|Inc\.?|Co\.,? Ltd\.?|Ltd\.?|Limited|GmbH|AG)$/i, '');
}

/** The name a one-line row shows: shortened vendor plus the device name, else the full name. */
export function rowName(d: DeviceRow['device']): string {
  return d.vendorName && d.deviceName ? `${shortVendor(d.vendorName)} ${d.deviceName}` : d.name;
}

export function deviceRow(row: DeviceRow, selected: boolean, columns: number, chosen = false): Line {
  const d = row.device;
  const wide = columns >= WIDE;
  // ✓ marks the cards chosen for passthrough, › the cursor
  const marker = `${chosen ? '✓' : ' '}${selected ? '›' : ' '} `;
  const tags = flagTags(row.flags).map((t) => ({ text: `[${wide ? t : (TAG_STYLE[t]?.short ?? t)}]`, color: TAG_STYLE[t]?.color }));
  const driver = d.driver ?? '—';
  const right = [driver, ...tags.map((t) => t.text)].join(' ');
  const cls = d.className ? (SHORT_CLASS[d.className] ?? d.className) : `class ${d.class.slice(0, 4)}`;
  const left = `${shortAddress(d.address)} [${d.vendor}:${d.device}] ${wide ? `${cls}: ` : ''}${rowName(d)}`;
  // The driver and flags matter most for the decision: they keep their place, the name gives way.
  const room = columns - width(marker) - width(right) - 1;
  const dim = !row.matches;
  const seg = (text: string, extra: Omit<Segment, 'text'> = {}): Segment => ({ text, dim, ...extra });
  if (room < 16) return [seg(marker), seg(truncate(`${left} ${right}`, columns - width(marker)), { inverse: selected })];
  const name = truncate(left, room);
  const pad = ' '.repeat(Math.max(1, room - width(name) + 1));
  return [
    seg(marker, { bold: selected }),
    seg(name, { inverse: selected, bold: selected }),
    seg(pad),
    seg(driver, { color: d.driver === 'vfio-pci' ? 'green' : undefined }),
    ...tags.flatMap((t) => [seg(' '), seg(t.text, { color: t.color })]),
  ];
}

function groupHeader(g: GroupRow, columns: number): Line {
  const cards = endpointCards(g).length;
  const note = g.id !== null && cards > 1 ? ` — ${cards} cards share this group` : '';
  const count = `${g.devices.length} device${g.devices.length === 1 ? '' : 's'}`;
  return [
    { text: truncate(`${groupTitle(g)} (${count})`, columns), bold: true },
    { text: truncate(note, Math.max(0, columns - width(`${groupTitle(g)} (${count})`))), color: 'magenta' },
  ];
}

export function deviceDetailLines(row: DeviceRow, group: GroupRow, columns: number, share: ShareVerdict | null = null): Line[] {
  const d = row.device;
  const lines: Line[] = [];
  lines.push(...wrapped(`${d.address} · ${d.className ?? 'unknown class'} (${d.class}) · [${d.vendor}:${d.device}]`, columns, { bold: true }, '  '));
  lines.push(...wrapped(d.name, columns, {}, '  '));
  const facts = [
    `driver ${d.driver ?? 'none'}`,
    d.iommuGroup === null ? 'no IOMMU group' : `IOMMU group ${d.iommuGroup}`,
    d.resetMethods ? `reset: ${d.resetMethods.join(' ') || 'none'}` : null,
    d.subsystemVendor && d.subsystemDevice ? `subsystem ${d.subsystemVendor}:${d.subsystemDevice}` : null,
    d.largeBar ? largeBarFlag(d) : null,
    d.sriov ? `SR-IOV ${d.sriov.numVfs ?? '?'}/${d.sriov.totalVfs ?? '?'} VFs` : null,
    d.netInterfaces.length > 0 ? `net ${d.netInterfaces.join(',')}` : null,
    d.blockDevices.length > 0 ? `disk ${d.blockDevices.join(',')}` : null,
  ].filter((x): x is string => x !== null);
  lines.push(...wrapped(facts.join(' · '), columns, { dim: true }, '  '));
  for (const e of flagExplanations(row, group)) lines.push(...wrapped(e, columns, { color: 'yellow' }, '  '));
  if (share) {
    const first = share.options[0];
    if (first) lines.push(...wrapped(`Can be shared (s): ${first.summary}`, columns, { color: 'green' }, '  '));
    else if (share.reason) lines.push(...wrapped(`Cannot be shared: ${share.reason}`, columns, { dim: true }, '  '));
  }
  return lines;
}

type Entry = { kind: 'group'; group: GroupRow } | { kind: 'device'; row: DeviceRow; group: GroupRow };

export function deviceBrowserLines(state: WizardState, columns: number, height: number): Line[] {
  const { filter, cursor, order } = state.devices;
  const groups = filterGroups(state.groups, filter);
  const shown = order[filter].length;
  const total = order.all.length;
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? '' : 's'}`;
  const grouped = groups.filter((g) => g.id !== null).length;
  const groupsText = grouped > 0 ? `${n(grouped, 'group')}, ` : '';
  const filterText =
    filter === 'gpu'
      ? `GPUs and accelerators: ${groupsText}${shown} of ${n(total, 'device')} (group mates dimmed)`
      : `Everything: ${groupsText}${n(total, 'device')}`;
  const head: Line[] = [plain(truncate(filterText, columns), { dim: true })];
  if (state.selection.length > 0) {
    head.push(plain(truncate(`Chosen: ${state.selection.map((a) => slotOf(shortAddress(a))).join(', ')} — Enter: bind them to vfio-pci`, columns), { color: 'green' }));
  }
  const note = noGroupsNote(state.session.facts);
  if (note !== null) head.push(...wrapped(note, columns, { color: 'yellow' }));
  if (groups.length === 0) {
    return [
      ...head,
      ...wrapped(
        filter === 'gpu'
          ? 'No GPU or accelerator was found (class 03xx, 12xx or 0b40). Press f to see every device.'
          : 'No PCI devices were found: /sys/bus/pci is empty or unreadable.',
        columns,
      ),
    ];
  }
  const entries: Entry[] = groups.flatMap((group) => [
    { kind: 'group' as const, group },
    ...group.devices.map((row) => ({ kind: 'device' as const, row, group })),
  ]);
  const at = Math.max(0, entries.findIndex((e) => e.kind === 'device' && e.row.device.address === cursor));
  const current = entries[at];
  const details = current?.kind === 'device' ? deviceDetailLines(current.row, current.group, columns, state.session.share ? verdictFor(state.session.facts, state.session.share, current.row.device.address) : null) : [];
  const body = height - head.length;
  // The details keep at least ~40% of the body; a short list gives them the rest.
  const minDetails = Math.min(details.length, Math.max(3, Math.floor(body * 0.4)));
  const listHeight = Math.max(1, Math.min(entries.length, body - minDetails - 1));
  const detailHeight = body - listHeight - 1;
  const { start, end } = viewport(entries.length, at, listHeight);
  const list = entries.slice(start, end).map((e, i) =>
    e.kind === 'group' ? groupHeader(e.group, columns) : deviceRow(e.row, start + i === at, columns, isSelectedCard(state.selection, e.row.device.address)),
  );
  const detailBlock = capLines(details, detailHeight, (n) => plain(`… ${n} more lines`, { dim: true }));
  return [...head, ...list, plain('─'.repeat(columns), { dim: true }), ...detailBlock];
}

export function DeviceBrowser({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  return <Lines lines={deviceBrowserLines(state, columns, height)} />;
}
