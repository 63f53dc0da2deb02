import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../exit-codes.js';
import type { SystemRoot } from '../host/root.js';
import type { CommandPhase, FileAction, Regeneration, StepExpectation } from '../plan/types.js';
import { atomicWrite, durableUnlink } from './atomic-write.js';
import { crashPoint } from './crash-point.js';
import { isCleanSystemPath } from '../plan/validate.js';
import { errnoCode, mapFsError } from './fs-errors.js';
import { NOT_RUN_FILE, RESTORED_MARKER, restoreReadme, restoreScript } from './restore-script.js';

// The write-ahead journal (docs/journal.md). One directory per run:
//   <root>/var/lib/vfio-wizard/runs/<runId>/journal.json   the whole journal, rewritten atomically
//   .../backups/<seq>.orig, <seq>.ours                       original and written bytes per file
//   .../restore.sh, README.txt                               the rescue path without Node
// A record is durable before the change it announces is made, so after a crash the journal
// always knows at least as much as the disk.

export const JOURNAL_FORMAT = 'vfio-wizard-journal';
export const JOURNAL_VERSION = 1;
export const STATE_DIR = '/var/lib/vfio-wizard';

export interface FileMeta {
  mode: number;
  uid: number;
  gid: number;
}

export interface FileEntry {
  seq: number;
  kind: 'file';
  action: FileAction;
  /** the path the plan named */
  path: string;
  /** the path written after resolving symlinks under the root (equal to path without links) */
  target: string;
  why: string;
  /** intent: announced, nothing written yet · backed-up: original saved, target may be written ·
   *  done: target written · undone: rolled back */
  state: 'intent' | 'backed-up' | 'done' | 'undone';
  /** parent directories this change created (removed again on rollback when empty) */
  createdDirs: string[];
  original: (FileMeta & { exists: true; sha256: string; backup: string; selinux: string | null }) | { exists: false } | null;
  ours: (FileMeta & { exists: true; sha256: string; copy: string }) | { exists: false } | null;
}

export interface SysfsEntry {
  seq: number;
  kind: 'sysfs';
  path: string;
  value: string;
  /** what was read just before writing (null: unreadable) */
  previous: string | null;
  why: string;
  /** explicit reversing writes (SysfsChange.undo); null: write `previous` back */
  undo: { path: string; value: string }[] | null;
  state: 'intent' | 'done' | 'undone';
}

export interface CommandEntry {
  seq: number;
  kind: 'command';
  argv: string[];
  /** what was actually executed (chroot prefix included); null when not run */
  ranAs: string[] | null;
  phase: CommandPhase;
  why: string;
  undo: { argv: string[]; why: string; mayFail?: boolean } | null;
  regenerates: Regeneration | null;
  /** CommandChange.runsOn; absent in journals written before it existed (= root) */
  runsOn?: 'root' | 'host';
  /** pending: --commands skip, listed for the user to run */
  state: 'intent' | 'done' | 'failed' | 'pending' | 'undone';
  exitCode: number | null;
  tail: string[];
  /** the log with the command's whole output, as a path inside the root ("/var/log/vfio-wizard/…"); absent when none was written */
  logPath?: string;
}

export type JournalEntry = FileEntry | SysfsEntry | CommandEntry;

export type StepState = 'applying' | 'applied' | 'rolling-back' | 'rolled-back' | 'rollback-blocked';

export interface StepRecord {
  id: string;
  title: string;
  state: StepState;
  needsReboot: boolean;
  notes: string[];
  startedAt: string;
  finishedAt: string | null;
  /** boot id of the running kernel at apply time (null under --root): tells whether a reboot happened */
  bootId: string | null;
  /** why the step failed or was blocked */
  error: string | null;
  verification: 'pending' | 'passed' | 'failed' | 'none';
  /** regeneration commands a rollback of this step still has to run (set before undoing) */
  pendingRegenerations?: { kind: Regeneration; argv: string[] }[];
  /** commands a rollback under --commands skip listed instead of running (undo, regeneration): still to run by hand */
  unrunCommands?: string[][];
  /** what the after-reboot check looks for (absent in journals written before it existed) */
  expect?: StepExpectation;
  entries: JournalEntry[];
}

