// What apply and rollback share: an explicit y/N question on a terminal (refused, not asked,
// without one), and Ctrl+C turned into an abort of the running step instead of a dead process.
import { createInterface } from 'node:readline/promises';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from './context.js';
import { createCancellation } from '../run/cancellation.js';
import { withEvents, type CommandEvent } from '../run/events.js';
import { createJsonRenderer } from '../run/json-renderer.js';
import { createPlainRenderer, type TextSink } from '../run/plain-renderer.js';
import type { Runner } from '../run/types.js';

async function askYes(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * true when the user confirmed (or passed --yes); otherwise the exit code is set, the reason is
 * printed, and nothing may be changed: 2 without a terminal to ask on, 1 when the answer was no.
 */
export async function confirmed(ctx: CommandContext, o: { yes: boolean; json: boolean; action: string; question: string; hint: string }): Promise<boolean> {
  if (o.yes) return true;
  const err = (s: string) => void ctx.io.stderr.write(s);
  const interactive = !o.json && ctx.io.stdinIsTTY && Boolean(ctx.io.stdout.isTTY);
  if (!interactive) {
    err(`vfio-wizard: ${o.action} needs confirmation and there is no terminal to ask on.\n  ${o.hint} Nothing was changed.\n`);
    ctx.setExit(ExitCode.usage);
    return false;
  }
  if (await askYes(o.question)) return true;
  err(`Not done: ${o.action}. Nothing was changed.\n`);
  ctx.setExit(ExitCode.failed);
  return false;
}

/** Signals that stop a running step, with the exit code each one ends the command with. */
const STOP_SIGNALS: Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number> = { SIGINT: ExitCode.interrupted, SIGTERM: ExitCode.terminated, SIGHUP: ExitCode.hangup };

/**
 * Runs `work` with Ctrl+C — and SIGTERM (a shutdown, `kill`) or SIGHUP (the terminal went away) —
 * turned into cancellation instead of a dead process: the first aborts `signal` (SIGTERM to the
 * running command's process group; the engine then rolls the step back), a second aborts
 * `forceSignal` (SIGKILL to it). Returns the work's value and `exitFor`, which turns the engine's
 * "interrupted" into 128+n of the signal that came (130, 143, 129). `proc` is injectable for tests.
 */
export async function interruptible<T>(
  work: (signal: AbortSignal, forceSignal: AbortSignal) => Promise<T>,
  proc: Pick<NodeJS.EventEmitter, 'on' | 'removeListener'> = process,
): Promise<[T, (code: number) => number]> {
  const cancellation = createCancellation();
  let first: keyof typeof STOP_SIGNALS | null = null;
  const handlers = (Object.keys(STOP_SIGNALS) as (keyof typeof STOP_SIGNALS)[]).map((sig) => {
    const h = () => {
      first ??= sig;
      cancellation.request();
    };
    proc.on(sig, h);
    return [sig, h] as const;
  });
  const exitFor = (code: number) => (code === ExitCode.interrupted && first !== null ? STOP_SIGNALS[first] : code);
  try {
    return [await work(cancellation.signal, cancellation.forceSignal), exitFor];
  } finally {
    for (const [sig, h] of handlers) proc.removeListener(sig, h);
  }
}

/** Output lines of one command kept in the --json document: its first and its last ones. */
export const JSON_HEAD_LINES = 1000;
export const JSON_TAIL_LINES = 1000;

/**
 * Collects the events for the --json document, which is built in memory and printed at the end:
 * a command printing millions of lines keeps its first and last lines, with one line between that
 * says how many were left out (`skipped`; the log has every one), so the document stays bounded.
 */
function collectBounded(events: CommandEvent[]): (e: CommandEvent) => void {
  const open = new Map<string, { head: number; tail: CommandEvent[]; skipped: number }>();
  return (e) => {
    if (e.type === 'command-partial') return;
    if (e.type === 'command-line') {
      let c = open.get(e.id);
      if (!c) open.set(e.id, (c = { head: 0, tail: [], skipped: 0 }));
      if (c.head < JSON_HEAD_LINES) {
        c.head += 1;
        events.push(e);
        return;
      }
      c.tail.push(e);
      if (c.tail.length > JSON_TAIL_LINES) {
        const dropped = c.tail.shift() as CommandEvent & { skipped?: number };
        c.skipped += dropped.skipped ?? 1;
      }
      return;
    }
    if (e.type === 'command-end') {
      const c = open.get(e.id);
      open.delete(e.id);
      if (c && c.skipped > 0) {
        events.push({ type: 'command-line', id: e.id, name: e.name, stream: 'stdout', line: `… ${c.skipped} line${c.skipped === 1 ? '' : 's'} not kept here (the log has every one)`, skipped: c.skipped });
      }
      if (c) events.push(...c.tail);
    }
    events.push(e);
  };
}

/**
 * The runner a CLI command runs a step's commands through: every command reported as command
 * events — printed as they come, each line prefixed by the command's name, or collected for the
 * --json document — with the second Ctrl+C handed to the commands that can be canceled. `logPath`
 * is the run's log when the inner runner writes one.
 */
export function cliRunner(
  inner: Runner,
  o: { json: boolean; out: TextSink; forceSignal: AbortSignal; /** --json: print each event as a JSON line as it comes instead of collecting it (vm create) */ jsonLines?: boolean },
): { runner: Runner; events: CommandEvent[]; logPath: () => string | null } {
  const events: CommandEvent[] = [];
  const emit = !o.json ? createPlainRenderer(o.out) : o.jsonLines ? createJsonRenderer(o.out) : collectBounded(events);
  let logPath: string | null = null;
  const runner = withEvents(inner, (e) => {
    if (e.type === 'command-end' && e.logPath) logPath = e.logPath;
    emit(e);
  }, o.forceSignal);
  return { runner, events, logPath: () => logPath };
}
