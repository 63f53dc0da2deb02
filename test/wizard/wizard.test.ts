import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  initWizard,
  keyToEvent,
  wizardReducer,
  STEPS,
  type KeyPress,
  type WizardEvent,
  type WizardSession,
  type WizardState,
} from '../../src/wizard.js';
import { check, hostWith, pci } from './builders.js';

const devices = [
  pci('00:01.0', '060400', { iommuGroup: 1 }),
  pci('01:00.0', '030000', { iommuGroup: 1, bootVga: true }),
  pci('01:00.1', '040300', { iommuGroup: 1 }),
  pci('02:00.0', '020000', { iommuGroup: 2 }),
  pci('03:00.0', '030200', { iommuGroup: 3 }),
  pci('04:00.0', '0c0330', { iommuGroup: 4 }),
];
const readyChecks = [check('cpu-virtualization', 'pass'), check('iommu-firmware', 'pass'), check('iommu-kernel', 'fail'), check('uefi', 'warn')];
const session = (over: Partial<WizardSession> = {}): WizardSession => ({
  facts: hostWith(devices),
  checks: readyChecks,
  demo: false,
  ...over,
});

const k = (input: string, flags: Omit<KeyPress, 'input'> = {}): WizardEvent => ({ type: 'key', key: { input, ...flags } });
const DOWN = k('', { downArrow: true });
const UP = k('', { upArrow: true });
const ENTER = k('\r', { return: true });
const ESC = k('', { escape: true });
const CTRL_C = k('c', { ctrl: true });
const run = (s: WizardState, ...events: WizardEvent[]): WizardState => events.reduce(wizardReducer, s);

describe('wizard steps', () => {
  // The kernel command line step sits between readiness and devices; isolation and the VM follow
  // the devices, and the summary closes the list.
  it('walks welcome → readiness → cmdline → devices → isolate → vm → summary and back', () => {
    let s = initWizard(session());
    expect(s.screen).toBe('welcome');
    s = run(s, ENTER);
    expect(s.screen).toBe('readiness');
    s = run(s, k('n'));
    expect(s.screen).toBe('cmdline');
    s = run(s, k('n'));
    expect(s.screen).toBe('devices');
    s = run(s, k('n'));
    expect(s.screen).toBe('isolate');
    s = run(s, k('n'));
    expect(s.screen).toBe('vm');
    s = run(s, k('n'));
    expect(s.screen).toBe('summary');
    s = run(s, k('n'));
    expect(s.screen).toBe('summary'); // last step: next does nothing
    s = run(s, k('b'), k('b'), k('b'), k('b'), k('b'), ESC);
    expect(s.screen).toBe('welcome');
    expect(STEPS).toEqual(['welcome', 'readiness', 'cmdline', 'devices', 'isolate', 'vm', 'summary']);
  });

  it('a failing IOMMU-kernel check does not block: the next step fixes the command line', () => {
    const s = run(initWizard(session()), ENTER, k('n'));
    expect(s.blocking).toEqual([]);
    expect(s.screen).toBe('cmdline');
  });

  it('sends a host without CPU virtualization to the not-ready branch, which offers the demo', () => {
    const checks = [check('cpu-virtualization', 'fail'), check('iommu-firmware', 'fail'), check('uefi', 'pass')];
    let s = initWizard(session({ checks }), { demoAvailable: true });
    expect(s.blocking.map((c) => c.id)).toEqual(['cpu-virtualization', 'iommu-firmware']);
    s = run(s, ENTER, k('n'));
    expect(s.screen).toBe('notReady');
    s = run(s, k('v'));
    expect(s.screen).toBe('devices');
    s = run(s, k('b'), k('b'));
    expect(s.screen).toBe('readiness');
    expect(run(s, k('d')).demo).toEqual({ state: 'idle' }); // d means nothing on the checklist
    s = run(s, k('n'), k('d'));
    expect(s.demo).toEqual({ state: 'loading' });
    const demo = session({ demo: true, checks: readyChecks });
    s = run(s, { type: 'demoLoaded', session: demo });
    expect(s.screen).toBe('welcome');
    expect(s.session.demo).toBe(true);
    expect(s.demoAvailable).toBe(false);
    expect(run(s, k('d')).demo).toEqual({ state: 'idle' });
  });

  it('ignores d when no demo loader was given', () => {
    const s = initWizard(session({ checks: [check('cpu-virtualization', 'fail')] }));
    expect(run(s, k('d')).demo).toEqual({ state: 'idle' });
  });

  it('records a failed demo load', () => {
    const s = run(initWizard(session(), { demoAvailable: true }), k('d'), { type: 'demoFailed', message: 'disk full' });
    expect(s.demo).toEqual({ state: 'failed', message: 'disk full' });
  });
});