export interface Journal {
  format: typeof JOURNAL_FORMAT;
  version: typeof JOURNAL_VERSION;
  runId: string;
  createdAt: string;
  tool: { name: 'vfio-wizard'; version: string };
  commands: 'run' | 'chroot' | 'skip';
  steps: StepRecord[];
}

export interface Run {
  root: SystemRoot;
  /** host path of the run directory */
  dir: string;
  journal: Journal;
  /** set by trySaveJournal when a full disk kept the last record from being written (cleared by the next good save) */
  journalBehind?: boolean;
  /**
   * The journal is unreadable, but restore.sh undid the run (its marker): the steps come from the
   * marker, the commands still to run from its list, and saving rewrites only that list.
   */
  restoredWithoutJournal?: true;
}

const refuseLink = (hostPath: string): never => {
  throw new UserError(
    `${hostPath} is a symbolic link; vfio-wizard never follows links in its state directory`,
    ExitCode.journalCorrupt,
    'Someone or something replaced it with a link. Inspect it (ls -l), remove the link, and run again. Nothing was changed.',
  );
};

/** mkdir (mode 0700) or check an existing directory, refusing symlinks. */
function ensurePlainDir(hostPath: string): void {
  try {
    const st = lstatSync(hostPath);
    if (st.isSymbolicLink()) refuseLink(hostPath);
    if (!st.isDirectory()) {
      throw new UserError(`${hostPath} is not a directory`, ExitCode.journalCorrupt, 'Move it out of the way and run again.');
    }
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw mapFsError(err, 'checking the state directory', hostPath);
    try {
      mkdirSync(hostPath, { mode: 0o700 });
    } catch (e) {
      throw mapFsError(e, 'creating the state directory', hostPath);
    }
  }
}

/** Create <root>/var/lib/vfio-wizard/runs, refusing symlinks at and below vfio-wizard/. */
export function ensureStateDir(root: SystemRoot): string {
  // one level at a time: a recursive mkdir reports EROFS as ENOENT
  for (const d of ['/var', '/var/lib']) {
    const host = root.at(d);
    if (existsSync(host)) continue;
    try {
      mkdirSync(host, { mode: 0o755 });
    } catch (err) {
      throw mapFsError(err, `creating ${d}`, host);
    }
  }
  const state = root.at(STATE_DIR);
  ensurePlainDir(state);
  ensurePlainDir(path.join(state, 'runs'));
  return state;
}

export function runsDir(root: SystemRoot): string {
  return root.at(`${STATE_DIR}/runs`);
}

/** Run ids sort by time: 20261122T023000Z-<pid>[-n]. */
export function newRunId(root: SystemRoot, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const base = `${stamp}-${process.pid}`;
  const taken = new Set(listRunIds(root));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function listRunIds(root: SystemRoot): string[] {
  const dir = runsDir(root);
  // a planted link must not make status (or anything else) read journals from elsewhere
  for (const d of [root.at(STATE_DIR), dir]) {
    let isLink = false;
    try {
      isLink = lstatSync(d).isSymbolicLink();
    } catch {
      /* absent: nothing recorded */
    }
    if (isLink) refuseLink(d);
  }
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => /^\d{8}T\d{6}Z-\d+(-\d+)?$/.test(n)).sort();
}

