// `vfio-wizard finish [--yes] [--by-hand]`: run the commands that apply, rollback or restore.sh
// only listed (--commands skip, NO_COMMANDS=1) and status shows as still to run — or, with
// --by-hand, record that you ran them yourself — so that the journal tells the truth again.
import type { EngineEvent } from '../apply/engine-types.js';
import { collectPending, finishPending, refuseListingAgain } from '../apply/finish.js';
import { ExitCode } from '../exit-codes.js';
import { systemRoot } from '../host/root.js';
import { shellJoin } from '../plan/shell-quote.js';
import { createRunner } from '../run/runner.js';
import type { CommandContext } from './context.js';
import { cliRunner, confirmed, interruptible } from './confirm.js';

export interface FinishFlags {
  yes?: boolean;
  byHand?: boolean;
}

export async function runFinish(ctx: CommandContext, flags: FinishFlags): Promise<void> {
  const g = ctx.globals();
  const out = (s: string) => void ctx.io.stdout.write(s);
  const err = (s: string) => void ctx.io.stderr.write(s);
  const root = systemRoot(g.root);
  const byHand = Boolean(flags.byHand);
  // before the list and the question: refused without showing either
  refuseListingAgain(g.commands, byHand);
  const { pending } = collectPending(root);
  if (pending.length === 0) {
    if (g.json) out(`${JSON.stringify({ status: 'nothing', exitCode: 0, message: 'No commands are left to run.', done: [], left: [] }, null, 2)}\n`);
    else out('No commands are left to run.\n');
    ctx.setExit(ExitCode.ok);
    return;
  }
  if (!g.json) {
    const lines = [byHand ? 'Will record these commands as run by you (nothing is run):' : 'Will run, in this order:'];
    for (const p of pending) {
      const from = [...new Set(p.holders.map((h) => `${h.step.id} (${h.step.state}, run ${h.run.journal.runId})`))].join(', ');
      lines.push(`  ${shellJoin(p.argv)}${p.runsOn === 'host' ? '  [on the running host]' : ''}`, `      listed by ${from}`);
    }
    out(`${lines.join('\n')}\n`);
  }
  const question = byHand ? 'Did you run every one of them, and did each succeed? [y/N] ' : 'Run them? [y/N] ';
  if (!(await confirmed(ctx, { yes: Boolean(flags.yes), json: g.json, action: byHand ? 'finish --by-hand' : 'finish', question, hint: 'Pass --yes to go on.' }))) return;
  const [{ result, logPath, events }, exitFor] = await interruptible(async (signal, forceSignal) => {
    const cli = cliRunner(createRunner({ logDir: root.at('/var/log/vfio-wizard') }), { json: g.json, out: ctx.io.stdout, forceSignal });
    const r = await finishPending({
      root,
      runner: cli.runner,
      commands: g.commands ?? 'chroot',
      byHand,
      signal,
      onEvent: g.json ? undefined : (e: EngineEvent) => void (e.type === 'output' && out(`${e.line}\n`)),
    });
    return { result: r, logPath: cli.logPath(), events: cli.events };
  });
  if (g.json) out(`${JSON.stringify({ ...result, logPath, events }, null, 2)}\n`);
  else {
    if (result.exitCode === ExitCode.ok) out(`${result.message}\n`);
    else err(`vfio-wizard: ${result.message}\n`);
    if (logPath) out(`Log of the commands: ${logPath}\n`);
  }
  ctx.setExit(exitFor(result.exitCode));
}
