// The wizard's change path over a real fixture root: a RootSpec materialised into a temp dir,
// scanned with the real scanner and checks, and the real services (plan, apply, rollback,
// status) bound to that root. Commands go through a recording runner (or are only listed), so
// nothing runs on this machine and nothing outside the temp dir is written.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from '../../components/App.js';
import { ServicesProvider } from '../../components/services.js';
import { runChecks } from '../../src/checks/index.js';
import { createWizardServices, type WizardServiceConfig } from '../../src/commands/wizard-services.js';
import type { RootSpec } from '../../src/demo/root-spec.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import { readShareFacts } from '../../src/share/share-facts.js';
import type { WizardSession } from '../../src/wizard.js';
import { renderSized, type SizedRender } from '../support/ink.js';

export interface ChangeScenario {
  dir: string;
  session: WizardSession;
  screen: SizedRender;
  exits: number[];
  services: ReturnType<typeof createWizardServices>;
}

const cleanups: (() => void)[] = [];
export function cleanupScenarios(): void {
  for (const c of cleanups.splice(0).reverse()) c();
}

export function fixtureRoot(spec: RootSpec): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-change-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  materializeRoot(spec, dir);
  return dir;
}

export function scan(dir: string, demo = false): WizardSession {
  const root = systemRoot(dir);
  const facts = scanHost(root);
  return { facts, checks: runChecks(facts), demo, rootDir: dir, share: readShareFacts(root, facts) };
}

export function startScenario(
  spec: RootSpec | string,
  o: { demo?: boolean; columns?: number; rows?: number } & Partial<WizardServiceConfig> = {},
): ChangeScenario {
  const dir = typeof spec === 'string' ? spec : fixtureRoot(spec);
  const session = scan(dir, o.demo ?? false);
  const services = createWizardServices({ rootDir: dir, commands: o.commands ?? 'skip', rerunHint: o.rerunHint ?? 'sudo vfio-wizard', uid: o.uid ?? 0, ...(o.runner ? { runner: o.runner } : {}), ...(o.vmConnect ? { vmConnect: o.vmConnect } : {}) });
  const exits: number[] = [];
  const screen = renderSized(
    <ServicesProvider services={{ steps: services, commandFeed: services.commandFeed }}>
      <App session={session} onExit={(c) => exits.push(c)} />
    </ServicesProvider>,
    { columns: o.columns ?? 80, rows: o.rows ?? 24 },
  );
  cleanups.push(() => screen.unmount());
  return { dir, session, screen, exits, services };
}
