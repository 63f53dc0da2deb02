// The wizard as runWizard starts it: the change path's services (the engine) load only after the
// first frame, through lazySteps. Until they arrive the first screens work, the start state
// (may apply, re-run hint, resume after a reboot) is already right, and a change screen shown
// meanwhile says it is working and plans once they are there; a load that fails says why on
// the screen that needed it. Real services over fixture roots; nothing outside them is written.
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../components/App.js';
import { ServicesProvider } from '../../components/services.js';
import { applyPlan } from '../../src/apply/apply.js';
import { readStatus } from '../../src/apply/status.js';
import { createWizardServices } from '../../src/commands/wizard-services.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { systemRoot } from '../../src/host/root.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { cmdlineStep } from '../../src/steps/registry.js';
import type { WizardSession } from '../../src/wizard.js';
import type { LazyStepServices, StepServices } from '../../src/wizard-step.js';
import { keys as KEY, press, renderSized, waitForText, type SizedRender } from '../support/ink.js';
import { cleanupScenarios, fixtureRoot, scan } from './change-harness.js';

afterEach(cleanupScenarios);

interface Lazy {
  screen: SizedRender;
  /** how many frames had been written when load() was called (null: not called yet) */
  framesAtLoad: () => number | null;
  /** once load() has been called: let it resolve with the real services, or reject */
  release(): Promise<void>;
  fail(err: Error): Promise<void>;
}

function startLazy(dir: string, o: { uid?: number; afterReboot?: boolean } = {}): Lazy {
  const real = createWizardServices({ rootDir: dir, commands: 'skip', rerunHint: 'sudo vfio-wizard --root X', uid: o.uid ?? 0 });
  // under a temp root no reboot can be seen: present the journal as it reads after one (as change-path does)
  const status: typeof real.status = (s) => {
    const st = real.status(s);
    if (o.afterReboot) for (const r of st.runs) for (const x of r.steps) Object.assign(x, { rebootPending: false, pendingCommands: [] });
    return st;
  };
  let settle: { resolve: (s: StepServices<WizardSession>) => void; reject: (e: Error) => void } | null = null;
  let framesAtLoad: number | null = null;
  let screen: SizedRender | null = null;
  const lazySteps: LazyStepServices<WizardSession> = {
    isRoot: (o.uid ?? 0) === 0,
    rerunHint: 'sudo vfio-wizard --root X',
    status,
    load: () => {
      framesAtLoad = screen?.frames.length ?? 0;
      return new Promise((resolve, reject) => {
        settle = { resolve, reject };
      });
    },
  };
  screen = renderSized(
    <ServicesProvider services={{ lazySteps, commandFeed: real.commandFeed }}>
      <App session={scan(dir)} onExit={() => {}} />
    </ServicesProvider>,
  );
  const s = screen;
  const called = async () => {
    for (let i = 0; i < 200 && settle === null; i++) await new Promise((r) => setTimeout(r, 5));
    if (settle === null) throw new Error('load() was never called');
    return settle;
  };
  return {
    screen: s,
    framesAtLoad: () => framesAtLoad,
    release: async () => (await called()).resolve({ ...real, status }),
    fail: async (err) => (await called()).reject(err),
  };
}

/** welcome → readiness → the kernel command line screen */
async function toCmdline(screen: SizedRender): Promise<string> {
  await waitForText(screen, 'Welcome to vfio-wizard');
  await press(screen, KEY.enter);
  return press(screen, 'n');
}

describe('the change path loaded after the first frame (lazySteps)', () => {
  it('loads only once a frame is on the screen; a change screen shown before it arrives says it is working, then plans', async () => {
    const dir = fixtureRoot(SAMPLE_WORKSTATION);
    const l = startLazy(dir);
    try {
      let f = await toCmdline(l.screen);
      // load() was asked for after the first frame
      expect(l.framesAtLoad()).toBeGreaterThan(0);
      expect(f).toContain('3/7 Kernel command line');
      expect(f).toContain('Working out what this host needs…');
      expect(f).not.toContain('intel_iommu=on');
      await l.release();
      f = await waitForText(l.screen, 'Adds: intel_iommu=on.');
      expect(f).toMatch(/› \[x\] intel_iommu=on/);
      // and the plan goes on to the review as with services given at once
      f = await press(l.screen, KEY.enter);
      expect(f).toContain('Files (1):');
    } finally {
      l.screen.unmount();
    }
  });

  it('without root: "how to apply" with the re-run hint from the start, before the engine is there', async () => {
    const dir = fixtureRoot(SAMPLE_WORKSTATION);
    const l = startLazy(dir, { uid: 1000 });
    try {
      await toCmdline(l.screen);
      await l.release();
      await waitForText(l.screen, 'Adds: intel_iommu=on.');
      const f = await press(l.screen, KEY.enter);
      expect(f.replace(/\n/g, ' ')).toContain('Applying needs root; nothing will be changed from here. Re-run: sudo vfio-wizard --root X');
    } finally {
      l.screen.unmount();
    }
  });

  it('a wizard resumed after a reboot opens at the check from the journal at once, and checks once the engine is there', async () => {
    const dir = fixtureRoot({ ...SAMPLE_WORKSTATION, cmdline: `${SAMPLE_WORKSTATION.cmdline ?? ''} intel_iommu=on`, iommuUnits: ['dmar0'], devices: SAMPLE_WORKSTATION.devices.map((d, i) => ({ ...d, iommuGroup: i })) });
    const root = systemRoot(dir);
    const outcome = cmdlineStep.plan(scan(dir).facts, root, { params: ['intel_iommu=on'], noParams: [], replaceConflicts: false });
    expect((await applyPlan(outcome.plan!, { root, runner: createRecordingRunner(), commands: 'skip', uid: 0 })).status).toBe('applied');
    const l = startLazy(dir, { afterReboot: true });
    try {
      let f = await waitForText(l.screen, 'After the reboot');
      expect(f).not.toContain('Recorded in the journal');
      await l.release();
      f = await waitForText(l.screen, 'Recorded in the journal as passed.');
      expect(readStatus(root).runs[0]?.steps[0]?.verification).toBe('passed');
    } finally {
      l.screen.unmount();
    }
  });

  it('a load that fails says so on the screen that needed it, and nothing is changed', async () => {
    const dir = fixtureRoot(SAMPLE_WORKSTATION);
    const l = startLazy(dir);
    try {
      await toCmdline(l.screen);
      await l.fail(new Error('Cannot find module dist/chunks/wizard-services-X.js'));
      const f = await waitForText(l.screen, 'could not be planned');
      expect(f.replace(/\n/g, ' ')).toContain(
        "The step could not be planned: the wizard's change path could not be loaded (Cannot find module dist/chunks/wizard-services-X.js). Reinstall vfio-wizard. Nothing was changed.",
      );
      expect(readStatus(systemRoot(dir)).runs).toEqual([]);
    } finally {
      l.screen.unmount();
    }
  });
});
