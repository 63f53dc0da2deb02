// The not-ready branch: the host lacks something no later step can fix (CPU virtualisation, an
// IOMMU in the firmware). Say what and how to fix it, and offer the demo instead.
import type { WizardState } from '../src/wizard.js';
import { STATUS_SYMBOL } from './Readiness.js';
import { demoStatusLines } from './Welcome.js';
import { capLines } from './text-layout.js';
import { Lines, plain, wrapped, type Line } from './Lines.js';

export function notReadyLines(state: WizardState, columns: number, height: number): Line[] {
  const lines: Line[] = [...wrapped('This machine cannot do PCI passthrough yet:', columns, { bold: true })];
  for (const c of state.blocking) {
    lines.push(...wrapped(`${STATUS_SYMBOL[c.status]} ${c.title}: ${c.summary}`, columns, { color: 'red' }, '  '));
    if (c.remedy) lines.push(...wrapped(`Fix: ${c.remedy}`, columns, { color: 'cyan' }, '     '));
  }
  lines.push(plain(''));
  lines.push(...wrapped('Nothing was changed. After fixing this in the firmware setup, run vfio-wizard again.', columns, { dim: true }));
  lines.push(plain(''));
  if (state.demoAvailable) {
    lines.push(...wrapped('Press d to walk the whole wizard on a bundled sample workstation (commands are listed, never run).', columns));
  } else if (!state.session.demo) {
    lines.push(...wrapped('Run vfio-wizard --demo to walk the whole wizard on a bundled sample workstation.', columns));
  }
  lines.push(...wrapped("Press v to browse this machine's devices anyway, b to go back to the checklist.", columns));
  lines.push(...demoStatusLines(state, columns));
  return capLines(lines, height, (n) => plain(`… ${n} more lines (a taller terminal shows them)`, { dim: true }));
}

export function NotReady({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  return <Lines lines={notReadyLines(state, columns, height)} />;
}
