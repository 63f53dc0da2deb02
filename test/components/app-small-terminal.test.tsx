// The output pane through a terminal that is too small for a while: the App shows only a
// "too small" line then, but the pane stays mounted — subscribed to the command feed the whole
// time — so a command that started before the shrink keeps its header and lines (a remounted
// pane would have missed its start and dropped every line after it).
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../components/App.js';
import { ServicesProvider } from '../../components/services.js';
import { createWizardServices } from '../../src/commands/wizard-services.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { createEventHub, type CommandEvent } from '../../src/run/events.js';
import { renderSized, waitForFrame, waitForText } from '../support/ink.js';
import { cleanupScenarios, fixtureRoot, scan } from './change-harness.js';

afterEach(cleanupScenarios);

describe('App in a terminal that is too small for a while', () => {
  it('keeps the output pane mounted (subscribed to the command feed) while it shows only "too small"', async () => {
    const dir = fixtureRoot(SAMPLE_WORKSTATION);
    const hub = createEventHub<CommandEvent>();
    const calls = { subscribe: 0, unsubscribe: 0 };
    const feed = {
      subscribe(listener: (e: CommandEvent) => void) {
        calls.subscribe += 1;
        const off = hub.subscribe(listener);
        return () => {
          calls.unsubscribe += 1;
          off();
        };
      },
    };
    const steps = createWizardServices({ rootDir: dir, commands: 'skip', rerunHint: 'sudo vfio-wizard', uid: 0 });
    const screen = renderSized(
      <ServicesProvider services={{ steps, commandFeed: feed }}>
        <App session={scan(dir)} onExit={() => undefined} />
      </ServicesProvider>,
      { columns: 80, rows: 24 },
    );
    try {
      await waitForText(screen, 'Welcome to vfio-wizard');
      expect(calls).toEqual({ subscribe: 1, unsubscribe: 0 });
      screen.resize(30, 10);
      await waitForText(screen, 'Terminal too small');
      screen.resize(80, 24);
      await waitForFrame(screen, (x) => x.includes('Welcome to vfio-wizard') && !x.includes('Terminal too small'));
      expect(calls).toEqual({ subscribe: 1, unsubscribe: 0 });
    } finally {
      screen.unmount();
    }
  });
});
