// The change path as pure state: keys → phases, the explicit confirm, Ctrl+C counting, busy
// navigation, the cmdline choices as step options, and which journal step the wizard resumes at.
import { describe, expect, it } from 'vitest';
import type { Status, StepStatus } from '../../src/apply/status.js';
import type { StepOutcome } from '../../src/steps/registry.js';
import { initWizard, keyToEvent, wizardReducer, type KeyPress, type WizardEvent, type WizardState } from '../../src/wizard.js';
import { cmdlineOptions, initCmdlineChoices, nextLoader } from '../../src/wizard-cmdline.js';
import { resumeTarget, undoableSteps, type StepApplyReport } from '../../src/wizard-step.js';
import { session } from '../components/wizard-harness.js';

const k = (input: string, flags: Omit<KeyPress, 'input'> = {}): WizardEvent => ({ type: 'key', key: { input, ...flags } });
const ENTER = k('\r', { return: true });
const ESC = k('', { escape: true });
const CTRL_C = k('c', { ctrl: true });
const DOWN = k('', { downArrow: true });
const run = (s: WizardState, ...events: WizardEvent[]): WizardState => events.reduce(wizardReducer, s);

const PARAMS = [
  { token: 'intel_iommu=on', selected: true, reason: 'needed', warning: null },
  { token: 'iommu=pt', selected: false, reason: 'offered', warning: 'less isolation' },
];
const outcome = (kind: StepOutcome['kind'] = 'plan'): StepOutcome => ({
  stepId: 'cmdline',
  title: 'Kernel command line',
  kind,
  plan: kind === 'plan' ? { stepId: 'cmdline', title: 'Kernel command line', changes: [], needsReboot: true, notes: [] } : null,
  explanation: [],
  details: { loader: 'grub', params: PARAMS, conflicts: [{ token: 'intel_iommu=off', reason: 'off' }], notes: [] },
  verify: null,
});
const report = (status: StepApplyReport['result']['status']): StepApplyReport => ({
  result: { status, exitCode: 0, runId: 'r1', message: '', steps: [], pendingCommands: [], needsReboot: true, restoreScript: '/x/restore.sh', drift: [] },
  verification: null,
});

/** On the cmdline screen with a plan, as root. */
function atCmdline(canApply = true): WizardState {
  const s = run(initWizard(session(), { canApply }), ENTER, k('n'));
  expect(s.screen).toBe('cmdline');
  return run(s, { type: 'planned', stepId: 'cmdline', outcome: outcome() });
}

