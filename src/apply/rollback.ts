import { existsSync, lstatSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError, type ExitCodeValue } from '../exit-codes.js';
import type { SystemRoot } from '../host/root.js';
import { textDiff } from '../plan/diff.js';
import { shellJoin } from '../plan/shell-quote.js';
import type { Regeneration } from '../plan/types.js';
import { atomicWrite, durableUnlink, fsyncDir, leftoverTemps, sha256 } from './atomic-write.js';
import { COMMAND_TIMEOUT_MS, effectiveUid, hostArgv, type EngineOptions } from './engine-types.js';
import { errnoCode, mapFsError } from './fs-errors.js';
import { backupPath, listRunIds, loadRun, saveJournal, trySaveJournal, type FileEntry, type Run, type StepRecord } from './journal.js';
import { acquireLock, lockedRunner } from './lock.js';
import { mayHaveRun, regenerationToRepeat } from './restore-script.js';
import { relabel } from './selinux.js';

/** A file that changed after vfio-wizard wrote it: the three versions, as host paths. */
export interface Drift {
  runId: string;
  stepId: string;
  path: string;
  /** the backup of the original (null: the file did not exist before) */
  original: string | null;
  /** the copy of what vfio-wizard wrote (null: vfio-wizard deleted it) */
  ours: string | null;
  /** the file as it is now (null: it is gone) */
  now: string | null;
  /** unified diff from ours to now */
  diff: string;
}

export interface RollbackRequest {
  stepId?: string;
  all?: boolean;
}

export interface RollbackOptions extends EngineOptions {
  force?: boolean;
}

export interface RollbackResult {
  status: 'rolled-back' | 'nothing' | 'blocked' | 'failed';
  exitCode: ExitCodeValue;
  message: string;
  steps: { runId: string; stepId: string; state: string }[];
  drift: Drift[];
  /** regeneration and undo commands that were listed but not run (--commands skip) */
  pendingCommands: string[][];
  problems: string[];
  /** after the rollback: the step is gone from what the machine boots (src/steps/undo-check.ts) */
  checks?: { stepId: string; ok: boolean; summary: string }[];
}

type FilePlan = {
  kind: 'noop' | 'restore' | 'remove' | 'drift';
  now: Buffer | null;
  nowExists: boolean;
  /** the bytes are ours but mode or owner were changed since (what changed, in words) */
  metaChanged?: string;
};

type Meta = { mode: number; uid: number; gid: number };

function readCurrent(hostPath: string): { exists: boolean; data: Buffer | null; meta: Meta | null } {
  try {
    const st = lstatSync(hostPath);
    const meta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
    if (!st.isFile()) return { exists: true, data: null, meta };
    return { exists: true, data: readFileSync(hostPath), meta };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { exists: false, data: null, meta: null };
    throw err;
  }
}

const sameMeta = (a: Meta, b: Meta) => a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;
const metaText = (m: Meta) => `mode ${m.mode.toString(8).padStart(4, '0')}, owner ${m.uid}:${m.gid}`;

/** What undoing one file entry needs, judged by checksums (never by timestamps). */
function classify(root: SystemRoot, e: FileEntry): FilePlan {
  const cur = readCurrent(root.at(e.target));
  if (e.state === 'intent' || e.state === 'undone' || e.original === null || e.ours === null) {
    return { kind: 'noop', now: cur.data, nowExists: cur.exists };
  }
  const nowSha = cur.exists ? (cur.data ? sha256(cur.data) : 'not-a-file') : null;
  const origSha = e.original.exists ? e.original.sha256 : null;
  const oursSha = e.ours.exists ? e.ours.sha256 : null;
  if (nowSha === origSha) return { kind: 'noop', now: cur.data, nowExists: cur.exists };
  if (nowSha === oursSha) {
    // someone changed the permissions since: not ours to undo silently (unless they match the original's)
    const ours = e.ours.exists ? e.ours : null;
    const orig = e.original.exists ? e.original : null;
    if (cur.meta && ours && !sameMeta(cur.meta, ours) && !(orig && sameMeta(cur.meta, orig))) {
      return { kind: 'drift', now: cur.data, nowExists: cur.exists, metaChanged: `the content is as vfio-wizard wrote it, but ${metaText(cur.meta)} now (vfio-wizard wrote ${metaText(ours)})` };
    }
    return { kind: e.original.exists ? 'restore' : 'remove', now: cur.data, nowExists: cur.exists };
  }
  return { kind: 'drift', now: cur.data, nowExists: cur.exists };
}

