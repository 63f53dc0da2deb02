// Applying a planned step, the same way for `vfio-wizard apply`, `vm create` and the Ink UI:
// the step's preflight (read-only checks that need a runner: libvirt reachable, the name free)
// first — a failing one changes nothing — then the journaled apply, then the step's own check of
// what it produced; when that check fails the step is rolled back by itself.
import { applyPlan, type ApplyOptions, type ApplyResult } from '../apply/apply.js';
import { rollback } from '../apply/rollback.js';
import { markVerification } from '../apply/status.js';
import { ExitCode } from '../exit-codes.js';
import type { StepOutcome, StepVerification } from './registry.js';

export interface OutcomeReport {
  result: ApplyResult;
  /** the step's check after apply (null: it has none, or nothing ran) */
  verification: StepVerification | null;
  /** the step's preflight (null: it has none, or this was a dry run) */
  preflight: StepVerification | null;
}

export interface ApplyOutcomeOptions extends ApplyOptions {
  /** the caller has run the preflight already (and shown it): do not run it twice */
  preflightDone?: boolean;
  /** told once each check has a result, before anything else happens */
  onCheck?: (what: 'preflight' | 'verification', v: StepVerification) => void;
}

const notApplied = (message: string): ApplyResult => ({
  status: 'preflight-failed',
  exitCode: ExitCode.checkFailed,
  runId: null,
  message,
  steps: [],
  pendingCommands: [],
  needsReboot: false,
  restoreScript: null,
  drift: [],
});

export async function applyOutcome(outcome: StepOutcome, opts: ApplyOutcomeOptions): Promise<OutcomeReport> {
  if (outcome.kind !== 'plan' || !outcome.plan) throw new Error(`${outcome.title}: there is no plan to apply`);
  let preflight: StepVerification | null = null;
  // the preflight runs commands: with commands only listed (--commands skip, the demo) it cannot
  if (outcome.preflight && !opts.dryRun && !opts.preflightDone && (opts.commands ?? 'chroot') !== 'skip') {
    preflight = await outcome.preflight(opts.root, opts.runner);
    opts.onCheck?.('preflight', preflight);
    if (!preflight.ok) return { result: notApplied(`${outcome.title}: the preflight failed (${preflight.summary}). Nothing was changed.`), verification: null, preflight };
  }
  let result = await applyPlan(outcome.plan, opts);
  let verification: StepVerification | null = null;
  const ran = result.status === 'applied' && result.pendingCommands.length === 0;
  if (ran && outcome.verify) {
    verification = await outcome.verify(opts.root, opts.runner);
    opts.onCheck?.('verification', verification);
    // a step that needs no reboot is done once its check passed: the journal says so, and status
    // stops listing it as waiting for verification
    if (verification.ok && !outcome.plan.needsReboot && result.runId) markVerification(opts.root, result.runId, outcome.stepId, 'passed');
    if (!verification.ok) {
      const rb = await rollback({ stepId: outcome.stepId }, { root: opts.root, runner: opts.runner, commands: opts.commands, signal: opts.signal, onEvent: opts.onEvent, uid: opts.uid });
      result = {
        ...result,
        status: 'rolled-back',
        exitCode: rb.exitCode === ExitCode.ok ? ExitCode.failed : rb.exitCode,
        message: `${outcome.title}: the check after applying failed (${verification.summary}), so the step was rolled back: ${rb.message}`,
      };
    }
  }
  return { result, verification, preflight };
}
