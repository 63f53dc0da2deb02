// `vfio-wizard finish`: the commands a run only listed (--commands skip at apply, rollback or in
// restore.sh's NO_COMMANDS=1) are the user's to run, and status shows them until someone does.
// finish runs them now — once each, in the order they were listed, stopping at the first failure —
// or, with byHand, records that the user ran them; either way the journal stops listing them.
import { ExitCode, UserError, type ExitCodeValue } from '../exit-codes.js';
import { pathInRoot, type SystemRoot } from '../host/root.js';
import { shellJoin } from '../plan/shell-quote.js';
import { COMMAND_TIMEOUT_MS, effectiveUid, hostArgv, type EngineOptions } from './engine-types.js';
import { listRunIds, loadRun, saveJournal, type CommandEntry, type Run, type StepRecord } from './journal.js';
import { acquireLock, lockedRunner } from './lock.js';

/** One command still to run, with every journal record that lists it. */
export interface PendingCommand {
  argv: string[];
  /** 'host': about the running host's own services (virsh, mdevctl); never run inside another root */
  runsOn: 'root' | 'host';
  holders: { run: Run; step: StepRecord; entry: CommandEntry | null }[];
}

export interface FinishResult {
  status: 'finished' | 'nothing' | 'failed';
  exitCode: ExitCodeValue;
  message: string;
  /** run now and succeeded, or recorded as run by hand */
  done: string[][];
  /** still to run: after a failure, and host commands under another root */
  left: string[][];
  /** runs whose journal could not be read (listed by status; their commands are not here) */
  skippedRuns: string[];
}

export interface FinishOptions extends EngineOptions {
  /** the user ran them already: record that, run nothing */
  byHand?: boolean;
}

const key = (argv: string[]) => shellJoin(argv);

/** Every command still to run, oldest run first, once each. */
export function collectPending(root: SystemRoot): { pending: PendingCommand[]; skippedRuns: string[] } {
  const byKey = new Map<string, PendingCommand>();
  const skippedRuns: string[] = [];
  const add = (run: Run, step: StepRecord, argv: string[], runsOn: 'root' | 'host', entry: CommandEntry | null) => {
    const k = key(argv);
    const p = byKey.get(k) ?? { argv, runsOn, holders: [] };
    p.holders.push({ run, step, entry });
    byKey.set(k, p);
  };
  for (const id of listRunIds(root)) {
    let run: Run;
    try {
      run = loadRun(root, id);
    } catch (err) {
      if (err instanceof UserError && err.exitCode === ExitCode.journalCorrupt) {
        skippedRuns.push(id);
        continue;
      }
      throw err;
    }
    for (const step of run.journal.steps) {
      if (step.state === 'applied') {
        for (const e of step.entries) if (e.kind === 'command' && e.state === 'pending') add(run, step, e.argv, e.runsOn ?? 'root', e);
      } else if (step.state === 'rolled-back') {
        for (const argv of step.unrunCommands ?? []) {
          // an undo command runs where its command ran; a regeneration always inside the root
          const of = step.entries.find((e): e is CommandEntry => e.kind === 'command' && e.undo !== null && key(e.undo.argv) === key(argv));
          add(run, step, argv, of?.runsOn ?? 'root', null);
        }
      }
    }
  }
  return { pending: [...byKey.values()], skippedRuns };
}

function markDone(p: PendingCommand, ran: { ranAs: string[]; exitCode: number; tail: string[]; logPath: string | null } | null): void {
  for (const h of p.holders) {
    if (h.entry) {
      h.entry.state = 'done';
      if (ran) {
        h.entry.ranAs = ran.ranAs;
        h.entry.exitCode = ran.exitCode;
        h.entry.tail = ran.tail;
        if (ran.logPath !== null) h.entry.logPath = ran.logPath;
      }
    } else {
      const rest = (h.step.unrunCommands ?? []).filter((a) => key(a) !== key(p.argv));
      if (rest.length > 0) h.step.unrunCommands = rest;
      else delete h.step.unrunCommands;
    }
  }
  // one record per run, right away: a kill after this command still knows it ran
  for (const run of new Set(p.holders.map((h) => h.run))) saveJournal(run);
}

