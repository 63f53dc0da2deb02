// Step 2: the readiness checklist. The highlighted item can be opened to show the evidence the
// check used, why it matters and how to fix it, wrapped to the terminal width.
import { useEffect } from 'react';
import type { Check, CheckStatus } from '../src/checks/types.js';
import { checksOf, type WizardState } from '../src/wizard.js';
import { truncate, viewport, width } from './text-layout.js';
import { Lines, plain, wrapped, type Line } from './Lines.js';

export const STATUS_SYMBOL: Record<CheckStatus, string> = { pass: '✔', warn: '!', fail: '✘', unknown: '?' };
export const STATUS_COLOR: Record<CheckStatus, string> = { pass: 'green', warn: 'yellow', fail: 'red', unknown: 'blue' };

function tally(checks: readonly Check[]): string {
  const n = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  return `${checks.length} checks: ${n('pass')} ✔ passed, ${n('warn')} ! warnings, ${n('fail')} ✘ failed, ${n('unknown')} ? unknown`;
}

function checkRow(c: Check, selected: boolean, columns: number): Line {
  const marker = selected ? '› ' : '  ';
  const head = `${marker}${STATUS_SYMBOL[c.status]} ${c.title}`;
  const rest = truncate(` — ${c.summary}`, columns - width(head));
  return [
    { text: marker, bold: selected },
    { text: STATUS_SYMBOL[c.status], color: STATUS_COLOR[c.status], bold: true },
    { text: ` ${c.title}`, bold: selected, inverse: selected },
    { text: rest, dim: !selected },
  ];
}

/** The open check: what was found, how to fix it and why it matters first, then the evidence. */
export function detailLines(c: Check, columns: number): Line[] {
  const lines: Line[] = [
    ...wrapped(`${STATUS_SYMBOL[c.status]} ${c.title}: ${c.summary}`, columns, { bold: true, color: STATUS_COLOR[c.status] }, '  '),
  ];
  if (c.remedy) lines.push(...wrapped(`Fix: ${c.remedy}`, columns, { color: 'cyan' }, '     '));
  lines.push(...wrapped(`Why: ${c.why}`, columns, {}, '     '));
  if (c.evidence.length > 0) {
    lines.push(plain('Evidence:', { bold: true }));
    for (const e of c.evidence) lines.push(...wrapped(`• ${e}`, columns, {}, '  '));
  }
  return lines;
}

export interface ReadinessLayout {
  lines: Line[];
  /** how many lines the open details can scroll (0 when they fit or none are open) */
  overflow: number;
}

export function readinessLayout(state: WizardState, columns: number, height: number): ReadinessLayout {
  const checks = checksOf(state);
  if (checks.length === 0) return { lines: [plain('No checks were run.')], overflow: 0 };
  const { cursor, expanded, detailScroll } = state.readiness;
  const open = expanded === null ? null : (checks.find((c) => c.id === expanded) ?? null);
  const head: Line[] = [plain(truncate(tally(checks), columns), { dim: true })];
  const hc = state.hostCheck;
  if (state.session.hostValidate) {
    head.push(
      hc.phase === 'running'
        ? plain(truncate("Running libvirt's host check (virt-host-validate qemu); its output is below…", columns), { color: 'cyan' })
        : hc.error
          ? plain(truncate(`libvirt's host check: ${hc.error} (r runs it again)`, columns), { color: 'yellow' })
          : plain(truncate("libvirt's host check ran: its result is the virt-host-validate row (r runs it again)", columns), { dim: true }),
    );
  }
  const body = height - head.length;
  // With details open the list shrinks to a few rows around the cursor; the details get the rest.
  const listHeight = open === null ? body : Math.min(checks.length, Math.max(3, Math.floor(body / 4)));
  const { start, end } = viewport(checks.length, cursor, listHeight);
  const list = checks.slice(start, end).map((c, i) => checkRow(c, start + i === cursor, columns));
  if (open === null) return { lines: [...head, ...list], overflow: 0 };
  const rule = plain('─'.repeat(Math.max(0, columns)), { dim: true });
  const room = body - list.length - 1;
  const details = detailLines(open, columns);
  if (details.length <= room) return { lines: [...head, ...list, rule, ...details], overflow: 0 };
  // Too long: show a window and a position line; PgUp/PgDn move the window.
  const shown = Math.max(1, room - 1);
  const overflow = details.length - shown;
  const from = Math.min(detailScroll, overflow);
  const position = plain(
    truncate(`lines ${from + 1}–${from + shown} of ${details.length} · PgUp/PgDn scroll`, columns),
    { dim: true },
  );
  return { lines: [...head, ...list, rule, ...details.slice(from, from + shown), position], overflow };
}

export function Readiness({
  state,
  columns,
  height,
  onOverflow,
}: {
  state: WizardState;
  columns: number;
  height: number;
  /** tells the reducer how far the details can scroll (it depends on the terminal size) */
  onOverflow: (max: number) => void;
}) {
  const { lines, overflow } = readinessLayout(state, columns, height);
  useEffect(() => onOverflow(overflow), [overflow, onOverflow]);
  return <Lines lines={lines} />;
}
