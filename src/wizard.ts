// The wizard as a pure state machine: (state, event) → state. Keys arrive as raw `key` events
// and are mapped to actions here, against the state the reducer sees, never against a value a
// render closed over: Ink 6.8 can deliver back-to-back keys to a stale input handler, and a
// reducer cannot be stale. The Ink UI draws this state; nothing here knows how.
import type { Check, CheckId } from './checks/types.js';
import type { HostFacts } from './host/types.js';
import { buildGroups, visibleAddresses, type DeviceFilter, type GroupRow } from './iommu-view.js';

/** What the wizard works on: one scan of a host (or of the demo workstation) and its checks. */
export interface WizardSession {
  facts: HostFacts;
  checks: Check[];
  /** the bundled sample workstation: commands are listed, never run */
  demo: boolean;
}

/** Shown on every demo screen and output, so nobody mistakes the sample for their machine. */
export const DEMO_BANNER = 'DEMO — sample workstation, nothing is run';

/**
 * The steps in order. Later issues append cmdline, isolate, vm and summary here; `next` and
 * `back` walk this list, so a new step only needs its screen state and its key map.
 */
export const STEPS = ['welcome', 'readiness', 'devices'] as const;
export type StepScreen = (typeof STEPS)[number];
/** notReady is a side branch: the host cannot do passthrough, so the wizard explains and offers the demo. */
export type Screen = StepScreen | 'notReady';

export const STEP_TITLES: Record<Screen, string> = {
  welcome: 'Welcome',
  readiness: 'Host readiness',
  devices: 'Devices and IOMMU groups',
  notReady: 'This host cannot do passthrough',
};

/** Failing checks that no later step can fix: without them there is nothing to pass through. */
const BLOCKING: readonly CheckId[] = ['cpu-virtualization', 'iommu-firmware'];

export function blockingChecks(checks: readonly Check[]): Check[] {
  return checks.filter((c) => c.status === 'fail' && BLOCKING.includes(c.id));
}

export interface ReadinessState {
  cursor: number;
  /** the check whose evidence, why and remedy are shown; one at a time keeps the screen bounded */
  expanded: CheckId | null;
  /** first line of the open details shown (PgUp/PgDn scroll them) */
  detailScroll: number;
  /** how far the details can scroll: reported by the screen, which alone knows the width and height */
  detailMax: number;
}

export interface DevicesState {
  filter: DeviceFilter;
  /** address of the highlighted device; null when the filter shows nothing */
  cursor: string | null;
  /** the cursor's walk order per filter (group by group) */
  order: Record<DeviceFilter, string[]>;
}

export type DemoRequest = { state: 'idle' } | { state: 'loading' } | { state: 'failed'; message: string };

export interface WizardState {
  session: WizardSession;
  groups: GroupRow[];
  blocking: Check[];
  screen: Screen;
  readiness: ReadinessState;
  devices: DevicesState;
  /** whether the UI can load the demo (it has a loader and is not already in the demo) */
  demoAvailable: boolean;
  demo: DemoRequest;
  /** work in progress that quitting would interrupt (set by later steps); null when idle */
  pending: string | null;
  /** asking "quit anyway?"; holds the exit code the quit would use */
  confirmQuit: number | null;
  /** set once: the UI's exit owner unmounts and returns this code */
  exit: number | null;
}

/** The key fields the wizard reads (a subset of Ink's Key, so src/ needs no Ink types). */
export interface KeyPress {
  input: string;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

export type WizardEvent =
  | { type: 'key'; key: KeyPress }
  | { type: 'next' }
  | { type: 'back' }
  | { type: 'goto'; screen: Screen }
  | { type: 'move'; delta: number }
  | { type: 'moveTo'; where: 'first' | 'last' }
  | { type: 'toggleDetails' }
  | { type: 'expand' }
  | { type: 'collapse' }
  | { type: 'toggleFilter' }
  | { type: 'scrollDetails'; delta: number }
  | { type: 'detailsOverflow'; max: number }
  | { type: 'quit'; code: number }
  | { type: 'confirmQuit' }
  | { type: 'cancelQuit' }
  | { type: 'setPending'; what: string | null }
  | { type: 'requestDemo' }
  | { type: 'demoLoaded'; session: WizardSession }
  | { type: 'demoFailed'; message: string };

/** How far PgUp/PgDn move a cursor. */
export const PAGE = 8;

/** Exit codes of the interactive wizard (docs/cli.md): quitting is success, Ctrl+C is an interrupt. */
export const QUIT_CODE = 0;
export const INTERRUPT_CODE = 130;

export interface InitOptions {
  demoAvailable?: boolean;
}

export function initWizard(session: WizardSession, opts: InitOptions = {}): WizardState {
  const groups = buildGroups(session.facts);
  const order = { gpu: visibleAddresses(groups, 'gpu'), all: visibleAddresses(groups, 'all') };
  // A host with no GPU or accelerator (a server, a VM) would open on an empty list.
  const filter: DeviceFilter = order.gpu.length > 0 ? 'gpu' : 'all';
  return {
    session,
    groups,
    blocking: blockingChecks(session.checks),
    screen: 'welcome',
    readiness: { cursor: 0, expanded: null, detailScroll: 0, detailMax: 0 },
    devices: { filter, cursor: order[filter][0] ?? null, order },
    demoAvailable: Boolean(opts.demoAvailable) && !session.demo,
    demo: { state: 'idle' },
    pending: null,
    confirmQuit: null,
    exit: null,
  };
}

const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, n));

