// The isolation step's own part of the wizard state: the cards chosen in the device browser, the
// guards the user insisted on overriding (each one confirmed separately), and how to bind. The
// decision itself (expanded selection, groups, blockers, softdeps) comes from the step's plan;
// this turns the choices into StepOptions and reads the plan's details back as typed rows.
import { slotOf } from './iommu-view.js';
import type { BindBy } from './isolate/plan-isolate.js';
import type { Blocker, IdenticalId, Warning } from './isolate/selection.js';
import type { StepOptions, StepOutcome } from './steps/registry.js';

export interface IsolateChoiceState {
  /** row under the cursor: one per blocker, then the bind-by row */
  cursor: number;
  /** override flags the user confirmed (--allow-boot-gpu …), for the current selection only */
  overrides: string[];
  bindBy: BindBy;
}

export const initIsolateChoices = (): IsolateChoiceState => ({ cursor: 0, overrides: [], bindBy: 'auto' });

const BIND_BY: BindBy[] = ['auto', 'id', 'address'];
export const nextBindBy = (b: BindBy): BindBy => BIND_BY[(BIND_BY.indexOf(b) + 1) % BIND_BY.length]!;

/**
 * Space on a device in the browser: its card joins the selection, or leaves it when any of its
 * functions is already in (the step expands a function to every endpoint of its card anyway).
 */
export function toggleCard(selection: readonly string[], address: string): string[] {
  const slot = slotOf(address);
  const inCard = selection.filter((a) => slotOf(a) === slot);
  return inCard.length > 0 ? selection.filter((a) => slotOf(a) !== slot) : [...selection, address];
}

export const isSelectedCard = (selection: readonly string[], address: string): boolean => selection.some((a) => slotOf(a) === slotOf(address));

/** The choices as the step's options (what --device, the --allow-… flags and --bind-by say on the CLI); null: nothing chosen yet. */
export function isolateOptions(selection: readonly string[], c: IsolateChoiceState): StepOptions | null {
  if (selection.length === 0) return null;
  return { params: [], noParams: [], replaceConflicts: false, devices: [selection.join(',')], overrides: c.overrides, bindBy: c.bindBy, blacklist: [] };
}

export interface IsolateView {
  devices: string[];
  blockers: Blocker[];
  warnings: Warning[];
  identicalIds: IdenticalId[];
  /** group viability, as sentences */
  groups: string[];
  bindBy: 'id' | 'address' | null;
  ids: string[];
  softdeps: string[];
  vfioPciIdsForCmdline: string[] | null;
  notes: string[];
  reason: string | null;
}

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export function isolateView(outcome: StepOutcome): IsolateView {
  const d = outcome.details;
  return {
    devices: arr<string>(d.devices),
    blockers: arr<Blocker>(d.blockers),
    warnings: arr<Warning>(d.warnings),
    identicalIds: arr<IdenticalId>(d.identicalIds),
    groups: arr<{ explanation: string[] }>(d.groups).flatMap((g) => g.explanation),
    bindBy: d.bindBy === 'id' || d.bindBy === 'address' ? d.bindBy : null,
    ids: arr<string>(d.ids),
    softdeps: arr<{ module: string }>(d.softdeps).map((s) => s.module),
    vfioPciIdsForCmdline: Array.isArray(d.vfioPciIdsForCmdline) ? (d.vfioPciIdsForCmdline as string[]) : null,
    notes: arr<string>(d.conflicts),
    reason: typeof d.reason === 'string' ? d.reason : null,
  };
}

/** Rows the cursor walks on the isolation screen: each blocker, then the bind-by row. */
export const isolateRowCount = (v: IsolateView | null): number => (v ? v.blockers.length + 1 : 0);