describe('the change path', () => {
  it('decide → review → confirm → applying → done, each step only on its key', () => {
    let s = atCmdline();
    expect(s.flows.cmdline?.phase).toBe('decide');
    s = run(s, ENTER);
    expect(s.flows.cmdline?.phase).toBe('review');
    s = run(s, ENTER);
    expect(s.confirm).toEqual({ action: { kind: 'apply', stepId: 'cmdline' }, focus: 'cancel' });
    for (const d of '0123456789') expect(keyToEvent(s, { input: d })).toBeNull();
    expect(run(s, ENTER).confirm).toBeNull(); // Cancel is focused: Enter cancels
    expect(run(s, ENTER).flows.cmdline?.phase).toBe('review');
    s = run(s, k('y'));
    expect(s.confirm).toBeNull();
    expect(s.flows.cmdline).toMatchObject({ phase: 'applying', runToken: 1 });
    expect(s.pending).toMatch(/Applying/);
    s = run(s, { type: 'applied', stepId: 'cmdline', report: report('applied') });
    expect(s.flows.cmdline?.phase).toBe('done');
    expect(s.pending).toBeNull();
    expect(keyToEvent(s, { input: 'u' })).toEqual({ type: 'requestConfirm', action: { kind: 'undo', target: { stepId: 'cmdline' }, force: false } });
  });

  it('Esc leaves the review for the decision; a refused or empty plan has no review', () => {
    let s = run(atCmdline(), ENTER, ESC);
    expect(s.flows.cmdline?.phase).toBe('decide');
    s = run(s, { type: 'planned', stepId: 'cmdline', outcome: outcome('refuse') });
    expect(run(s, k('', { return: true })).flows.cmdline?.phase).toBe('decide');
  });

  it('while applying: Ctrl+C is counted for the runner (SIGTERM, then SIGKILL); navigation waits; q asks first', () => {
    let s = run(atCmdline(), ENTER, ENTER, k('y'));
    s = run(s, CTRL_C);
    expect(s.flows.cmdline).toMatchObject({ cancelRequests: 1, cancelStage: 'terminating' });
    expect(s.exit).toBeNull();
    s = run(s, CTRL_C);
    expect(s.flows.cmdline).toMatchObject({ cancelRequests: 2, cancelStage: 'killing' });
    expect(run(s, k('n'), k('b'), ESC).screen).toBe('cmdline');
    s = run(s, k('q'));
    expect(s.confirmQuit).toBe(0);
    expect(s.exit).toBeNull();
    s = run(s, k('n'));
    s = run(s, { type: 'applied', stepId: 'cmdline', report: report('interrupted') });
    expect(s.flows.cmdline?.phase).toBe('failed');
    expect(keyToEvent(s, { input: 'u' })).toBeNull(); // interrupted: already rolled back by the engine
  });

  it('without root the confirm changes nothing', () => {
    const s = run(atCmdline(false), ENTER, ENTER, k('y'));
    expect(s.confirm).toBeNull();
    expect(s.flows.cmdline?.phase).toBe('review');
    expect(s.flows.cmdline?.runToken).toBe(0);
  });

  it('toggles parameters and consent and cycles the loader, each asking for a new plan', () => {
    let s = atCmdline();
    const before = s.flows.cmdline!.planRequest;
    s = run(s, DOWN, k(' '));
    expect(s.cmdline.toggles).toEqual({ 'iommu=pt': true });
    s = run(s, k('', { upArrow: true }), k(' '));
    expect(s.cmdline.toggles).toEqual({ 'iommu=pt': true, 'intel_iommu=on': false });
    s = run(s, k('c'));
    expect(s.cmdline.consent).toBe(true);
    s = run(s, k('l'));
    expect(s.cmdline.loader).toBe('grub-bls'); // detected grub is skipped in the cycle
    expect(s.flows.cmdline!.planRequest).toBe(before + 4);
    expect(cmdlineOptions(s.cmdline, PARAMS)).toEqual({ params: ['iommu=pt'], noParams: ['intel_iommu'], loader: 'grub-bls', replaceConflicts: true });
    expect(cmdlineOptions(initCmdlineChoices(), PARAMS)).toEqual({ params: [], noParams: [], replaceConflicts: false });
  });

  it('cycles loader overrides back to detection', () => {
    let l = nextLoader(null, 'grub');
    const seen = [l];
    for (let i = 0; i < 20 && l !== null; i++) seen.push((l = nextLoader(l, 'grub')));
    expect(seen).not.toContain('grub');
    expect(seen[seen.length - 1]).toBeNull();
  });

  it('undo: confirm, run, and on dismissal plan the step again and re-read the journal', () => {
    let s = run(atCmdline(), ENTER, ENTER, k('y'), { type: 'applied', stepId: 'cmdline', report: report('applied') });
    s = run(s, k('u'), k('y'));
    expect(s.undo).toMatchObject({ phase: 'running', target: { stepId: 'cmdline' }, force: false, token: 1 });
    expect(keyToEvent(s, { input: 'n' })).toBeNull();
    s = run(s, { type: 'undone', result: { status: 'rolled-back', exitCode: 0, message: 'Rolled back: cmdline.', steps: [{ runId: 'r1', stepId: 'cmdline', state: 'rolled-back' }], drift: [], pendingCommands: [], problems: [] } });
    expect(s.undo?.phase).toBe('done');
    const request = s.summary.request;
    s = run(s, ENTER);
    expect(s.undo).toBeNull();
    expect(s.flows.cmdline?.phase).toBe('decide');
    expect(s.flows.cmdline?.outcome).toBeNull();
    expect(s.summary.request).toBe(request + 1);
    // a second undo in the same session gets a token of its own (the runner starts one rollback
    // per token; reusing 1 left "Undoing…" on screen for ever)
    s = run(s, { type: 'planned', stepId: 'cmdline', outcome: outcome() }, ENTER, ENTER, k('y'), { type: 'applied', stepId: 'cmdline', report: report('applied') }, k('u'), k('y'));
    expect(s.undo).toMatchObject({ phase: 'running', token: 2 });
  });

  it('blocked undo offers force only behind a second confirm', () => {
    let s = run(atCmdline(), ENTER, ENTER, k('y'), { type: 'applied', stepId: 'cmdline', report: report('applied') }, k('u'), k('y'));
    s = run(s, { type: 'undone', result: { status: 'blocked', exitCode: 6, message: '', steps: [], drift: [], pendingCommands: [], problems: [] } });
    s = run(s, k('f'));
    expect(s.confirm?.action).toEqual({ kind: 'undo', target: { stepId: 'cmdline' }, force: true });
    s = run(s, ESC);
    expect(s.confirm).toBeNull();
    expect(s.undo?.force).toBe(false);
    s = run(s, k('f'), k('y'));
    expect(s.undo).toMatchObject({ force: true, phase: 'running', token: 2 });
  });
});

const step = (over: Partial<StepStatus>): StepStatus => ({
  runId: 'r1', id: 'cmdline', title: 'Kernel command line', state: 'applied', startedAt: '', finishedAt: '', needsReboot: true,
  rebootPending: false, verification: 'pending', pendingCommands: [], files: [], logs: [], error: null, expect: null, ...over,
});
const status = (...steps: StepStatus[]): Status => ({
  schema: 'vfio-wizard.status/1', root: '/', runs: [{ runId: 'r1', createdAt: '', corrupt: null, steps }],
  pending: { reboot: [], verification: [], commands: [], interrupted: [] },
  inProgress: null,
});

describe('resume', () => {
  it('picks an applied step whose reboot happened and whose check is pending', () => {
    expect(resumeTarget(status(step({})))?.id).toBe('cmdline');
    expect(resumeTarget(status(step({ rebootPending: true })))).toBeNull(); // not rebooted yet
    expect(resumeTarget(status(step({ verification: 'passed' })))).toBeNull();
    expect(resumeTarget(status(step({ state: 'rolled-back' })))).toBeNull();
    expect(resumeTarget(status(step({ pendingCommands: [['update-grub']] })))).toBeNull(); // regeneration still to run
  });

  it('opens on the verify screen, which continues after the verified step', () => {
    let s = initWizard(session(), { resume: step({}) });
    expect(s.screen).toBe('verify');
    expect(keyToEvent(s, { input: '\r', return: true })).toBeNull(); // still checking
    s = run(s, { type: 'verified', check: { ok: true, summary: 'ok', lines: [] } }, { type: 'verificationRecorded' });
    expect(s.verify).toMatchObject({ phase: 'done', recorded: true });
    expect(run(s, k('r')).verify).toMatchObject({ phase: 'checking', request: 2 });
    expect(run(s, ENTER).screen).toBe('devices');
  });

  it('lists undoable steps newest first', () => {
    const st = status(step({ id: 'a' }), step({ id: 'b', state: 'rolled-back' }), step({ id: 'c', state: 'rollback-blocked' }));
    expect(undoableSteps(st).map((x) => x.id)).toEqual(['c', 'a']);
  });
});
