// The part of the wizard that changes the system, as pure state. Every step that changes
// something walks the same flow — decide → review → (confirm) → applying → done | failed — and
// can be undone; undo and apply always pass through an explicit confirm dialog. The reducer in
// src/wizard.ts owns this state; components/hooks/useStepRunner.ts watches it and calls the
// services (plan, apply, rollback, status), which answer with the events below. Nothing here
// runs anything.
import type { ApplyResult } from './apply/apply.js';
import type { EngineEvent } from './apply/engine-types.js';
import type { RollbackResult } from './apply/rollback.js';
import type { Status, StepStatus } from './apply/status.js';
import type { CancelStage } from './run/cancellation.js';
import { shellJoin } from './plan/shell-quote.js';
import type { ExportFormat } from './vm/export-formats.js';
import type { HostResources } from './vm/host-resources.js';
import type { VmMdev, VmSpec } from './vm/vm-spec.js';
import type { StepOptions, StepOutcome, StepVerification } from './steps/registry.js';
import type { Check } from './checks/types.js';

export type StepPhase = 'decide' | 'review' | 'applying' | 'done' | 'failed';

/** What applying a step gave: the engine's result and the check of the generated configuration. */
export interface StepApplyReport {
  result: ApplyResult;
  verification: StepVerification | null;
}

/** Where an undo aims: one step (its latest applied run) or every applied step. */
export type UndoTarget = { stepId: string } | { all: true };

/** A step's way through the change path; one per step that changes the system. */
export interface StepFlow {
  stepId: string;
  phase: StepPhase;
  /** the latest plan for the current choices (null until the first one arrives) */
  outcome: StepOutcome | null;
  /** planning threw (unreadable file, bad choice): shown instead of the plan */
  planError: string | null;
  /** bumped whenever the choices change: the runner hook plans again for each new value */
  planRequest: number;
  /** the review's first visible line and how far it can scroll (reported by the screen) */
  scroll: number;
  scrollMax: number;
  report: StepApplyReport | null;
  /** apply threw before changing anything (needs root, plan no longer matches the disk) */
  error: string | null;
  /** the engine's progress, one line per event (command output goes to the output pane) */
  log: string[];
  cancelStage: CancelStage;
  /** bumped by each Ctrl+C while applying: the hook forwards each one to the cancellation */
  cancelRequests: number;
  /** bumped for each apply: the hook starts exactly one apply per value */
  runToken: number;
}

export interface UndoState {
  target: UndoTarget;
  force: boolean;
  phase: 'running' | 'done' | 'failed';
  result: RollbackResult | null;
  error: string | null;
  log: string[];
  cancelStage: CancelStage;
  cancelRequests: number;
  token: number;
  /** the result's first visible line (drift diffs can be long) and how far it can scroll */
  scroll: number;
  scrollMax: number;
}

/**
 * apply and undo change the system; override lets a guarded selection through (an explicit
 * insistence, asked separately for each blocker; nothing changes until the step is applied).
 */
export type ConfirmAction =
  | { kind: 'apply'; stepId: string }
  | { kind: 'undo'; target: UndoTarget; force: boolean }
  | { kind: 'override'; flag: string; message: string };

export interface ConfirmState {
  action: ConfirmAction;
  /** Cancel is focused first: Enter alone never changes the system */
  focus: 'cancel' | 'confirm';
}

export interface SummaryState {
  cursor: number;
  status: Status | null;
  error: string | null;
  /** bumped to (re)read the status */
  request: number;
  /** the request the status answers: until it equals request, what is shown may be stale */
  loaded: number;
}

/** After a reboot a step asked for: the check the wizard opens on. */
export interface ResumeCheck {
  ok: boolean;
  summary: string;
  /** what was looked at, line by line (the command line, the IOMMU state) */
  lines: string[];
}

export interface VerifyState {
  runId: string;
  stepId: string;
  title: string;
  phase: 'checking' | 'done';
  check: ResumeCheck | null;
  error: string | null;
  /** whether the outcome was recorded in the journal (markVerification) */
  recorded: boolean;
  request: number;
}

/**
 * The effects the change path needs, as the UI sees them. The session says which root: the demo
 * (loaded mid-wizard) has its own. src/commands/wizard-services.ts provides the real ones.
 */
export interface StepServices<S> {
  /** whether this process may apply (root); the demo may always (its root is a temp dir) */
  isRoot: boolean;
  /** the exact command that re-runs the wizard as root */
  rerunHint: string;
  planStep(session: S, stepId: string, opts: StepOptions): StepOutcome;
  applyStep(
    session: S,
    outcome: StepOutcome,
    o: { signal: AbortSignal; forceSignal: AbortSignal; onEvent: (e: EngineEvent) => void },
  ): Promise<StepApplyReport>;
  rollbackStep(
    session: S,
    target: UndoTarget,
    o: { force: boolean; signal: AbortSignal; forceSignal: AbortSignal; onEvent: (e: EngineEvent) => void },
  ): Promise<RollbackResult>;
  status(session: S): Status;
  /** after the reboot: scan again and check that the step took effect */
  verifyResume(session: S, stepId: string): Promise<ResumeCheck>;
  markVerification(session: S, runId: string, stepId: string, outcome: 'passed' | 'failed'): void;
  /** the VM form's starting values for the chosen cards and mediated devices (memory and CPUs from the host); throws on a bad selection */
  vmDefaults(session: S, selection: string[], mdevs: VmMdev[]): { base: VmSpec; resources: HostResources };
  /** the VM as one of the export formats (OVMF files from the host) */
  vmExport(session: S, spec: VmSpec, format: ExportFormat): string;
  /**
   * libvirt's virt-host-validate, its output streamed to the output pane: the readiness checks with
   * its result, or null when it cannot run for this session (another root, the demo, not installed)
   */
  hostValidate?(session: S, signal: AbortSignal): Promise<Check[] | null>;
}

