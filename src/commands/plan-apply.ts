// `vfio-wizard plan` and `vfio-wizard apply`: the same step, planned and explained; apply then
// confirms, journals, runs the regeneration and checks the generated boot configuration — and
// rolls the step back by itself when that check fails.
import type { EngineEvent } from '../apply/engine-types.js';
import { ExitCode, UserError } from '../exit-codes.js';
import { systemRoot } from '../host/root.js';
import { scanHost } from '../host/scan.js';
import type { BootloaderId } from '../host/types.js';
import { parseParam } from '../edit/cmdline-tokens.js';
import { planToJson, renderPlanText } from '../plan/render.js';
import { shellJoin } from '../plan/shell-quote.js';
import { createRecordingRunner } from '../run/recording-runner.js';
import { createRunner } from '../run/runner.js';
import { LOADER_IDS } from '../steps/loader-ids.js';
import { readStatus } from '../apply/status.js';
import { findStep, nextStepId, STEPS, type StepOptions, type StepOutcome } from '../steps/registry.js';
import type { CommandContext } from './context.js';
import { cliRunner, confirmed, interruptible } from './confirm.js';
import { VERSION } from '../version.js';
import { applyOutcome } from '../steps/apply-outcome.js';
import { recoverInterrupted } from '../apply/apply.js';

export interface StepFlags {
  step?: string;
  param: string[];
  noParam: string[];
  device: string[];
  loader?: string;
  allowBootGpu?: boolean;
  allowNoHostGpu?: boolean;
  allowHostStorage?: boolean;
  allowDefaultRouteNic?: boolean;
  passWholeGroup?: boolean;
  bindBy?: string;
  blacklist: string[];
  replaceConflicts?: boolean;
  vfs?: string;
  type?: string;
  count?: string;
  uuid: string[];
  yes?: boolean;
  dryRun?: boolean;
}

function stepOptions(flags: StepFlags): StepOptions {
  for (const p of [...flags.param, ...flags.noParam]) {
    try {
      parseParam(p);
    } catch {
      throw new UserError(`not a kernel parameter: ${JSON.stringify(p)}`, ExitCode.usage, 'Give one parameter per --param / --no-param, like --param iommu=pt.');
    }
  }
  if (flags.bindBy !== undefined && !['auto', 'id', 'address'].includes(flags.bindBy)) {
    throw new UserError(`--bind-by ${flags.bindBy}: not auto, id or address`, ExitCode.usage, 'Use --bind-by auto (default), id or address.');
  }
  if (flags.loader !== undefined && !LOADER_IDS.includes(flags.loader as BootloaderId)) {
    throw new UserError(`unknown boot loader "${flags.loader}"`, ExitCode.usage, `--loader takes one of: ${LOADER_IDS.join(', ')}.`);
  }
  const int = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new UserError(`${flag} ${v}: not a whole number`, ExitCode.usage, `For example ${flag} 2.`);
    return Number(v);
  };
  const share = { vfs: int('--vfs', flags.vfs), count: int('--count', flags.count), type: flags.type, uuids: (flags.uuid ?? []).flatMap((u) => u.split(',')).filter(Boolean) };
  return {
    share,
    params: flags.param,
    noParams: flags.noParam,
    loader: flags.loader as BootloaderId | undefined,
    replaceConflicts: Boolean(flags.replaceConflicts),
    devices: flags.device,
    overrides: [
      flags.allowBootGpu && '--allow-boot-gpu',
      flags.allowNoHostGpu && '--allow-no-host-gpu',
      flags.allowHostStorage && '--allow-host-storage',
      flags.allowDefaultRouteNic && '--allow-default-route-nic',
      flags.passWholeGroup && '--pass-whole-group',
    ].filter((f): f is string => typeof f === 'string'),
    bindBy: (flags.bindBy ?? 'auto') as StepOptions['bindBy'],
    blacklist: flags.blacklist,
  };
}

function resolveStep(flags: StepFlags, facts: ReturnType<typeof scanHost>, root: ReturnType<typeof systemRoot>) {
  const id = flags.step ?? nextStepId(facts, root);
  const step = findStep(id);
  if (!step) {
    throw new UserError(`unknown step "${id}"`, ExitCode.usage, `--step takes one of: ${STEPS.map((s) => s.id).join(', ')}.`);
  }
  return step;
}

