import { fileDiff } from './diff.js';
import { orderChanges } from './order.js';
import { shellJoin } from './shell-quote.js';
import type { Change, Plan } from './types.js';

/** Commands in the order apply runs them, each as the exact argv. */
export function planCommands(plan: Plan): string[][] {
  return orderChanges(plan.changes).flatMap((c) => (c.kind === 'command' ? [c.argv] : []));
}

/** The plain-text review of a plan: every file's diff, every command's argv in order, the reboot note. */
export function renderPlanText(plan: Plan): string {
  const ordered = orderChanges(plan.changes);
  const out: string[] = [`Step: ${plan.title} (${plan.stepId})`];
  const files = ordered.filter((c): c is Extract<Change, { kind: 'file' }> => c.kind === 'file');
  const sysfs = ordered.filter((c): c is Extract<Change, { kind: 'sysfs' }> => c.kind === 'sysfs');
  const commands = ordered.filter((c): c is Extract<Change, { kind: 'command' }> => c.kind === 'command');
  if (ordered.length === 0) out.push('', 'Nothing to change.');
  if (files.length > 0) {
    out.push('', `Files (${files.length}):`);
    for (const f of files) {
      const mode = f.mode !== undefined ? `, mode ${f.mode.toString(8).padStart(4, '0')}` : '';
      const owner = f.uid !== undefined || f.gid !== undefined ? `, owner ${f.uid ?? '-'}:${f.gid ?? '-'}` : '';
      out.push('', `${f.action} ${f.path}${mode}${owner} — ${f.why}`, fileDiff(f).trimEnd());
    }
  }
  if (sysfs.length > 0) {
    out.push('', 'Live settings (sysfs):');
    for (const s of sysfs) {
      out.push(`  write ${JSON.stringify(s.value)} to ${s.path} (now ${s.previous === null ? 'unknown' : JSON.stringify(s.previous)}) — ${s.why}`);
    }
  }
  if (commands.length > 0) {
    out.push('', 'Commands, in the order they will run (as root):');
    commands.forEach((c, i) => {
      out.push(`  ${i + 1}. ${shellJoin(c.argv)}`, `     ${c.why}`);
      if (c.undo) out.push(`     undone by: ${shellJoin(c.undo.argv)}`);
      else if (c.regenerates) out.push(`     re-run on rollback to regenerate the ${c.regenerates === 'bootloader' ? 'boot loader configuration' : 'initramfs'}`);
    });
  }
  for (const n of plan.notes) out.push('', `Note: ${n}`);
  out.push('', plan.needsReboot ? 'A reboot is needed for this step to take effect.' : 'No reboot is needed for this step.');
  return `${out.join('\n')}\n`;
}

export const PLAN_JSON_SCHEMA = 'vfio-wizard.plan/1';

/** The JSON form of a plan (docs/journal.md documents it): changes in apply order, diffs included. */
export function planToJson(plan: Plan) {
  return {
    schema: PLAN_JSON_SCHEMA,
    stepId: plan.stepId,
    title: plan.title,
    needsReboot: plan.needsReboot,
    notes: plan.notes,
    changes: orderChanges(plan.changes).map((c) => (c.kind === 'file' ? { ...c, diff: fileDiff(c) } : c)),
    commands: planCommands(plan),
  };
}