describe('readiness', () => {
  it('moves within the list, expands with Enter or →, and details follow the cursor', () => {
    let s = run(initWizard(session()), ENTER, UP);
    expect(s.readiness.cursor).toBe(0);
    s = run(s, DOWN, DOWN, ENTER);
    expect(s.readiness).toMatchObject({ cursor: 2, expanded: 'iommu-kernel' });
    s = run(s, DOWN);
    expect(s.readiness).toMatchObject({ cursor: 3, expanded: 'uefi' });
    s = run(s, DOWN, DOWN);
    expect(s.readiness.cursor).toBe(3);
    s = run(s, k('', { leftArrow: true }));
    expect(s.readiness.expanded).toBeNull();
    expect(s.screen).toBe('readiness');
    s = run(s, k('', { rightArrow: true }));
    expect(s.readiness.expanded).toBe('uefi');
    s = run(s, ENTER);
    expect(s.readiness.expanded).toBeNull();
    s = run(s, k('', { home: true }));
    expect(s.readiness.cursor).toBe(0);
  });

  it('scrolls open details with PgUp/PgDn within the overflow the screen reported', () => {
    const PGDN = k('', { pageDown: true });
    const PGUP = k('', { pageUp: true });
    let s = run(initWizard(session()), ENTER, ENTER, { type: 'detailsOverflow', max: 11 }, PGDN);
    expect(s.readiness).toMatchObject({ cursor: 0, detailScroll: 8 });
    s = run(s, PGDN, PGDN);
    expect(s.readiness.detailScroll).toBe(11);
    s = run(s, PGUP);
    expect(s.readiness.detailScroll).toBe(3);
    s = run(s, { type: 'detailsOverflow', max: 2 });
    expect(s.readiness.detailScroll).toBe(2); // a wider terminal needs less scrolling
    s = run(s, DOWN);
    expect(s.readiness).toMatchObject({ cursor: 1, detailScroll: 0 });
    // Closed details: PgDn moves the cursor instead.
    s = run(s, ENTER, PGDN);
    expect(s.readiness).toMatchObject({ cursor: 3, expanded: null, detailScroll: 0 });
  });

  it('Esc closes the details first, then goes back', () => {
    let s = run(initWizard(session()), ENTER, ENTER, ESC);
    expect([s.screen, s.readiness.expanded]).toEqual(['readiness', null]);
    s = run(s, ESC);
    expect(s.screen).toBe('welcome');
  });
});

describe('device browser', () => {
  it('opens on GPUs and accelerators with the cursor on the first row of the first such group', () => {
    const s = initWizard(session());
    expect(s.devices.filter).toBe('gpu');
    expect(s.devices.cursor).toBe('0000:00:01.0');
    expect(s.devices.order.gpu).toEqual(['0000:00:01.0', '0000:01:00.0', '0000:01:00.1', '0000:03:00.0']);
  });

  it('opens on everything when the host has no GPU or accelerator', () => {
    const s = initWizard(session({ facts: hostWith([pci('02:00.0', '020000', { iommuGroup: 2 })]) }));
    expect(s.devices).toMatchObject({ filter: 'all', cursor: '0000:02:00.0' });
  });

  it('keeps the highlighted device across filter toggles, or the next visible one', () => {
    let s = run(initWizard(session()), ENTER, k('n'), k('n'), DOWN);
    expect(s.devices.cursor).toBe('0000:01:00.0');
    s = run(s, k('f'));
    expect(s.devices).toMatchObject({ filter: 'all', cursor: '0000:01:00.0' });
    s = run(s, DOWN, DOWN);
    expect(s.devices.cursor).toBe('0000:02:00.0'); // the NIC: hidden under the GPU filter
    s = run(s, k('f'));
    expect(s.devices).toMatchObject({ filter: 'gpu', cursor: '0000:03:00.0' });
    s = run(s, k('f'), k('', { end: true }), k('f'));
    expect(s.devices.cursor).toBe('0000:03:00.0'); // nothing after the USB controller: the last GPU row
  });

  it('clamps PgDn/PgUp at the ends', () => {
    let s = run(initWizard(session()), ENTER, k('n'), k('n'), k('', { pageDown: true }));
    expect(s.devices.cursor).toBe('0000:03:00.0');
    s = run(s, k('', { pageUp: true }));
    expect(s.devices.cursor).toBe('0000:00:01.0');
  });

  it('does not move on an empty list', () => {
    const s = initWizard(session({ facts: hostWith([]) }));
    expect(run(s, ENTER, k('n'), k('n'), DOWN, k('f'), k('f')).devices.cursor).toBeNull();
  });
});

