// Effects reach the UI through this context, never through imports: components/ does not touch
// the file system or processes. runWizard (src/commands/wizard.ts) provides the real ones,
// tests provide scripted ones.
import { createContext, useContext, type ReactNode } from 'react';
import type { WizardSession } from '../src/wizard.js';

export interface WizardServices {
  /** materialise the bundled sample workstation and scan it; absent when already in the demo */
  loadDemo?: () => Promise<WizardSession>;
}

const ServicesContext = createContext<WizardServices>({});

export function ServicesProvider({ services, children }: { services: WizardServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export const useServices = (): WizardServices => useContext(ServicesContext);
