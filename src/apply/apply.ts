import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError, type ExitCodeValue } from '../exit-codes.js';
import { pathInRoot, type SystemRoot } from '../host/root.js';
import { orderChanges } from '../plan/order.js';
import { shellJoin } from '../plan/shell-quote.js';
import type { CommandChange, FileChange, Plan, SysfsChange } from '../plan/types.js';
import { validatePlan } from '../plan/validate.js';
import { atomicWrite, durableUnlink, fsyncDir, sha256 } from './atomic-write.js';
import { crashPoint } from './crash-point.js';
import { COMMAND_TIMEOUT_MS, effectiveUid, hostArgv, type EngineOptions } from './engine-types.js';
import { formatDuration } from '../run/format-result.js';
import { errnoCode, mapFsError } from './fs-errors.js';
import { backupPath, createRun, saveJournal, type FileEntry, type Run, type StepRecord } from './journal.js';
import { acquireLock, currentBootId, lockedRunner } from './lock.js';
import { resolveSystemPath } from '../host/root.js';
import { finishSteps, interruptedSteps, regenerate, rollbackSelected, undoStep, type Drift, type RollbackResult } from './rollback.js';
import { readLabel, relabel } from './selinux.js';

export interface ApplyOptions extends EngineOptions {
  /** describe what would be done; write nothing, run nothing (works without root) */
  dryRun?: boolean;
  toolVersion?: string;
  /** how to re-run as root, for the needs-root message (default: sudo + this process's argv) */
  rerunHint?: string;
}

export interface ApplyResult {
  /** preflight-failed: the step's own read-only checks failed first, nothing was journaled (src/steps/apply-outcome.ts) */
  status: 'applied' | 'dry-run' | 'rolled-back' | 'interrupted' | 'rollback-blocked' | 'stale' | 'preflight-failed';
  exitCode: ExitCodeValue;
  runId: string | null;
  /** what happened, in one or a few sentences (shown as is by the plain renderer) */
  message: string;
  steps: { id: string; state: string; error: string | null }[];
  /** commands listed, not run (--commands skip) */
  pendingCommands: string[][];
  needsReboot: boolean;
  /** host path of the run's restore.sh */
  restoreScript: string | null;
  drift: Drift[];
}

class StepFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
  }
}

