// The review of a plan before anything changes: a unified diff of every file, every live
// setting, the exact argv of every command in the order it will run, and whether a reboot is
// needed. Scrolls within the terminal (PgUp/PgDn); Enter asks for the explicit confirm, Esc
// goes back with nothing changed.
import { fileDiff } from '../src/plan/diff.js';
import { orderChanges } from '../src/plan/order.js';
import { shellJoin } from '../src/plan/shell-quote.js';
import type { Plan } from '../src/plan/types.js';
import { plain, type Line } from './Lines.js';
import { diffLines, para } from './diff-lines.js';

export function planReviewLines(plan: Plan, columns: number, opts: { canApply: boolean; rerunHint: string; demo: boolean }): Line[] {
  const lines: Line[] = [];
  const ordered = orderChanges(plan.changes);
  const files = ordered.flatMap((c) => (c.kind === 'file' ? [c] : []));
  const sysfs = ordered.flatMap((c) => (c.kind === 'sysfs' ? [c] : []));
  const commands = ordered.flatMap((c) => (c.kind === 'command' ? [c] : []));
  if (files.length > 0) lines.push(plain(`Files (${files.length}):`, { bold: true }));
  for (const f of files) {
    const mode = f.mode !== undefined ? `, mode ${f.mode.toString(8).padStart(4, '0')}` : '';
    lines.push(...para(`${f.action} ${f.path}${mode}`, columns, { bold: true }, '  '));
    lines.push(...para(f.why, columns, { dim: true }, '    '));
    lines.push(...diffLines(fileDiff(f), columns, '  '));
  }
  if (sysfs.length > 0) {
    if (files.length > 0) lines.push(plain(''));
    lines.push(plain('Live settings (sysfs):', { bold: true }));
    for (const s of sysfs) lines.push(...para(`write ${JSON.stringify(s.value)} to ${s.path} — ${s.why}`, columns, {}, '  '));
  }
  if (files.length > 0 || sysfs.length > 0) lines.push(plain(''));
  if (commands.length > 0) {
    lines.push(plain(`Commands, in the order they will run${opts.demo ? ' (the demo lists them, runs nothing)' : ' (as root)'}:`, { bold: true }));
    commands.forEach((c, i) => {
      lines.push(...para(`${i + 1}. ${shellJoin(c.argv)}`, columns, { color: 'cyan' }, '  '));
      lines.push(...para(c.why, columns, { dim: true }, '     '));
    });
  } else {
    lines.push(plain('No commands run.', { dim: true }));
  }
  for (const n of plan.notes) lines.push(...para(`Note: ${n}`, columns, {}, ''));
  lines.push(plain(''));
  lines.push(plain(plan.needsReboot ? 'A reboot is needed for this step to take effect.' : 'No reboot is needed for this step.', { bold: true }));
  if (!opts.canApply) {
    lines.push(...para(`Applying needs root; nothing will be changed from here. Re-run: ${opts.rerunHint}`, columns, { color: 'yellow' }));
  } else {
    lines.push(...para('Enter asks you to confirm; Esc goes back with nothing changed.', columns, { dim: true }));
  }
  return lines;
}
