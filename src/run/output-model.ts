// The live output pane's state as a pure reducer, so its rules are tested without rendering:
// finished commands become one history line each (append-only, drawn once by Ink's <Static>),
// running commands keep a bounded tail of their output, and "show everything" streams every
// line into the static scrollback instead.
import { lineTotal, type CommandEvent } from './events.js';
import type { CommandStatus } from './format-result.js';

export interface HistoryItem {
  kind: 'command';
  key: string;
  id: string;
  name: string;
  status: CommandStatus;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  logPath: string | null;
}

export interface ScrollbackLine {
  kind: 'line';
  key: string;
  name: string;
  line: string;
}

export type StaticItem = HistoryItem | ScrollbackLine;

export interface RunningCommand {
  id: string;
  name: string;
  argv: string[];
  /** epoch ms */
  startedAt: number;
  /** the last `tailCapacity` lines, oldest first */
  tail: string[];
  /** the unfinished line after them (a progress bar's current state), '' when none */
  partial: string;
  /** every line seen, including those no longer in the tail */
  lineCount: number;
  /** lines [0, inScrollback) were already put into the static scrollback (verbose mode) */
  inScrollback: number;
  cancel: 'none' | 'terminating' | 'killing';
}

export interface OutputState {
  /** append-only: Ink's <Static> draws each item once, in order */
  staticItems: StaticItem[];
  running: RunningCommand[];
  verbose: boolean;
  tailCapacity: number;
}

/** Lines of one command delivered together (the batcher merges command-line events into these). */
export interface CommandLinesAction {
  type: 'command-lines';
  id: string;
  name: string;
  /** the lines kept (the newest) */
  lines: string[];
  /** how many lines arrived, including any the batcher dropped because no one would see them */
  total: number;
}

export type OutputAction =
  | CommandEvent
  | CommandLinesAction
  | { type: 'toggle-verbose' }
  /** the pane's height changed (terminal resize, pane shown): tails keep that many lines from now on */
  | { type: 'set-capacity'; tailCapacity: number }
  | { type: 'batch'; actions: OutputAction[] };

export function initialOutputState(o: { tailCapacity?: number; verbose?: boolean } = {}): OutputState {
  return { staticItems: [], running: [], verbose: o.verbose ?? false, tailCapacity: Math.max(1, o.tailCapacity ?? 100) };
}

const appendTail = (tail: string[], lines: string[], cap: number): string[] => {
  if (lines.length >= cap) return lines.slice(lines.length - cap);
  const keep = Math.max(0, tail.length + lines.length - cap);
  return keep === 0 ? tail.concat(lines) : tail.slice(keep).concat(lines);
};

function addLines(s: OutputState, id: string, name: string, lines: string[], total: number): OutputState {
  const idx = s.running.findIndex((r) => r.id === id);
  if (idx === -1 || lines.length === 0) return s;
  const cmd = s.running[idx] as RunningCommand;
  const running = s.running.slice();
  const lineCount = cmd.lineCount + total;
  const tail = appendTail(cmd.tail, lines, s.tailCapacity);
  if (!s.verbose) {
    running[idx] = { ...cmd, tail, lineCount, partial: '' };
    return { ...s, running };
  }
  running[idx] = { ...cmd, tail, lineCount, inScrollback: lineCount, partial: '' };
  const base = lineCount - lines.length;
  const scroll: ScrollbackLine[] = lines.map((line, i) => ({ kind: 'line', key: `${id}:${base + i}`, name, line }));
  return { ...s, running, staticItems: s.staticItems.concat(scroll) };
}

export function outputReducer(s: OutputState, a: OutputAction): OutputState {
  switch (a.type) {
    case 'batch':
      return a.actions.reduce(outputReducer, s);
    case 'command-start':
      if (s.running.some((r) => r.id === a.id)) return s;
      return {
        ...s,
        running: [
          ...s.running,
          { id: a.id, name: a.name, argv: a.argv, startedAt: Date.parse(a.at), tail: [], partial: '', lineCount: 0, inScrollback: 0, cancel: 'none' },
        ],
      };
    case 'command-line':
      return addLines(s, a.id, a.name, [a.line], lineTotal(a));
    case 'command-lines':
      return addLines(s, a.id, a.name, a.lines, a.total);
    case 'command-partial': {
      const idx = s.running.findIndex((r) => r.id === a.id);
      if (idx === -1 || (s.running[idx] as RunningCommand).partial === a.text) return s;
      const running = s.running.slice();
      running[idx] = { ...(running[idx] as RunningCommand), partial: a.text };
      return { ...s, running };
    }
    case 'command-cancel':
      return {
        ...s,
        running: s.running.map((r) =>
          r.id === a.id ? { ...r, cancel: a.force ? 'killing' : r.cancel === 'killing' ? 'killing' : 'terminating' } : r,
        ),
      };
    case 'command-end': {
      const item: HistoryItem = {
        kind: 'command',
        key: `${a.id}:end`,
        id: a.id,
        name: a.name,
        status: a.status,
        exitCode: a.exitCode,
        signal: a.signal,
        durationMs: a.durationMs,
        logPath: a.logPath,
      };
      return { ...s, running: s.running.filter((r) => r.id !== a.id), staticItems: [...s.staticItems, item] };
    }
    case 'set-capacity': {
      const cap = Math.max(1, Math.floor(a.tailCapacity));
      if (cap === s.tailCapacity) return s;
      // Growing keeps what is there (older lines were already dropped); shrinking trims now.
      const running = cap < s.tailCapacity ? s.running.map((r) => (r.tail.length > cap ? { ...r, tail: r.tail.slice(r.tail.length - cap) } : r)) : s.running;
      return { ...s, tailCapacity: cap, running };
    }
    case 'toggle-verbose': {
      if (s.verbose) return { ...s, verbose: false };
      // What was on screen stays on screen: the running tails move into the scrollback first
      // (only lines not already there, in case the toggle went on, off and on again).
      const moved: ScrollbackLine[] = [];
      const running = s.running.map((r) => {
        const first = r.lineCount - r.tail.length;
        r.tail.forEach((line, i) => {
          if (first + i >= r.inScrollback) moved.push({ kind: 'line', key: `${r.id}:${first + i}`, name: r.name, line });
        });
        return { ...r, inScrollback: r.lineCount };
      });
      return { ...s, verbose: true, running, staticItems: moved.length > 0 ? s.staticItems.concat(moved) : s.staticItems };
    }
  }
}

/** The tail rows to draw for a pane that may use `height` rows for output lines. */
export function visibleTail(cmd: RunningCommand, height: number): string[] {
  if (height <= 0) return [];
  // the unfinished line is the newest thing on screen, as in a terminal
  return cmd.partial === '' ? cmd.tail.slice(-height) : [...(height > 1 ? cmd.tail.slice(-(height - 1)) : []), cmd.partial];
}
