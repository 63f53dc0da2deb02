// The effects of the change path. The reducer only records what the user asked for (plan again,
// apply, Ctrl+C, undo, read the journal, check after the reboot) as counters and phases; this
// hook notices each new request once and calls the services, which answer with events. Every
// request is keyed by the session it belongs to, so loading the demo never mixes roots.
import { useEffect, useRef, type Dispatch } from 'react';
import { trackBackground } from '../../src/run/background-work.js';
import { createCancellation, type Cancellation } from '../../src/run/cancellation.js';
import { UserError } from '../../src/exit-codes.js';
import { CHANGE_STEPS, type WizardEvent, type WizardSession, type WizardState } from '../../src/wizard.js';
import { cmdlineOptions, cmdlineView } from '../../src/wizard-cmdline.js';
import { isolateOptions } from '../../src/wizard-isolate.js';
import { vmOptions } from '../../src/wizard-vm.js';
import { shareOptions } from '../../src/wizard-share.js';
import { LIVE_BIND_STEP_ID, TRIAL_STEP_ID } from '../../src/steps/step-ids.js';
import { engineEventLine, resumeTarget } from '../../src/wizard-step.js';
import type { EngineEvent } from '../../src/apply/engine-types.js';
import type { StepOptions } from '../../src/steps/registry.js';
import type { Status } from '../../src/apply/status.js';
import { useServices } from '../services.js';

/** The options a step is planned with, from the state of its screen; null while there is nothing to plan (no card chosen, no valid VM). */
export function stepOptions(state: WizardState, stepId: string): StepOptions | null {
  switch (stepId) {
    case 'cmdline':
    case TRIAL_STEP_ID: {
      // the trial boots exactly what the command line screen would add
      const outcome = state.flows.cmdline?.outcome;
      return cmdlineOptions(state.cmdline, outcome ? cmdlineView(outcome).params : []);
    }
    case 'isolate':
    case LIVE_BIND_STEP_ID:
      return isolateOptions(state.selection, state.isolate);
    case 'vm':
      return vmOptions(state.vm);
    case 'sriov':
      return shareOptions(state.session.share, 'shareSriov', state.share);
    case 'mdev':
      return shareOptions(state.session.share, 'shareMdev', state.share);
    case 'vgpu-type':
      return shareOptions(state.session.share, 'shareVgpu', state.share);
    default:
      return { params: [], noParams: [], replaceConflicts: false };
  }
}

/** An error as one message that keeps its remedy. */
export function errorMessage(err: unknown): string {
  if (err instanceof UserError) return err.remedy ? `${err.message}. ${err.remedy}` : err.message;
  return err instanceof Error ? err.message : String(err);
}

/** The step to open on after a reboot, from the journal (null when there is none or it cannot be read). */
export function findResume(read: (() => Status) | undefined) {
  if (!read) return null;
  try {
    return resumeTarget(read());
  } catch {
    return null;
  }
}

interface Running {
  session: WizardSession;
  token: number;
  cancellation: Cancellation;
  handled: number;
}

