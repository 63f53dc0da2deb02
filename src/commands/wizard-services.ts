// The effects of the wizard's change path, for the Ink UI: plan a step, apply it (then check the
// generated configuration and roll back by itself when that check fails, as `vfio-wizard apply`
// does), undo one step or all, read the journal, and check a step after the reboot. Every
// command goes through a runner that also reports to one event hub, which feeds the output pane.
// In the demo, commands are listed and never run (commands: 'skip'); its files live in its own
// temporary root, so applying there shows the whole flow and harms nothing.
import { effectiveUid, type CommandMode } from '../apply/engine-types.js';
import { rollback, selectSteps, type RollbackResult } from '../apply/rollback.js';
import { withUndoChecks } from './rollback.js';
import { markVerification, readStatus } from '../apply/status.js';
import { ExitCode, UserError } from '../exit-codes.js';
import { systemRoot, type SystemRoot } from '../host/root.js';
import { scanHost } from '../host/scan.js';
import { createEventHub, withEvents, type CommandEvent, type EventHub } from '../run/events.js';
import { createRecordingRunner } from '../run/recording-runner.js';
import { createRunner } from '../run/runner.js';
import type { Runner } from '../run/types.js';
import { afterRebootCheck } from '../steps/after-reboot-checks.js';
import { findStep } from '../steps/registry.js';
import { applyOutcome } from '../steps/apply-outcome.js';
import { VERSION } from '../version.js';
import { expandSelection } from '../isolate/selection.js';
import { exportVm } from '../vm/export.js';
import { readHostResources } from '../vm/host-resources.js';
import { ovmfForSpec } from '../vm/ovmf.js';
import { defaultVmSpec } from '../vm/vm-spec.js';
import type { WizardSession } from '../wizard.js';
import type { StepApplyReport, StepServices } from '../wizard-step.js';
import { runChecks } from '../checks/index.js';
import { runVirtHostValidate } from '../checks/run-virt-host-validate.js';

export interface WizardServiceConfig {
  /** --root of the run: sessions without their own rootDir use it */
  rootDir: string;
  /** outside the demo: run the plan's commands (chroot when the root is not "/") or only list them */
  commands: CommandMode;
  /** exact command that re-runs the wizard as root */
  rerunHint: string;
  /** effective uid (tests inject one); default: the process's */
  uid?: number;
  /** the runner commands go through (tests inject a recording runner); default: the real one, logging under <root>/var/log/vfio-wizard */
  runner?: (root: SystemRoot) => Runner;
  /** where command events go; default: a new hub */
  hub?: EventHub<CommandEvent>;
  /** the libvirt URI the VM form starts with (default qemu:///system; tests use libvirt's test driver) */
  vmConnect?: string;
}

export interface WizardChangeServices extends StepServices<WizardSession> {
  /** the output pane subscribes here */
  commandFeed: EventHub<CommandEvent>;
}

/** A runner that reports every command to the hub (see withEvents). */
export function eventRunner(inner: Runner, hub: EventHub<CommandEvent>, forceSignal?: AbortSignal): Runner {
  return withEvents(inner, (e) => hub.emit(e), forceSignal);
}

/** A UserError as one message that keeps its remedy (the screen shows it as is). */
export function errorText(err: unknown): string {
  if (err instanceof UserError) return err.remedy ? `${err.message}. ${err.remedy}` : err.message;
  return err instanceof Error ? err.message : String(err);
}

