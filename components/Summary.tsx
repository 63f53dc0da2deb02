// The last screen: every step vfio-wizard applied on this system (from the journal, so also
// those of earlier runs), each with "undo this step", and "undo everything".
import type { WizardState } from '../src/wizard.js';
import { interruptedSteps, undoableSteps } from '../src/wizard-step.js';
import { shellJoin } from '../src/plan/shell-quote.js';
import { Lines, plain, type Line } from './Lines.js';
import { para } from './diff-lines.js';
import { truncate, viewport } from './text-layout.js';

export function summaryLines(state: WizardState, columns: number): { lines: Line[]; cursorLine: number } {
  const s = state.summary;
  const lines: Line[] = [];
  if (s.error) return { lines: para(`The journal could not be read: ${s.error}`, columns, { color: 'red' }), cursorLine: 0 };
  // an answer to an older request would show steps as they were before the last apply or undo
  if (!s.status || s.loaded !== s.request) return { lines: [plain('Reading the journal…', { dim: true })], cursorLine: 0 };
  const steps = undoableSteps(s.status);
  const interrupted = new Set(interruptedSteps(s.status));
  if (steps.length === 0) {
    lines.push(...para('Nothing applied by vfio-wizard is in effect on this system: there is nothing to undo.', columns));
    return { lines, cursorLine: 0 };
  }
  lines.push(plain('Applied by vfio-wizard (newest first):', { bold: true }));
  let cursorLine = 1;
  steps.forEach((st, i) => {
    const here = i === Math.min(s.cursor, steps.length - 1);
    if (here) cursorLine = lines.length;
    const half = interrupted.has(st);
    const flags = [
      half ? 'interrupted' : st.state !== 'applied' ? st.state : '',
      st.rebootPending ? 'reboot pending' : '',
      st.state === 'applied' && st.verification !== 'none' ? `check ${st.verification}` : '',
    ].filter(Boolean);
    lines.push([
      { text: here ? '› ' : '  ', color: 'cyan' },
      { text: st.title, bold: true, inverse: here },
      { text: truncate(`  ${st.id} · run ${st.runId}${flags.length ? ` · ${flags.join(', ')}` : ''}`, Math.max(0, columns - st.title.length - 2)), dim: true },
    ]);
    for (const f of st.files) lines.push(plain(truncate(`    ${f}`, columns), { dim: true }));
    for (const l of st.logs) lines.push(plain(truncate(`    log: ${l}`, columns), { dim: true }));
    if (st.pendingCommands.length > 0) {
      lines.push(...para(`still to run: ${st.pendingCommands.map(shellJoin).join('; ')} (vfio-wizard finish runs them; --by-hand records that you did)`, columns, { color: 'yellow' }, '    '));
    }
    if (half) {
      lines.push(...para(`An earlier run stopped in the middle of ${st.state === 'rolling-back' ? 'undoing' : 'applying'} this step (a crash, kill -9, power loss): some of its files are changed, others not. Undo it (u) before planning anything else.`, columns, { color: 'yellow' }, '    '));
    }
    if (st.error) lines.push(...para(`error: ${st.error}`, columns, { color: 'red' }, '    '));
  });
  lines.push(plain(''));
  lines.push(...para('u undoes the highlighted step; a undoes everything (both ask first).', columns, { dim: true }));
  return { lines, cursorLine };
}

export function Summary({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  const { lines, cursorLine } = summaryLines(state, columns);
  if (lines.length <= height) return <Lines lines={lines} />;
  const { start, end } = viewport(lines.length, cursorLine, height);
  return <Lines lines={lines.slice(start, end)} />;
}