function driftReport(run: Run, step: StepRecord, e: FileEntry, p: FilePlan): Drift {
  const original = e.original?.exists ? path.join(run.dir, e.original.backup) : null;
  const ours = e.ours?.exists ? path.join(run.dir, e.ours.copy) : null;
  const oursText = ours && existsSync(ours) ? readFileSync(ours, 'utf8') : '';
  return {
    runId: run.journal.runId,
    stepId: step.id,
    path: e.target,
    original,
    ours,
    now: p.nowExists ? run.root.at(e.target) : null,
    diff: p.metaChanged ?? textDiff(`ours${e.target}`, oursText, `now${e.target}`, p.now ? p.now.toString('utf8') : ''),
  };
}

/**
 * What a file will hold once the newer steps of the same rollback are undone: their originals.
 * Two steps that changed one file (cmdline applied twice) form a chain — the older step's copy is
 * the newer one's original — so the older step is judged against that, not against the disk.
 */
export type AfterNewer = Map<string, { sha: string | null; bytes: () => Buffer | null }>;

/** Like classify, against the content the newer steps' undo leaves (only the bytes are known there). */
function classifyAfterNewer(e: FileEntry, expected: { sha: string | null; bytes: () => Buffer | null }): FilePlan {
  const now = expected.bytes();
  if (e.state === 'intent' || e.state === 'undone' || e.original === null || e.ours === null) return { kind: 'noop', now, nowExists: expected.sha !== null };
  const origSha = e.original.exists ? e.original.sha256 : null;
  const oursSha = e.ours.exists ? e.ours.sha256 : null;
  if (expected.sha === origSha) return { kind: 'noop', now, nowExists: expected.sha !== null };
  if (expected.sha === oursSha) return { kind: e.original.exists ? 'restore' : 'remove', now, nowExists: expected.sha !== null };
  return { kind: 'drift', now, nowExists: expected.sha !== null };
}

/**
 * Drifted files of a step (empty: the step can be undone without overwriting anyone's edits).
 * Checking several steps newest first, pass one `afterNewer` map through: each step's files are
 * then judged by what the newer steps' undo leaves in them.
 */
export function findDrift(run: Run, step: StepRecord, afterNewer?: AfterNewer): Drift[] {
  const out: Drift[] = [];
  for (const e of step.entries) {
    if (e.kind !== 'file') continue;
    const expected = afterNewer?.get(e.target);
    const p = expected ? classifyAfterNewer(e, expected) : classify(run.root, e);
    if (p.kind === 'drift') out.push(driftReport(run, step, e, p));
    // once this step is undone the file holds its original (or is gone)
    if (afterNewer && (p.kind === 'restore' || p.kind === 'remove' || p.kind === 'drift') && e.original !== null) {
      const o = e.original;
      afterNewer.set(e.target, o.exists ? { sha: o.sha256, bytes: () => readFileSync(path.join(run.dir, o.backup)) } : { sha: null, bytes: () => null });
    }
  }
  return out;
}

function removeCreatedDirs(root: SystemRoot, dirs: string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      rmdirSync(root.at(d));
      fsyncDir(path.dirname(root.at(d)));
    } catch {
      /* not empty (someone else put files there) or already gone: leave it */
    }
  }
}

/**
 * Directories vfio-wizard created that are empty now. A step can only remove the ones it created
 * itself, and only when they are empty at that moment; one that another step (or run) filled
 * later stays until that step is undone too. Once undone, every such directory of every run is
 * tried again, deepest first: an empty one goes, one holding anything else stays.
 */
function sweepCreatedDirs(root: SystemRoot): void {
  const dirs = new Set<string>();
  for (const id of listRunIds(root)) {
    let run: Run;
    try {
      run = loadRun(root, id);
    } catch {
      continue; // a damaged run is reported elsewhere; its directories stay
    }
    for (const st of run.journal.steps) for (const e of st.entries) if (e.kind === 'file' && e.state === 'undone') for (const d of e.createdDirs) dirs.add(d);
  }
  removeCreatedDirs(root, [...dirs].sort((a, b) => a.split('/').length - b.split('/').length));
}

interface StepUndo {
  regenerations: Map<Regeneration, string[]>;
  problems: string[];
  pending: string[][];
}