function outcomeJson(o: StepOutcome) {
  return { schemaVersion: 1, step: o.stepId, title: o.title, kind: o.kind, blockers: o.blockers ?? [], details: o.details, plan: o.plan ? planToJson(o.plan) : null };
}

function printOutcome(o: StepOutcome, write: (s: string) => void) {
  write(`${o.title}\n${o.explanation.map((l) => `  ${l}`).join('\n')}\n`);
  if (o.plan) write(`\n${renderPlanText(o.plan)}`);
}

function engineLine(e: EngineEvent): string | null {
  switch (e.type) {
    case 'step-start':
      return `applying ${e.stepId} — ${e.title}`;
    case 'change':
      return e.state === 'start' ? null : `  ${e.state}: ${e.text}`;
    case 'output':
      // a command's own lines are printed by the command renderer, prefixed by its name
      return e.command ? null : `    ${e.line}`;
    case 'step-end':
      return `  ${e.stepId}: ${e.state}${e.error ? ` (${e.error})` : ''}`;
    case 'rollback-start':
      return `rolling back ${e.stepId}: ${e.reason}`;
    case 'recovered':
      return `recovered step ${e.stepId} of run ${e.runId}, left half-done by an earlier interruption`;
    case 'regenerate':
      return `  ${e.state}: ${shellJoin(e.argv)}`;
  }
}

/** Without --step: what the journal says is still waiting (a reboot, a check), before the next step. */
function waitingLines(root: ReturnType<typeof systemRoot>): string[] {
  let st;
  try {
    st = readStatus(root);
  } catch {
    return [];
  }
  const steps = st.runs.flatMap((r) => r.steps).filter((s) => s.state === 'applied');
  const out: string[] = [];
  const reboot = steps.filter((s) => s.rebootPending).map((s) => s.id);
  const check = steps.filter((s) => !s.rebootPending && s.needsReboot && s.verification === 'pending').map((s) => s.id);
  if (reboot.length > 0) out.push(`Applied and waiting for a reboot: ${[...new Set(reboot)].join(', ')}. After it, vfio-wizard verify checks that it took effect.`);
  if (check.length > 0) out.push(`Rebooted since, not yet checked: ${[...new Set(check)].join(', ')} — run vfio-wizard verify.`);
  return out;
}

export function runPlan(ctx: CommandContext, flags: StepFlags): void {
  const g = ctx.globals();
  const root = systemRoot(g.root);
  const opts = stepOptions(flags);
  const facts = scanHost(root);
  const waiting = flags.step === undefined ? waitingLines(root) : [];
  if (!g.json && waiting.length > 0) ctx.io.stdout.write(`${waiting.join('\n')}\n\n`);
  const outcome = resolveStep(flags, facts, root).plan(facts, root, opts);
  if (g.json) ctx.io.stdout.write(`${JSON.stringify(outcomeJson(outcome), null, 2)}\n`);
  else printOutcome(outcome, (s) => void ctx.io.stdout.write(s));
  ctx.setExit(outcome.kind === 'refuse' ? ExitCode.cannotApply : ExitCode.ok);
}

