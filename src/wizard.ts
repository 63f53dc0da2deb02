// The wizard as a pure state machine: (state, event) → state. Keys arrive as raw `key` events
// and are mapped to actions here, against the state the reducer sees, never against a value a
// render closed over: Ink 6.8 can deliver back-to-back keys to a stale input handler, and a
// reducer cannot be stale. The Ink UI draws this state; nothing here knows how.
import type { Check, CheckId } from './checks/types.js';
import type { HostFacts } from './host/types.js';
import type { ShareFacts } from './share/share-facts.js';
import { buildGroups, visibleAddresses, type DeviceFilter, type GroupRow } from './iommu-view.js';
import type { EngineEvent } from './apply/engine-types.js';
import type { RollbackResult } from './apply/rollback.js';
import type { Status, StepStatus } from './apply/status.js';
import type { StepOutcome } from './steps/registry.js';
import {
  appendLog,
  initStepFlow,
  undoableAfter,
  undoableSteps,
  type ConfirmAction,
  type ConfirmState,
  type ResumeCheck,
  type StepApplyReport,
  type StepFlow,
  type SummaryState,
  type UndoState,
  type UndoTarget,
  type VerifyState,
} from './wizard-step.js';
import { cmdlineRowCount, cmdlineView, initCmdlineChoices, nextLoader, type CmdlineChoiceState } from './wizard-cmdline.js';
import { initIsolateChoices, isolateRowCount, isolateView, nextBindBy, toggleCard, type IsolateChoiceState } from './wizard-isolate.js';
import { initVmScreen, nextExportFormat, type VmScreenState } from './wizard-vm.js';
import { initialFormState, vmFormReducer, type VmFormEvent } from './vm/vm-form.js';
import type { HostResources } from './vm/host-resources.js';
import type { VmSpec } from './vm/vm-spec.js';
import type { ExportFormat } from './vm/export-formats.js';
import { LIVE_BIND_STEP_ID, TRIAL_STEP_ID } from './steps/step-ids.js';
import { createdMdevs, initShareChoices, openShare, SHARE_STEP_IDS, shareBounds, type ShareChoiceState, type ShareScreen } from './wizard-share.js';

/** What the wizard works on: one scan of a host (or of the demo workstation) and its checks. */
export interface WizardSession {
  facts: HostFacts;
  checks: Check[];
  /** the bundled sample workstation: commands are listed, never run */
  demo: boolean;
  /** the root directory the session was scanned from (the demo's temp root); default: the --root of the run */
  rootDir?: string;
  /** mdev parents, mdevs, NVIDIA's VF interface (absent: nothing read, nothing to share) */
  share?: ShareFacts;
  /** libvirt's virt-host-validate can run here (the running system, installed, not the demo) */
  hostValidate?: boolean;
}

/** libvirt's own host check on the readiness screen: run when the screen is first shown, r again. */
export interface HostCheckState {
  phase: 'idle' | 'running' | 'done';
  request: number;
  error: string | null;
  /** the checks with its result; null until it ran (the session's checks are shown meanwhile) */
  checks: Check[] | null;
}

/** The readiness checks as they stand now (with libvirt's host check once it ran). */
export const checksOf = (state: WizardState): Check[] => state.hostCheck.checks ?? state.session.checks;

/** Shown on every demo screen and output, so nobody mistakes the sample for their machine. */
export const DEMO_BANNER = 'DEMO — sample workstation, nothing is run';

/**
 * The steps in order. `next` and `back` walk this list, so a new step only needs its screen
 * state and its key map; a step that changes the system also gets a StepFlow (CHANGE_STEPS).
 */
export const STEPS = ['welcome', 'readiness', 'cmdline', 'devices', 'isolate', 'vm', 'summary'] as const;
export type StepScreen = (typeof STEPS)[number];
/**
 * notReady is a side branch: the host cannot do passthrough, so the wizard explains and offers
 * the demo. verify is where the wizard opens after a reboot a step asked for. tryNow is the live
 * bind, reached from the isolation screen and leading back to it; trial boots the kernel command
 * line step's parameters once, reached from (and leading back to) the command line screen.
 */
export type Screen = StepScreen | 'notReady' | 'verify' | 'tryNow' | 'trial' | ShareScreen;

export const STEP_TITLES: Record<Screen, string> = {
  welcome: 'Welcome',
  readiness: 'Host readiness',
  cmdline: 'Kernel command line',
  devices: 'Devices and IOMMU groups',
  isolate: 'Bind to vfio-pci',
  vm: 'Virtual machine',
  tryNow: 'Try it now (no reboot)',
  trial: 'Trial boot (once)',
  shareSriov: 'Share: SR-IOV virtual functions',
  shareMdev: 'Share: mediated devices',
  shareVgpu: 'Share: NVIDIA vGPU type',
  summary: 'Summary',
  notReady: 'This host cannot do passthrough',
  verify: 'After the reboot',
};

/** Screens that plan and apply a step, and the step id each one drives. */
export const CHANGE_STEPS: Partial<Record<Screen, string>> = { cmdline: 'cmdline', trial: TRIAL_STEP_ID, isolate: 'isolate', tryNow: LIVE_BIND_STEP_ID, vm: 'vm', ...SHARE_STEP_IDS };

/** Side screens and the step screen they belong to (back, next, and where to go after their check). */
const SIDE_OF: Partial<Record<Screen, StepScreen>> = { tryNow: 'isolate', trial: 'cmdline' };

/** The command line plan can boot its parameters once first (this loader supports a trial entry). */
export const trialOffered = (flow: StepFlow | undefined): boolean =>
  flow?.outcome?.kind === 'plan' && Array.isArray(flow.outcome.details.trialBoot);