/** Read a file in the state directory without following a planted link. */
export function readStateFile(hostPath: string): Buffer {
  let fd: number;
  try {
    fd = openSync(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (errnoCode(err) === 'ELOOP') refuseLink(hostPath);
    throw err;
  }
  try {
    if (!fstatSync(fd).isFile()) throw new UserError(`${hostPath} is not a regular file`, ExitCode.journalCorrupt, 'Inspect it and move it away.');
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function createRun(root: SystemRoot, commands: Journal['commands'], toolVersion: string): Run {
  ensureStateDir(root);
  const runId = newRunId(root);
  const dir = path.join(runsDir(root), runId);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    throw mapFsError(err, 'creating the journal directory', dir);
  }
  const run: Run = {
    root,
    dir,
    journal: {
      format: JOURNAL_FORMAT,
      version: JOURNAL_VERSION,
      runId,
      createdAt: new Date().toISOString(),
      tool: { name: 'vfio-wizard', version: toolVersion },
      commands,
      steps: [],
    },
  };
  try {
    try {
      // on ext4 a new directory needs a block of its own: it can be what does not fit
      mkdirSync(path.join(dir, 'backups'), { mode: 0o700 });
    } catch (err) {
      throw mapFsError(err, 'creating the journal directory', dir);
    }
    saveJournal(run);
    atomicWrite(path.join(dir, 'README.txt'), restoreReadme(run.journal), { mode: 0o644, what: 'writing README.txt' });
  } catch (err) {
    // a run that could not even be recorded (a full disk) holds no step and changed nothing: it
    // goes again, rather than stay behind for status to list as an empty run
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* what is left is an empty run: status shows it as such */
    }
    throw err;
  }
  return run;
}

let saves = 0;

/**
 * Make the journal's current content durable (atomic rewrite + fsync), then refresh restore.sh
 * so the rescue path always matches the journal.
 */
export function saveJournal(run: Run): void {
  if (run.restoredWithoutJournal) {
    // the damaged journal stays as it is (evidence); only what is still to run changes
    const notRun = run.journal.steps.flatMap((st) => st.unrunCommands ?? []);
    const listPath = path.join(run.dir, NOT_RUN_FILE);
    if (notRun.length > 0) atomicWrite(listPath, notRun.map((argv) => `${argv.join('\u001f')}\u001f\n`).join(''), { mode: 0o600, what: 'writing the list of commands not run' });
    else if (existsSync(listPath)) durableUnlink(listPath);
    return;
  }
  saves += 1;
  const hostPath = path.join(run.dir, 'journal.json');
  try {
    if (lstatSync(hostPath).isSymbolicLink()) refuseLink(hostPath);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
  atomicWrite(hostPath, `${JSON.stringify(run.journal, null, 2)}\n`, {
    mode: 0o600,
    crashLabel: `journal#${saves}`,
    what: 'writing the journal',
  });
  atomicWrite(path.join(run.dir, 'restore.sh'), restoreScript(run.journal), { mode: 0o700, what: 'writing restore.sh' });
  crashPoint(`restore.sh#${saves}`);
  run.journalBehind = false;
}

/**
 * saveJournal for undoing: a full disk does not stop the undo (each change undone frees space, the
 * next save usually succeeds). Returns false and marks the run `journalBehind` when the record
 * could not be written; the journal on disk then still holds the last good record (atomic writes),
 * which a later rollback finishes from safely — files already back to their original are no-ops.
 */
export function trySaveJournal(run: Run): boolean {
  try {
    saveJournal(run);
    return true;
  } catch (err) {
    if (err instanceof UserError && err.exitCode === ExitCode.noSpace) {
      run.journalBehind = true;
      return false;
    }
    throw err;
  }
}

function corrupt(hostPath: string, why: string): UserError {
  return new UserError(
    `the journal ${hostPath} is corrupt (${why})`,
    ExitCode.journalCorrupt,
    `Nothing was changed. The backups and restore.sh next to it (from the last good record) can still undo the run: read ${path.join(path.dirname(hostPath), 'README.txt')}.`,
  );
}

const SHA256 = /^[0-9a-f]{64}$/;
/** what a run's own copies are called: backups/<seq>.orig and backups/<seq>.ours */
const RUN_COPY = /^backups\/\d+\.(?:orig|ours)$/;
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** What is wrong with a file entry's original/ours record (null: fine). */
function copyProblem(c: unknown, name: 'backup' | 'copy'): string | null {
  if (c === null) return null;
  if (typeof c !== 'object') return 'not an object';
  const o = c as Record<string, unknown>;
  if (o.exists === false) return null;
  if (o.exists !== true) return '"exists" is missing';
  if (typeof o.sha256 !== 'string' || !SHA256.test(o.sha256)) return 'its checksum is not a sha256';
  if (typeof o[name] !== 'string' || !RUN_COPY.test(o[name] as string)) return `its ${name} is not a copy inside the run (backups/N.orig or backups/N.ours)`;
  if (!isInt(o.mode) || (o.mode as number) > 0o7777 || !isInt(o.uid) || !isInt(o.gid)) return 'its mode, uid or gid is not a number';
  return null;
}

/**
 * What is wrong with one entry (null: fine). Rollback writes where the journal says, so every
 * path in it must be a clean system path — a journal edited by hand, or on a disk from elsewhere
 * (`rollback --root /mnt`), must never make it write outside the root or run a half-described
 * command.
 */
function entryProblem(e: unknown): string | null {
  if (typeof e !== 'object' || e === null) return 'not an object';
  const o = e as Record<string, unknown>;
  if (!isInt(o.seq)) return 'its seq is not a number';
  switch (o.kind) {
    case 'file': {
      for (const k of ['path', 'target'] as const) {
        if (typeof o[k] !== 'string' || !isCleanSystemPath(o[k] as string)) return `its ${k} ${JSON.stringify(o[k])} is not a clean absolute path`;
      }
      if (!['create', 'modify', 'delete'].includes(o.action as string)) return `its action ${JSON.stringify(o.action)} is unknown`;
      if (!['intent', 'backed-up', 'done', 'undone'].includes(o.state as string)) return `its state ${JSON.stringify(o.state)} is unknown`;
      if (!isStringArray(o.createdDirs) || !o.createdDirs.every(isCleanSystemPath)) return 'its createdDirs are not clean absolute paths';
      const orig = copyProblem(o.original, 'backup');
      if (orig) return `its original: ${orig}`;
      const ours = copyProblem(o.ours, 'copy');
      return ours ? `its copy of what was written: ${ours}` : null;
    }
    case 'sysfs': {
      const underSys = (p: unknown) => typeof p === 'string' && isCleanSystemPath(p) && p.startsWith('/sys/');
      if (!underSys(o.path) || typeof o.value !== 'string') return `its path ${JSON.stringify(o.path)} is not a path under /sys`;
      if (o.previous !== null && typeof o.previous !== 'string') return 'its previous value is not text';
      if (o.undo !== null && !(Array.isArray(o.undo) && o.undo.every((u) => underSys(u?.path) && typeof u.value === 'string'))) return 'its undo writes are not paths under /sys with values';
      if (!['intent', 'done', 'undone'].includes(o.state as string)) return `its state ${JSON.stringify(o.state)} is unknown`;
      return null;
    }
    case 'command': {
      if (!isStringArray(o.argv) || o.argv.length === 0 || o.argv[0] === '') return 'its argv is not a list of words';
      if (o.ranAs !== null && !isStringArray(o.ranAs)) return 'its ranAs is not a list of words';
      const undo = o.undo as { argv?: unknown } | null;
      if (undo !== null && (typeof undo !== 'object' || !isStringArray(undo.argv) || undo.argv.length === 0 || undo.argv[0] === '')) return 'its undo argv is not a list of words';
      if (!['intent', 'done', 'failed', 'pending', 'undone'].includes(o.state as string)) return `its state ${JSON.stringify(o.state)} is unknown`;
      if (!isStringArray(o.tail)) return 'its tail is not a list of lines';
      return null;
    }
    default:
      return `its kind ${JSON.stringify(o.kind)} is unknown`;
  }
}

const STEP_STATES: readonly StepState[] = ['applying', 'applied', 'rolling-back', 'rolled-back', 'rollback-blocked'];

function checkShape(j: unknown): string | null {
  if (typeof j !== 'object' || j === null) return 'not an object';
  const o = j as Partial<Journal>;
  if (o.format !== JOURNAL_FORMAT) return `format is not "${JOURNAL_FORMAT}"`;
  if (o.version !== JOURNAL_VERSION) return `version ${String(o.version)} is not supported (this build reads ${JOURNAL_VERSION})`;
  if (typeof o.runId !== 'string' || !Array.isArray(o.steps)) return 'runId or steps missing';
  for (const s of o.steps) {
    if (typeof s?.id !== 'string' || typeof s.title !== 'string' || !STEP_STATES.includes(s.state) || !Array.isArray(s.entries) || !isStringArray(s.notes)) {
      return `the record of step ${JSON.stringify(s?.id)} is incomplete`;
    }
    for (const e of s.entries) {
      const why = entryProblem(e);
      if (why) return `step ${s.id}, entry ${String((e as { seq?: unknown } | null)?.seq)}: ${why}`;
    }
  }
  return null;
}

/** Load one run's journal, refusing symlinks and reporting corruption as UserError(journalCorrupt). */
export function loadRun(root: SystemRoot, runId: string): Run {
  const dir = path.join(runsDir(root), runId);
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) refuseLink(dir);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new UserError(`no run ${runId} under ${runsDir(root)}`, ExitCode.badInput, 'vfio-wizard status lists the runs.');
    throw err;
  }
  const hostPath = path.join(dir, 'journal.json');
  const empty = (): Run => ({ root, dir, journal: { format: JOURNAL_FORMAT, version: JOURNAL_VERSION, runId, createdAt: '', tool: { name: 'vfio-wizard', version: '' }, commands: 'run', steps: [] } });
  // restore.sh leaves its marker only when it finished without a problem: everything the run did is
  // undone, so an unreadable journal no longer stands in the way of rollback or the next apply
  const unreadable = (why: string): Run => {
    if (!existsSync(path.join(dir, RESTORED_MARKER))) throw corrupt(hostPath, why);
    const run: Run = { ...empty(), restoredWithoutJournal: true };
    // an unreadable marker still says the run was undone; its steps are then unknown
    run.journal.steps = (readRestoredIds(dir) ?? []).map((id) => ({
      id,
      title: `(journal unreadable: ${why})`,
      state: 'rolled-back' as const,
      needsReboot: false,
      notes: [],
      startedAt: '',
      finishedAt: null,
      bootId: null,
      error: `undone by restore.sh (${RESTORED_MARKER}); the journal is unreadable`,
      verification: 'none' as const,
      entries: [],
    }));
    // what restore.sh only listed stays to do (held by the first step: one list per run)
    const first = run.journal.steps[0];
    const notRun = readNotRun(dir);
    if (first && notRun.length > 0) first.unrunCommands = notRun;
    return run;
  };
  let text: string;
  try {
    text = readStateFile(hostPath).toString('utf8');
  } catch (err) {
    if (err instanceof UserError) throw err;
    // killed before the first record became durable: nothing was changed by that run
    if (errnoCode(err) === 'ENOENT') return empty();
    return unreadable(String(err));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return unreadable(err instanceof Error ? err.message : String(err));
  }
  const problem = checkShape(parsed);
  if (problem) return unreadable(problem);
  const journal = parsed as Journal;
  applyRestoredMarker(dir, journal);
  return { root, dir, journal };
}

