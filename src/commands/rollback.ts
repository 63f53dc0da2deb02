// `vfio-wizard rollback [--step ID | --all] [--yes] [--force]`: undo applied steps from the
// journal under <root>/var/lib/vfio-wizard, newest first, without the UI. Works from a live
// system on a mounted disk (--root /mnt); --commands skip only lists the regeneration commands.
import { rollback, selectSteps, type RollbackResult } from '../apply/rollback.js';
import type { EngineEvent } from '../apply/engine-types.js';
import { ExitCode, UserError } from '../exit-codes.js';
import { systemRoot, type SystemRoot } from '../host/root.js';
import { checkUndone } from '../steps/undo-check.js';
import { shellJoin } from '../plan/shell-quote.js';
import { regenerationsFor } from '../apply/restore-script.js';
import { createRunner } from '../run/runner.js';
import type { CommandContext } from './context.js';
import { cliRunner, confirmed, interruptible } from './confirm.js';

export interface RollbackFlags {
  step?: string;
  all?: boolean;
  yes?: boolean;
  force?: boolean;
}

function preview(sel: ReturnType<typeof selectSteps>): string {
  const out = ['Will roll back, in this order:'];
  for (const { run, step } of sel) {
    out.push(`  ${step.id} — ${step.title} (run ${run.journal.runId}, ${step.state})`);
    for (const e of [...step.entries].reverse()) {
      if (e.kind === 'file' && e.state !== 'undone' && e.state !== 'intent') {
        out.push(`      ${e.original?.exists ? 'restore' : 'remove'} ${e.target}`);
      }
      if (e.kind === 'sysfs' && e.state === 'done' && e.previous !== null) out.push(`      write ${JSON.stringify(e.previous)} back to ${e.path}`);
      if (e.kind === 'command' && e.undo && e.state === 'done') out.push(`      run ${shellJoin(e.undo.argv)}`);
    }
  }
  // the boot files are rebuilt once, after every file is back (as the rollback does it)
  const rebuild = regenerationsFor(sel.map((x) => x.step));
  if (rebuild.length > 0) out.push('  then, once, from the restored files:', ...rebuild.map((argv) => `      re-run ${shellJoin(argv)}`));
  return `${out.join('\n')}\n`;
}

function eventLine(e: EngineEvent): string | null {
  if (e.type === 'rollback-start') return `rolling back ${e.stepId}…`;
  if (e.type === 'step-end') return `  ${e.stepId}: ${e.state}`;
  if (e.type === 'regenerate') return `  ${e.state === 'pending' ? 'not run (--commands skip)' : e.state}: ${shellJoin(e.argv)}`;
  return null;
}

/**
 * Checks each rolled-back step against what the machine boots now; a failed check turns the result
 * into checkFailed (the files are restored, but something else still sets what the step added).
 */
export function withUndoChecks(root: SystemRoot, sel: ReturnType<typeof selectSteps>, result: RollbackResult): RollbackResult {
  if (result.status !== 'rolled-back') return result;
  const undone = sel.filter(({ run, step }) => result.steps.some((s) => s.runId === run.journal.runId && s.stepId === step.id && s.state === 'rolled-back'));
  const checks = undone.flatMap(({ step }) => checkUndone(root, step, result.pendingCommands.length === 0) ?? []);
  if (checks.length === 0) return result;
  result.checks = checks;
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    result.exitCode = ExitCode.checkFailed;
    result.message = `${result.message} But: ${failed.map((c) => `${c.stepId}: ${c.summary}`).join('; ')}`;
  }
  return result;
}

export async function runRollback(ctx: CommandContext, flags: RollbackFlags): Promise<void> {
  const g = ctx.globals();
  const out = (s: string) => void ctx.io.stdout.write(s);
  const err = (s: string) => void ctx.io.stderr.write(s);
  if (flags.step !== undefined && flags.all) {
    throw new UserError('--step and --all exclude each other', ExitCode.usage, 'Pass one of them (or neither, for the most recent step).');
  }
  const root = systemRoot(g.root);
  const req = { stepId: flags.step, all: Boolean(flags.all) };
  const sel = selectSteps(root, req);
  if (sel.length === 0) {
    if (g.json) out(`${JSON.stringify({ status: 'nothing', exitCode: 0, message: 'Nothing to roll back.', steps: [] }, null, 2)}\n`);
    else out('Nothing to roll back.\n');
    ctx.setExit(ExitCode.ok);
    return;
  }
  if (!g.json) out(preview(sel));
  if (!(await confirmed(ctx, { yes: Boolean(flags.yes), json: g.json, action: 'rollback', question: 'Roll back? [y/N] ', hint: 'Pass --yes to roll back.' }))) return;
  const [{ result, logPath, events }, exitFor] = await interruptible(async (signal, forceSignal) => {
    const cli = cliRunner(createRunner({ logDir: root.at('/var/log/vfio-wizard') }), { json: g.json, out: ctx.io.stdout, forceSignal });
    const r = await rollback(req, {
      root,
      runner: cli.runner,
      commands: g.commands ?? 'chroot',
      force: Boolean(flags.force),
      signal,
      onEvent: g.json
        ? undefined
        : (e) => {
            const line = eventLine(e);
            if (line) out(`${line}\n`);
          },
    });
    return { result: r, logPath: cli.logPath(), events: cli.events };
  });
  withUndoChecks(root, sel, result);
  if (g.json) out(`${JSON.stringify({ ...result, logPath, events }, null, 2)}\n`);
  else {
    if (result.exitCode === ExitCode.ok) out(`${[result.message, ...(result.checks ?? []).map((c) => `  ${c.stepId}: ${c.summary}`)].join('\n')}\n`);
    else err(`vfio-wizard: ${result.message}\n`);
    if (logPath) out(`Log of the commands: ${logPath}\n`);
  }
  ctx.setExit(exitFor(result.exitCode));
}
