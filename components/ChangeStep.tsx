// The screens every step that changes the system shares, by phase: the step's own decide screen,
// then the plan review, the live apply, and the result. A new step (isolation, the VM) brings
// its decide screen and reuses the rest.
import type { ReactNode } from 'react';
import type { WizardState } from '../src/wizard.js';
import type { StepFlow } from '../src/wizard-step.js';
import { cmdlineView } from '../src/wizard-cmdline.js';
import { ApplyProgress } from './ApplyProgress.js';
import { planReviewLines } from './PlanReview.js';
import { ScrollLines } from './ScrollLines.js';
import { stepResultLines } from './StepResult.js';

export interface ChangeStepProps {
  state: WizardState;
  flow: StepFlow;
  /** the step's own screen for the decide phase */
  decide: ReactNode;
  columns: number;
  height: number;
  onOverflow: (max: number) => void;
}

/** The way out of a boot that misbehaves, when the step has one (the kernel command line does). */
const escapeHatch = (flow: StepFlow): string | null => (flow.stepId === 'cmdline' && flow.outcome ? cmdlineView(flow.outcome).escapeHatch : null);

/** What to do next once the step worked: how to connect to the VM. */
const afterLines = (flow: StepFlow): string[] => {
  const hints = flow.outcome?.details.howToConnect;
  return flow.stepId === 'vm' && Array.isArray(hints) ? ['Connect with:', ...(hints as string[]).map((h) => `  ${h}`)] : [];
};

export function ChangeStep({ state, flow, decide, columns, height, onOverflow }: ChangeStepProps) {
  switch (flow.phase) {
    case 'decide':
      return <>{decide}</>;
    case 'review': {
      const plan = flow.outcome?.plan;
      if (!plan) return <>{decide}</>;
      const lines = planReviewLines(plan, columns, { canApply: state.canApply, rerunHint: state.rerunHint, demo: state.session.demo });
      return <ScrollLines lines={lines} height={height} scroll={flow.scroll} onOverflow={onOverflow} />;
    }
    case 'applying':
      return (
        <ApplyProgress
          title={`Applying: ${flow.outcome?.title ?? flow.stepId}`}
          log={flow.log}
          cancelStage={flow.cancelStage}
          columns={columns}
          height={height}
        />
      );
    case 'done':
    case 'failed':
      return (
        <ScrollLines
          lines={stepResultLines(flow, columns, { demo: state.session.demo, escapeHatch: escapeHatch(flow), after: afterLines(flow) })}
          height={height}
          scroll={flow.scroll}
          onOverflow={onOverflow}
        />
      );
  }
}