export function useStepRunner(state: WizardState, dispatch: Dispatch<WizardEvent>): void {
  const { steps } = useServices();
  const session = state.session;
  const planned = useRef(new Map<string, { session: WizardSession; request: number }>());
  const applies = useRef(new Map<string, Running>());
  const undo = useRef<Running | null>(null);
  const statusRead = useRef<{ session: WizardSession; request: number } | null>(null);
  const verified = useRef<{ session: WizardSession; request: number } | null>(null);
  const live = useRef(true);

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
      // quitting while something runs: stop it (SIGTERM) rather than leave it running unseen
      for (const r of applies.current.values()) if (r.cancellation.stage === 'running') r.cancellation.request();
      if (undo.current && undo.current.cancellation.stage === 'running') undo.current.cancellation.request();
    };
  }, []);
  const send = (e: WizardEvent) => {
    if (live.current) dispatch(e);
  };
  const onEngine = (target: 'apply' | 'undo', stepId: string) => (event: EngineEvent) => {
    // output lines go to the output pane through the command events, not through the reducer
    if (engineEventLine(event) !== null) send({ type: 'engineEvent', target, stepId, event });
  };

  // Plan a step when its screen is shown and its choices changed.
  const screenStep = CHANGE_STEPS[state.screen];
  const flow = screenStep ? state.flows[screenStep] : undefined;
  const planRequest = flow?.phase === 'decide' ? flow.planRequest : 0;
  useEffect(() => {
    if (!steps || !screenStep || planRequest === 0) return;
    const last = planned.current.get(screenStep);
    if (last && last.session === session && last.request === planRequest) return;
    const opts = stepOptions(state, screenStep);
    if (opts === null) return;
    planned.current.set(screenStep, { session, request: planRequest });
    try {
      const outcome = steps.planStep(session, screenStep, opts);
      send({ type: 'planned', stepId: screenStep, outcome });
    } catch (err) {
      send({ type: 'planFailed', stepId: screenStep, message: errorMessage(err) });
    }
    // state is read for the options of this request only; planRequest changes with them
  }, [steps, session, screenStep, planRequest]);

  // Start each apply once; forward each Ctrl+C to its cancellation.
  const applying = Object.values(state.flows).find((f) => f.phase === 'applying');
  const applyToken = applying?.runToken ?? 0;
  const applyCancels = applying?.cancelRequests ?? 0;
  useEffect(() => {
    if (!steps || !applying) return;
    const id = applying.stepId;
    const outcome = applying.outcome;
    const prev = applies.current.get(id);
    if (prev && prev.session === session && prev.token === applyToken) return;
    const cancellation = createCancellation();
    applies.current.set(id, { session, token: applyToken, cancellation, handled: 0 });
    if (!outcome) {
      send({ type: 'applyFailed', stepId: id, message: 'there is no plan to apply; nothing was changed' });
      return;
    }
    trackBackground(steps.applyStep(session, outcome, { signal: cancellation.signal, forceSignal: cancellation.forceSignal, onEvent: onEngine('apply', id) })).then(
        (report) => send({ type: 'applied', stepId: id, report }),
        (err: unknown) => send({ type: 'applyFailed', stepId: id, message: errorMessage(err) }),
      );
  }, [steps, session, applying?.stepId, applyToken]);
  useEffect(() => {
    const r = applying ? applies.current.get(applying.stepId) : undefined;
    if (!r) return;
    while (r.handled < applyCancels) {
      r.handled += 1;
      r.cancellation.request();
    }
  }, [applying, applyCancels]);

  // Undo: one rollback per token, Ctrl+C forwarded the same way.
  const u = state.undo;
  const undoToken = u?.phase === 'running' ? u.token : 0;
  useEffect(() => {
    if (!steps || !u || undoToken === 0) return;
    if (undo.current && undo.current.session === session && undo.current.token === undoToken) return;
    const cancellation = createCancellation();
    undo.current = { session, token: undoToken, cancellation, handled: 0 };
    const stepId = 'all' in u.target ? 'all' : u.target.stepId;
    trackBackground(steps.rollbackStep(session, u.target, { force: u.force, signal: cancellation.signal, forceSignal: cancellation.forceSignal, onEvent: onEngine('undo', stepId) })).then(
        (result) => send({ type: 'undone', result }),
        (err: unknown) => send({ type: 'undoFailed', message: errorMessage(err) }),
      );
  }, [steps, session, undoToken]);
  const undoCancels = u?.cancelRequests ?? 0;
  useEffect(() => {
    const r = undo.current;
    if (!r || r.token !== undoToken) return;
    while (r.handled < undoCancels) {
      r.handled += 1;
      r.cancellation.request();
    }
  }, [undoToken, undoCancels]);

  // The journal, read whenever the summary asks (and once at the start, for "undo this step").
  const statusRequest = state.summary.request;
  useEffect(() => {
    if (!steps) return;
    const last = statusRead.current;
    if (last && last.session === session && last.request === statusRequest) return;
    statusRead.current = { session, request: statusRequest };
    try {
      send({ type: 'statusLoaded', status: steps.status(session), request: statusRequest });
    } catch (err) {
      send({ type: 'statusFailed', message: errorMessage(err) });
    }
  }, [steps, session, statusRequest]);

  // The VM form's defaults for the chosen cards, and the export text the VM screen shows.
  const vmRequest = state.screen === 'vm' && !state.vm.form ? state.vm.request : 0;
  useEffect(() => {
    if (!steps || vmRequest === 0 || (state.selection.length === 0 && state.share.created.length === 0)) return;
    try {
      const { base, resources } = steps.vmDefaults(session, state.selection, state.share.created);
      send({ type: 'vmDefaults', base, resources });
    } catch (err) {
      send({ type: 'vmDefaultsFailed', message: errorMessage(err) });
    }
  }, [steps, session, vmRequest]);
  const exportFormat = state.vm.exportText === null ? state.vm.exportFormat : null;
  const exportSpec = state.vm.form?.spec ?? state.vm.form?.base ?? null;
  useEffect(() => {
    if (!steps || exportFormat === null || !exportSpec) return;
    try {
      send({ type: 'vmExportText', format: exportFormat, text: steps.vmExport(session, exportSpec, exportFormat) });
    } catch (err) {
      send({ type: 'vmExportText', format: exportFormat, text: `The export failed: ${errorMessage(err)}` });
    }
  }, [steps, session, exportFormat, exportSpec]);

  // libvirt's host check on the readiness screen; leaving the wizard stops it
  const hostRequest = state.hostCheck.phase === 'running' ? state.hostCheck.request : 0;
  useEffect(() => {
    if (!steps?.hostValidate || hostRequest === 0) return;
    const ctl = new AbortController();
    steps.hostValidate(session, ctl.signal).then(
      (checks) => send({ type: 'hostChecked', checks, error: null, request: hostRequest }),
      (err: unknown) => send({ type: 'hostChecked', checks: null, error: errorMessage(err), request: hostRequest }),
    );
    return () => ctl.abort();
  }, [steps, session, hostRequest]);

  // After a reboot: check the step, then record the outcome in its journal.
  const v = state.verify;
  const verifyRequest = v?.phase === 'checking' ? v.request : 0;
  useEffect(() => {
    if (!steps || !v || verifyRequest === 0) return;
    const last = verified.current;
    if (last && last.session === session && last.request === verifyRequest) return;
    verified.current = { session, request: verifyRequest };
    const { runId, stepId } = v;
    steps.verifyResume(session, stepId).then(
      (check) => {
        send({ type: 'verified', check });
        try {
          steps.markVerification(session, runId, stepId, check.ok ? 'passed' : 'failed');
          send({ type: 'verificationRecorded' });
        } catch (err) {
          send({ type: 'verifyFailed', message: `the check ran but could not be recorded: ${errorMessage(err)}` });
        }
      },
      (err: unknown) => send({ type: 'verifyFailed', message: errorMessage(err) }),
    );
  }, [steps, session, verifyRequest]);
}
