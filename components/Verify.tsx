// Where the wizard opens after a reboot a step asked for: the step is checked on the running
// system again (for the kernel command line: /proc/cmdline and the IOMMU state) and the outcome
// is recorded in its journal.
import type { WizardState } from '../src/wizard.js';
import { Lines, plain, type Line } from './Lines.js';
import { para } from './diff-lines.js';
import { capLines } from './text-layout.js';

export function verifyLines(state: WizardState, columns: number): Line[] {
  const v = state.verify;
  if (!v) return [];
  const lines: Line[] = [...para(`"${v.title}" was applied (run ${v.runId}) and the machine has rebooted since. Checking it now:`, columns), plain('')];
  if (v.phase === 'checking') return [...lines, plain('Checking…', { dim: true })];
  if (v.check) {
    for (const l of v.check.lines) lines.push(...para(l, columns, {}, '  '));
    lines.push(plain(''));
    lines.push(...para(`${v.check.ok ? '✔' : '✘'} ${v.check.summary}`, columns, { bold: true, color: v.check.ok ? 'green' : 'red' }));
    if (v.recorded) lines.push(plain(`Recorded in the journal as ${v.check.ok ? 'passed' : 'failed'}.`, { dim: true }));
    if (!v.check.ok) lines.push(...para('r checks again; u undoes this step (asks first).', columns));
  }
  if (v.error) lines.push(...para(v.error, columns, { color: 'red' }));
  lines.push(plain(''), plain('Enter continues with the wizard.', { bold: true }));
  return lines;
}

export function Verify({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  return <Lines lines={capLines(verifyLines(state, columns), height, (n) => plain(`… ${n} more lines`, { dim: true }))} />;
}