/**
 * restore.sh's list of commands it did not run: one per line, each argument ended by the unit
 * separator (U+001F). Lines without one come from an older restore.sh, which joined with spaces.
 */
export function parseNotRun(text: string): string[][] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (l.includes('\u001f') ? l.slice(0, l.lastIndexOf('\u001f')).split('\u001f') : l.split(' ')));
}

/** The step ids in restore.sh's marker; null when there is none (or it cannot be read). */
function readRestoredIds(dir: string): string[] | null {
  try {
    return readStateFile(path.join(dir, RESTORED_MARKER)).toString('utf8').split('\n').filter(Boolean);
  } catch {
    return null;
  }
}

function readNotRun(dir: string): string[][] {
  try {
    return parseNotRun(readStateFile(path.join(dir, NOT_RUN_FILE)).toString('utf8'));
  } catch {
    return []; // none listed
  }
}

/** Steps restore.sh undid (it cannot edit JSON with coreutils, so it leaves a marker instead). */
function applyRestoredMarker(dir: string, journal: Journal): void {
  const ids = readRestoredIds(dir);
  if (ids === null) return;
  // what restore.sh only listed (NO_COMMANDS=1, or a host command under another root) stays to do
  const notRun = readNotRun(dir);
  for (const step of journal.steps) {
    if (!ids.includes(step.id) || step.state === 'rolled-back') continue;
    step.state = 'rolled-back';
    step.error = `undone by restore.sh (${RESTORED_MARKER})`;
    if (notRun.length > 0) step.unrunCommands = notRun;
    for (const e of step.entries) e.state = 'undone';
  }
}

/**
 * A path inside a run's directory (backups/3.orig), checked component by component: a symlink
 * planted anywhere below the run directory (backups/ itself included) is refused, never followed.
 */
export function backupPath(run: Run, rel: string): string {
  let p = run.dir;
  for (const part of rel.split('/')) {
    if (part === '' || part === '.' || part === '..') throw new UserError(`not a path inside the run: ${rel}`, ExitCode.journalCorrupt, 'The journal was edited by hand; use restore.sh or the backups directly.');
    p = path.join(p, part);
    try {
      if (lstatSync(p).isSymbolicLink()) refuseLink(p);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
  return p;
}
