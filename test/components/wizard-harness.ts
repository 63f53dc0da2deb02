// Wizard sessions for component tests, built from the real checks over test facts, and the
// layout assertion every screen must pass. Rendering and keys come from test/support/ink.ts.
import { runChecks } from '../../src/checks/index.js';
import type { HostFacts } from '../../src/host/types.js';
import type { WizardSession } from '../../src/wizard.js';
import { makeFacts, type DeepPartial } from '../support/facts.js';
import { frameLines, lineWidth } from '../support/ink.js';

export function session(over: DeepPartial<HostFacts> = {}, demo = false): WizardSession {
  const facts = makeFacts(over);
  return { facts, checks: runChecks(facts), demo };
}

/** A host that cannot do passthrough: no VT-x and no DMAR table. */
export const notReadyFacts: DeepPartial<HostFacts> = {
  cpu: { virtualization: false, flag: null, kvmDevice: false },
  iommu: { firmware: false, firmwareTables: [], enabled: false, units: [], groupCount: 0 },
};

/** Every line fits the width and the frame is shorter than the terminal. */
export function assertFits(frame: string, columns: number, rows: number): void {
  const lines = frameLines(frame);
  const wide = lines.filter((l) => lineWidth(l) > columns);
  if (wide.length > 0) throw new Error(`lines wider than ${columns}:\n${wide.join('\n')}`);
  if (lines.length >= rows) throw new Error(`frame has ${lines.length} lines, terminal has ${rows}:\n${frame}`);
}