async function undoFile(run: Run, e: FileEntry, opts: RollbackOptions): Promise<string | null> {
  const { root } = run;
  const host = root.at(e.target);
  for (const t of leftoverTemps(path.dirname(host), path.basename(host))) unlinkSync(t);
  const p = classify(root, e);
  if (p.kind === 'drift' && !opts.force) {
    // only reachable when the caller skipped the drift check (an automatic rollback racing an editor)
    return `${e.target} changed while vfio-wizard was working; it was left as it is`;
  }
  if (p.kind === 'drift' && p.nowExists) {
    // --force overwrites someone's edit; keep it next to the backups so nothing is lost
    if (p.now) atomicWrite(backupPath(run, `backups/${e.seq}.now-${Date.now()}`), p.now, { mode: 0o600, what: `keeping the current ${e.target}` });
  }
  const o = e.original;
  if (o?.exists && (p.kind === 'restore' || p.kind === 'drift' || p.kind === 'noop')) {
    if (p.kind === 'noop') {
      // bytes are the original's; put mode and owner back too (a mode-only change, a rewrite)
      if (p.nowExists && p.now) atomicOrMeta(host, o, null, e.seq);
    } else {
      const bytes = readFileSync(backupPath(run, o.backup));
      if (sha256(bytes) !== o.sha256) {
        throw new UserError(
          `the backup ${path.join(run.dir, o.backup)} of ${e.target} does not match its checksum`,
          ExitCode.rollbackBlocked,
          'The backup was damaged; the file was left as it is. Compare it by hand with the journal.',
        );
      }
      atomicOrMeta(host, o, bytes, e.seq);
    }
    const labelProblem = await relabel(root, opts.runner, host, o.selinux);
    if (labelProblem) return labelProblem;
  } else if (!o?.exists && (p.kind === 'remove' || p.kind === 'drift') && p.nowExists) {
    durableUnlink(host, `remove ${e.seq}`);
  }
  removeCreatedDirs(root, e.createdDirs);
  return null;
}

function atomicOrMeta(host: string, o: { mode: number; uid: number; gid: number }, bytes: Buffer | null, seq: number): void {
  if (bytes) {
    atomicWrite(host, bytes, { mode: o.mode, uid: o.uid, gid: o.gid, what: 'restoring the original', crashLabel: `restore ${seq}` });
    return;
  }
  const st = lstatSync(host);
  if ((st.mode & 0o7777) === o.mode && st.uid === o.uid && st.gid === o.gid) return;
  // a same-bytes file with other metadata: rewrite atomically rather than chmod in place, so a
  // crash never leaves a half-updated owner/mode pair
  atomicWrite(host, readFileSync(host), { mode: o.mode, uid: o.uid, gid: o.gid, what: 'restoring mode and owner', crashLabel: `restore ${seq}` });
}

/** The run directory and the file's directory are on one file system: dropping copies there frees room for it. */
function sameFileSystem(runDir: string, hostFile: string): boolean {
  try {
    return statSync(runDir).dev === statSync(path.dirname(hostFile)).dev;
  } catch {
    return false;
  }
}

/** Remove the step's copies of what vfio-wizard wrote (backups/N.ours); true when one was there. */
function dropOursCopies(run: Run, step: StepRecord): boolean {
  let dropped = false;
  for (const e of step.entries) {
    if (e.kind !== 'file' || !e.ours?.exists) continue;
    try {
      unlinkSync(path.join(run.dir, e.ours.copy));
      dropped = true;
    } catch {
      /* gone already */
    }
  }
  return dropped;
}

/**
 * Undo one step in reverse order and mark it rolled back. The caller holds the lock, has checked
 * drift (or passes force), and runs the collected regenerations once at the end.
 */
