// The isolation and VM screens as pure state: choosing cards in the device browser, guards that
// block review and apply until overridden through an explicit confirm, the bind-by choice, a new
// selection dropping earlier overrides, and the VM form taking every printable key while typed in.
import { describe, expect, it } from 'vitest';
import type { StepOutcome } from '../../src/steps/registry.js';
import { initWizard, keyToEvent, wizardReducer, type KeyPress, type WizardEvent, type WizardState } from '../../src/wizard.js';
import { isolateOptions, toggleCard } from '../../src/wizard-isolate.js';
import { vmOptions } from '../../src/wizard-vm.js';
import { defaultVmSpec } from '../../src/vm/vm-spec.js';
import { check, hostWith, pci } from './builders.js';

const k = (input: string, flags: Omit<KeyPress, 'input'> = {}): WizardEvent => ({ type: 'key', key: { input, ...flags } });
const ENTER = k('\r', { return: true });
const ESC = k('', { escape: true });
const SPACE = k(' ');
const DOWN = k('', { downArrow: true });
const run = (s: WizardState, ...events: WizardEvent[]): WizardState => events.reduce(wizardReducer, s);

const devices = [
  pci('00:02.0', '030000', { iommuGroup: 1, bootVga: true, driver: 'i915' }),
  pci('01:00.0', '030000', { iommuGroup: 2, driver: 'nouveau' }),
  pci('01:00.1', '040300', { iommuGroup: 2, driver: 'snd_hda_intel' }),
];
const session = { facts: hostWith(devices), checks: [check('cpu-virtualization', 'pass'), check('iommu-firmware', 'pass')], demo: false };

const BOOT_GPU = { id: 'boot-gpu', devices: ['0000:00:02.0'], message: '00:02.0 is the boot GPU', override: '--allow-boot-gpu' };
const isolateOutcome = (unmet: boolean): StepOutcome => ({
  stepId: 'isolate',
  title: 'Bind the devices to vfio-pci',
  kind: 'plan',
  plan: { stepId: 'isolate', title: 'Bind the devices to vfio-pci', changes: [], needsReboot: true, notes: [] },
  explanation: [],
  details: { devices: ['0000:00:02.0'], blockers: [BOOT_GPU], warnings: [], groups: [], identicalIds: [], bindBy: 'id', ids: ['8086:0001'], softdeps: [] },
  blockers: unmet ? [BOOT_GPU as never] : [],
  verify: null,
});

/** On the devices screen, the cursor on the boot GPU. */
const atDevices = (): WizardState => {
  const s = run(initWizard(session, { canApply: true }), ENTER, k('n'), k('n'));
  expect(s.screen).toBe('devices');
  return s;
};

describe('choosing cards', () => {
  it('space marks the highlighted card (any function stands for its card) and unmarks it', () => {
    expect(toggleCard([], '0000:01:00.1')).toEqual(['0000:01:00.1']);
    expect(toggleCard(['0000:01:00.1'], '0000:01:00.0')).toEqual([]);
    expect(toggleCard(['0000:01:00.1'], '0000:00:02.0')).toEqual(['0000:01:00.1', '0000:00:02.0']);
    let s = run(atDevices(), DOWN, SPACE);
    expect(s.selection).toEqual(['0000:01:00.0']);
    s = run(s, SPACE);
    expect(s.selection).toEqual([]);
  });

  it('Enter with nothing marked takes the highlighted card to the isolation screen; the options carry it', () => {
    const s = run(atDevices(), DOWN, ENTER);
    expect(s.screen).toBe('isolate');
    expect(s.selection).toEqual(['0000:01:00.0']);
    expect(isolateOptions(s.selection, s.isolate)).toMatchObject({ devices: ['0000:01:00.0'], overrides: [], bindBy: 'auto' });
    expect(isolateOptions([], s.isolate)).toBeNull();
  });
});