/** The screen of a step id (for resume and undo). */
export const screenOfStep = (stepId: string): Screen | null =>
  (Object.entries(CHANGE_STEPS).find(([, id]) => id === stepId)?.[0] as Screen | undefined) ?? null;

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
  hostCheck: HostCheckState;
  devices: DevicesState;
  /** whether the UI can load the demo (it has a loader and is not already in the demo) */
  demoAvailable: boolean;
  demo: DemoRequest;
  /** the kernel command line step's choices */
  cmdline: CmdlineChoiceState;
  /** the cards chosen in the device browser (one address per card; the steps expand them) */
  selection: string[];
  /** the isolation step's choices (guards overridden, bind by) */
  isolate: IsolateChoiceState;
  /** the VM step's form and export view */
  vm: VmScreenState;
  /** the share screens' device and choices, and the mdevs made in this session */
  share: ShareChoiceState;
  /** the change path of each step that changes the system, by step id */
  flows: Record<string, StepFlow>;
  /** an explicit confirm before apply or undo; drawn over the current screen */
  confirm: ConfirmState | null;
  /** an undo in progress or just finished; drawn over the current screen */
  undo: UndoState | null;
  summary: SummaryState;
  /** the post-reboot check (screen 'verify') */
  verify: VerifyState | null;
  /** whether this process may apply (root, or the demo); the hint says how to re-run otherwise */
  canApply: boolean;
  rerunHint: string;
  /** work in progress that quitting would interrupt (set by later steps); null when idle */
  pending: string | null;
  /** undos started in this session (each one's token) */
  undoRuns: number;
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
  | { type: 'demoFailed'; message: string }
  // the change path (src/wizard-step.ts); results come from components/hooks/useStepRunner.ts
  | { type: 'planned'; stepId: string; outcome: StepOutcome }
  | { type: 'planFailed'; stepId: string; message: string }
  | { type: 'toggleParam' }
  | { type: 'toggleConsent' }
  | { type: 'cycleLoader' }
  | { type: 'openReview' }
  | { type: 'closeReview' }
  | { type: 'scroll'; delta: number }
  | { type: 'scrollOverflow'; max: number }
  | { type: 'requestConfirm'; action: ConfirmAction }
  | { type: 'confirmFocus'; focus: 'cancel' | 'confirm' | 'toggle' }
  /** y confirms outright; Enter presses whichever button is focused */
  | { type: 'confirmAccept'; via: 'y' | 'enter' }
  | { type: 'confirmCancel' }
  | { type: 'cancelRun' }
  | { type: 'engineEvent'; target: 'apply' | 'undo'; stepId: string; event: EngineEvent }
  | { type: 'applied'; stepId: string; report: StepApplyReport }
  | { type: 'applyFailed'; stepId: string; message: string }
  | { type: 'undone'; result: RollbackResult }
  | { type: 'undoFailed'; message: string }
  | { type: 'dismissUndo' }
  | { type: 'statusLoaded'; status: Status; request: number }
  | { type: 'statusFailed'; message: string }
  | { type: 'refreshStatus' }
  | { type: 'verified'; check: ResumeCheck }
  | { type: 'hostCheckAgain' }
  /** virt-host-validate finished: the checks with its result (null: it did not run) */
  | { type: 'hostChecked'; checks: Check[] | null; error: string | null; request: number }
  | { type: 'verifyFailed'; message: string }
  | { type: 'verificationRecorded' }
  | { type: 'recheck' }
  // choosing devices, isolation and the VM
  | { type: 'toggleCard' }
  | { type: 'chooseCards' }
  | { type: 'toggleOverride' }
  | { type: 'cycleBindBy' }
  | { type: 'vmDefaults'; base: VmSpec; resources: HostResources }
  | { type: 'vmDefaultsFailed'; message: string }
  | { type: 'vmForm'; event: VmFormEvent }
  | { type: 'vmEditing'; on: boolean }
  | { type: 'vmExport'; close?: boolean }
  | { type: 'vmExportText'; format: ExportFormat; text: string }
  | { type: 'vmExportScroll'; delta: number }
  | { type: 'openShare' }
  | { type: 'shareCount'; delta: number };

/** How far PgUp/PgDn move a cursor. */
export const PAGE = 8;

/** Exit codes of the interactive wizard (docs/cli.md): quitting is success, Ctrl+C is an interrupt. */
export const QUIT_CODE = 0;
export const INTERRUPT_CODE = 130;

export interface InitOptions {
  demoAvailable?: boolean;
  /** an applied step whose reboot happened and whose check is pending: the wizard opens on it */
  resume?: StepStatus | null;
  /** this process may apply (root); the demo always may */
  canApply?: boolean;
  /** how to re-run as root, shown instead of applying */
  rerunHint?: string;
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
    screen: opts.resume ? 'verify' : 'welcome',
    readiness: { cursor: 0, expanded: null, detailScroll: 0, detailMax: 0 },
    hostCheck: { phase: 'idle', request: 0, error: null, checks: null },
    devices: { filter, cursor: order[filter][0] ?? null, order },
    demoAvailable: Boolean(opts.demoAvailable) && !session.demo,
    demo: { state: 'idle' },
    cmdline: initCmdlineChoices(),
    selection: [],
    isolate: initIsolateChoices(),
    vm: initVmScreen(),
    share: initShareChoices(),
    flows: Object.fromEntries(Object.values(CHANGE_STEPS).map((id) => [id, initStepFlow(id)])),
    confirm: null,
    undo: null,
    summary: { cursor: 0, status: null, error: null, request: 0, loaded: -1 },
    verify: opts.resume
      ? { runId: opts.resume.runId, stepId: opts.resume.id, title: opts.resume.title, phase: 'checking', check: null, error: null, recorded: false, request: 1 }
      : null,
    canApply: session.demo || Boolean(opts.canApply),
    rerunHint: opts.rerunHint ?? 'sudo vfio-wizard',
    pending: null,
    undoRuns: 0,
    confirmQuit: null,
    exit: null,
  };
}

