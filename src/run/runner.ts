// The real command runner: execa with argv arrays, stdin ignored (the UI owns the terminal),
// the child leading its own process group so that cancel and timeout reach grandchildren too,
// output decoded and split safely, and a full raw transcript appended to the run's log file.
import { closeSync, constants, createWriteStream, existsSync, fstatSync, mkdirSync, openSync, readSync, statfsSync, unlinkSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { createLineSplitter, displaySafe, stripAnsi, type LineSplitter } from './line-splitter.js';
import type { RunOptions, RunResult, Runner } from './types.js';
import { groupAlive } from './process-group.js';

export interface RunnerConfig {
  /** directory of the log file (the caller resolves `<root>/var/log/vfio-wizard` via SystemRoot.at); null: no log */
  logDir: string | null;
  /** names the log file `<runId>.log`; default: the start time and pid */
  runId?: string;
  /** clock for log timestamps (tests) */
  now?: () => Date;
  /** default ms between SIGTERM and SIGKILL (5000) */
  killGraceMs?: number;
  /** ms to keep reading after the command exited while a background process still holds its output (2000) */
  lingerMs?: number;
  /** cap on `output` (and so `stdout`) in characters (4 Mi; the log file is never capped) */
  maxOutputChars?: number;
  /** lines kept in `tail` (40) */
  tailLines?: number;
  /**
   * For a screen that draws the last lines (the terminal UI): a `displayOnly` command writes its
   * output (stdout and stderr, in the order the kernel took it) straight into a file instead of a
   * pipe, so the command runs at its own speed whatever the screen costs; the runner reads the
   * file as it grows, copies it into the log, and under a flood hands on only the newest lines,
   * with one line saying how many it skipped (the log has them all). Needs a log.
   */
  floodTail?: boolean;
}

/** Bytes arriving between two reads beyond which a flood-tail run skips to the newest lines. */
const FLOOD_BYTES = 256 * 1024;
/** How much of the newest output a flood-tail run still splits into lines after a skip. */
const FLOOD_WINDOW = 16 * 1024;
/** Free space a flood-tail run needs where the log is (else: pipes). */
const FLOOD_MIN_FREE = 64 * 1024 * 1024;
/** The most a flood-tail run reads at once. */
const READ_CHUNK = 1024 * 1024;
/**
 * The most one read of the growing file takes in (the rest waits in the file for the next one):
 * a backlog of hundreds of megabytes is taken in steps, the screen and Ctrl+C served in between.
 */
const MAX_READ_PER_DRAIN = 8 * READ_CHUNK;
/** Read buffers handed to the log and not written yet; beyond this the file waits (a slow disk). */
const MAX_LOG_BACKLOG = 16;
/** How often a flood-tail run reads the growing file. */
const FLOOD_POLL_MS = 20;
let floodFiles = 0;

export interface FileRunner extends Runner {
  readonly runId: string;
  /** where every command of this run is logged; null when logging is off */
  readonly logPath: string | null;
}

const RAW_FLUSH_BYTES = 64 * 1024;

/**
 * Every command runs in a process group of its own, so the terminal's Ctrl+C (and a hangup)
 * reaches only this process. Where nothing of ours handles the signal (a `check`, a probe outside
 * a step), Node would die of it and leave the command running; these guards end the live groups
 * first (SIGTERM, as a cancel does) and then let the signal do what it would have done. They are
 * there only while a command runs and only for signals nobody else listens to: a step's own
 * handler (`interruptible`, the wizard's screens) cancels and rolls back instead. A process that
 * ends by exit() or an exception ends the groups too.
 */
const liveGroups = new Set<number>();
const GUARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const signalGuards = new Map<NodeJS.Signals, () => void>();
const endLiveGroups = () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGTERM');
    } catch {
      /* gone already */
    }
  }
};
function trackGroup(pgid: number): void {
  if (liveGroups.size === 0) {
    process.on('exit', endLiveGroups);
    for (const sig of GUARDED_SIGNALS) {
      if (process.listenerCount(sig) > 0) continue;
      const guard = () => {
        endLiveGroups();
        process.removeListener(sig, guard);
        signalGuards.delete(sig);
        // nobody else wanted it: die of the signal, as without us
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      };
      signalGuards.set(sig, guard);
      process.on(sig, guard);
    }
  }
  liveGroups.add(pgid);
}
function untrackGroup(pgid: number): void {
  if (!liveGroups.delete(pgid) || liveGroups.size > 0) return;
  process.removeListener('exit', endLiveGroups);
  for (const [sig, guard] of signalGuards) process.removeListener(sig, guard);
  signalGuards.clear();
}