/** finish under --commands skip would only list them again: refused unless it records by hand. */
export function refuseListingAgain(commands: EngineOptions['commands'], byHand: boolean | undefined): void {
  if ((commands ?? 'chroot') === 'skip' && !byHand) {
    throw new UserError('finish runs the commands that were only listed; --commands skip would list them again', ExitCode.usage, 'Leave out --commands skip, or pass --by-hand once you ran them yourself.');
  }
}

export async function finishPending(opts: FinishOptions): Promise<FinishResult> {
  if (effectiveUid(opts) !== 0) {
    throw new UserError('finish must run as root (it runs boot regenerations and records them in the journal)', ExitCode.needsRoot, `Run it again as root: sudo vfio-wizard ${process.argv.slice(2).join(' ')}`.trimEnd());
  }
  refuseListingAgain(opts.commands, opts.byHand);
  const lock = acquireLock(opts.root, 'finish');
  opts = { ...opts, runner: lockedRunner(opts.runner, lock) };
  try {
    const { pending, skippedRuns } = collectPending(opts.root);
    const done: string[][] = [];
    const left: string[][] = [];
    const note = skippedRuns.length > 0 ? ` (runs with an unreadable journal were left out: ${skippedRuns.join(', ')})` : '';
    if (pending.length === 0) return { status: 'nothing', exitCode: ExitCode.ok, message: `No commands are left to run.${note}`, done, left, skippedRuns };
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      if (p.runsOn === 'host' && !opts.root.live && !opts.byHand) {
        // about the running host's services (libvirt, mdevctl): meaningless inside a mounted disk
        left.push(p.argv);
        opts.onEvent?.({ type: 'output', stepId: p.holders[0]!.step.id, line: `not run (it is about the running host, not ${opts.root.dir}): ${shellJoin(p.argv)}` });
        continue;
      }
      if (opts.byHand) {
        markDone(p, null);
        done.push(p.argv);
        continue;
      }
      const argv = hostArgv(opts.root, p.argv, p.runsOn);
      const r = await opts.runner.run(argv, { name: p.argv[0] ?? 'command', signal: opts.signal, timeoutMs: COMMAND_TIMEOUT_MS, displayOnly: true });
      if (!r.ok) {
        left.push(...pending.slice(i).map((q) => q.argv));
        const how = r.canceled ? 'was interrupted' : r.spawnError ? `could not start (${r.spawnError})` : r.timedOut ? 'timed out and was stopped' : r.signal ? `was killed by ${r.signal}` : `exited with status ${r.exitCode}`;
        const tail = r.tail.slice(-5).map((l) => `    ${l}`).join('\n');
        return {
          status: 'failed',
          exitCode: r.canceled || opts.signal?.aborted ? ExitCode.interrupted : ExitCode.failed,
          message: `${shellJoin(p.argv)} ${how}${tail ? `:\n${tail}` : ''}${r.logPath ? `\n  full log: ${r.logPath}` : ''}\nIt and the commands after it are still listed; fix the cause and run finish again.${note}`,
          done,
          left,
          skippedRuns,
        };
      }
      markDone(p, { ranAs: argv, exitCode: 0, tail: r.tail.slice(-20), logPath: r.logPath === null ? null : pathInRoot(opts.root, r.logPath) });
      done.push(p.argv);
    }
    const verb = opts.byHand ? 'Recorded as run by hand' : 'Ran';
    return {
      status: 'finished',
      exitCode: ExitCode.ok,
      message: `${done.length > 0 ? `${verb}: ${done.map(shellJoin).join('; ')}.` : 'Nothing was run.'}${left.length > 0 ? ` Still to run on the host itself once it is up: ${left.map(shellJoin).join('; ')}.` : ''}${note}`,
      done,
      left,
      skippedRuns,
    };
  } finally {
    lock.release();
  }
}