describe('quitting', () => {
  it('q quits with 0 and Ctrl+C with 130, once', () => {
    expect(run(initWizard(session()), k('q')).exit).toBe(0);
    expect(run(initWizard(session()), CTRL_C).exit).toBe(130);
    expect(run(initWizard(session()), k('q'), CTRL_C).exit).toBe(0);
  });

  it('asks before quitting while something is pending', () => {
    let s = run(initWizard(session()), ENTER, { type: 'setPending', what: 'update-grub' }, k('q'));
    expect([s.exit, s.confirmQuit]).toEqual([null, 0]);
    s = run(s, k('j'));
    expect(s.readiness.cursor).toBe(0); // keys other than y/n are swallowed while asking
    s = run(s, k('n'));
    expect([s.exit, s.confirmQuit]).toEqual([null, null]);
    s = run(s, CTRL_C, k('y'));
    expect(s.exit).toBe(130);
  });
});

describe('invariants under random key sequences', () => {
  const keyArb = fc.oneof(
    fc.constantFrom('q', 'j', 'k', 'f', 'n', 'b', 'd', 'v', 'y', ' ', 'x').map((c) => ({ input: c })),
    fc.constantFrom<Omit<KeyPress, 'input'>>(
      { upArrow: true }, { downArrow: true }, { leftArrow: true }, { rightArrow: true }, { return: true },
      { escape: true }, { pageUp: true }, { pageDown: true }, { home: true }, { end: true }, { tab: true },
    ).map((f) => ({ input: '', ...f })),
    fc.constant({ input: 'c', ctrl: true }),
  );

  it('cursors stay in range, details belong to the highlighted check, exit is set at most once', () => {
    const checksets = [readyChecks, [check('cpu-virtualization', 'fail')], []];
    fc.assert(
      fc.property(fc.constantFrom(...checksets), fc.boolean(), fc.array(keyArb, { maxLength: 60 }), (checks, pending, keys) => {
        let s = initWizard(session({ checks }), { demoAvailable: true });
        if (pending) s = wizardReducer(s, { type: 'setPending', what: 'work' });
        let exitSeen: number | null = null;
        for (const key of keys) {
          s = wizardReducer(s, { type: 'key', key });
          if (exitSeen !== null) expect(s.exit).toBe(exitSeen);
          exitSeen = s.exit;
          const list = s.devices.order[s.devices.filter];
          expect(s.devices.cursor === null ? list.length === 0 : list.includes(s.devices.cursor)).toBe(true);
          if (checks.length > 0) expect(s.readiness.cursor).toBeLessThan(checks.length);
          expect(s.readiness.cursor).toBeGreaterThanOrEqual(0);
          if (s.readiness.expanded !== null) expect(s.readiness.expanded).toBe(checks[s.readiness.cursor]?.id);
          expect(s.readiness.detailScroll).toBeGreaterThanOrEqual(0);
          expect(s.readiness.detailScroll).toBeLessThanOrEqual(s.readiness.detailMax);
          if (s.screen === 'notReady') expect(s.blocking.length).toBeGreaterThan(0);
          if (pending) expect(s.exit === null || s.confirmQuit === null).toBe(true);
        }
      }),
    );
  });

  it('maps no key to an action while an exit is pending confirmation except y/n/Enter/Esc/Ctrl+C', () => {
    const s = run(initWizard(session()), { type: 'setPending', what: 'x' }, k('q'));
    expect(keyToEvent(s, { input: 'f' })).toBeNull();
    expect(keyToEvent(s, { input: '', return: true })).toEqual({ type: 'confirmQuit' });
  });
});