const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, n));

/** Whether something that changes the system is running: navigation waits for it. */
export function busy(state: WizardState): boolean {
  if (state.undo?.phase === 'running') return true;
  return Object.values(state.flows).some((f) => f.phase === 'applying');
}

/** The flow of the step the current screen drives, if it is a change step. */
export function currentFlow(state: WizardState): StepFlow | null {
  const id = CHANGE_STEPS[state.screen];
  return id ? (state.flows[id] ?? null) : null;
}

/** The screen `next` leads to; null at the last step. */
export function nextScreen(state: WizardState): Screen | null {
  if (state.screen === 'notReady') return null;
  if (busy(state)) return null;
  if (state.screen === 'verify') {
    const own = state.verify ? screenOfStep(state.verify.stepId) : null;
    const after = own ? (SIDE_OF[own] ?? own) : null;
    const i = after ? STEPS.indexOf(after as StepScreen) : -1;
    return i >= 0 ? (STEPS[i + 1] ?? null) : 'welcome';
  }
  if (state.screen === 'readiness' && state.blocking.length > 0) return 'notReady';
  if (SIDE_OF[state.screen]) return SIDE_OF[state.screen]!;
  if (isShareScreen(state.screen)) return 'devices';
  const i = STEPS.indexOf(state.screen as StepScreen);
  return STEPS[i + 1] ?? null;
}

/** The screen `back` leads to; null on the first step. */
export function previousScreen(state: WizardState): Screen | null {
  if (busy(state) || state.screen === 'verify') return null;
  if (state.screen === 'notReady') return 'readiness';
  if (SIDE_OF[state.screen]) return SIDE_OF[state.screen]!;
  if (isShareScreen(state.screen)) return 'devices';
  const i = STEPS.indexOf(state.screen as StepScreen);
  return i > 0 ? (STEPS[i - 1] ?? null) : null;
}

function confirmKey(key: KeyPress): WizardEvent | null {
  const ch = key.input;
  // Digits and every other key do nothing: only y, or Enter on the focused Apply button, confirms.
  if (ch === 'y' || ch === 'Y') return { type: 'confirmAccept', via: 'y' };
  if (ch === 'n' || ch === 'N' || key.escape || (key.ctrl && ch === 'c')) return { type: 'confirmCancel' };
  if (key.leftArrow || key.rightArrow || key.tab || ch === 'h' || ch === 'l') return { type: 'confirmFocus', focus: 'toggle' };
  if (key.return) return { type: 'confirmAccept', via: 'enter' };
  return null;
}

function undoKey(state: WizardState, key: KeyPress): WizardEvent | null {
  const u = state.undo!;
  const ch = key.input;
  if (u.phase === 'running') {
    if (key.ctrl && ch === 'c') return { type: 'cancelRun' };
    if (ch === 'q') return { type: 'quit', code: QUIT_CODE };
    return null;
  }
  if (key.ctrl && ch === 'c') return { type: 'quit', code: INTERRUPT_CODE };
  if (key.pageUp || key.upArrow || ch === 'k') return { type: 'scroll', delta: key.pageUp ? -PAGE : -1 };
  if (key.pageDown || key.downArrow || ch === 'j') return { type: 'scroll', delta: key.pageDown ? PAGE : 1 };
  if (ch === 'f' && u.result?.status === 'blocked') {
    return { type: 'requestConfirm', action: { kind: 'undo', target: u.target, force: true } };
  }
  if (key.return || key.escape || ch === ' ' || ch === 'b') return { type: 'dismissUndo' };
  if (ch === 'q') return { type: 'quit', code: QUIT_CODE };
  return null;
}

/**
 * Keys of a step's own decide screen, before the shared ones; undefined: not this step's key.
 * The VM form, while typed in, takes every printable key (q and n are letters of a name there).
 */
function decideKey(state: WizardState, flow: StepFlow, key: KeyPress): WizardEvent | null | undefined {
  const ch = key.input;
  switch (flow.stepId) {
    case 'cmdline':
      if (ch === ' ') return { type: 'toggleParam' };
      if (ch === 'c') return { type: 'toggleConsent' };
      if (ch === 'l') return { type: 'cycleLoader' };
      if (ch === 't' && trialOffered(flow)) return { type: 'goto', screen: 'trial' };
      return undefined;
    case 'isolate':
      if (ch === ' ') return { type: 'toggleOverride' };
      if (ch === 'm') return { type: 'cycleBindBy' };
      if (ch === 't' && state.selection.length > 0) return { type: 'goto', screen: 'tryNow' };
      return undefined;
    case 'vm': {
      const vm = state.vm;
      if (vm.editing) {
        if (key.escape) return { type: 'vmEditing', on: false };
        if (key.return) return { type: 'vmForm', event: { type: 'submit' } };
        if (key.upArrow) return { type: 'vmForm', event: { type: 'focus', delta: -1 } };
        if (key.downArrow || key.tab) return { type: 'vmForm', event: { type: 'focus', delta: 1 } };
        if (key.backspace || key.delete) return { type: 'vmForm', event: { type: 'backspace' } };
        if (key.leftArrow || key.rightArrow) return { type: 'vmForm', event: { type: 'toggle' } };
        if (ch && !key.ctrl) return { type: 'vmForm', event: { type: 'type', text: ch } };
        return null;
      }
      if (vm.exportFormat !== null) {
        if (key.escape) return { type: 'vmExport', close: true };
        if (key.pageUp || key.upArrow) return { type: 'vmExportScroll', delta: key.pageUp ? -PAGE : -1 };
        if (key.pageDown || key.downArrow || ch === ' ') return { type: 'vmExportScroll', delta: key.pageDown || ch === ' ' ? PAGE : 1 };
      }
      if (ch === 'x' && vm.form) return { type: 'vmExport' };
      if (ch === 'e' && vm.form) return { type: 'vmEditing', on: true };
      if (key.return && vm.form && flow.outcome?.kind !== 'plan') return { type: 'vmEditing', on: true };
      return undefined;
    }
    case 'sriov':
    case 'mdev':
    case 'vgpu-type':
      if (key.leftArrow || ch === '-') return { type: 'shareCount', delta: -1 };
      if (key.rightArrow || ch === '+' || ch === '=') return { type: 'shareCount', delta: 1 };
      return undefined;
    default:
      return undefined;
  }
}

