// A Runner that runs nothing: it records every call (argv and options) and answers from a
// script. `--dry-run` uses it with no script (every command "succeeds" silently); tests use it
// to assert the exact argv that would run as root and to script output, failures and cancels.
import path from 'node:path';
import { toDisplayLine } from './line-splitter.js';
import type { RunOptions, RunResult, Runner } from './types.js';

export interface ScriptedLine {
  line: string;
  stream?: 'stdout' | 'stderr';
}

export interface ScriptEntry {
  /** which calls this entry answers: exact argv, a regex over the argv joined by spaces, or a predicate */
  match: readonly string[] | RegExp | ((argv: readonly string[]) => boolean);
  /** output to deliver through onLine, in order (plain strings are stdout) */
  lines?: ReadonlyArray<string | ScriptedLine>;
  exitCode?: number;
  /** the command "dies" of this signal (exitCode becomes null) */
  signal?: string;
  /** the command "cannot start" (e.g. "foo: command not found (ENOENT)") */
  spawnError?: string;
  /** the command ends only when this settles (or when it is canceled): lets tests look mid-run */
  hold?: Promise<unknown>;
  /** answer only the first matching call (default: every matching call) */
  once?: boolean;
}

export interface RecordedCall {
  argv: string[];
  name: string;
  opts: RunOptions;
}

export interface RecordingRunner extends Runner {
  /** every call so far, in order */
  readonly calls: RecordedCall[];
  /** calls' argv joined by spaces, for compact assertions */
  commandLines(): string[];
}

const matches = (m: ScriptEntry['match'], argv: readonly string[]): boolean => {
  if (typeof m === 'function') return m(argv);
  if (m instanceof RegExp) return m.test(argv.join(' '));
  return m.length === argv.length && m.every((a, i) => a === argv[i]);
};

export function createRecordingRunner(script: ScriptEntry[] = []): RecordingRunner {
  const calls: RecordedCall[] = [];
  const used = new Set<ScriptEntry>();

  async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (argv.length === 0 || typeof argv[0] !== 'string' || argv[0] === '') {
      throw new TypeError('Runner.run needs a non-empty argv array');
    }
    const name = opts.name ?? path.basename(argv[0]);
    calls.push({ argv: [...argv], name, opts });
    const entry = script.find((e) => !(e.once && used.has(e)) && matches(e.match, argv));
    if (entry) used.add(entry);
    const started = Date.now();

    const tail: string[] = [];
    const output: string[] = [];
    const stdout: string[] = [];
    const cancelled = () => Boolean(opts.signal?.aborted || opts.forceSignal?.aborted);
    const base = { argv: [...argv], name, logPath: null, truncated: false };

    if (cancelled()) {
      return { ...base, exitCode: null, signal: null, spawnError: null, timedOut: false, canceled: true, durationMs: 0, tail, output: '', stdout: '', ok: false };
    }
    if (entry?.spawnError) {
      return { ...base, exitCode: null, signal: null, spawnError: entry.spawnError, timedOut: false, canceled: false, durationMs: 0, tail, output: '', stdout: '', ok: false };
    }
    for (const l of entry?.lines ?? []) {
      const { line, stream = 'stdout' } = typeof l === 'string' ? { line: l } : l;
      const display = toDisplayLine(line);
      output.push(line);
      if (stream === 'stdout') stdout.push(line);
      tail.push(display);
      if (tail.length > 40) tail.shift();
      opts.onLine?.(display, stream);
    }

    let canceledBy: 'SIGTERM' | 'SIGKILL' | null = null;
    let timedOut = false;
    if (entry?.hold) {
      // Resolve on the first of: the hold settling, a cancel, a kill, or the timeout.
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onTerm);
          opts.forceSignal?.removeEventListener('abort', onKill);
          resolve();
        };
        const onTerm = () => {
          canceledBy ??= 'SIGTERM';
          done();
        };
        const onKill = () => {
          canceledBy = 'SIGKILL';
          done();
        };
        if (opts.timeoutMs) {
          timer = setTimeout(() => {
            timedOut = true;
            done();
          }, opts.timeoutMs);
        }
        opts.signal?.addEventListener('abort', onTerm, { once: true });
        opts.forceSignal?.addEventListener('abort', onKill, { once: true });
        void entry.hold?.then(done, done);
      });
    }

    const stopped = canceledBy !== null || timedOut;
    const signal = stopped ? (canceledBy ?? 'SIGTERM') : (entry?.signal ?? null);
    const exitCode = stopped || entry?.signal ? null : (entry?.exitCode ?? 0);
    return {
      ...base,
      exitCode,
      signal,
      spawnError: null,
      timedOut,
      canceled: canceledBy !== null,
      durationMs: Date.now() - started,
      tail,
      output: output.join('\n'),
      stdout: stdout.join('\n'),
      ok: exitCode === 0 && !stopped,
    };
  }

  return {
    run,
    calls,
    commandLines: () => calls.map((c) => c.argv.join(' ')),
  };
}
