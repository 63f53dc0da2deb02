// The kernel command line step's own part of the wizard state: which parameters the user keeps
// or adds, consent to replace conflicting tokens, and a boot loader override. The decision
// itself (reasons, warnings, conflicts) comes from the step's plan; this turns the user's
// choices into StepOptions and reads the plan's details back as typed rows for the screen.
import type { BootloaderId } from './host/types.js';
import { LOADER_IDS } from './steps/loader-ids.js';
import type { ParamDecision, ParamRemoval } from './steps/cmdline-params.js';
import type { StepOptions, StepOutcome } from './steps/registry.js';

export interface CmdlineChoiceState {
  /** row under the cursor: parameters first, then the consent row when there are conflicts */
  cursor: number;
  /** token → selected, where the user changed the step's default */
  toggles: Record<string, boolean>;
  /** consent to replace or remove the conflicting tokens */
  consent: boolean;
  /** boot loader override; null: what detection found */
  loader: BootloaderId | null;
}

export const initCmdlineChoices = (): CmdlineChoiceState => ({ cursor: 0, toggles: {}, consent: false, loader: null });

/** The step's decision, read from its details (the same data `plan --json` prints). */
export interface CmdlineView {
  loader: BootloaderId;
  params: ParamDecision[];
  conflicts: ParamRemoval[];
  notes: string[];
  /** tokens the plan adds and removes (plan) or that must be added by hand (manual) */
  tokens: string[];
  replaced: string[];
  escapeHatch: string | null;
  reason: string | null;
  instructions: string[];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function cmdlineView(outcome: StepOutcome): CmdlineView {
  const d = outcome.details;
  return {
    loader: (typeof d.loader === 'string' ? d.loader : 'unknown') as BootloaderId,
    params: Array.isArray(d.params) ? (d.params as ParamDecision[]) : [],
    conflicts: Array.isArray(d.conflicts) ? (d.conflicts as ParamRemoval[]) : [],
    notes: strings(d.notes),
    tokens: strings(d.tokens),
    replaced: strings(d.replaced),
    escapeHatch: typeof d.escapeHatch === 'string' ? d.escapeHatch : null,
    reason: typeof d.reason === 'string' ? d.reason : null,
    instructions: strings(d.instructions),
  };
}

/** Whether a parameter is selected after the user's toggles. */
export const isSelected = (c: CmdlineChoiceState, p: ParamDecision): boolean => c.toggles[p.token] ?? p.selected;

const nameOf = (token: string): string => token.split('=')[0]!;

/** The user's choices as the step's options (what `--param`, `--no-param`, `--loader`, `--replace-conflicts` say on the CLI). */
export function cmdlineOptions(c: CmdlineChoiceState, params: readonly ParamDecision[]): StepOptions {
  const add: string[] = [];
  const skip: string[] = [];
  for (const p of params) {
    const chosen = c.toggles[p.token];
    if (chosen === undefined || chosen === p.selected) continue;
    if (chosen) add.push(p.token);
    else skip.push(nameOf(p.token));
  }
  return { params: add, noParams: skip, ...(c.loader ? { loader: c.loader } : {}), replaceConflicts: c.consent };
}

/** Rows the cursor walks: one per parameter, plus the consent row when something conflicts. */
export const cmdlineRowCount = (v: CmdlineView | null): number => (v ? v.params.length + (v.conflicts.length > 0 ? 1 : 0) : 0);

/** The next loader override in the cycle: detection, then every id the step knows (skipping the detected one). */
export function nextLoader(current: BootloaderId | null, detected: BootloaderId): BootloaderId | null {
  const cycle: (BootloaderId | null)[] = [null, ...LOADER_IDS.filter((id) => id !== detected)];
  const i = cycle.indexOf(current);
  return cycle[(i + 1) % cycle.length] ?? null;
}
