// Effects reach the UI through this context, never through imports: components/ does not touch
// the file system or processes. runWizard (src/commands/wizard.ts) provides the real ones,
// tests provide scripted ones or the real ones over a temporary root.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { WizardSession } from '../src/wizard.js';
import type { LazyStepServices, StepServices } from '../src/wizard-step.js';
import type { CommandFeed } from './hooks/useCommandOutput.js';
import { useAfterFirstFrame } from './hooks/useAfterFirstFrame.js';

export interface WizardServices {
  /** materialise the bundled sample workstation and scan it; absent when already in the demo */
  loadDemo?: () => Promise<WizardSession>;
  /**
   * plan, apply, undo, journal status and the after-reboot check (src/commands/wizard-services.ts).
   * Absent (and no lazySteps): the wizard only reads (the change screens say so).
   */
  steps?: StepServices<WizardSession>;
  /**
   * The same services, loaded once the first frame is on the screen (runWizard gives these). Until
   * they arrive `steps` is absent, and a change screen shown meanwhile says it is working out its
   * plan; it plans as soon as they are there. A load that fails answers every request with why.
   */
  lazySteps?: LazyStepServices<WizardSession>;
  /** command events of the steps' commands, for the output pane */
  commandFeed?: CommandFeed;
}

const ServicesContext = createContext<WizardServices>({});

/** Services whose every request fails with the reason the real ones could not be loaded. */
export function unavailableSteps(lazy: LazyStepServices<WizardSession>, err: unknown): StepServices<WizardSession> {
  // the screens add "Nothing was changed."
  const why = `the wizard's change path could not be loaded (${err instanceof Error ? err.message : String(err)}). Reinstall vfio-wizard`;
  const fail = (): never => {
    throw new Error(why);
  };
  const reject = () => Promise.reject(new Error(why));
  return {
    isRoot: lazy.isRoot,
    rerunHint: lazy.rerunHint,
    status: lazy.status,
    planStep: fail,
    applyStep: reject,
    rollbackStep: reject,
    verifyResume: reject,
    markVerification: fail,
    vmDefaults: fail,
    vmExport: fail,
    hostValidate: reject,
  };
}

export function ServicesProvider({ services, children }: { services: WizardServices; children: ReactNode }) {
  const lazy = services.steps ? undefined : services.lazySteps;
  const [loaded, setLoaded] = useState<StepServices<WizardSession> | undefined>(undefined);
  const load = useMemo(() => (lazy ? () => lazy.load() : undefined), [lazy]);
  const failed = useCallback(
    (err: unknown) => {
      if (lazy) setLoaded(unavailableSteps(lazy, err));
    },
    [lazy],
  );
  useAfterFirstFrame(load, setLoaded, failed);
  const value = useMemo(() => (loaded ? { ...services, steps: loaded } : services), [services, loaded]);
  return <ServicesContext.Provider value={value}>{children}</ServicesContext.Provider>;
}

export const useServices = (): WizardServices => useContext(ServicesContext);