/**
 * The change path's services loaded after the wizard's first frame: the engine behind them (steps,
 * apply, rollback, the runner, the VM exporters) is most of the wizard's code and no first screen
 * needs it. What the first state needs is here without it: whether this process may apply, the
 * re-run hint, and the journal (so a wizard resumed after a reboot opens at its check).
 */
export interface LazyStepServices<S> extends Pick<StepServices<S>, 'isRoot' | 'rerunHint' | 'status'> {
  load(): Promise<StepServices<S>>;
}

export function initStepFlow(stepId: string): StepFlow {
  return {
    stepId,
    phase: 'decide',
    outcome: null,
    planError: null,
    planRequest: 1,
    scroll: 0,
    scrollMax: 0,
    report: null,
    error: null,
    log: [],
    cancelStage: 'running',
    cancelRequests: 0,
    runToken: 0,
  };
}

/** Engine events as the lines the progress screen shows (command output has its own pane). */
export function engineEventLine(e: EngineEvent): string | null {
  switch (e.type) {
    case 'step-start':
      return `Applying ${e.title}`;
    case 'change':
      return e.state === 'start' ? null : `${e.state === 'done' ? '✔' : e.state === 'pending' ? '·' : '-'} ${e.text}${e.state === 'pending' ? ' (listed, not run)' : ''}`;
    case 'output':
      return null;
    case 'step-end':
      return `${e.stepId}: ${e.state}${e.error ? ` — ${e.error.split('\n')[0]}` : ''}`;
    case 'rollback-start':
      return `Rolling back ${e.stepId}: ${e.reason.split('\n')[0]}`;
    case 'recovered':
      return `Undid step ${e.stepId} of run ${e.runId}, left half-done by an earlier interruption`;
    case 'regenerate':
      return `${e.state === 'done' ? '✔' : e.state === 'failed' ? '✘' : e.state === 'pending' ? '·' : '▶'} regenerate: ${shellJoin(e.argv)}${e.state === 'pending' ? ' (listed, not run)' : ''}`;
  }
}

const LOG_CAP = 200;
export const appendLog = (log: string[], e: EngineEvent): string[] => {
  const line = engineEventLine(e);
  if (line === null) return log;
  const next = [...log, line];
  return next.length > LOG_CAP ? next.slice(next.length - LOG_CAP) : next;
};

/** Whether a finished apply left the step applied (or half-undone), so "undo this step" means something. */
export function undoableAfter(flow: StepFlow): boolean {
  const s = flow.report?.result.status;
  return s === 'applied' || s === 'rollback-blocked';
}

/** The step to verify when the wizard starts: applied, rebooted since (or needing none), verification pending. */
export function resumeTarget(st: Status): StepStatus | null {
  const steps = st.runs.flatMap((r) => r.steps);
  // newest first: the step applied last is the one whose reboot just happened
  for (const s of [...steps].reverse()) {
    // only a step that asked for a reboot has an after-reboot check to open on
    if (s.state === 'applied' && s.needsReboot && s.verification === 'pending' && !s.rebootPending && s.pendingCommands.length === 0) return s;
  }
  return null;
}

/**
 * Steps an earlier run left half done: a crash, kill -9 or power loss in the middle of applying or
 * undoing them. Empty while another vfio-wizard holds the lock (its steps are at work, not
 * interrupted) and until the journal has been read.
 */
export function interruptedSteps(st: Status | null): StepStatus[] {
  if (!st || st.inProgress) return [];
  return st.runs.flatMap((r) => r.steps).filter((s) => s.state === 'applying' || s.state === 'rolling-back');
}

/**
 * The warning a change step's screen shows while such a step exists: its plan reads the disk as
 * the interrupted run left it (a half-written drop-in can look like "already set").
 */
export function interruptedWarning(st: Status | null, stepId: string): string | null {
  const steps = interruptedSteps(st);
  if (steps.length === 0) return null;
  const which = steps.map((s) => `${s.id} (run ${s.runId})`).join(', ');
  const how = steps.some((s) => s.id === stepId) ? 'u here' : 'u on the summary';
  // the instruction first: the warning is cut to three lines
  return `⚠ Undo first (${how}) what an interrupted run left half done: ${which}. A plan here reads the disk as that run left it.`;
}

/** Steps the summary lists: every step still applied (or stuck half-undone), newest first. */
export function undoableSteps(st: Status | null): StepStatus[] {
  if (!st) return [];
  return st.runs
    .flatMap((r) => r.steps)
    .filter((s) => s.state === 'applied' || s.state === 'rollback-blocked' || s.state === 'applying' || s.state === 'rolling-back')
    .reverse();
}