/** Why a file change no longer fits the disk (the plan was made from other contents), or null. */
function staleness(root: SystemRoot, c: FileChange): string | null {
  const host = root.at(resolveSystemPath(root, c.path));
  let current: Buffer | null = null;
  try {
    const st = lstatSync(host);
    if (!st.isFile()) return `${c.path} is not a regular file`;
    current = readFileSync(host);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  if (c.action === 'create') return current === null ? null : `${c.path} already exists`;
  if (current === null) return `${c.path} no longer exists`;
  return Buffer.from(c.before ?? '').equals(current) ? null : `${c.path} changed since the plan was made`;
}

function describe(c: FileChange | SysfsChange | CommandChange): string {
  if (c.kind === 'file') return `${c.action} ${c.path}`;
  if (c.kind === 'sysfs') return `write ${JSON.stringify(c.value)} to ${c.path}`;
  return shellJoin(c.argv);
}

function nextSeq(run: Run): number {
  return run.journal.steps.reduce((n, s) => n + s.entries.length, 0) + 1;
}

/** Ancestors of a system path that do not exist yet, outermost first. */
function missingDirs(root: SystemRoot, target: string): string[] {
  const out: string[] = [];
  for (let d = path.posix.dirname(target); d !== '/' && !existsSync(root.at(d)); d = path.posix.dirname(d)) out.unshift(d);
  return out;
}

async function applyFile(run: Run, step: StepRecord, c: FileChange, opts: ApplyOptions): Promise<void> {
  const { root } = run;
  const seq = nextSeq(run);
  const target = resolveSystemPath(root, c.path);
  const host = root.at(target);
  const entry: FileEntry = {
    seq,
    kind: 'file',
    action: c.action,
    path: c.path,
    target,
    why: c.why,
    state: 'intent',
    createdDirs: missingDirs(root, target),
    original: null,
    ours: null,
  };
  step.entries.push(entry);
  saveJournal(run);
  for (const d of entry.createdDirs) {
    try {
      mkdirSync(root.at(d), { mode: 0o755 });
      // the new entry in its parent survives a power cut too, not just the file written into it
      fsyncDir(path.dirname(root.at(d)));
    } catch (err) {
      throw mapFsError(err, `creating ${d}`, root.at(d));
    }
  }
  let orig: Buffer | null = null;
  let meta = { mode: 0o644, uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
  try {
    const st = lstatSync(host);
    orig = readFileSync(host);
    meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  const ours = { mode: c.mode ?? meta.mode, uid: c.uid ?? meta.uid, gid: c.gid ?? meta.gid };
  if (orig) {
    atomicWrite(backupPath(run, `backups/${seq}.orig`), orig, { mode: 0o600, crashLabel: `backup ${seq}`, what: 'backing up the original' });
    entry.original = {
      exists: true,
      sha256: sha256(orig),
      backup: `backups/${seq}.orig`,
      selinux: await readLabel(root, opts.runner, host),
      ...meta,
    };
  } else {
    entry.original = { exists: false };
  }
  const after = c.after === null ? null : Buffer.from(c.after);
  if (after) {
    atomicWrite(backupPath(run, `backups/${seq}.ours`), after, { mode: 0o600, crashLabel: `copy ${seq}`, what: 'keeping a copy of the new file' });
    entry.ours = { exists: true, sha256: sha256(after), copy: `backups/${seq}.ours`, ...ours };
  } else {
    entry.ours = { exists: false };
  }
  entry.state = 'backed-up';
  saveJournal(run);
  if (after) {
    atomicWrite(host, after, { ...ours, crashLabel: `file ${seq}`, what: `writing ${target}` });
    const labelProblem = await relabel(root, opts.runner, host, entry.original.exists ? entry.original.selinux : null);
    if (labelProblem) throw new StepFailure(labelProblem, ExitCode.failed);
  } else {
    durableUnlink(host, `file ${seq}`);
  }
  entry.state = 'done';
  saveJournal(run);
}

function applySysfs(run: Run, step: StepRecord, c: SysfsChange): void {
  const host = run.root.at(c.path);
  let previous: string | null = c.previous;
  try {
    previous = readFileSync(host, 'utf8').trim();
  } catch {
    /* write-only attribute (bind, new_id): keep what the step recorded */
  }
  const entry = { seq: nextSeq(run), kind: 'sysfs' as const, path: c.path, value: c.value, previous, why: c.why, undo: c.undo ?? null, state: 'intent' as 'intent' | 'done' | 'undone' };
  step.entries.push(entry);
  saveJournal(run);
  try {
    // sysfs attributes cannot be renamed over: a plain write is the only way
    writeFileSync(host, c.value);
  } catch (err) {
    throw new StepFailure(`writing ${JSON.stringify(c.value)} to ${c.path} failed: ${(err as Error).message}`, ExitCode.failed);
  }
  crashPoint(`sysfs ${entry.seq}`);
  entry.state = 'done';
  saveJournal(run);
}

async function applyCommand(run: Run, step: StepRecord, c: CommandChange, opts: ApplyOptions): Promise<void> {
  const skip = (opts.commands ?? 'chroot') === 'skip';
  const entry = {
    seq: nextSeq(run),
    kind: 'command' as const,
    argv: c.argv,
    ranAs: skip ? null : hostArgv(run.root, c.argv, c.runsOn),
    phase: c.phase,
    why: c.why,
    undo: c.undo ?? null,
    regenerates: c.regenerates ?? null,
    ...(c.runsOn === 'host' ? { runsOn: 'host' as const } : {}),
    state: (skip ? 'pending' : 'intent') as 'intent' | 'done' | 'failed' | 'pending' | 'undone',
    exitCode: null as number | null,
    tail: [] as string[],
    logPath: undefined as string | undefined,
  };
  step.entries.push(entry);
  saveJournal(run);
  if (skip) {
    opts.onEvent?.({ type: 'change', stepId: step.id, seq: entry.seq, text: shellJoin(c.argv), state: 'pending' });
    return;
  }
  // a kill from here until the command returns leaves the same journal (intent: it may have run)
  crashPoint(`command ${entry.seq}:running`);
  const name = c.argv[0] ?? 'command';
  const r = await opts.runner.run(entry.ranAs as string[], {
    name,
    // a step's command is shown, never parsed (its result is the exit status)
    displayOnly: true,
    signal: opts.signal,
    timeoutMs: c.timeoutMs ?? COMMAND_TIMEOUT_MS,
    onLine: (line) => opts.onEvent?.({ type: 'output', stepId: step.id, line, command: name }),
  });
  crashPoint(`command ${entry.seq}`);
  entry.exitCode = r.exitCode;
  entry.tail = r.tail.slice(-20);
  const logInRoot = r.logPath === null ? null : pathInRoot(opts.root, r.logPath);
  if (logInRoot !== null) entry.logPath = logInRoot;
  // a command stopped midway (Ctrl+C, timeout, a signal) may have done part of its work: it stays
  // "intent" (outcome unknown), so rollback re-runs its regeneration; a clean failure changed nothing
  const stoppedMidway = r.canceled || r.timedOut || r.signal !== null;
  entry.state = r.ok ? 'done' : stoppedMidway ? 'intent' : 'failed';
  saveJournal(run);
  if (r.canceled || (!r.ok && opts.signal?.aborted)) {
    throw new StepFailure(`interrupted while running ${shellJoin(c.argv)}`, ExitCode.interrupted);
  }
  if (!r.ok) {
    const how = r.spawnError ? `could not start (${r.spawnError})` : r.timedOut ? `timed out after ${formatDuration(c.timeoutMs ?? COMMAND_TIMEOUT_MS)} and was stopped` : r.signal ? `was killed by ${r.signal}` : `exited with status ${r.exitCode}`;
    const tail = r.tail.slice(-5).map((l) => `    ${l}`).join('\n');
    throw new StepFailure(`${shellJoin(c.argv)} ${how}${tail ? `:\n${tail}` : ''}${r.logPath ? `\n  full log: ${r.logPath}` : ''}`, ExitCode.failed);
  }
}

async function applyStep(run: Run, step: StepRecord, plan: Plan, opts: ApplyOptions): Promise<void> {
  for (const c of orderChanges(plan.changes)) {
    if (opts.signal?.aborted) throw new StepFailure('interrupted', ExitCode.interrupted);
    const seq = nextSeq(run);
    opts.onEvent?.({ type: 'change', stepId: step.id, seq, text: describe(c), state: 'start' });
    if (c.kind === 'file') await applyFile(run, step, c, opts);
    else if (c.kind === 'sysfs') applySysfs(run, step, c);
    else await applyCommand(run, step, c, opts);
    if (c.kind !== 'command' || (opts.commands ?? 'chroot') !== 'skip') {
      opts.onEvent?.({ type: 'change', stepId: step.id, seq, text: describe(c), state: 'done' });
    }
  }
}

/**
 * The apply path without writing: the plan must still fit the disk (the same staleness check),
 * every target is resolved as apply would resolve it (symlinks under the root), every sysfs value
 * is read as apply would journal it, and every command goes to the runner exactly as apply would
 * run it (chroot prefix included) — the caller passes a recording runner, so nothing runs.
 */
async function dryRun(plans: Plan[], opts: ApplyOptions): Promise<ApplyResult> {
  const { root } = opts;
  const stale = plans.flatMap((p) => p.changes.flatMap((c) => (c.kind === 'file' ? [staleness(root, c)] : []))).filter((x) => x !== null);
  if (stale.length > 0) {
    throw new UserError(`the plan no longer matches the disk: ${stale.join('; ')}`, ExitCode.checkFailed, 'Make the plan again (vfio-wizard plan) and review the new diff.');
  }
  const commands: string[][] = [];
  for (const plan of plans) {
    opts.onEvent?.({ type: 'step-start', stepId: plan.stepId, title: plan.title });
    let seq = 0;
    for (const c of orderChanges(plan.changes)) {
      seq += 1;
      let text = describe(c);
      if (c.kind === 'file') {
        const target = resolveSystemPath(root, c.path);
        if (target !== c.path) text += ` (through a link: writes ${target})`;
      } else if (c.kind === 'sysfs') {
        let now: string | null = c.previous;
        try {
          now = readFileSync(root.at(c.path), 'utf8').trim();
        } catch {
          /* write-only attribute: apply keeps what the step recorded */
        }
        text += ` (now ${now === null ? 'unknown' : JSON.stringify(now)})`;
      } else {
        const argv = hostArgv(root, c.argv, c.runsOn);
        commands.push(c.argv);
        await opts.runner.run(argv, { name: c.argv[0] ?? 'command', signal: opts.signal, timeoutMs: c.timeoutMs ?? COMMAND_TIMEOUT_MS });
      }
      opts.onEvent?.({ type: 'change', stepId: plan.stepId, seq, text, state: 'skipped' });
    }
    opts.onEvent?.({ type: 'step-end', stepId: plan.stepId, state: 'would-apply', error: null });
  }
  return {
    status: 'dry-run',
    exitCode: ExitCode.ok,
    runId: null,
    message: 'Dry run: the plan fits the disk; nothing was written and nothing was run.',
    steps: plans.map((p) => ({ id: p.stepId, state: 'would-apply', error: null })),
    pendingCommands: commands,
    needsReboot: plans.some((p) => p.needsReboot),
    restoreScript: null,
    drift: [],
  };
}

/** The command that runs this one again as root (the caller's own hint, or this process's argv). */
const rerunAsRoot = (opts: ApplyOptions): string => opts.rerunHint ?? `sudo ${shellJoin(['vfio-wizard', ...process.argv.slice(2)])}`;

/** Undo what earlier runs left half-done (a crash, kill -9), the lock being held. null: nothing was. */
async function recoverUnderLock(opts: ApplyOptions): Promise<RollbackResult | null> {
  const interrupted = interruptedSteps(opts.root);
  if (interrupted.length === 0) return null;
  const rec = await rollbackSelected(interrupted, { ...opts, force: false });
  for (const x of interrupted) opts.onEvent?.({ type: 'recovered', runId: x.run.journal.runId, stepId: x.step.id });
  return rec;
}

/**
 * Before a step is planned: undo the steps an earlier run left half-done, so that the plan is made
 * from the disk as it really is (a half-applied step can make it look as if nothing were left to
 * do). Takes the lock, so it is also where a second instance is turned away (exit 6). null when
 * nothing was interrupted; otherwise how the undo went (only 'rolled-back' lets the apply go on).
 */
export async function recoverInterrupted(opts: ApplyOptions): Promise<RollbackResult | null> {
  // a cheap look first: the lock (and root) only when there is something to undo
  if (interruptedSteps(opts.root).length === 0) return null;
  if (effectiveUid(opts) !== 0) {
    throw new UserError(
      'an earlier run was interrupted, and undoing it needs root',
      ExitCode.needsRoot,
      `Run it again as root: ${rerunAsRoot(opts)} (vfio-wizard status shows the interrupted step).`,
    );
  }
  const lock = acquireLock(opts.root, 'apply');
  try {
    return await recoverUnderLock({ ...opts, runner: lockedRunner(opts.runner, lock) });
  } finally {
    lock.release();
  }
}

/**
 * Apply plans as steps of one run: lock, recover any step a crash interrupted, then for each plan
 * journal → back up → write atomically, in the order files → initramfs → boot loader → live.
 * A failure rolls the current step back and stops; earlier steps stay applied and undoable.
 */
export async function applyPlans(plans: Plan[], opts: ApplyOptions): Promise<ApplyResult> {
  const problems = plans.flatMap((p) => validatePlan(p).map((x) => `${p.stepId}: ${x}`));
  if (problems.length > 0) {
    throw new UserError(`the plan is invalid: ${problems.join('; ')}`, ExitCode.failed, 'This is a bug in vfio-wizard; please report it with this message.');
  }
  if (opts.dryRun) return dryRun(plans, opts);
  if (effectiveUid(opts) !== 0) {
    throw new UserError(
      'applying changes needs root; plan and --dry-run work without it',
      ExitCode.needsRoot,
      `Run it again as root: ${rerunAsRoot(opts)}`,
    );
  }
  const { root } = opts;
  const lock = acquireLock(root, 'apply');
  // every command from here on is recorded in the lock while it runs (a kill -9 of this process
  // leaves it running in its own group: the next vfio-wizard must wait for it)
  opts = { ...opts, runner: lockedRunner(opts.runner, lock) };
  try {
    const rec = await recoverUnderLock(opts);
    if (rec !== null) {
      if (rec.status !== 'rolled-back') {
        return {
          status: 'rollback-blocked',
          exitCode: rec.exitCode === ExitCode.ok ? ExitCode.rollbackBlocked : rec.exitCode,
          runId: null,
          message: `An earlier run was interrupted and could not be undone automatically, so nothing new was applied.\n${rec.message}`,
          steps: [],
          pendingCommands: [],
          needsReboot: false,
          restoreScript: null,
          drift: rec.drift,
        };
      }
    }
    const first = plans[0];
    const firstStale = first ? first.changes.flatMap((c) => (c.kind === 'file' ? [staleness(root, c)] : [])).filter((s) => s !== null) : [];
    if (firstStale.length > 0) {
      if (rec !== null) {
        // the plan was made from the disk as the interrupted run left it: true then, stale now
        const undone = rec.steps.map((x) => x.stepId).join(', ');
        throw new UserError(
          `an interrupted step of an earlier run (${undone}) was undone first, as every apply does; the plan had been made before that and no longer matches the disk (${firstStale.join('; ')}), so it was not applied. That undo is the only change made`,
          ExitCode.checkFailed,
          'Plan the step again, from the disk as it is now, and review the new diff.',
        );
      }
      throw new UserError(`the plan no longer matches the disk: ${firstStale.join('; ')}`, ExitCode.checkFailed, 'Make the plan again (vfio-wizard plan) and review the new diff.');
    }
    const run = createRun(root, root.live ? 'run' : (opts.commands ?? 'chroot'), opts.toolVersion ?? '0.0.0-dev');
    const restoreScript = path.join(run.dir, 'restore.sh');
    const result = (status: ApplyResult['status'], exitCode: ExitCodeValue, message: string, drift: Drift[] = []): ApplyResult => ({
      status,
      exitCode,
      runId: run.journal.runId,
      message,
      steps: run.journal.steps.map((s) => ({ id: s.id, state: s.state, error: s.error })),
      pendingCommands: run.journal.steps.flatMap((s) => s.entries.flatMap((e) => (e.kind === 'command' && e.state === 'pending' ? [e.argv] : []))),
      needsReboot: run.journal.steps.some((s) => s.state === 'applied' && s.needsReboot),
      restoreScript,
      drift,
    });
    for (const [i, plan] of plans.entries()) {
      const stale = plan.changes.flatMap((c) => (c.kind === 'file' ? [staleness(root, c)] : [])).filter((s) => s !== null);
      if (stale.length > 0) {
        return result('stale', ExitCode.checkFailed, `Step ${plan.stepId} was not applied: ${stale.join('; ')}. ${i > 0 ? 'The steps before it stay applied. ' : ''}Make the plan again and review it.`);
      }
      const step: StepRecord = {
        id: plan.stepId,
        title: plan.title,
        state: 'applying',
        needsReboot: plan.needsReboot,
        notes: plan.notes,
        startedAt: new Date().toISOString(),
        finishedAt: null,
        bootId: root.live ? currentBootId() : null,
        error: null,
        verification: 'pending',
        ...(plan.expect ? { expect: plan.expect } : {}),
        entries: [],
      };
      opts.onEvent?.({ type: 'step-start', stepId: step.id, title: step.title });
      try {
        run.journal.steps.push(step);
        saveJournal(run);
        await applyStep(run, step, plan, opts);
        step.state = 'applied';
        step.finishedAt = new Date().toISOString();
        saveJournal(run);
        opts.onEvent?.({ type: 'step-end', stepId: step.id, state: step.state, error: null });
      } catch (err) {
        const failure =
          err instanceof StepFailure || err instanceof UserError
            ? err
            : (() => {
                const mapped = mapFsError(err, `applying step ${step.id}`, root.dir);
                return mapped instanceof UserError ? mapped : new StepFailure(err instanceof Error ? err.message : String(err), ExitCode.failed);
              })();
        const why = failure instanceof UserError && failure.remedy ? `${failure.message} (${failure.remedy})` : failure.message;
        step.error = why;
        opts.onEvent?.({ type: 'rollback-start', stepId: step.id, reason: why });
        const earlier = i > 0 ? ' The steps before it stay applied and can be rolled back on their own.' : '';
        try {
          const u = await undoStep(run, step, { ...opts, signal: undefined });
          const regen = await regenerate(root, u.regenerations, { ...opts, signal: undefined });
          finishSteps([{ run, step }], regen.problems, [...u.pending, ...regen.pending]);
          const left = [...u.problems, ...regen.problems];
          opts.onEvent?.({ type: 'step-end', stepId: step.id, state: step.state, error: why });
          if (left.length > 0) {
            return result('rollback-blocked', ExitCode.rollbackBlocked, `Step ${step.id} failed: ${why}\nIt was rolled back, but: ${left.join('; ')}.${earlier}`);
          }
          const status = failure.exitCode === ExitCode.interrupted ? 'interrupted' : 'rolled-back';
          // a full disk can keep the journal from recording the rollback; the files are back all the same
          const behind = run.journalBehind
            ? `\nThe disk is still too full to record that in the journal: once there is space, \`vfio-wizard rollback --step ${step.id}\` records it (it finds everything already restored and changes nothing).`
            : '';
          return result(status, run.journalBehind ? ExitCode.noSpace : failure.exitCode, `Step ${step.id} failed: ${why}\nIt was rolled back automatically: what it had changed is as it was.${behind}${earlier}`);
        } catch (rbErr) {
          step.state = 'rollback-blocked';
          try {
            saveJournal(run);
          } catch {
            /* the journal keeps the last durable state; restore.sh matches it */
          }
          opts.onEvent?.({ type: 'step-end', stepId: step.id, state: step.state, error: why });
          return result(
            'rollback-blocked',
            ExitCode.rollbackBlocked,
            `Step ${step.id} failed: ${why}\nRolling it back failed too: ${rbErr instanceof Error ? rbErr.message : String(rbErr)}.\nRun \`vfio-wizard rollback --step ${step.id}\` once the cause is fixed, or sh ${restoreScript}.${earlier}`,
          );
        }
      }
    }
    const r = result('applied', ExitCode.ok, `Applied: ${plans.map((p) => p.stepId).join(', ')}.`);
    if (r.pendingCommands.length > 0) r.message += ` Commands not run (--commands skip), run them yourself in this order: ${r.pendingCommands.map(shellJoin).join('; ')}.`;
    if (r.needsReboot) r.message += ' Reboot for the changes to take effect.';
    return r;
  } finally {
    lock.release();
  }
}

export function applyPlan(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  return applyPlans([plan], opts);
}