function changeStepKey(state: WizardState, flow: StepFlow, key: KeyPress): WizardEvent | null {
  const ch = key.input;
  const up = key.upArrow || ch === 'k';
  const down = key.downArrow || ch === 'j';
  switch (flow.phase) {
    case 'decide': {
      const own = decideKey(state, flow, key);
      if (own !== undefined) return own;
      if (up) return { type: 'move', delta: -1 };
      if (down) return { type: 'move', delta: 1 };
      if (key.return && flow.outcome?.kind === 'plan') return (flow.outcome.blockers?.length ?? 0) > 0 ? null : { type: 'openReview' };
      if (ch === 'u' && hasApplied(state, flow.stepId)) return { type: 'requestConfirm', action: { kind: 'undo', target: { stepId: flow.stepId }, force: false } };
      if (key.return || key.tab || ch === 'n') return { type: 'next' };
      if (key.leftArrow || key.escape || key.backspace || ch === 'b') return { type: 'back' };
      return null;
    }
    case 'review':
      if (key.pageUp) return { type: 'scroll', delta: -PAGE };
      if (key.pageDown || ch === ' ') return { type: 'scroll', delta: PAGE };
      if (up) return { type: 'scroll', delta: -1 };
      if (down) return { type: 'scroll', delta: 1 };
      if (key.home) return { type: 'scroll', delta: -Infinity };
      if (key.end) return { type: 'scroll', delta: Infinity };
      if (key.return || ch === 'a') return { type: 'requestConfirm', action: { kind: 'apply', stepId: flow.stepId } };
      if (key.escape || key.leftArrow || key.backspace || ch === 'b') return { type: 'closeReview' };
      return null;
    case 'applying':
      if (key.ctrl && ch === 'c') return { type: 'cancelRun' };
      return null;
    case 'done':
    case 'failed':
      if (key.pageUp) return { type: 'scroll', delta: -PAGE };
      if (key.pageDown) return { type: 'scroll', delta: PAGE };
      if (up) return { type: 'scroll', delta: -1 };
      if (down) return { type: 'scroll', delta: 1 };
      if (ch === 'u' && undoableAfter(flow)) return { type: 'requestConfirm', action: { kind: 'undo', target: { stepId: flow.stepId }, force: false } };
      if (ch === 'r') return { type: 'closeReview' };
      if (key.return || key.tab || ch === 'n') return { type: 'next' };
      if (key.escape || key.backspace || ch === 'b') return { type: 'back' };
      return null;
  }
}

/** Whether the journal (as last read by the summary) or this session's apply holds the step as applied. */
export function hasApplied(state: WizardState, stepId: string): boolean {
  const flow = state.flows[stepId];
  if (flow && undoableAfter(flow)) return true;
  return undoableSteps(state.summary.status).some((s) => s.id === stepId);
}