/** The screen `next` leads to; null at the last step. */
export function nextScreen(state: WizardState): Screen | null {
  if (state.screen === 'notReady') return null;
  if (state.screen === 'readiness' && state.blocking.length > 0) return 'notReady';
  const i = STEPS.indexOf(state.screen);
  return STEPS[i + 1] ?? null;
}

/** The screen `back` leads to; null on the first step. */
export function previousScreen(state: WizardState): Screen | null {
  if (state.screen === 'notReady') return 'readiness';
  const i = STEPS.indexOf(state.screen);
  return i > 0 ? (STEPS[i - 1] ?? null) : null;
}

/** Map a key to an action on the current screen; null when the key means nothing here. */
export function keyToEvent(state: WizardState, key: KeyPress): WizardEvent | null {
  const ch = key.input;
  if (state.confirmQuit !== null) {
    if (ch === 'y' || ch === 'Y' || key.return || (key.ctrl && ch === 'c')) return { type: 'confirmQuit' };
    if (ch === 'n' || ch === 'N' || key.escape) return { type: 'cancelQuit' };
    return null;
  }
  if (key.ctrl && ch === 'c') return { type: 'quit', code: INTERRUPT_CODE };
  if (key.ctrl) return null;
  if (ch === 'q') return { type: 'quit', code: QUIT_CODE };
  if (ch === 'd' && state.demoAvailable && (state.screen === 'welcome' || state.screen === 'notReady')) {
    return { type: 'requestDemo' };
  }

  const up = key.upArrow || ch === 'k';
  const down = key.downArrow || ch === 'j';
  const back = key.escape || key.backspace || ch === 'b';
  const next = key.tab || ch === 'n';

  switch (state.screen) {
    case 'welcome':
      if (key.return || key.rightArrow || ch === ' ' || next) return { type: 'next' };
      return null;
    case 'readiness':
      if (state.readiness.expanded !== null && key.pageUp) return { type: 'scrollDetails', delta: -PAGE };
      if (state.readiness.expanded !== null && key.pageDown) return { type: 'scrollDetails', delta: PAGE };
      if (up) return { type: 'move', delta: -1 };
      if (down) return { type: 'move', delta: 1 };
      if (key.pageUp) return { type: 'move', delta: -PAGE };
      if (key.pageDown) return { type: 'move', delta: PAGE };
      if (key.home) return { type: 'moveTo', where: 'first' };
      if (key.end) return { type: 'moveTo', where: 'last' };
      if (key.return || ch === ' ') return { type: 'toggleDetails' };
      if (key.rightArrow) return { type: 'expand' };
      if ((key.leftArrow || key.escape) && state.readiness.expanded !== null) return { type: 'collapse' };
      if (key.leftArrow || back) return { type: 'back' };
      if (next) return { type: 'next' };
      return null;
    case 'devices':
      if (up) return { type: 'move', delta: -1 };
      if (down) return { type: 'move', delta: 1 };
      if (key.pageUp) return { type: 'move', delta: -PAGE };
      if (key.pageDown) return { type: 'move', delta: PAGE };
      if (key.home) return { type: 'moveTo', where: 'first' };
      if (key.end) return { type: 'moveTo', where: 'last' };
      if (ch === 'f') return { type: 'toggleFilter' };
      if (key.leftArrow || back) return { type: 'back' };
      if (next) return { type: 'next' };
      return null;
    case 'notReady':
      if (ch === 'v') return { type: 'goto', screen: 'devices' };
      if (key.leftArrow || back) return { type: 'back' };
      return null;
  }
}

