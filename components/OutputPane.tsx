// Live output of the commands a step runs. Finished commands are history, written once through
// <Static> (one line each: name, status, duration, log on failure). The running command shows a
// bounded tail whose height follows the terminal — the whole live area must stay shorter than
// the terminal or Ink clears the screen on every frame — and every line is truncated, never
// wrapped, so one long line cannot change the height. `v` streams every line into the
// scrollback instead. Data comes from a CommandFeed prop; this file never runs anything.
import { useEffect, useState } from 'react';
import { Box, Static, Text, useInput, useStdin } from 'ink';
import { formatDuration } from '../src/run/format-result.js';
import { visibleTail, type HistoryItem, type RunningCommand, type StaticItem } from '../src/run/output-model.js';
import { useTerminalSize } from './terminal-size.js';
import { useCommandOutput, type CommandFeed } from './hooks/useCommandOutput.js';

export interface OutputPaneProps {
  feed: CommandFeed;
  /** rows the rest of the screen needs; the pane stays within rows − reservedRows − 1 */
  reservedRows?: number;
  /** most tail lines to show however tall the terminal is (default 15) */
  maxTail?: number;
  /** ms between batched updates (default 80) */
  batchMs?: number;
  /** listen for the `v` key (default true; turn off when another widget owns the keyboard) */
  keys?: boolean;
  /** called after every commit of the pane (render counting in the benchmark) */
  onCommit?: () => void;
}

/** Rows the pane may use for output lines, given the terminal and what else is on screen. */
export function tailHeight(rows: number, reservedRows: number, maxTail: number, headerRows: number): number {
  return Math.max(0, Math.min(maxTail, rows - reservedRows - 1 - headerRows));
}

const STATUS: Record<HistoryItem['status'], { mark: string; color: string; words: (h: HistoryItem) => string }> = {
  ok: { mark: '✔', color: 'green', words: () => 'done' },
  failed: { mark: '✘', color: 'red', words: (h) => (h.signal ? `killed by ${h.signal}` : `failed, exit ${h.exitCode}`) },
  canceled: { mark: '■', color: 'yellow', words: (h) => `canceled${h.signal ? ` (${h.signal})` : ''}` },
  'timed-out': { mark: '✘', color: 'red', words: () => 'timed out' },
  'not-started': { mark: '✘', color: 'red', words: () => 'could not start' },
};

/**
 * A line for a pane `columns` wide: when it does not fit, runs of three or more spaces (tools that
 * pad to a column, as virt-host-validate pads to about column 77 before PASS/WARN/FAIL) shrink to
 * two, so the end of the line stays in view before anything is cut.
 */
export function fitLine(line: string, columns: number): string {
  return line.length > columns ? line.replace(/ {3,}/g, '  ') : line;
}

function StaticLine({ item }: { item: StaticItem }) {
  if (item.kind === 'line') {
    // scrollback ("show everything") is written once and never redrawn: it may wrap
    return (
      <Text wrap="wrap">
        <Text dimColor>{item.name}: </Text>
        {item.line}
      </Text>
    );
  }
  const s = STATUS[item.status];
  return (
    <Text wrap="truncate-end">
      <Text color={s.color}>{s.mark}</Text> {item.name} <Text dimColor>{s.words(item)} · {formatDuration(item.durationMs)}</Text>
      {item.status !== 'ok' && item.logPath ? <Text dimColor> · log {item.logPath}</Text> : null}
    </Text>
  );
}

function RunningHeader({ cmd, verbose, now, keys }: { cmd: RunningCommand; verbose: boolean; now: number; keys: boolean }) {
  const stopping =
    cmd.cancel === 'terminating'
      ? ' · stopping… press Ctrl+C again to force'
      : cmd.cancel === 'killing'
        ? ' · killing…'
        : '';
  return (
    <Text wrap="truncate-end">
      <Text color="cyan">▶</Text> {cmd.name}{' '}
      <Text dimColor>
        · {cmd.lineCount} {cmd.lineCount === 1 ? 'line' : 'lines'} · {formatDuration(Math.max(0, now - cmd.startedAt))}
      </Text>
      <Text color="yellow">{stopping}</Text>
      {keys ? <Text dimColor> · v {verbose ? 'tail only' : 'show everything'}</Text> : null}
    </Text>
  );
}

export function OutputPane({ feed, reservedRows = 0, maxTail = 15, batchMs = 80, keys = true, onCommit }: OutputPaneProps) {
  const [state, dispatch] = useCommandOutput(feed, { batchMs, tailCapacity: Math.max(maxTail, 1) });
  const { rows, columns } = useTerminalSize();
  const { isRawModeSupported } = useStdin();
  const listening = keys && Boolean(isRawModeSupported);
  useInput(
    (input, key) => {
      if (input === 'v' && !key.ctrl && !key.meta) dispatch({ type: 'toggle-verbose' });
    },
    { isActive: listening },
  );

  // Elapsed time moves once a second while something runs, even when it prints nothing.
  const [, setTick] = useState(0);
  const busy = state.running.length > 0;
  useEffect(() => {
    if (!busy) return;
    const t = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [busy]);

  useEffect(() => {
    onCommit?.();
  });

  const current = state.running[state.running.length - 1];
  const height = state.verbose ? 0 : tailHeight(rows, reservedRows, maxTail, state.running.length);
  const tail = current ? visibleTail(current, height) : [];
  const headerRows = Math.max(0, rows - reservedRows - 1);

  return (
    <>
      <Static items={state.staticItems}>{(item) => <StaticLine key={item.key} item={item} />}</Static>
      {busy ? (
        <Box flexDirection="column">
          {state.running.slice(Math.max(0, state.running.length - headerRows)).map((cmd) => (
            <RunningHeader key={cmd.id} cmd={cmd} verbose={state.verbose} now={Date.now()} keys={listening} />
          ))}
          {tail.map((line, i) => (
            <Text key={i} wrap="truncate-end">
              {line === '' ? ' ' : fitLine(line, columns)}
            </Text>
          ))}
        </Box>
      ) : null}
    </>
  );
}
