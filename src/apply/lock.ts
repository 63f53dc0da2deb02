import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../exit-codes.js';
import type { SystemRoot } from '../host/root.js';
import { errnoCode, mapFsError } from './fs-errors.js';
import { ensureStateDir, readStateFile } from './journal.js';
import { groupAlive } from '../run/process-group.js';
import type { Runner } from '../run/types.js';

// One writer at a time per system. The lock lives with the journal (<root>/var/lib/vfio-wizard/
// lock) so it follows --root; it names the holder (pid, process start time, boot id), which is
// how a lock left by a killed process or by another boot is told apart from a live one.

interface LockInfo {
  pid: number;
  /** field 22 of /proc/<pid>/stat: guards against the pid being reused */
  startTicks: string | null;
  bootId: string | null;
  startedAt: string;
  command: string;
  /**
   * the command the holder runs now (update-grub, dracut …): its own process group, so it can
   * outlive a holder killed with SIGKILL — and go on writing /boot while the lock looks stale
   */
  child?: { pgid: number; name: string } | null;
}

export interface Lock {
  path: string;
  release(): void;
  /** record the command the holder runs now (null: none), so a killed holder's command still holds the lock */
  noteChild(child: { pgid: number; name: string } | null): void;
}

/**
 * The runner the engine uses while it holds `lock`: every command it starts is recorded in the
 * lock for as long as it runs.
 */
export function lockedRunner(runner: Runner, lock: Lock): Runner {
  return {
    async run(argv, opts = {}) {
      try {
        return await runner.run(argv, {
          ...opts,
          onSpawn: (pid) => {
            lock.noteChild({ pgid: pid, name: opts.name ?? argv[0] ?? 'command' });
            opts.onSpawn?.(pid);
          },
        });
      } finally {
        lock.noteChild(null);
      }
    },
  };
}

function readProcStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: split after the last ")"
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

export function currentBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function holderAlive(info: LockInfo): boolean {
  if (info.bootId && currentBootId() && info.bootId !== currentBootId()) return false;
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    if (errnoCode(err) !== 'EPERM') return false;
  }
  const start = readProcStart(info.pid);
  return !(info.startTicks && start && start !== info.startTicks);
}

/** The holder's command, still running in its process group although the holder is gone. */
function orphanedChild(info: LockInfo): { pgid: number; name: string } | null {
  const c = info.child;
  if (!c || typeof c.pgid !== 'number' || c.pgid <= 1) return null;
  if (info.bootId && currentBootId() && info.bootId !== currentBootId()) return null;
  return groupAlive(c.pgid) ? { pgid: c.pgid, name: String(c.name) } : null;
}

/** Who holds the lock right now (a live process); null when nobody does or the lock is stale. Read-only. */
export function lockHolder(root: SystemRoot): { pid: number; command: string; startedAt: string } | null {
  let holder: LockInfo;
  try {
    holder = JSON.parse(readStateFile(lockPath(root)).toString('utf8')) as LockInfo;
  } catch {
    return null;
  }
  if (typeof holder?.pid !== 'number') return null;
  if (holderAlive(holder)) return { pid: holder.pid, command: String(holder.command), startedAt: String(holder.startedAt) };
  // the holder was killed, but the command it ran goes on
  const orphan = orphanedChild(holder);
  return orphan ? { pid: orphan.pgid, command: `${holder.command}'s ${orphan.name} (its vfio-wizard was stopped)`, startedAt: String(holder.startedAt) } : null;
}

/**
 * The lock's content into a private file of this process (never through a link), synced to disk;
 * on failure the file is removed again and the error thrown.
 */