/** Map a key to an action on the current screen; null when the key means nothing here. */
export function keyToEvent(state: WizardState, key: KeyPress): WizardEvent | null {
  const ch = key.input;
  if (state.confirmQuit !== null) {
    if (ch === 'y' || ch === 'Y' || key.return || (key.ctrl && ch === 'c')) return { type: 'confirmQuit' };
    if (ch === 'n' || ch === 'N' || key.escape) return { type: 'cancelQuit' };
    return null;
  }
  if (state.confirm !== null) return confirmKey(key);
  if (state.undo !== null) return undoKey(state, key);
  const flow = currentFlow(state);
  if (flow?.phase === 'applying') {
    if (key.ctrl && ch === 'c') return { type: 'cancelRun' };
    if (ch === 'q') return { type: 'quit', code: QUIT_CODE };
    return null;
  }
  if (key.ctrl && ch === 'c') return { type: 'quit', code: INTERRUPT_CODE };
  if (key.ctrl) return null;
  // typing in the VM form: every printable key is text (Esc leaves the form, Ctrl+C still quits)
  if (flow?.stepId === 'vm' && flow.phase === 'decide' && state.vm.editing) return changeStepKey(state, flow, key);
  if (ch === 'q') return { type: 'quit', code: QUIT_CODE };
  if (ch === 'd' && state.demoAvailable && (state.screen === 'welcome' || state.screen === 'notReady')) {
    return { type: 'requestDemo' };
  }
  if (flow) return changeStepKey(state, flow, key);

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
      if (ch === 'r' && state.session.hostValidate && state.hostCheck.phase !== 'running') return { type: 'hostCheckAgain' };
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
      if (ch === ' ') return { type: 'toggleCard' };
      if (key.return) return { type: 'chooseCards' };
      if (ch === 's') return { type: 'openShare' };
      if (key.leftArrow || back) return { type: 'back' };
      if (next) return { type: 'next' };
      return null;
    case 'summary': {
      // until the journal has been read again, the list may be stale: nothing to act on yet
      const steps = state.summary.loaded === state.summary.request ? undoableSteps(state.summary.status) : [];
      if (up) return { type: 'move', delta: -1 };
      if (down) return { type: 'move', delta: 1 };
      const at = steps[Math.min(state.summary.cursor, steps.length - 1)];
      if (ch === 'u' && at) return { type: 'requestConfirm', action: { kind: 'undo', target: { stepId: at.id }, force: false } };
      if (ch === 'a' && steps.length > 0) return { type: 'requestConfirm', action: { kind: 'undo', target: { all: true }, force: false } };
      if (ch === 'r') return { type: 'refreshStatus' };
      if (key.leftArrow || back) return { type: 'back' };
      return null;
    }
    case 'verify': {
      const v = state.verify;
      if (v?.phase !== 'done') return null;
      if (ch === 'r') return { type: 'recheck' };
      if (ch === 'u' && v.check && !v.check.ok) return { type: 'requestConfirm', action: { kind: 'undo', target: { stepId: v.stepId }, force: false } };
      if (key.return || next) return { type: 'next' };
      return null;
    }
    case 'notReady':
      if (ch === 'v') return { type: 'goto', screen: 'devices' };
      if (key.leftArrow || back) return { type: 'back' };
      return null;
    default:
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
  const last = checksOf(state).length - 1;
  if (last < 0) return state;
  const cursor = clamp(to(state.readiness.cursor, last), 0, last);
  // Details follow the cursor when they are open, so ↑/↓ read through the checks one by one.
  const expanded = state.readiness.expanded === null ? null : (checksOf(state)[cursor]?.id ?? null);
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


const setFlow = (state: WizardState, stepId: string, f: (flow: StepFlow) => StepFlow): WizardState => {
  const flow = state.flows[stepId];
  return flow ? { ...state, flows: { ...state.flows, [stepId]: f(flow) } } : state;
};

/** Plan again with the current choices (the hook answers with `planned`). */
const replan = (flow: StepFlow): StepFlow => ({ ...flow, planRequest: flow.planRequest + 1, planError: null });

function changeCmdline(state: WizardState, f: (c: CmdlineChoiceState) => CmdlineChoiceState): WizardState {
  const flow = state.flows.cmdline;
  if (state.screen !== 'cmdline' || flow?.phase !== 'decide') return state;
  const next = f(state.cmdline);
  if (next === state.cmdline) return state;
  return setFlow({ ...state, cmdline: next }, 'cmdline', replan);
}

function moveCursor(state: WizardState, to: (index: number, last: number) => number): WizardState {
  if (state.screen === 'cmdline') {
    const flow = state.flows.cmdline;
    const rows = cmdlineRowCount(flow?.outcome ? cmdlineView(flow.outcome) : null);
    if (rows === 0) return state;
    return { ...state, cmdline: { ...state.cmdline, cursor: clamp(to(state.cmdline.cursor, rows - 1), 0, rows - 1) } };
  }
  if (state.screen === 'isolate') {
    const flow = state.flows.isolate;
    const rows = isolateRowCount(flow?.outcome ? isolateView(flow.outcome) : null);
    if (rows === 0) return state;
    return { ...state, isolate: { ...state.isolate, cursor: clamp(to(state.isolate.cursor, rows - 1), 0, rows - 1) } };
  }
  if (isShareScreen(state.screen)) {
    const { rows } = shareBounds(state.session.facts, state.session.share, state.screen, state.share);
    if (rows === 0) return state;
    const cursor = clamp(to(state.share.cursor, rows - 1), 0, rows - 1);
    if (cursor === state.share.cursor) return state;
    const moved = { ...state, share: { ...state.share, cursor } };
    const { maxCount, minCount } = shareBounds(state.session.facts, state.session.share, state.screen, moved.share);
    return setFlow({ ...moved, share: { ...moved.share, count: clamp(moved.share.count, minCount, maxCount) } }, SHARE_STEP_IDS[state.screen], replan);
  }
  if (state.screen === 'summary') {
    const n = undoableSteps(state.summary.status).length;
    if (n === 0) return state;
    return { ...state, summary: { ...state.summary, cursor: clamp(to(state.summary.cursor, n - 1), 0, n - 1) } };
  }
  return move(state, to);
}

const pendingLabel = (a: ConfirmAction): string => (a.kind === 'apply' ? `Applying step ${a.stepId}` : a.kind === 'undo' ? 'Rolling back' : 'Deciding');

function accept(state: WizardState): WizardState {
  const c = state.confirm;
  if (!c) return state;
  const a = c.action;
  if (a.kind === 'apply') {
    const flow = state.flows[a.stepId];
    // a guard the user has not overridden keeps the step from being applied at all
    if (!flow || !state.canApply || flow.outcome?.kind !== 'plan' || (flow.outcome.blockers?.length ?? 0) > 0) return { ...state, confirm: null };
    return setFlow({ ...state, confirm: null, pending: pendingLabel(a) }, a.stepId, (f) => ({
      ...f,
      phase: 'applying',
      report: null,
      error: null,
      log: [],
      scroll: 0,
      scrollMax: 0,
      cancelStage: 'running',
      cancelRequests: 0,
      runToken: f.runToken + 1,
    }));
  }
  if (a.kind === 'override') {
    const overrides = state.isolate.overrides.includes(a.flag) ? state.isolate.overrides : [...state.isolate.overrides, a.flag];
    return replanSelectionSteps({ ...state, confirm: null, isolate: { ...state.isolate, overrides } });
  }
  if (!state.canApply) return { ...state, confirm: null };
  return {
    ...state,
    confirm: null,
    pending: pendingLabel(a),
    undoRuns: state.undoRuns + 1,
    undo: {
      target: a.target,
      force: a.force,
      phase: 'running',
      result: null,
      error: null,
      log: [],
      cancelStage: 'running',
      cancelRequests: 0,
      // never reused in a session: the runner hook starts one rollback per token (the undo state
      // itself is dropped when its panel closes, so it cannot carry the count)
      token: state.undoRuns + 1,
      scroll: 0,
      scrollMax: 0,
    },
  };
}

const undoneSteps = (target: UndoTarget, result: RollbackResult | null): string[] =>
  'all' in target ? (result?.steps.map((s) => s.stepId) ?? []) : [target.stepId];

/** After an undo: the steps it touched plan again from the restored files; the summary re-reads the journal. */
function afterUndo(state: WizardState): WizardState {
  const u = state.undo;
  if (!u) return state;
  let next: WizardState = { ...state, undo: null, summary: rereadJournal(state.summary) };
  if (u.result?.status === 'rolled-back') {
    // mdevs whose run was undone are gone: the VM no longer gets them
    const gone = new Set(u.result.steps.filter((s) => s.stepId === 'mdev').map((s) => s.runId));
    if (gone.size > 0) next = { ...next, share: { ...next.share, created: next.share.created.filter((m) => m.runId === null || !gone.has(m.runId)) }, vm: { ...initVmScreen(), request: next.vm.request } };
    for (const id of undoneSteps(u.target, u.result)) {
      next = setFlow(next, id, (f) => ({ ...initStepFlow(id), planRequest: f.planRequest + 1, runToken: f.runToken }));
    }
  }
  return next;
}

function cancelRun(state: WizardState): WizardState {
  if (state.undo?.phase === 'running') {
    const u = state.undo;
    return { ...state, undo: { ...u, cancelRequests: u.cancelRequests + 1, cancelStage: u.cancelStage === 'running' ? 'terminating' : 'killing' } };
  }
  const flow = Object.values(state.flows).find((f) => f.phase === 'applying');
  if (!flow) return state;
  return setFlow(state, flow.stepId, (f) => ({
    ...f,
    cancelRequests: f.cancelRequests + 1,
    cancelStage: f.cancelStage === 'running' ? 'terminating' : 'killing',
  }));
}

function scrollBy(state: WizardState, delta: number): WizardState {
  if (state.undo && state.undo.phase !== 'running') {
    const u = state.undo;
    return { ...state, undo: { ...u, scroll: clamp(u.scroll + delta, 0, u.scrollMax) } };
  }
  const flow = currentFlow(state);
  if (!flow) return state;
  return setFlow(state, flow.stepId, (f) => ({ ...f, scroll: clamp(f.scroll + delta, 0, f.scrollMax) }));
}

function scrollOverflow(state: WizardState, max: number): WizardState {
  const m = Math.max(0, max);
  if (state.undo && state.undo.phase !== 'running') {
    const u = state.undo;
    if (u.scrollMax === m) return state;
    return { ...state, undo: { ...u, scrollMax: m, scroll: Math.min(u.scroll, m) } };
  }
  const flow = currentFlow(state);
  if (!flow || flow.scrollMax === m) return state;
  return setFlow(state, flow.stepId, (f) => ({ ...f, scrollMax: m, scroll: Math.min(f.scroll, m) }));
}

/** Starts virt-host-validate (the UI's hook runs it) when it can run here and is not running. */
function startHostCheck(state: WizardState): WizardState {
  if (!state.session.hostValidate || state.hostCheck.phase === 'running') return state;
  return { ...state, hostCheck: { ...state.hostCheck, phase: 'running', request: state.hostCheck.request + 1, error: null } };
}

const rereadJournal = (s: SummaryState): SummaryState => ({ ...s, request: s.request + 1 });

function goTo(state: WizardState, screen: Screen): WizardState {
  let next = { ...state, screen };
  // libvirt's host check runs once, the first time the readiness screen is shown
  if (screen === 'readiness' && state.hostCheck.phase === 'idle') next = startHostCheck(next);
  // the VM form starts from the host's defaults for the chosen devices (the UI's hook reads them)
  if (screen === 'vm' && !next.vm.form && (next.selection.length > 0 || next.share.created.length > 0)) next = { ...next, vm: { ...next.vm, request: next.vm.request + 1, error: null } };
  // the summary reads the journal each time it is shown
  return screen === 'summary' ? { ...next, summary: rereadJournal(next.summary) } : next;
}


/** A flow back to its decide phase, planned again from the current choices. */
const freshFlow = (f: StepFlow): StepFlow => ({ ...initStepFlow(f.stepId), planRequest: f.planRequest + 1, runToken: f.runToken });

/** The steps that work on the selection plan again (isolation, the live bind, the VM); the VM form starts over. */
function replanSelectionSteps(state: WizardState): WizardState {
  let next = state;
  for (const id of ['isolate', LIVE_BIND_STEP_ID]) next = setFlow(next, id, freshFlow);
  return next;
}

function setSelection(state: WizardState, selection: string[]): WizardState {
  if (busy(state)) return state;
  const next: WizardState = {
    ...state,
    selection,
    // an override was given for the devices the user saw; a new selection asks again
    isolate: { ...state.isolate, cursor: 0, overrides: [] },
    vm: { ...initVmScreen(), request: state.vm.request },
  };
  return setFlow(replanSelectionSteps(next), 'vm', freshFlow);
}

/** Space on the isolation screen: a blocker row asks before overriding (and lifts an override at once); the last row cycles the binding. */
function toggleOverride(state: WizardState): WizardState {
  const flow = state.flows.isolate;
  if (state.screen !== 'isolate' || flow?.phase !== 'decide' || !flow.outcome) return state;
  const view = isolateView(flow.outcome);
  const b = view.blockers[state.isolate.cursor];
  if (!b) return state.isolate.cursor === view.blockers.length ? cycleBindBy(state) : state;
  if (state.isolate.overrides.includes(b.override)) {
    return replanSelectionSteps({ ...state, isolate: { ...state.isolate, overrides: state.isolate.overrides.filter((o) => o !== b.override) } });
  }
  return { ...state, confirm: { action: { kind: 'override', flag: b.override, message: b.message }, focus: 'cancel' } };
}

function cycleBindBy(state: WizardState): WizardState {
  if (state.screen !== 'isolate' || state.flows.isolate?.phase !== 'decide') return state;
  return setFlow({ ...state, isolate: { ...state.isolate, bindBy: nextBindBy(state.isolate.bindBy) } }, 'isolate', replan);
}

/** The VM form changed: a form that became valid is planned; one taken back to editing drops its plan. */
function changeVmForm(state: WizardState, e: VmFormEvent): WizardState {
  const form = state.vm.form;
  if (!form || state.flows.vm?.phase !== 'decide') return state;
  const next = vmFormReducer(form, e);
  if (next === form) return state;
  const vm = { ...state.vm, form: next, editing: next.phase === 'edit' ? state.vm.editing : false };
  return form.phase !== next.phase ? setFlow({ ...state, vm }, 'vm', freshFlow) : { ...state, vm };
}

function vmExport(state: WizardState, close: boolean): WizardState {
  if (state.screen !== 'vm' || !state.vm.form || state.vm.editing) return state;
  return { ...state, vm: { ...state.vm, exportFormat: close ? null : nextExportFormat(state.vm.exportFormat), exportText: null, exportScroll: 0 } };
}

const isShareScreen = (s: Screen): s is ShareScreen => s === 'shareSriov' || s === 'shareMdev' || s === 'shareVgpu';

/** s on a device: its share screen, planned from scratch for it; a device with nothing to share stays put. */
function openShareScreen(state: WizardState): WizardState {
  const device = state.devices.cursor;
  if (state.screen !== 'devices' || device === null || busy(state)) return state;
  const to = openShare(state.session.facts, state.session.share, device);
  if (!to) return state;
  const next = { ...state, share: { ...state.share, device, cursor: 0, count: to.count } };
  return goTo(setFlow(next, SHARE_STEP_IDS[to.screen], freshFlow), to.screen);
}

function shareCount(state: WizardState, delta: number): WizardState {
  if (!isShareScreen(state.screen) || state.flows[SHARE_STEP_IDS[state.screen]]?.phase !== 'decide') return state;
  const { maxCount, minCount } = shareBounds(state.session.facts, state.session.share, state.screen, state.share);
  const count = clamp(state.share.count + delta, minCount, maxCount);
  if (count === state.share.count) return state;
  return setFlow({ ...state, share: { ...state.share, count } }, SHARE_STEP_IDS[state.screen], replan);
}

export function wizardReducer(state: WizardState, event: WizardEvent): WizardState {
  switch (event.type) {
    case 'key': {
      const mapped = keyToEvent(state, event.key);
      return mapped === null ? state : wizardReducer(state, mapped);
    }
    case 'next': {
      const to = nextScreen(state);
      return to === null ? state : goTo(state, to);
    }
    case 'back': {
      const to = previousScreen(state);
      return to === null ? state : goTo(state, to);
    }
    case 'hostCheckAgain':
      return startHostCheck(state);
    case 'hostChecked': {
      if (event.request !== state.hostCheck.request) return state;
      const hostCheck: HostCheckState = { ...state.hostCheck, phase: 'done', error: event.error, checks: event.checks ?? state.hostCheck.checks };
      // the session stays the same object: the steps' plans depend on it, not on this check
      return { ...state, blocking: blockingChecks(checksOf({ ...state, hostCheck })), hostCheck };
    }
    case 'goto':
      if (busy(state)) return state;
      // the trial is planned from the command line choices as they are now
      return goTo(event.screen === 'trial' ? setFlow(state, TRIAL_STEP_ID, freshFlow) : state, event.screen);
    case 'move':
      return moveCursor(state, (i) => i + event.delta);
    case 'moveTo':
      return moveCursor(state, (_i, last) => (event.where === 'first' ? 0 : last));
    case 'toggleDetails':
    case 'expand':
    case 'collapse': {
      if (state.screen !== 'readiness') return state;
      const id = checksOf(state)[state.readiness.cursor]?.id ?? null;
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
      return {
        ...initWizard(event.session, { canApply: state.canApply, rerunHint: state.rerunHint }),
        pending: state.pending,
        exit: state.exit,
      };
    case 'demoFailed':
      return { ...state, demo: { state: 'failed', message: event.message } };
    case 'planned':
      return setFlow(state, event.stepId, (f) => ({ ...f, outcome: event.outcome, planError: null }));
    case 'planFailed':
      return setFlow(state, event.stepId, (f) => ({ ...f, outcome: null, planError: event.message }));
    case 'toggleParam':
      return changeCmdline(state, (c) => {
        const view = state.flows.cmdline?.outcome ? cmdlineView(state.flows.cmdline.outcome) : null;
        if (!view) return c;
        const p = view.params[c.cursor];
        if (p) return { ...c, toggles: { ...c.toggles, [p.token]: !(c.toggles[p.token] ?? p.selected) } };
        return view.conflicts.length > 0 ? { ...c, consent: !c.consent } : c;
      });
    case 'toggleConsent':
      return changeCmdline(state, (c) => {
        const flow = state.flows.cmdline;
        const view = flow?.outcome ? cmdlineView(flow.outcome) : null;
        return view && view.conflicts.length > 0 ? { ...c, consent: !c.consent } : c;
      });
    case 'cycleLoader':
      return changeCmdline(state, (c) => ({ ...c, loader: nextLoader(c.loader, state.session.facts.boot.bootloader.id) }));
    case 'openReview': {
      const flow = currentFlow(state);
      if (!flow || flow.phase !== 'decide' || flow.outcome?.kind !== 'plan') return state;
      // with a guard not overridden there is nothing to review yet: the decide screen says which
      if ((flow.outcome.blockers?.length ?? 0) > 0) return state;
      return setFlow(state, flow.stepId, (f) => ({ ...f, phase: 'review', scroll: 0, scrollMax: 0 }));
    }
    case 'closeReview': {
      const flow = currentFlow(state);
      if (!flow || flow.phase === 'applying' || flow.phase === 'decide') return state;
      // after an apply the disk changed: the decision is planned again from what is there now
      const again = flow.phase === 'done' || flow.phase === 'failed';
      return setFlow(state, flow.stepId, (f) => ({ ...(again ? replan(f) : f), phase: 'decide', scroll: 0, scrollMax: 0 }));
    }
    case 'scroll':
      return scrollBy(state, event.delta);
    case 'scrollOverflow':
      return scrollOverflow(state, event.max);
    case 'requestConfirm':
      return busy(state) ? state : { ...state, confirm: { action: event.action, focus: 'cancel' } };
    case 'confirmFocus': {
      const c = state.confirm;
      if (!c) return state;
      const focus = event.focus === 'toggle' ? (c.focus === 'cancel' ? 'confirm' : 'cancel') : event.focus;
      return { ...state, confirm: { ...c, focus } };
    }
    case 'confirmAccept':
      if (!state.confirm) return state;
      // Enter on the focused Cancel button cancels; y always means yes
      return event.via === 'y' || state.confirm.focus === 'confirm' ? accept(state) : { ...state, confirm: null };
    case 'confirmCancel':
      return { ...state, confirm: null };
    case 'cancelRun':
      return cancelRun(state);
    case 'engineEvent':
      if (event.target === 'undo') {
        return state.undo ? { ...state, undo: { ...state.undo, log: appendLog(state.undo.log, event.event) } } : state;
      }
      return setFlow(state, event.stepId, (f) => ({ ...f, log: appendLog(f.log, event.event) }));
    case 'applied': {
      const ok = event.report.result.status === 'applied' && (event.report.verification?.ok ?? true);
      // the journal is read again: an apply also undoes what an interrupted run left half done
      const applied = setFlow({ ...state, pending: null, summary: rereadJournal(state.summary) }, event.stepId, (f) => ({ ...f, phase: ok ? 'done' : 'failed', report: event.report, error: null, scroll: 0, scrollMax: 0 }));
      // mdevs made here are offered to the VM: its form starts again from defaults that include them
      const made = ok ? createdMdevs(state.flows[event.stepId]?.outcome ?? null).map((m) => ({ ...m, runId: event.report.result.runId })) : [];
      return made.length > 0 ? { ...applied, share: { ...applied.share, created: [...applied.share.created, ...made] }, vm: { ...initVmScreen(), request: applied.vm.request } } : applied;
    }
    case 'applyFailed':
      return setFlow({ ...state, pending: null, summary: rereadJournal(state.summary) }, event.stepId, (f) => ({ ...f, phase: 'failed', report: null, error: event.message, scroll: 0, scrollMax: 0 }));
    case 'undone':
      return state.undo
        ? { ...state, pending: null, undo: { ...state.undo, phase: event.result.status === 'rolled-back' || event.result.status === 'nothing' ? 'done' : 'failed', result: event.result } }
        : state;
    case 'undoFailed':
      return state.undo ? { ...state, pending: null, undo: { ...state.undo, phase: 'failed', error: event.message } } : state;
    case 'dismissUndo':
      return state.undo && state.undo.phase !== 'running' ? afterUndo(state) : state;
    case 'statusLoaded': {
      const n = undoableSteps(event.status).length;
      return { ...state, summary: { ...state.summary, status: event.status, loaded: event.request, error: null, cursor: clamp(state.summary.cursor, 0, Math.max(0, n - 1)) } };
    }
    case 'statusFailed':
      return { ...state, summary: { ...state.summary, error: event.message } };
    case 'refreshStatus':
      return { ...state, summary: rereadJournal(state.summary) };
    case 'verified':
      return state.verify ? { ...state, verify: { ...state.verify, phase: 'done', check: event.check, error: null, recorded: false } } : state;
    case 'verifyFailed':
      return state.verify ? { ...state, verify: { ...state.verify, phase: 'done', error: event.message } } : state;
    case 'verificationRecorded':
      return state.verify ? { ...state, verify: { ...state.verify, recorded: true } } : state;
    case 'toggleCard': {
      if (state.screen !== 'devices' || state.devices.cursor === null) return state;
      return setSelection(state, toggleCard(state.selection, state.devices.cursor));
    }
    case 'chooseCards': {
      if (state.screen !== 'devices' || busy(state)) return state;
      const chosen = state.selection.length === 0 && state.devices.cursor !== null ? setSelection(state, [state.devices.cursor]) : state;
      return goTo(chosen, 'isolate');
    }
    case 'toggleOverride':
      return toggleOverride(state);
    case 'openShare':
      return openShareScreen(state);
    case 'shareCount':
      return shareCount(state, event.delta);
    case 'cycleBindBy':
      return cycleBindBy(state);
    case 'vmDefaults':
      return state.vm.form ? state : { ...state, vm: { ...state.vm, form: initialFormState(event.base, event.resources), error: null } };
    case 'vmDefaultsFailed':
      return { ...state, vm: { ...state.vm, error: event.message } };
    case 'vmForm':
      return changeVmForm(state, event.event);
    case 'vmEditing': {
      const form = state.vm.form;
      if (!form || state.screen !== 'vm' || state.flows.vm?.phase !== 'decide') return state;
      const editing = { ...state, vm: { ...state.vm, editing: event.on, exportFormat: null, exportText: null } };
      return event.on && form.phase === 'done' ? changeVmForm(editing, { type: 'edit' }) : editing;
    }
    case 'vmExport':
      return vmExport(state, event.close === true);
    case 'vmExportText':
      return state.vm.exportFormat === event.format ? { ...state, vm: { ...state.vm, exportText: event.text } } : state;
    case 'vmExportScroll':
      return { ...state, vm: { ...state.vm, exportScroll: Math.max(0, state.vm.exportScroll + event.delta) } };
    case 'recheck':
      return state.verify ? { ...state, verify: { ...state.verify, phase: 'checking', check: null, error: null, recorded: false, request: state.verify.request + 1 } } : state;
  }
}