export async function runApply(ctx: CommandContext, flags: StepFlags): Promise<void> {
  const g = ctx.globals();
  const out = (s: string) => void ctx.io.stdout.write(s);
  const err = (s: string) => void ctx.io.stderr.write(s);
  const root = systemRoot(g.root);
  const opts = stepOptions(flags);
  if (!flags.dryRun) {
    // a step an earlier run left half-done is undone first (under the lock: a second instance is
    // turned away here), so that what is planned next is made from the disk as it really is
    const [rec, recExit] = await interruptible((signal, forceSignal) => {
      const cli = cliRunner(createRunner({ logDir: root.at('/var/log/vfio-wizard') }), { json: g.json, out: ctx.io.stdout, forceSignal });
      return recoverInterrupted({
        root,
        runner: cli.runner,
        commands: g.commands ?? 'chroot',
        signal,
        toolVersion: VERSION,
        onEvent: g.json ? undefined : (e) => void (engineLine(e) && out(`${engineLine(e)}\n`)),
      });
    });
    if (rec !== null && rec.status !== 'rolled-back') {
      err(`vfio-wizard: an earlier run was interrupted and could not be undone automatically, so nothing new was planned or applied.\n${rec.message}\n`);
      ctx.setExit(recExit(rec.exitCode === ExitCode.ok ? ExitCode.rollbackBlocked : rec.exitCode));
      return;
    }
    if (rec !== null && !g.json) out(`An interrupted step of an earlier run was undone first (${rec.steps.map((x) => x.stepId).join(', ')}); the plan below is made from the disk as it is now.\n\n`);
  }
  const facts = scanHost(root);
  const outcome = resolveStep(flags, facts, root).plan(facts, root, opts);
  if (!g.json) printOutcome(outcome, out);
  if (outcome.kind !== 'plan' || !outcome.plan) {
    if (g.json) out(`${JSON.stringify({ ...outcomeJson(outcome), status: outcome.kind === 'nothing' ? 'nothing' : 'not-applied' }, null, 2)}\n`);
    if (outcome.kind !== 'nothing') err(`vfio-wizard: ${outcome.title}: nothing was applied${outcome.kind === 'manual' ? ' — follow the instructions above' : ''}. Nothing was changed.\n`);
    ctx.setExit(outcome.kind === 'nothing' ? ExitCode.ok : ExitCode.cannotApply);
    return;
  }
  const blockers = outcome.blockers ?? [];
  if (blockers.length > 0) {
    if (g.json) out(`${JSON.stringify({ ...outcomeJson(outcome), status: 'blocked' }, null, 2)}\n`);
    err(`vfio-wizard: ${outcome.title}: blocked, nothing was changed.\n${blockers.map((b) => `  ${b.message}\n  To go ahead anyway, pass ${b.override}.\n`).join('')}`);
    ctx.setExit(ExitCode.needsOverride);
    return;
  }
  const go = await confirmed(ctx, {
    yes: Boolean(flags.yes || flags.dryRun),
    json: g.json,
    action: 'apply',
    question: 'Apply these changes? [y/N] ',
    hint: 'Review the plan above, then pass --yes to apply it.',
  });
  if (!go) return;
  const [applied, exitFor] = await interruptible((signal, forceSignal) => {
    // a dry run records its commands (listed at the end); a real one shows each live
    const cli = flags.dryRun ? null : cliRunner(createRunner({ logDir: root.at('/var/log/vfio-wizard') }), { json: g.json, out: ctx.io.stdout, forceSignal });
    return applyOutcome(outcome, {
      root,
      runner: cli?.runner ?? createRecordingRunner(),
      commands: g.commands ?? 'chroot',
      dryRun: Boolean(flags.dryRun),
      signal,
      toolVersion: VERSION,
      onEvent: g.json
        ? undefined
        : (e) => {
            const line = engineLine(e);
            if (line) out(`${line}\n`);
          },
      onCheck: (what, v) => void (!g.json && !v.ok && out(`${what === 'preflight' ? 'preflight' : 'check after applying'} failed: ${v.summary}\n`)),
    }).then((r) => ({ ...r, events: cli?.events ?? [], logPath: cli?.logPath() ?? null }));
  });
  const { result, verification, events, logPath } = applied;
  if (g.json) {
    out(`${JSON.stringify({ ...outcomeJson(outcome), result, verification, logPath, events }, null, 2)}\n`);
  } else {
    if (verification?.ok) out(`verified: ${verification.summary}\n`);
    if (result.pendingCommands.length) {
      const head = result.status === 'dry-run' ? 'Would run, in this order (recorded, not run):' : 'Not run (--commands skip); run them inside the system:';
      out(`${head}\n${result.pendingCommands.map((c) => `  ${shellJoin(c)}`).join('\n')}\n`);
    }
    (result.exitCode === ExitCode.ok ? out : err)(`${result.message}\n`);
    if (logPath) out(`Log of the commands: ${logPath}\n`);
    if (result.status === 'applied' && result.needsReboot && !flags.dryRun) out('Reboot for the change to take effect; vfio-wizard then checks it (vfio-wizard status shows what is pending).\n');
    // after an automatic rollback there is nothing left to undo; say so only while the step stands
    if (result.restoreScript && (result.status === 'applied' || result.status === 'rollback-blocked')) out(`Undo: vfio-wizard rollback --step ${outcome.stepId}   (without Node: sh ${result.restoreScript})\n`);
  }
  ctx.setExit(exitFor(result.exitCode));
}
