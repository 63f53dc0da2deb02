// Effects reach the UI through this context, never through imports: components/ does not touch
// the file system or processes. runWizard (src/commands/wizard.ts) provides the real ones,
// tests provide scripted ones or the real ones over a temporary root.
import { createContext, useContext, type ReactNode } from 'react';
import type { WizardSession } from '../src/wizard.js';
import type { StepServices } from '../src/wizard-step.js';
import type { CommandFeed } from './hooks/useCommandOutput.js';

export interface WizardServices {
  /** materialise the bundled sample workstation and scan it; absent when already in the demo */
  loadDemo?: () => Promise<WizardSession>;
  /**
   * plan, apply, undo, journal status and the after-reboot check (src/commands/wizard-services.ts).
   * Absent: the wizard only reads (the change screens say so).
   */
  steps?: StepServices<WizardSession>;
  /** command events of the steps' commands, for the output pane */
  commandFeed?: CommandFeed;
}

const ServicesContext = createContext<WizardServices>({});

export function ServicesProvider({ services, children }: { services: WizardServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export const useServices = (): WizardServices => useContext(ServicesContext);
