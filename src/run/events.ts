// The engine's command events: one stream that the Ink pane, the plain renderer and the JSON
// renderer all consume, so the three outputs cannot disagree about what ran.
import { commandStatus, formatFailure, type CommandStatus } from './format-result.js';
import type { RunOptions, RunResult, Runner } from './types.js';

export interface CommandStartEvent {
  type: 'command-start';
  id: string;
  name: string;
  argv: string[];
  /** ISO time */
  at: string;
}

export interface CommandLineEvent {
  type: 'command-line';
  id: string;
  name: string;
  stream: 'stdout' | 'stderr';
  /** display-safe (ANSI stripped, CR-collapsed, control characters replaced) */
  line: string;
  /**
   * Only on the line a screen's runner puts in place of output too fast to draw ("… N lines not
   * shown here"): the N lines it stands for, all of them in the log.
   */
  skipped?: number;
}

/** The unfinished last line changed (progress redrawn with "\r"); '' when it was finished. */
export interface CommandPartialEvent {
  type: 'command-partial';
  id: string;
  name: string;
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface CommandCancelEvent {
  type: 'command-cancel';
  id: string;
  name: string;
  /** false: SIGTERM was sent (a second request kills); true: SIGKILL was sent */
  force: boolean;
}

export interface CommandEndEvent {
  type: 'command-end';
  id: string;
  name: string;
  status: CommandStatus;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  logPath: string | null;
  /** the failure message (formatFailure) when status is not "ok" */
  message: string | null;
}

/** The command's output lines a line event accounts for: itself, or the lines a skip line stands for. */
export const lineTotal = (e: { skipped?: number }): number => e.skipped ?? 1;

export type CommandEvent = CommandStartEvent | CommandLineEvent | CommandPartialEvent | CommandCancelEvent | CommandEndEvent;

export type Listener<E> = (event: E) => void;

/** A tiny synchronous publish/subscribe channel (the pane subscribes; the engine emits). */
export interface EventHub<E> {
  emit(event: E): void;
  subscribe(listener: Listener<E>): () => void;
}

export function createEventHub<E>(): EventHub<E> {
  const listeners = new Set<Listener<E>>();
  return {
    emit(event) {
      for (const l of listeners) l(event);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

let nextId = 1;

export interface EmittingRunOptions extends RunOptions {
  /** event id; default: a process-wide counter */
  id?: string;
}

/**
 * Run a command and report it as events: start, every line, cancel requests, end. Returns the
 * runner's result unchanged. The caller's own `onLine` still receives every line.
 */
export async function runWithEvents(
  runner: Runner,
  emit: (event: CommandEvent) => void,
  argv: string[],
  opts: EmittingRunOptions = {},
): Promise<RunResult> {
  const id = opts.id ?? `cmd-${nextId++}`;
  const name = opts.name ?? argv[0]?.split('/').pop() ?? '?';
  emit({ type: 'command-start', id, name, argv: [...argv], at: new Date().toISOString() });
  const onTerm = () => emit({ type: 'command-cancel', id, name, force: false });
  const onKill = () => emit({ type: 'command-cancel', id, name, force: true });
  opts.signal?.addEventListener('abort', onTerm, { once: true });
  opts.forceSignal?.addEventListener('abort', onKill, { once: true });
  try {
    const result = await runner.run(argv, {
      ...opts,
      name,
      onLine: (line, stream, skipped) => {
        // `skipped` only where it is set: events are printed as JSON and compared as they are
        emit({ type: 'command-line', id, name, stream, line, ...(skipped === undefined ? {} : { skipped }) });
        opts.onLine?.(line, stream, skipped);
      },
      onPartial: (text, stream) => {
        emit({ type: 'command-partial', id, name, stream, text });
        opts.onPartial?.(text, stream);
      },
    });
    const status = commandStatus(result);
    emit({
      type: 'command-end',
      id,
      name,
      status,
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: result.durationMs,
      logPath: result.logPath,
      message: status === 'ok' ? null : formatFailure(result, opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
    return result;
  } finally {
    opts.signal?.removeEventListener('abort', onTerm);
    opts.forceSignal?.removeEventListener('abort', onKill);
  }
}

/**
 * A runner that reports every command as events, and hands `forceSignal` (the second Ctrl+C:
 * SIGKILL) to the commands that can be canceled — those run with a signal. The engine's own
 * rollback runs its regeneration without one, on purpose: it must not inherit a kill the user
 * asked for the step's command.
 */
export function withEvents(inner: Runner, emit: (event: CommandEvent) => void, forceSignal?: AbortSignal): Runner {
  return {
    run: (argv, opts = {}) => runWithEvents(inner, emit, argv, { ...opts, forceSignal: opts.forceSignal ?? (opts.signal ? forceSignal : undefined) }),
  };
}