export function defaultRunId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
}

export function createRunner(config: RunnerConfig): FileRunner {
  const now = config.now ?? (() => new Date());
  const runId = config.runId ?? defaultRunId(now());
  const logPath = config.logDir === null ? null : path.join(config.logDir, `${runId}.log`);
  const killGraceMs = config.killGraceMs ?? 5000;
  const lingerMs = config.lingerMs ?? 2000;
  const maxChars = config.maxOutputChars ?? 4 * 1024 * 1024;
  const tailLines = config.tailLines ?? 40;

  /** Open the log for one command. A log that cannot be opened does not stop the command: the result's logPath is null. */
  const openLog = (): { stream: WriteStream | null; error: string | null } | null => {
    if (logPath === null) return null;
    try {
      mkdirSync(path.dirname(logPath), { recursive: true, mode: 0o750 });
      const fd = openSync(logPath, 'a', 0o640);
      // A large buffer: with the 16 KiB default, every 64 KiB pipe read waited for the disk.
      const stream = createWriteStream('', { fd, autoClose: true, highWaterMark: 1024 * 1024 });
      return { stream, error: null };
    } catch (err) {
      return { stream: null, error: err instanceof Error ? err.message : String(err) };
    }
  };

  async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0 || typeof argv[0] !== 'string' || argv[0] === '') {
      throw new TypeError('Runner.run needs a non-empty argv array');
    }
    const name = opts.name ?? path.basename(argv[0]);
    const addedEnv: Record<string, string> = { ...opts.env };
    if (opts.parsed !== false) addedEnv.LC_ALL = 'C';
    const grace = opts.killGraceMs ?? killGraceMs;

    const log = openLog();
    const logStream = log?.stream ?? null;
    let logFailed: string | null = log?.error ?? null;
    logStream?.on('error', (err) => {
      logFailed = err.message;
    });
    // Log writes are coalesced (a 50 ms timer or 256 KiB): a command printing a line per
    // millisecond otherwise costs a write system call per line.
    let logBuffer: Uint8Array[] = [];
    let logBufferBytes = 0;
    let logTimer: NodeJS.Timeout | undefined;
    const flushLog = () => {
      clearTimeout(logTimer);
      logTimer = undefined;
      if (logBuffer.length === 0) return;
      const data = logBuffer.length === 1 ? (logBuffer[0] as Uint8Array) : Buffer.concat(logBuffer);
      logBuffer = [];
      logBufferBytes = 0;
      if (logStream && !logFailed) logStream.write(data);
    };
    const writeLog = (data: string | Uint8Array): void => {
      if (!logStream || logFailed) return;
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      logBuffer.push(bytes);
      logBufferBytes += bytes.length;
      if (logBufferBytes >= 256 * 1024) flushLog();
      else logTimer ??= setTimeout(flushLog, 50);
    };
    /**
     * A chunk of ours that goes to the log as it is, after whatever is still coalescing; `release`
     * runs once the log no longer needs it (written, failed, or no log), so that its memory can be
     * read into again.
     */
    const writeLogThen = (chunk: Uint8Array, release: () => void): void => {
      if (!logStream || logFailed) {
        release();
        return;
      }
      flushLog();
      logStream.write(chunk, () => release());
    };

    const startedAt = now();
    const t0 = performance.now();
    writeLog(
      `=== ${startedAt.toISOString()} start ${name}\n` +
        `argv: ${JSON.stringify(argv)}\n` +
        (Object.keys(addedEnv).length > 0
          ? `env: ${Object.entries(addedEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}\n`
          : '') +
        (opts.cwd ? `cwd: ${opts.cwd}\n` : '') +
        (opts.timeoutMs ? `timeout: ${opts.timeoutMs} ms\n` : '') +
        // raw bytes; through pipes each stream is kept in whole lines, in the order lines completed
        '--- output (raw; stdout and stderr in the order their lines were completed)\n',
    );

    // Bounded collections: the tail ring, and the output (both streams, one array with a stream
    // flag per line so stdout-only costs no second copy) capped in characters.
    const tail: string[] = [];
    let tailStart = 0;
    const kept: string[] = [];
    const keptFromStderr: boolean[] = [];
    let keptChars = 0;
    let truncated = false;
    let callbackError: unknown = null;

    const handleLine = (line: string, stream: 'stdout' | 'stderr', plain = false, skipped?: number) => {
      const clean = plain ? line : stripAnsi(line);
      if (keptChars + clean.length + 1 <= maxChars) {
        kept.push(clean);
        keptFromStderr.push(stream === 'stderr');
        keptChars += clean.length + 1;
      } else truncated = true;
      const display = plain ? clean : displaySafe(clean);
      if (tail.length < tailLines) tail.push(display);
      else {
        tail[tailStart] = display;
        tailStart = (tailStart + 1) % tailLines;
      }
      if (opts.onLine && callbackError === null) {
        try {
          opts.onLine(display, stream, skipped);
        } catch (err) {
          callbackError = err;
        }
      }
    };

    const lazy: { output?: string; stdout?: string } = {};
    const finish = (partial: Omit<RunResult, 'argv' | 'name' | 'durationMs' | 'tail' | 'output' | 'stdout' | 'truncated' | 'logPath' | 'ok'>): RunResult => ({
      argv: [...argv],
      name,
      ...partial,
      durationMs: Math.round(performance.now() - t0),
      tail: [...tail.slice(tailStart), ...tail.slice(0, tailStart)],
      // Joined on first use: most callers only look at the exit code and tail.
      get output() {
        return lazy.output ?? (lazy.output = kept.join('\n'));
      },
      get stdout() {
        return lazy.stdout ?? (lazy.stdout = kept.filter((_, i) => !keptFromStderr[i]).join('\n'));
      },
      truncated,
      logPath: logStream && !logFailed ? logPath : null,
      ok: partial.exitCode === 0 && !partial.canceled && !partial.timedOut && partial.spawnError === null,
    });

    const closeLog = async (footer: string) => {
      writeLog(footer);
      flushLog();
      if (!logStream) return;
      await new Promise<void>((resolve) => {
        logStream.end(() => resolve());
        logStream.once('error', () => resolve());
      });
    };

    if (opts.signal?.aborted || opts.forceSignal?.aborted) {
      await closeLog(`=== ${now().toISOString()} end ${name}: canceled before it started\n\n`);
      return finish({ exitCode: null, signal: null, spawnError: null, timedOut: false, canceled: true });
    }

    // flood-tail: the command writes into a file of ours (unlinked at once: nothing is left behind
    // by a crash), read as it grows; when it cannot be made, the pipes as usual
    let outFd: number | null = null;
    if (config.floodTail && opts.displayOnly && logPath !== null && logStream && !logFailed && roomFor(path.dirname(logPath))) {
      const tmp = `${logPath}.out-${process.pid}-${++floodFiles}`;
      try {
        outFd = openSync(tmp, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        unlinkSync(tmp);
      } catch {
        if (outFd !== null) closeSync(outFd);
        outFd = null;
      }
    }

    const subprocess = execa(argv[0], argv.slice(1), {
      stdin: 'ignore',
      // a descriptor number goes to child_process as it is (execa's types list only 3-9)
      stdout: (outFd ?? 'pipe') as 'pipe',
      stderr: (outFd ?? 'pipe') as 'pipe',
      buffer: false,
      encoding: 'buffer',
      reject: false,
      detached: true,
      cleanup: false,
      stripFinalNewline: false,
      env: addedEnv,
      extendEnv: true,
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    const pid = subprocess.pid;
    if (pid !== undefined) {
      trackGroup(pid);
      opts.onSpawn?.(pid);
    }

    let canceled = false;
    let timedOut = false;
    let exited = false;
    let escalateTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    let lingerTimer: NodeJS.Timeout | undefined;
    let killDeadline = Number.POSITIVE_INFINITY;

    const killGroup = (sig: NodeJS.Signals) => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, sig);
      } catch {
        // ESRCH: the group is gone. EPERM (a setuid child): fall back to the leader alone.
        try {
          subprocess.kill(sig);
        } catch {
          /* already gone */
        }
      }
    };
    const terminate = () => {
      killGroup('SIGTERM');
      if (escalateTimer === undefined) {
        killDeadline = performance.now() + grace;
        escalateTimer = setTimeout(() => killGroup('SIGKILL'), grace);
      }
    };
    const onCancel = () => {
      if (exited) {
        // the command itself has finished; its outcome stands. What is left of its group goes.
        writeLog(`--- ${now().toISOString()} cancel requested after the command exited: SIGTERM to what is left of its process group\n`);
        killGroup('SIGTERM');
        return;
      }
      canceled = true;
      writeLog(`--- ${now().toISOString()} cancel requested: SIGTERM to process group\n`);
      terminate();
    };
    const onForce = () => {
      if (exited) {
        killGroup('SIGKILL');
        return;
      }
      canceled = true;
      writeLog(`--- ${now().toISOString()} force requested: SIGKILL to process group\n`);
      killDeadline = performance.now();
      killGroup('SIGKILL');
    };
    opts.signal?.addEventListener('abort', onCancel, { once: true });
    opts.forceSignal?.addEventListener('abort', onForce, { once: true });
    if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
      timeoutTimer = setTimeout(() => {
        timedOut = true;
        writeLog(`--- ${now().toISOString()} timed out after ${opts.timeoutMs} ms: SIGTERM to process group\n`);
        terminate();
      }, opts.timeoutMs);
    }

    const splitters: Record<'stdout' | 'stderr', LineSplitter> = {
      stdout: createLineSplitter(),
      stderr: createLineSplitter(),
    };
    // The log gets raw bytes, one whole line at a time per stream, so that stdout and stderr
    // never cut into each other's lines.
    const rawPending: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
    const rawPendingBytes = { stdout: 0, stderr: 0 };
    // what onPartial last reported per stream (the unfinished line's visible state)
    const lastPartial = { stdout: '', stderr: '' };

    // the unfinished line's visible state, when it changed
    const reportPartial = (key: 'stdout' | 'stderr') => {
      if (!opts.onPartial || callbackError !== null) return;
      const p = splitters[key].pending();
      if (p === lastPartial[key]) return;
      lastPartial[key] = p;
      try {
        opts.onPartial(p === '' ? '' : displaySafe(stripAnsi(p)), key);
      } catch (err) {
        callbackError = err;
      }
    };

    const attach = (key: 'stdout' | 'stderr') => {
      const stream = subprocess[key];
      if (!stream) return;
      stream.on('data', (chunk: Buffer) => {
        const nl = chunk.lastIndexOf(10);
        if (nl === -1 && rawPendingBytes[key] + chunk.length < RAW_FLUSH_BYTES) {
          rawPending[key].push(chunk);
          rawPendingBytes[key] += chunk.length;
        } else {
          const cut = nl === -1 ? chunk.length : nl + 1;
          rawPending[key].push(chunk.subarray(0, cut));
          writeLog(rawPending[key].length === 1 ? (rawPending[key][0] as Buffer) : Buffer.concat(rawPending[key]));
          rawPending[key] = cut < chunk.length ? [chunk.subarray(cut)] : [];
          rawPendingBytes[key] = chunk.length - cut;
          if (logStream?.writableNeedDrain) {
            // Backpressure: a slow disk must not turn into unbounded memory.
            stream.pause();
            logStream.once('drain', () => stream.resume());
          }
        }
        const lines = splitters[key].push(chunk);
        const plain = splitters[key].plain;
        for (const line of lines) handleLine(line, key, plain);
        reportPartial(key);
      });
    };
    attach('stdout');
    attach('stderr');

    // flood-tail reading: every byte into the log, in order; lines from all of it, or — when more
    // than FLOOD_BYTES arrived since the last read — only from its newest FLOOD_WINDOW bytes,
    // after one line that says how many were skipped
    let readAt = 0;
    let readFailed = false;
    const readBuffers: Buffer[] = [];
    let buffersAtLog = 0;
    let endsWithNewline = true;
    /** one read of the growing file; true when more is waiting in it */
    const drain = (): boolean => {
      if (outFd === null || readFailed) return false;
      try {
        return drainOnce(outFd);
      } catch (err) {
        // the file cannot be read any more: the command goes on, the log says why the pane stopped
        readFailed = true;
        writeLog(`--- reading the command's output failed: ${err instanceof Error ? err.message : String(err)}\n`);
        return false;
      }
    };
    const drainOnce = (fd: number): boolean => {
      const size = fstatSync(fd).size;
      // the command truncated its own output (`> /dev/stdout`): read it again from the start
      if (size < readAt) readAt = 0;
      if (size === readAt) return false;
      // the log is behind (a slow disk): memory stays bounded, the output waits in the file
      if (buffersAtLog >= MAX_LOG_BACKLOG) return true;
      const end = Math.min(size, readAt + MAX_READ_PER_DRAIN);
      const flood = end - readAt > FLOOD_BYTES;
      const windowStart = flood ? end - FLOOD_WINDOW : readAt;
      let skippedLines = 0;
      const window: Buffer[] = [];
      while (readAt < end) {
        // Read buffers are reused once the log has written them: a fresh megabyte per read costs
        // the kernel a page fault per 4 KiB, which under a flood took more CPU than all the rest.
        const buf = readBuffers.pop() ?? Buffer.allocUnsafe(READ_CHUNK);
        const n = readSync(fd, buf, 0, Math.min(READ_CHUNK, end - readAt), readAt);
        if (n <= 0) {
          readBuffers.push(buf);
          break;
        }
        const chunk = buf.subarray(0, n);
        endsWithNewline = chunk[n - 1] === 10;
        buffersAtLog += 1;
        writeLogThen(chunk, () => {
          buffersAtLog -= 1;
          readBuffers.push(buf);
        });
        const cut = Math.max(0, Math.min(n, windowStart - readAt));
        if (cut > 0) skippedLines += countNewlines(chunk, cut);
        if (cut < n) {
          if (flood) window.push(Buffer.from(chunk.subarray(cut)));
          else for (const line of splitters.stdout.push(chunk.subarray(cut))) handleLine(line, 'stdout', splitters.stdout.plain);
        }
        readAt += n;
      }
      if (flood) {
        const w = Buffer.concat(window);
        // the line cut by the window's start is skipped too, and the unfinished one from before
        const nl = w.indexOf(10);
        if (nl >= 0) skippedLines += 1;
        splitters.stdout = createLineSplitter();
        truncated = true;
        handleLine(`… ${skippedLines} line${skippedLines === 1 ? '' : 's'} not shown here (too fast to draw; the log has every one)`, 'stdout', true, skippedLines);
        for (const line of splitters.stdout.push(w.subarray(nl + 1))) handleLine(line, 'stdout', splitters.stdout.plain);
      }
      reportPartial('stdout');
      return readAt < size;
    };
    const poll = outFd === null ? undefined : setInterval(drain, FLOOD_POLL_MS);

    subprocess.once('exit', () => {
      exited = true;
      // a timeout counts for the command itself, not for background processes it left behind
      clearTimeout(timeoutTimer);
      // A background process that inherited the pipes would keep us waiting for ever.
      lingerTimer = setTimeout(() => {
        writeLog(`--- a background process still holds the output after exit; stopped reading\n`);
        subprocess.stdout?.destroy();
        subprocess.stderr?.destroy();
      }, lingerMs);
    });

    const result = await subprocess;
    if (outFd !== null) {
      clearInterval(poll);
      // (the pipes' linger timer has nothing to stop here; the loop below does its work)
      clearTimeout(lingerTimer);
      // A background process of the command may still write into the file (with pipes, the
      // pipe held open says so): keep reading while its process group lives, up to lingerMs.
      const lingerUntil = performance.now() + lingerMs;
      let lingering = pid !== undefined && !canceled && !timedOut && groupAlive(pid);
      while (lingering && performance.now() < lingerUntil) {
        drain();
        await delay(FLOOD_POLL_MS);
        lingering = groupAlive(pid as number);
      }
      if (lingering) writeLog(`--- a background process still holds the output after exit; stopped reading\n`);
      // what is left, in steps, waiting for the log when it is behind
      while (drain()) await delay(buffersAtLog >= MAX_LOG_BACKLOG ? 5 : 0);
      closeSync(outFd);
      if (!endsWithNewline) writeLog('\n--- (the output did not end with a newline)\n');
    }

    for (const key of ['stdout', 'stderr'] as const) {
      for (const line of splitters[key].end()) handleLine(line, key);
      // the last line had no newline: say so (the footer must start a line of its own)
      if (rawPending[key].length > 0) writeLog(Buffer.concat([...rawPending[key], Buffer.from(`\n--- (${key} did not end with a newline)\n`)]));
    }
    clearTimeout(timeoutTimer);
    clearTimeout(lingerTimer);
    opts.signal?.removeEventListener('abort', onCancel);
    opts.forceSignal?.removeEventListener('abort', onForce);
    if ((canceled || timedOut) && pid !== undefined) {
      // The leader is gone; members that ignored SIGTERM get the rest of the grace period.
      while (groupAlive(pid) && performance.now() < killDeadline) await delay(25);
      if (groupAlive(pid)) killGroup('SIGKILL');
    }
    clearTimeout(escalateTimer);
    if (pid !== undefined) untrackGroup(pid);

    const spawnError =
      !exited && result.exitCode === undefined && result.signal === undefined
        ? describeSpawnError(argv[0], result.code, result.originalMessage, opts.cwd)
        : null;
    const exitCode = spawnError === null && result.exitCode !== undefined ? result.exitCode : null;
    const signal = result.signal ?? null;
    const durationMs = Math.round(performance.now() - t0);
    const status = spawnError
      ? `could not start: ${spawnError}`
      : timedOut
        ? `timed out${signal ? ` (${signal})` : ''}`
        : canceled
          ? `canceled${signal ? ` (${signal})` : ''}`
          : signal
            ? `killed by ${signal}`
            : `exit ${exitCode}`;
    if (spawnError) writeLog(`${spawnError}\n`);
    await closeLog(`=== ${now().toISOString()} end ${name}: ${status}, ${durationMs} ms\n\n`);
    if (callbackError !== null) throw callbackError;
    return finish({ exitCode, signal, spawnError, timedOut, canceled });
  }

  return { run, runId, logPath };
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Room enough for a flood-tail file: on a nearly full disk its writes would fail in the command
 * itself (a pipe never does), so the pipes are used there.
 */
function roomFor(dir: string): boolean {
  try {
    const st = statfsSync(dir);
    return st.bavail * st.bsize >= FLOOD_MIN_FREE;
  } catch {
    return false;
  }
}

/**
 * Newlines in buf[0, end). Uint8Array's own indexOf: Buffer's adds argument handling per call,
 * which for a flood's 200,000 lines measured about half the counting time.
 */
const byteIndexOf = Uint8Array.prototype.indexOf;
function countNewlines(buf: Buffer, end: number): number {
  let n = 0;
  for (let i = byteIndexOf.call(buf, 10); i >= 0 && i < end; i = byteIndexOf.call(buf, 10, i + 1)) n++;
  return n;
}

function describeSpawnError(cmd: string, code: string | undefined, message: string | undefined, cwd?: string): string {
  // Node reports a missing working directory as the command missing; tell them apart.
  if (code === 'ENOENT' && cwd !== undefined && !existsSync(cwd)) return `working directory ${cwd} does not exist (ENOENT)`;
  if (code === 'ENOENT') return `${cmd}: command not found (ENOENT)`;
  if (code === 'EACCES') return `${cmd}: permission denied (EACCES)`;
  return `${cmd}: ${message ?? code ?? 'could not be started'}`;
}