function moveDeviceCursor(d: DevicesState, to: (index: number, last: number) => number): DevicesState {
  const list = d.order[d.filter];
  if (list.length === 0) return d;
  const i = d.cursor === null ? 0 : Math.max(0, list.indexOf(d.cursor));
  return { ...d, cursor: list[clamp(to(i, list.length - 1), 0, list.length - 1)] ?? null };
}

function toggleFilter(d: DevicesState): DevicesState {
  const filter: DeviceFilter = d.filter === 'gpu' ? 'all' : 'gpu';
  const list = d.order[filter];
  if (d.cursor !== null && list.includes(d.cursor)) return { ...d, filter };
  // The highlighted device is hidden by the new filter: keep the place in the list by taking
  // the next visible device after it (in the unfiltered order), else the last one.
  const all = d.order.all;
  const from = d.cursor === null ? 0 : all.indexOf(d.cursor);
  const after = all.slice(from + 1).find((a) => list.includes(a));
  return { ...d, filter, cursor: after ?? list[list.length - 1] ?? null };
}

function moveReadiness(state: WizardState, to: (index: number, last: number) => number): WizardState {
  const last = state.session.checks.length - 1;
  if (last < 0) return state;
  const cursor = clamp(to(state.readiness.cursor, last), 0, last);
  // Details follow the cursor when they are open, so ↑/↓ read through the checks one by one.
  const expanded = state.readiness.expanded === null ? null : (state.session.checks[cursor]?.id ?? null);
  return { ...state, readiness: { ...state.readiness, cursor, expanded, detailScroll: 0 } };
}

function move(state: WizardState, to: (index: number, last: number) => number): WizardState {
  if (state.screen === 'readiness') return moveReadiness(state, to);
  if (state.screen === 'devices') return { ...state, devices: moveDeviceCursor(state.devices, to) };
  return state;
}

function quit(state: WizardState, code: number): WizardState {
  if (state.exit !== null) return state;
  if (state.pending !== null) return { ...state, confirmQuit: code };
  return { ...state, exit: code };
}

export function wizardReducer(state: WizardState, event: WizardEvent): WizardState {
  switch (event.type) {
    case 'key': {
      const mapped = keyToEvent(state, event.key);
      return mapped === null ? state : wizardReducer(state, mapped);
    }
    case 'next': {
      const to = nextScreen(state);
      return to === null ? state : { ...state, screen: to };
    }
    case 'back': {
      const to = previousScreen(state);
      return to === null ? state : { ...state, screen: to };
    }
    case 'goto':
      return { ...state, screen: event.screen };
    case 'move':
      return move(state, (i) => i + event.delta);
    case 'moveTo':
      return move(state, (_i, last) => (event.where === 'first' ? 0 : last));
    case 'toggleDetails':
    case 'expand':
    case 'collapse': {
      if (state.screen !== 'readiness') return state;
      const id = state.session.checks[state.readiness.cursor]?.id ?? null;
      const open =
        event.type === 'expand' ? true : event.type === 'collapse' ? false : state.readiness.expanded === null;
      return { ...state, readiness: { ...state.readiness, expanded: open ? id : null, detailScroll: 0 } };
    }
    case 'scrollDetails': {
      const r = state.readiness;
      if (r.expanded === null) return state;
      return { ...state, readiness: { ...r, detailScroll: clamp(r.detailScroll + event.delta, 0, r.detailMax) } };
    }
    case 'detailsOverflow': {
      const max = Math.max(0, event.max);
      const r = state.readiness;
      if (max === r.detailMax) return state;
      return { ...state, readiness: { ...r, detailMax: max, detailScroll: Math.min(r.detailScroll, max) } };
    }
    case 'toggleFilter':
      return state.screen === 'devices' ? { ...state, devices: toggleFilter(state.devices) } : state;
    case 'quit':
      return quit(state, event.code);
    case 'confirmQuit':
      return state.confirmQuit === null ? state : { ...state, confirmQuit: null, exit: state.confirmQuit };
    case 'cancelQuit':
      return { ...state, confirmQuit: null };
    case 'setPending':
      return { ...state, pending: event.what };
    case 'requestDemo':
      return state.demoAvailable && state.demo.state !== 'loading' ? { ...state, demo: { state: 'loading' } } : state;
    case 'demoLoaded':
      return { ...initWizard(event.session), pending: state.pending, exit: state.exit };
    case 'demoFailed':
      return { ...state, demo: { state: 'failed', message: event.message } };
  }
}
