// An undo (one step or everything): its progress while it runs, then what it did. A file that
// changed after vfio-wizard wrote it blocks the undo: the three versions (original, ours, now)
// are shown with the diff from ours to now, and `f` offers to force it behind a second confirm.
import type { WizardState } from '../src/wizard.js';
import type { UndoState } from '../src/wizard-step.js';
import { shellJoin } from '../src/plan/shell-quote.js';
import { plain, type Line } from './Lines.js';
import { diffLines, para } from './diff-lines.js';
import { ApplyProgress } from './ApplyProgress.js';
import { ScrollLines } from './ScrollLines.js';

const targetName = (u: UndoState) => ('all' in u.target ? 'everything' : `step ${u.target.stepId}`);

export function undoResultLines(u: UndoState, columns: number): Line[] {
  const lines: Line[] = [];
  if (u.error !== null) {
    lines.push(plain(`✘ Undo of ${targetName(u)} failed`, { bold: true, color: 'red' }));
    lines.push(...para(u.error, columns, { color: 'red' }, '  '));
    return lines;
  }
  const r = u.result;
  if (!r) return [plain('…')];
  const head =
    r.status === 'rolled-back'
      ? plain(`✔ Undone: ${targetName(u)}`, { bold: true, color: 'green' })
      : r.status === 'nothing'
        ? plain('Nothing to undo', { bold: true })
        : r.status === 'blocked'
          ? plain('Not undone: files changed since vfio-wizard wrote them', { bold: true, color: 'yellow' })
          : plain(`✘ Undo of ${targetName(u)} failed`, { bold: true, color: 'red' });
  lines.push(head);
  for (const l of u.log) lines.push(...para(l, columns, { dim: true }, '  '));
  if (r.status !== 'blocked') lines.push(...para(r.message.split('\n').join(' '), columns));
  for (const c of r.checks ?? []) lines.push(...para(`${c.ok ? '✔' : '✘'} ${c.stepId}: ${c.summary}`, columns, { color: c.ok ? 'green' : 'red' }));
  if (r.pendingCommands.length > 0) {
    lines.push(plain('Listed, not run:', { bold: true }));
    r.pendingCommands.forEach((c, i) => lines.push(...para(`${i + 1}. ${shellJoin(c)}`, columns, { color: 'cyan' }, '  ')));
  }
  for (const d of r.drift) {
    lines.push(plain(''));
    lines.push(...para(`${d.path} (step ${d.stepId}) was changed after vfio-wizard wrote it; nothing was overwritten.`, columns, { bold: true }));
    lines.push(...para(`original: ${d.original ?? '(did not exist)'}`, columns, {}, '  '));
    lines.push(...para(`ours:     ${d.ours ?? '(deleted by vfio-wizard)'}`, columns, {}, '  '));
    lines.push(...para(`now:      ${d.now ?? '(gone)'}`, columns, {}, '  '));
    lines.push(...diffLines(d.diff, columns, '  '));
  }
  if (r.status === 'blocked') {
    lines.push(plain(''));
    lines.push(...para('Keep your edits and undo by hand, or press f to restore the originals anyway (asks again; the current versions are kept next to the backups).', columns));
  }
  return lines;
}

export function UndoPanel({
  state,
  columns,
  height,
  onOverflow,
}: {
  state: WizardState;
  columns: number;
  height: number;
  onOverflow: (max: number) => void;
}) {
  const u = state.undo!;
  if (u.phase === 'running') {
    return <ApplyProgress title={`Undoing ${targetName(u)}${u.force ? ' (force)' : ''}`} log={u.log} cancelStage={u.cancelStage} columns={columns} height={height} />;
  }
  return <ScrollLines lines={undoResultLines(u, columns)} height={height} scroll={u.scroll} onOverflow={onOverflow} />;
}