describe('guards on the isolation screen', () => {
  const blocked = () => run(atDevices(), ENTER, { type: 'planned', stepId: 'isolate', outcome: isolateOutcome(true) });

  it('an unmet blocker: Enter opens no review, and apply is refused even if asked for', () => {
    let s = blocked();
    expect(keyToEvent(s, ENTER.type === 'key' ? ENTER.key : { input: '' })).toBeNull();
    s = run(s, { type: 'openReview' });
    expect(s.flows.isolate?.phase).toBe('decide');
    s = run(s, { type: 'requestConfirm', action: { kind: 'apply', stepId: 'isolate' } }, k('y'));
    expect(s.flows.isolate?.phase).toBe('decide');
    expect(s.pending).toBeNull();
  });

  it('space asks before overriding; n keeps the guard, y lifts it and plans again; space again restores it at once', () => {
    let s = run(blocked(), SPACE);
    expect(s.confirm?.action).toEqual({ kind: 'override', flag: '--allow-boot-gpu', message: '00:02.0 is the boot GPU' });
    expect(run(s, k('1')).confirm).not.toBeNull(); // digits are no answer
    const kept = run(s, k('n'));
    expect(kept.isolate.overrides).toEqual([]);
    const request = s.flows.isolate!.planRequest;
    s = run(s, k('y'));
    expect(s.isolate.overrides).toEqual(['--allow-boot-gpu']);
    expect(s.flows.isolate!.planRequest).toBe(request + 1);
    s = run(s, { type: 'planned', stepId: 'isolate', outcome: isolateOutcome(false) }, SPACE);
    expect(s.confirm).toBeNull();
    expect(s.isolate.overrides).toEqual([]);
  });

  it('overriding needs no root (nothing changes yet); a new selection drops the overrides', () => {
    let s = run(initWizard(session, { canApply: false }), ENTER, k('n'), k('n'), ENTER, { type: 'planned', stepId: 'isolate', outcome: isolateOutcome(true) }, SPACE, k('y'));
    expect(s.isolate.overrides).toEqual(['--allow-boot-gpu']);
    s = run(s, k('b'), DOWN, SPACE);
    expect(s.selection).toEqual(['0000:00:02.0', '0000:01:00.0']);
    expect(s.isolate.overrides).toEqual([]);
  });

  it('the last row (and m) cycles how the devices are bound, and plans again', () => {
    let s = run(blocked(), DOWN);
    expect(s.isolate.cursor).toBe(1);
    s = run(s, SPACE);
    expect(s.isolate.bindBy).toBe('id');
    s = run(s, k('m'), k('m'));
    expect(s.isolate.bindBy).toBe('auto');
  });

  it('t goes to the live bind and back returns to the isolation screen', () => {
    let s = run(blocked(), k('t'));
    expect(s.screen).toBe('tryNow');
    s = run(s, ESC);
    expect(s.screen).toBe('isolate');
  });
});

describe('the VM form', () => {
  const atVm = () => {
    let s = run(atDevices(), DOWN, ENTER, k('n'));
    expect(s.screen).toBe('vm');
    expect(s.vm.request).toBe(1); // the hook asks the services for the defaults
    const base = defaultVmSpec(session.facts, { memTotalKiB: 16 * 1024 * 1024, threads: 8 }, ['0000:01:00.0', '0000:01:00.1'], 'vfio-vm');
    s = run(s, { type: 'vmDefaults', base, resources: { memTotalKiB: 16 * 1024 * 1024, threads: 8 } });
    return s;
  };

  it('while typed in, q n b are letters; Esc stops editing; Enter builds the VM and plans it', () => {
    let s = run(atVm(), k('e'));
    expect(s.vm.editing).toBe(true);
    s = run(s, k('', { backspace: true }), k('', { backspace: true }), k('q'), k('n'), k('b'));
    expect(s.exit).toBeNull();
    expect(s.screen).toBe('vm');
    expect(s.vm.form?.values.name).toBe('vfio-qnb');
    expect(vmOptions(s.vm)).toBeNull();
    const request = s.flows.vm!.planRequest;
    s = run(s, ENTER);
    expect(s.vm.editing).toBe(false);
    expect(vmOptions(s.vm)?.vm).toMatchObject({ name: 'vfio-qnb', devices: ['0000:01:00.0', '0000:01:00.1'] });
    expect(s.flows.vm!.planRequest).toBe(request + 1);
    // q quits again once the form is left
    expect(run(s, k('q')).exit).toBe(0);
  });

  it('an invalid form stays in editing with its messages; x cycles the exports and Esc closes them', () => {
    let s = run(atVm(), k('e'));
    for (let i = 0; i < 'vfio-vm'.length; i++) s = run(s, k('', { backspace: true }));
    s = run(s, ENTER);
    expect(s.vm.form?.errors.name).toBeDefined();
    expect(s.vm.editing).toBe(true);
    s = run(s, ESC, k('x'));
    expect(s.vm.exportFormat).toBe('xml');
    s = run(s, k('x'), k('x'), k('x'));
    expect(s.vm.exportFormat).toBe('qemu');
    s = run(s, k('x'));
    expect(s.vm.exportFormat).toBeNull();
    s = run(s, k('x'), ESC);
    expect(s.vm.exportFormat).toBeNull();
  });
});