function writePrivate(p: string, info: LockInfo, mode: number): void {
  try {
    const fd = openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | mode, 0o600);
    try {
      writeSync(fd, `${JSON.stringify(info)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    try {
      unlinkSync(p);
    } catch {
      /* never created */
    }
    throw err;
  }
}

export function lockPath(root: SystemRoot): string {
  return root.at('/var/lib/vfio-wizard/lock');
}

const MAX_BUSY_WAITS = 100;
const BUSY_WAIT_MS = 20;

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// $1 the lock, $2 the sha256 of the bytes judged stale (bytes of any kind: NULs from a crash,
// invalid UTF-8). Exit 0: removed; 3: the lock no longer holds those bytes (taken over meanwhile,
// or gone); 4: rm failed.
const BREAK_SCRIPT = '[ "$(sha256sum < "$1" 2>/dev/null | cut -d " " -f 1)" = "$2" ] || exit 3; rm -f -- "$1" || exit 4; exit 0';
/** a breaker that hangs (stopped with Ctrl+Z) must not hang the next instance */
const BREAK_TIMEOUT_MS = 10_000;

/**
 * Remove a stale lock, but only while it still holds `seen`, the content judged stale. Reading,
 * comparing and unlinking in this process would leave a window: two processes breaking the same
 * stale lock at once could each see it, one take over, and the other then unlink the fresh lock,
 * so that both hold it. So the compare-and-remove runs under flock(1) on the state directory,
 * which every breaker takes (a kernel lock, freed when its holder dies): a second breaker waits
 * ('busy'), then finds the fresh lock and leaves it ('changed'). Where flock(1) is missing (it is
 * in util-linux and busybox) the compare-and-remove runs here, with that window.
 */
export function breakStaleLock(root: SystemRoot, seen: Buffer): 'removed' | 'changed' | 'busy' {
  const file = lockPath(root);
  const sum = createHash('sha256').update(seen).digest('hex');
  const r = spawnSync('flock', ['-n', path.dirname(file), 'sh', '-c', BREAK_SCRIPT, 'sh', file, sum], { stdio: 'ignore', timeout: BREAK_TIMEOUT_MS });
  // no flock(1) here, or it could not be started: the compare-and-remove runs in this process
  if (r.error && errnoCode(r.error) !== 'ETIMEDOUT') return breakInProcess(file, seen);
  // flock -n exits 1 when another process holds the breakers' lock; the script never does (busybox
  // also exits 1 when it cannot lock at all: the waits then end with their own message)
  if (r.status === 0) return 'removed';
  if (r.status === 3) return 'changed';
  if (r.status === 1) return 'busy';
  throw new UserError(
    `the stale lock ${file} could not be removed safely (flock: ${r.error ? errnoCode(r.error) ?? String(r.error) : r.status === 4 ? 'rm failed' : r.signal ?? `exit ${r.status}`})`,
    ExitCode.locked,
    `Make sure no vfio-wizard runs (ps -ef | grep vfio-wizard), remove ${file} by hand and run the command again.`,
  );
}

function breakInProcess(file: string, seen: Buffer): 'removed' | 'changed' {
  let still: Buffer | null = null;
  try {
    still = readStateFile(file);
  } catch {
    still = null;
  }
  if (still === null || !still.equals(seen)) return 'changed';
  try {
    unlinkSync(file);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw mapFsError(e, 'removing a stale lock', file);
    return 'changed';
  }
  return 'removed';
}

/** Take the lock or throw UserError(locked) naming the holder's pid. A dead holder's lock is taken over. */
export function acquireLock(root: SystemRoot, command: string): Lock {
  ensureStateDir(root);
  const file = lockPath(root);
  const info: LockInfo = {
    pid: process.pid,
    startTicks: readProcStart(process.pid),
    bootId: currentBootId(),
    startedAt: new Date().toISOString(),
    command,
  };
  // The lock appears with its content in one step: written to a private temp file, then linked
  // to its name (link fails when the name exists). A reader never sees an empty lock, so an empty
  // or unreadable one can only be the remains of a crash.
  const tmp = `${file}.${process.pid}.${Date.now()}`;
  try {
    writePrivate(tmp, info, constants.O_EXCL);
  } catch (err) {
    throw mapFsError(err, 'taking the lock', file);
  }
  let busy = 0;
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, file);
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw mapFsError(err, 'taking the lock', file);
        let seen: Buffer | null = null;
        let holder: LockInfo | null = null;
        try {
          seen = readStateFile(file);
          holder = JSON.parse(seen.toString('utf8')) as LockInfo;
        } catch (e) {
          if (e instanceof UserError) throw e; // a planted link or a non-file: refused, never followed
          holder = null; // a lock cut short by a crash (only possible from older versions): its writer is gone
        }
        if (holder && typeof holder.pid === 'number' && holderAlive(holder)) {
          throw new UserError(
            `another vfio-wizard is running (pid ${holder.pid}, "${holder.command}", since ${holder.startedAt}); it holds ${file}`,
            ExitCode.locked,
            `Wait for it to finish, or stop it (kill ${holder.pid}) and run the command again.`,
          );
        }
        const orphan = holder && typeof holder.pid === 'number' ? orphanedChild(holder) : null;
        if (orphan) {
          // undoing now would race it: it would write its output after the undo
          throw new UserError(
            `${orphan.name}, started by a vfio-wizard that was stopped (pid ${holder!.pid}, "${holder!.command}"), is still running in process group ${orphan.pgid}; until it ends it holds ${file}`,
            ExitCode.locked,
            `Wait for it to finish (ps -g ${orphan.pgid} shows it), or stop it (kill -- -${orphan.pgid}), then run the command again: it then undoes the interrupted step.`,
          );
        }
        // stale: removed only while it still holds what was judged stale, under the breakers' flock
        if (seen !== null) {
          const broke = breakStaleLock(root, seen);
          if (broke === 'busy') {
            // another process is breaking it this instant: wait for it, then look again
            if (++busy > MAX_BUSY_WAITS) break;
            attempt--;
            sleepMs(BUSY_WAIT_MS);
          }
        }
        continue;
      }
      let released = false;
      return {
        path: file,
        noteChild(child) {
          if (released) return;
          // replaced in one step (a private temp file renamed over it): a reader never sees half of it
          const next = `${file}.${process.pid}.child`;
          try {
            writePrivate(next, { ...info, child }, constants.O_TRUNC);
            renameSync(next, file);
          } catch {
            // the lock still names a live holder; only the orphan guard is lost for this command
            try {
              unlinkSync(next);
            } catch {
              /* never made, or renamed */
            }
          }
        },
        release() {
          if (released) return;
          released = true;
          try {
            const now = JSON.parse(readStateFile(file).toString('utf8')) as LockInfo;
            if (now.pid === process.pid) unlinkSync(file);
          } catch {
            /* gone already */
          }
        },
      };
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* linked and unlinked already, or never made */
    }
  }
  if (busy > MAX_BUSY_WAITS) {
    throw new UserError(
      `could not take the lock ${file}: it is stale, but the flock on ${path.dirname(file)} that breaking it needs stayed taken (another vfio-wizard breaking it, or a flock that cannot lock there)`,
      ExitCode.locked,
      `Make sure no vfio-wizard runs (ps -ef | grep vfio-wizard), remove ${file} by hand and run the command again.`,
    );
  }
  throw new UserError(`could not take the lock ${file}: another process keeps taking it`, ExitCode.locked, 'Run the command again in a moment.');
}