export async function undoStep(run: Run, step: StepRecord, opts: RollbackOptions): Promise<StepUndo> {
  const out: StepUndo = { regenerations: new Map(), problems: [], pending: [] };
  const mode = opts.commands ?? 'chroot';
  // the regenerations are journaled before anything is undone: a rollback killed after restoring
  // the files but before rebuilding the initramfs / boot config still knows what is left to run
  for (const r of step.pendingRegenerations ?? []) out.regenerations.set(r.kind, r.argv);
  for (const e of step.entries) {
    if (e.kind === 'command' && e.regenerates && regenerationToRepeat(e) && !out.regenerations.has(e.regenerates)) out.regenerations.set(e.regenerates, e.argv);
  }
  step.pendingRegenerations = [...out.regenerations].map(([kind, argv]) => ({ kind, argv }));
  step.state = 'rolling-back';
  trySaveJournal(run);
  for (const e of [...step.entries].reverse()) {
    if (e.state === 'undone') continue;
    if (e.kind === 'file') {
      let problem: string | null;
      try {
        problem = await undoFile(run, e, opts);
      } catch (err) {
        // a full disk: the copies of our own versions (kept for showing a drift) are what the undo
        // can spare — dropped, then the undo tried once more with the space they held
        if (!(err instanceof UserError && err.exitCode === ExitCode.noSpace) || !sameFileSystem(run.dir, run.root.at(e.target)) || !dropOursCopies(run, step)) throw err;
        opts.onEvent?.({ type: 'output', stepId: step.id, line: 'the disk is full: dropped vfio-wizard\'s copies of its own versions of the files to make room for the undo' });
        problem = await undoFile(run, e, opts);
      }
      if (problem) {
        out.problems.push(problem);
        continue;
      }
    } else if (e.kind === 'sysfs') {
      // intent: killed between announcing the write and recording it — it may have happened, and
      // writing the old value back (or the explicit undo) is harmless when it did not
      const writes = e.undo ?? (e.previous !== null ? [{ path: e.path, value: e.previous }] : []);
      for (const w of writes) {
        try {
          writeFileSync(run.root.at(w.path), w.value);
        } catch (err) {
          // the object is gone already (an mdev removed, a device unplugged): nothing left to undo
          if (errnoCode(err) === 'ENOENT') {
            opts.onEvent?.({ type: 'output', stepId: step.id, line: `${w.path} no longer exists: nothing to undo there` });
            continue;
          }
          // a write that was only announced may never have happened: its undo can then be refused
          // (unbinding a driver that never bound); that is the state we want, not a problem
          if (e.state === 'intent') {
            opts.onEvent?.({ type: 'output', stepId: step.id, line: `${w.path}: ${(err as Error).message} (the interrupted write may never have happened)` });
            continue;
          }
          out.problems.push(`could not write ${JSON.stringify(w.value)} to ${w.path}: ${(err as Error).message}`);
        }
      }
    } else {
      // a command only listed at apply (--commands skip) was the user's to run: a rollback that also
      // only lists lists its undo too, so both halves stay in the user's hands
      if ((mayHaveRun(e) || (mode === 'skip' && e.state === 'pending')) && e.undo) {
        if (mode === 'skip') out.pending.push(e.undo.argv);
        else {
          const r = await opts.runner.run(hostArgv(run.root, e.undo.argv, e.runsOn), { name: e.undo.argv[0] ?? 'undo', signal: opts.signal, timeoutMs: COMMAND_TIMEOUT_MS, displayOnly: true });
          if (!r.ok && e.undo.mayFail && !r.canceled) opts.onEvent?.({ type: 'output', stepId: step.id, line: `(${shellJoin(e.undo.argv)} failed, which is expected when there was nothing to undo)` });
          else if (!r.ok) out.problems.push(`undo command failed: ${shellJoin(e.undo.argv)} (${r.canceled ? 'interrupted' : r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal ?? r.spawnError}`})${r.logPath ? ` (full log: ${r.logPath})` : ''}`);
        }
      }
    }
    e.state = 'undone';
    trySaveJournal(run);
  }
  // a step with a problem stays selectable, so fixing the cause and rolling back again finishes it
  if (out.problems.length > 0) {
    step.state = 'rollback-blocked';
    step.error = out.problems.join('; ');
  } else if (out.regenerations.size === 0) {
    step.state = 'rolled-back';
    if (out.pending.length > 0) step.unrunCommands = out.pending;
  }
  step.finishedAt = new Date().toISOString();
  trySaveJournal(run);
  return out;
}

/**
 * After the regenerations: mark the steps rolled back, or blocked with the reason (kept for a
 * retry). `unrun`: the commands --commands skip listed instead of running; status keeps showing them.
 */
export function finishSteps(sel: { run: Run; step: StepRecord }[], problems: string[], unrun: string[][] = []): void {
  const touched = new Set<Run>();
  for (const { run, step } of sel) {
    if (step.state !== 'rolling-back') continue;
    if (problems.length > 0) {
      step.state = 'rollback-blocked';
      step.error = problems.join('; ');
    } else {
      step.state = 'rolled-back';
      step.pendingRegenerations = [];
      if (unrun.length > 0) step.unrunCommands = unrun;
    }
    touched.add(run);
  }
  // one record per run: the steps of a run change state together
  for (const run of touched) trySaveJournal(run);
}

/** Re-run the regeneration commands so restored files take effect: initramfs first, then the boot loader. */
export async function regenerate(
  root: SystemRoot,
  regenerations: Map<Regeneration, string[]>,
  opts: RollbackOptions,
): Promise<{ problems: string[]; pending: string[][] }> {
  const problems: string[] = [];
  const pending: string[][] = [];
  for (const kind of ['initramfs', 'bootloader'] as const) {
    const argv = regenerations.get(kind);
    if (!argv) continue;
    if ((opts.commands ?? 'chroot') === 'skip') {
      pending.push(argv);
      opts.onEvent?.({ type: 'regenerate', argv, state: 'pending' });
      continue;
    }
    opts.onEvent?.({ type: 'regenerate', argv, state: 'start' });
    const r = await opts.runner.run(hostArgv(root, argv), { name: argv[0] ?? kind, signal: opts.signal, timeoutMs: COMMAND_TIMEOUT_MS, displayOnly: true });
    opts.onEvent?.({ type: 'regenerate', argv, state: r.ok ? 'done' : 'failed' });
    if (!r.ok) {
      problems.push(`regenerating the ${kind} failed: ${shellJoin(argv)} (${r.canceled ? 'interrupted' : r.timedOut ? 'timed out' : `exit ${r.exitCode ?? r.signal ?? r.spawnError}`}); ${r.tail.slice(-3).join(' / ')}${r.logPath ? ` (full log: ${r.logPath})` : ''}`);
    }
  }
  return { problems, pending };
}

const UNDOABLE = new Set(['applied', 'applying', 'rolling-back', 'rollback-blocked']);

/** Steps a rollback request selects, newest first, each with its run. */
export function selectSteps(root: SystemRoot, req: RollbackRequest): { run: Run; step: StepRecord }[] {
  const all: { run: Run; step: StepRecord }[] = [];
  // newest run first, and no further than needed: a corrupt journal refuses (exit 8) only when it
  // could hold what was asked for — an old damaged run does not block undoing a newer step
  for (const id of listRunIds(root).reverse()) {
    const run = loadRun(root, id);
    for (const step of [...run.journal.steps].reverse()) if (UNDOABLE.has(step.state)) all.push({ run, step });
    if (!req.all && all.some((x) => req.stepId === undefined || x.step.id === req.stepId)) break;
  }
  if (req.all) return all;
  if (req.stepId !== undefined) {
    const hit = all.find((x) => x.step.id === req.stepId);
    if (!hit) {
      throw new UserError(`no applied step "${req.stepId}" to roll back`, ExitCode.badInput, 'vfio-wizard status lists the steps and their state.');
    }
    return [hit];
  }
  return all.slice(0, 1);
}

export function describeDrift(d: Drift): string {
  return [
    `${d.path} changed after vfio-wizard wrote it (step ${d.stepId}, run ${d.runId}); it was not overwritten.`,
    `  original: ${d.original ?? '(did not exist)'}`,
    `  ours:     ${d.ours ?? '(deleted by vfio-wizard)'}`,
    `  now:      ${d.now ?? '(gone)'}`,
    d.diff.trimEnd(),
  ].join('\n');
}

/** Steps interrupted by a crash or a kill (state applying / rolling-back). */
export function interruptedSteps(root: SystemRoot): { run: Run; step: StepRecord }[] {
  return selectSteps(root, { all: true }).filter((x) => x.step.state === 'applying' || x.step.state === 'rolling-back');
}

/** Roll back selected steps; the caller holds the lock. */
export async function rollbackSelected(sel: { run: Run; step: StepRecord }[], opts: RollbackOptions): Promise<RollbackResult> {
  const steps = sel.map((x) => ({ runId: x.run.journal.runId, stepId: x.step.id, state: x.step.state as string }));
  if (sel.length === 0) {
    return { status: 'nothing', exitCode: ExitCode.ok, message: 'Nothing to roll back.', steps, drift: [], pendingCommands: [], problems: [] };
  }
  // newest first (as sel is ordered), each step judged by what the newer ones' undo leaves
  const afterNewer: AfterNewer = new Map();
  const drift = opts.force ? [] : sel.flatMap((x) => findDrift(x.run, x.step, afterNewer));
  if (drift.length > 0) {
    return {
      status: 'blocked',
      exitCode: ExitCode.rollbackBlocked,
      message: `${drift.length} file(s) changed after vfio-wizard wrote them; nothing was rolled back.\n${drift.map(describeDrift).join('\n')}\nKeep your edits and undo by hand, or pass --force to restore the originals (the current versions are kept next to the backups).`,
      steps,
      drift,
      pendingCommands: [],
      problems: [],
    };
  }
  const regenerations = new Map<Regeneration, string[]>();
  const problems: string[] = [];
  const pendingCommands: string[][] = [];
  for (const x of sel) {
    opts.onEvent?.({ type: 'rollback-start', stepId: x.step.id, reason: 'rollback requested' });
    try {
      const u = await undoStep(x.run, x.step, opts);
      for (const [k, v] of u.regenerations) if (!regenerations.has(k)) regenerations.set(k, v);
      problems.push(...u.problems);
      pendingCommands.push(...u.pending);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      x.step.state = 'rollback-blocked';
      x.step.error = msg;
      try {
        saveJournal(x.run);
      } catch {
        /* the message below is what matters; restore.sh still holds the last good state */
      }
      const e = mapFsError(err, 'rolling back', x.run.dir);
      return {
        status: 'failed',
        exitCode: e instanceof UserError ? e.exitCode : ExitCode.rollbackBlocked,
        message: `rolling back step ${x.step.id} failed: ${msg}. Steps already undone stay undone; run the rollback again once the cause is fixed, or use ${path.join(x.run.dir, 'restore.sh')}.`,
        steps: sel.map((y) => ({ runId: y.run.journal.runId, stepId: y.step.id, state: y.step.state })),
        drift: [],
        pendingCommands,
        problems: [...problems, msg],
      };
    }
    opts.onEvent?.({ type: 'step-end', stepId: x.step.id, state: x.step.state, error: null });
  }
  sweepCreatedDirs(sel[0]!.run.root);
  const regen = await regenerate(sel[0]!.run.root, regenerations, opts);
  pendingCommands.push(...regen.pending);
  finishSteps(sel, regen.problems, pendingCommands);
  problems.push(...regen.problems);
  const ok = problems.length === 0;
  const names = sel.map((x) => x.step.id).join(', ');
  const behind = sel.some((x) => x.run.journalBehind);
  return {
    status: ok ? 'rolled-back' : 'failed',
    // stopped by Ctrl+C / SIGTERM / SIGHUP: say so (the caller maps it to 130/143/129), not 'blocked'
    exitCode: ok ? (behind ? ExitCode.noSpace : ExitCode.ok) : opts.signal?.aborted ? ExitCode.interrupted : ExitCode.rollbackBlocked,
    message: ok
      ? `Rolled back: ${names}.${pendingCommands.length > 0 ? ` Still to run (--commands skip): ${pendingCommands.map(shellJoin).join('; ')}. \`vfio-wizard finish\` runs them later (--by-hand records that you did).` : ''}${behind ? ' The disk is too full to record that in the journal: once there is space, run the same rollback again to record it (it finds everything already restored).' : ''}`
      : `Rolled back the files of ${names}, but: ${problems.join('; ')}. Fix the cause and re-run the command shown.`,
    steps: sel.map((y) => ({ runId: y.run.journal.runId, stepId: y.step.id, state: y.step.state })),
    drift: [],
    pendingCommands,
    problems,
  };
}

/** `vfio-wizard rollback`: take the lock, select, check drift, undo, regenerate. */
export async function rollback(req: RollbackRequest, opts: RollbackOptions): Promise<RollbackResult> {
  if (effectiveUid(opts) !== 0) {
    throw new UserError(
      'rollback must run as root (it restores system files and their owners)',
      ExitCode.needsRoot,
      `Run it again as root: sudo vfio-wizard ${process.argv.slice(2).join(' ')}`.trimEnd(),
    );
  }
  const lock = acquireLock(opts.root, 'rollback');
  try {
    return await rollbackSelected(selectSteps(opts.root, req), { ...opts, runner: lockedRunner(opts.runner, lock) });
  } finally {
    lock.release();
  }
}