export function createWizardServices(cfg: WizardServiceConfig): WizardChangeServices {
  const hub = cfg.hub ?? createEventHub<CommandEvent>();
  const rootOf = (s: WizardSession) => systemRoot(s.rootDir ?? cfg.rootDir);
  const commandsOf = (s: WizardSession): CommandMode => (s.demo ? 'skip' : cfg.commands);
  // the demo's root is a temp directory this process made: applying there needs no root
  const uidOf = (s: WizardSession) => (s.demo ? 0 : (cfg.uid ?? effectiveUid({})));
  const baseRunner = (s: WizardSession, root: SystemRoot): Runner =>
    s.demo ? createRecordingRunner() : cfg.runner ? cfg.runner(root) : createRunner({ logDir: root.at('/var/log/vfio-wizard'), floodTail: true });

  return {
    commandFeed: hub,
    isRoot: (cfg.uid ?? effectiveUid({})) === 0,
    rerunHint: cfg.rerunHint,

    planStep(session, stepId, opts) {
      const step = findStep(stepId);
      if (!step) throw new UserError(`unknown step "${stepId}"`, ExitCode.usage, 'This is a bug in vfio-wizard; please report it.');
      return step.plan(session.facts, rootOf(session), opts);
    },

    async applyStep(session, outcome, o): Promise<StepApplyReport> {
      if (outcome.kind !== 'plan' || !outcome.plan) throw new UserError(`${outcome.title}: there is nothing to apply`, ExitCode.cannotApply, 'Nothing was changed.');
      if (outcome.blockers && outcome.blockers.length > 0) {
        throw new UserError(`${outcome.title}: blocked by ${outcome.blockers.map((b) => b.id).join(', ')}`, ExitCode.needsOverride, 'Nothing was changed. Override each blocker on the step screen first.');
      }
      const root = rootOf(session);
      const runner = eventRunner(baseRunner(session, root), hub, o.forceSignal);
      const r = await applyOutcome(outcome, { root, runner, commands: commandsOf(session), signal: o.signal, onEvent: o.onEvent, uid: uidOf(session), toolVersion: VERSION, rerunHint: cfg.rerunHint });
      return { result: r.result, verification: r.verification ?? r.preflight };
    },

    async rollbackStep(session, target, o): Promise<RollbackResult> {
      const root = rootOf(session);
      const runner = eventRunner(baseRunner(session, root), hub, o.forceSignal);
      const req = 'all' in target ? { all: true } : { stepId: target.stepId };
      const sel = selectSteps(root, req);
      const result = await rollback(req, {
        root,
        runner,
        commands: commandsOf(session),
        signal: o.signal,
        onEvent: o.onEvent,
        force: o.force,
        uid: uidOf(session),
      });
      return withUndoChecks(root, sel, result);
    },

    status: (session) => readStatus(rootOf(session)),

    async verifyResume(session, stepId) {
      const root = rootOf(session);
      // what the step did, as its latest applied record in the journal says
      const record = readStatus(root).runs.flatMap((r) => r.steps).filter((s) => s.id === stepId && s.state === 'applied').pop();
      return afterRebootCheck(stepId, scanHost(root), root, record?.expect ?? null) ?? { ok: false, summary: `the wizard has no after-reboot check for step ${stepId}`, lines: [] };
    },

    markVerification: (session, runId, stepId, outcome) => markVerification(rootOf(session), runId, stepId, outcome),

    async hostValidate(session, signal) {
      const root = rootOf(session);
      if (session.demo || !root.live || session.facts.virt.virtHostValidate === null) return null;
      // a read-only check: its output goes to the pane, no log file is written
      const runner = eventRunner(createRunner({ logDir: null }), hub);
      const result = await runVirtHostValidate(session.facts, runner, { signal });
      return runChecks(session.facts, { virtHostValidate: result });
    },

    vmDefaults(session, selection, mdevs) {
      const sel = selection.length === 0 && mdevs.length > 0 ? { ok: true as const, devices: [] } : expandSelection(session.facts, selection);
      if (!sel.ok) throw new UserError(sel.error.message, ExitCode.badInput, sel.error.remedy);
      const resources = readHostResources(rootOf(session), session.facts);
      const base = { ...defaultVmSpec(session.facts, resources, sel.devices, 'vfio-vm'), mdevs: mdevs.map(({ uuid, parent }) => ({ uuid, parent })) };
      return { base: cfg.vmConnect ? { ...base, connect: cfg.vmConnect } : base, resources };
    },

    vmExport: (session, spec, format) => exportVm(spec, format, { ovmf: ovmfForSpec(rootOf(session), spec) }),
  };
}
