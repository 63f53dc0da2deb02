// What applying a step did, in words: applied (and checked), rolled back by itself and why,
// interrupted, or blocked — with the commands still to run, the reboot, the way out of a boot
// that misbehaves, and where the undo script and the logs are.
import { saysWhatChanged } from '../src/exit-codes.js';
import { shellJoin } from '../src/plan/shell-quote.js';
import type { StepFlow } from '../src/wizard-step.js';
import { undoableAfter } from '../src/wizard-step.js';
import { plain, type Line } from './Lines.js';
import { para } from './diff-lines.js';

export function stepResultLines(flow: StepFlow, columns: number, o: { demo: boolean; escapeHatch: string | null; after?: string[] }): Line[] {
  const lines: Line[] = [];
  const r = flow.report?.result;
  if (flow.error !== null) {
    lines.push(plain('✘ Not applied', { bold: true, color: 'red' }));
    // what the engine did before it refused (an interrupted step of an earlier run undone first)
    for (const l of flow.log) lines.push(...para(l, columns, { dim: true }, '  '));
    const said = saysWhatChanged(flow.error) || flow.log.length > 0;
    lines.push(...para(`${flow.error}${said ? '' : ' Nothing was changed.'}`, columns, { color: 'red' }, '  '));
    return lines;
  }
  if (!r) return [plain('…')];
  const v = flow.report?.verification ?? null;
  switch (r.status) {
    case 'applied':
      lines.push(plain(v && !v.ok ? '✘ Applied, but the check failed' : '✔ Applied', { bold: true, color: v && !v.ok ? 'red' : 'green' }));
      break;
    case 'interrupted':
      lines.push(plain('■ Interrupted', { bold: true, color: 'yellow' }));
      break;
    case 'rolled-back':
      lines.push(plain('✘ Failed and rolled back', { bold: true, color: 'red' }));
      break;
    case 'preflight-failed':
      lines.push(plain('✘ Not applied: the checks before it failed', { bold: true, color: 'red' }));
      break;
    default:
      lines.push(plain(`✘ ${r.status}`, { bold: true, color: 'red' }));
  }
  for (const l of flow.log) lines.push(...para(l, columns, { dim: true }, '  '));
  lines.push(plain(''));
  // the engine's own words, which already say whether files are back as they were
  lines.push(...para(r.message.split('\n').join(' '), columns, r.status === 'applied' ? {} : { color: 'red' }));
  if (v) lines.push(...para(`${v.ok ? '✔ checked' : '✘ check failed'}: ${v.summary}`, columns, { color: v.ok ? 'green' : 'red' }));
  if (r.pendingCommands.length > 0 && r.status === 'applied') {
    lines.push(plain(''));
    lines.push(plain(o.demo ? 'Listed, not run (demo):' : 'Not run; run them inside the system, in this order:', { bold: true }));
    r.pendingCommands.forEach((c, i) => lines.push(...para(`${i + 1}. ${shellJoin(c)}`, columns, { color: 'cyan' }, '  ')));
  }
  for (const d of r.drift) lines.push(...para(`${d.path} changed after vfio-wizard wrote it; it was not overwritten.`, columns, { color: 'yellow' }));
  if (r.status === 'applied') {
    if (r.needsReboot) lines.push(plain(''), ...para('Reboot for the change to take effect; vfio-wizard then opens at the check of this step.', columns, { bold: true }));
    if (o.escapeHatch) lines.push(plain(''), ...para(o.escapeHatch, columns));
    if (o.after && o.after.length > 0 && r.pendingCommands.length === 0) lines.push(plain(''), ...o.after.flatMap((l) => para(l, columns)));
  }
  if (r.restoreScript && undoableAfter(flow)) {
    lines.push(plain(''), ...para(`Undo: u here, \`vfio-wizard rollback --step ${flow.stepId}\`, or without Node: sh ${r.restoreScript}`, columns, { dim: true }));
  }
  return lines;
}
