// Words for a command's outcome. A failure message names the command (as it would be typed),
// what went wrong (exit code, signal, timeout, cancel, could not start), the last lines of its
// output and where the full log is — enough to act on without opening anything else.
import type { RunResult } from './types.js';
import { shellQuote } from '../plan/shell-quote.js';

export type CommandStatus = 'ok' | 'failed' | 'canceled' | 'timed-out' | 'not-started';

export function commandStatus(r: Pick<RunResult, 'ok' | 'spawnError' | 'timedOut' | 'canceled'>): CommandStatus {
  if (r.spawnError !== null) return 'not-started';
  if (r.timedOut) return 'timed-out';
  if (r.canceled) return 'canceled';
  return r.ok ? 'ok' : 'failed';
}

const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
const CONTROL_G = /[\u0000-\u001F\u007F-\u009F\\']/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r', '\u001B': '\\e', '\\': '\\\\', "'": "\\'" };

/**
 * argv as a shell would need it typed (for display only: the runner never uses a shell). A word
 * holding a control character is written $'…' with escapes (bash, zsh, ksh and dash ≥ 0.5.12 read
 * it back), so the line on screen never carries the character itself.
 */
export function formatArgv(argv: readonly string[]): string {
  return argv
    .map((a) => (CONTROL.test(a) ? `$'${a.replace(CONTROL_G, (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'` : shellQuote(a)))
    .join(' ');
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** One short clause: "exit code 1", "killed by SIGKILL", "timed out after 30.0 s", … */
export function describeOutcome(r: RunResult, timeoutMs?: number): string {
  switch (commandStatus(r)) {
    case 'ok':
      return 'exit code 0';
    case 'not-started':
      return `could not be started: ${r.spawnError}`;
    case 'timed-out':
      return `timed out${timeoutMs ? ` after ${formatDuration(timeoutMs)}` : ''} and was stopped${r.signal ? ` (${r.signal})` : ''}`;
    case 'canceled':
      return `was canceled${r.signal ? ` (${r.signal})` : ''}`;
    case 'failed':
      return r.signal ? `was killed by ${r.signal}` : `failed with exit code ${r.exitCode}`;
  }
}

export interface FailureOptions {
  /** how many of the last lines to show (default 10) */
  lines?: number;
  timeoutMs?: number;
}

/** The multi-line failure message for screens, plain output and errors. */
export function formatFailure(r: RunResult, o: FailureOptions = {}): string {
  const max = o.lines ?? 10;
  const out: string[] = [`${r.name} ${describeOutcome(r, o.timeoutMs)}.`, `  command: ${formatArgv(r.argv)}`];
  if (r.spawnError !== null && /command not found/.test(r.spawnError)) {
    out.push(`  Is the package that provides "${r.argv[0]}" installed, and is it on PATH?`);
  }
  const last = r.tail.slice(-max);
  if (last.length > 0) {
    out.push(`  last ${last.length === 1 ? 'line' : `${last.length} lines`} of output:`);
    for (const line of last) out.push(`    ${line}`);
  } else if (r.spawnError === null) {
    out.push('  (no output)');
  }
  out.push(r.logPath !== null ? `  full log: ${r.logPath}` : '  (no log file was written)');
  return out.join('\n');
}
