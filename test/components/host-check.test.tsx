// libvirt's own host check in the wizard: on the running system with virt-host-validate installed
// (this machine: the tests install libvirt-clients), the readiness screen runs the real
// `virt-host-validate qemu` when it is first shown, its lines stream into the output pane, and its
// result replaces the "not run" row; r runs it again. Read-only: it only inspects this machine.
// On a fixture root (not the running kernel) it never runs.
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../components/App.js';
import { ServicesProvider } from '../../components/services.js';
import { createWizardServices } from '../../src/commands/wizard-services.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { renderSized, keys as KEY, press, waitForText, waitForFrame } from '../support/ink.js';
import { cleanupScenarios, scan, startScenario } from './change-harness.js';

afterEach(cleanupScenarios);

describe('virt-host-validate on the readiness screen', () => {
  it('runs on the live system when the screen is first shown, streams its output, and its result replaces "not run"; r runs it again', async () => {
    const session = { ...scan('/'), hostValidate: true };
    expect(session.facts.virt.virtHostValidate).not.toBeNull(); // the prerequisite, not a skip
    const before = session.checks.find((c) => c.id === 'virt-host-validate')!;
    expect(before.summary).toMatch(/not run/);
    const services = createWizardServices({ rootDir: '/', commands: 'skip', rerunHint: 'sudo vfio-wizard', uid: 0 });
    const screen = renderSized(
      <ServicesProvider services={{ steps: services, commandFeed: services.commandFeed }}>
        <App session={session} onExit={() => undefined} />
      </ServicesProvider>,
      { columns: 100, rows: 40 },
    );
    try {
      await waitForText(screen, 'Welcome to vfio-wizard');
      await press(screen, KEY.enter);
      let f = await waitForText(screen, "libvirt's host check ran", 60_000);
      // the command ran through the output pane (its summary line stays once it is done)
      expect(f).toMatch(/[✔✘] virt-host-validate.* · \d+ ms/);
      expect(f).toContain('r libvirt check again');
      const row = f.split('\n').find((l) => /virt-host-validate —/.test(l)) ?? '';
      expect(row).not.toMatch(/not run/);
      expect(row).toMatch(/of \d+ QEMU checks passed/);
      f = await press(screen, 'r');
      f = await waitForFrame(screen, (x) => /Running libvirt's host check|libvirt's host check ran/.test(x));
      await waitForText(screen, "libvirt's host check ran", 60_000);
    } finally {
      screen.unmount();
    }
  }, 150_000);

  it('a fixture root never runs it (the row says why), and r does nothing', async () => {
    const s = startScenario(SAMPLE_WORKSTATION, { columns: 100, rows: 40 });
    expect(s.session.hostValidate).toBeFalsy();
    await waitForText(s.screen, 'Welcome to vfio-wizard');
    await press(s.screen, KEY.enter);
    const f = await waitForText(s.screen, 'checks:');
    expect(f).not.toContain("libvirt's host check");
    expect(f).not.toContain('r libvirt check again');
  });
});
