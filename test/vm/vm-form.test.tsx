// The VM form: its pure reducer, then the Ink screen driven by keys (validation messages, a bad
// ISO refused through the service, the confirm step), and the live creation view running the real
// virt-install against libvirt's test driver.
import { useEffect, useState } from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VmCreate, VmForm, type VmCreateOutcome } from '../../components/VmForm.js';
import { FOUR_FUNCTION_NVIDIA } from '../../src/demo/synthetic-hosts.js';
import { createEventHub, type CommandEvent } from '../../src/run/events.js';
import { createRunner } from '../../src/run/runner.js';
import { initialFormState, vmFormReducer, type VmFormEvent, type VmFormState } from '../../src/vm/vm-form.js';
import { virtInstallArgv } from '../../src/vm/virt-install-args.js';
import { createVm } from '../../src/vm/create.js';
import { defaultVmSpec, type VmSpec } from '../../src/vm/vm-spec.js';
import { keys, press, renderSized, waitForFrame, waitForText } from '../support/ink.js';
import { vmFixture, type VmFixture } from './support.js';

const RES = { memTotalKiB: 16 * 1024 * 1024, threads: 8 };
let fx: VmFixture;
let base: VmSpec;
beforeAll(() => {
  fx = vmFixture(FOUR_FUNCTION_NVIDIA);
  base = { ...defaultVmSpec(fx.facts, RES, ['0000:01:00.0', '0000:01:00.1', '0000:01:00.2', '0000:01:00.3'], 'gpu-vm'), connect: fx.uri };
});
afterAll(() => fx.cleanup());

const run = (s: VmFormState, ...events: VmFormEvent[]) => events.reduce(vmFormReducer, s);
const typeText = (t: string): VmFormEvent[] => [...t].map((c) => ({ type: 'type', text: c }));
const clear = (n: number): VmFormEvent[] => Array.from({ length: n }, () => ({ type: 'backspace' }));

describe('the form reducer', () => {
  it('starts from the host defaults and builds the same spec when nothing is changed', () => {
    const s = run(initialFormState(base, RES), { type: 'submit' });
    expect(s.phase).toBe('confirm');
    expect(s.spec).toEqual(base);
    expect(run(s, { type: 'submit' }).phase).toBe('done');
    expect(run(s, { type: 'back' })).toMatchObject({ phase: 'edit', spec: null });
    expect(run(initialFormState(base, RES), { type: 'back' }).phase).toBe('canceled');
  });

  it('memory, vCPUs and name are validated with a message on the field, and the focus goes to the first', () => {
    let s = initialFormState(base, RES);
    s = run(s, ...clear(10), ...typeText('bad name'), { type: 'focus', delta: 1 }, ...clear(10), ...typeText('64G'), { type: 'focus', delta: 1 }, ...clear(3), ...typeText('99'), { type: 'submit' });
    expect(s.phase).toBe('edit');
    expect(s.errors.name).toMatch(/letters, digits/);
    expect(s.errors.memory).toMatch(/The host has 16384 MiB/);
    expect(s.errors.vcpus).toMatch(/8 logical CPUs/);
    expect(s.focus).toBe(0);
    // typing in a field clears its message
    s = run(s, { type: 'backspace' });
    expect(s.errors.name).toBeUndefined();
  });

  it('an ISO path is checked through the service: missing → a message on the field; present → confirm', () => {
    let s = run(initialFormState(base, RES), { type: 'focus', delta: -1 }, { type: 'focus', delta: -1 }, { type: 'focus', delta: -1 }, { type: 'focus', delta: -1 }, ...typeText('/isos/debian.iso'), { type: 'submit' });
    expect(s.phase).toBe('checking');
    expect(run(s, { type: 'type', text: 'x' })).toBe(s); // input waits for the answer
    expect(run(s, { type: 'iso-checked', path: '/other.iso', exists: true }).phase).toBe('checking'); // a stale answer is ignored
    const refused = run(s, { type: 'iso-checked', path: '/isos/debian.iso', exists: false });
    expect(refused).toMatchObject({ phase: 'edit', errors: { iso: 'No such file on this host: /isos/debian.iso' }, spec: null });
    s = run(s, { type: 'iso-checked', path: '/isos/debian.iso', exists: true });
    expect(s.phase).toBe('confirm');
    expect(s.spec?.install).toEqual({ kind: 'iso', path: '/isos/debian.iso' });
  });

  it('a relative ISO path and an unreadable disk value are refused without asking', () => {
    const s = run(initialFormState(base, RES), { type: 'focus', delta: 1 }, { type: 'focus', delta: 1 }, { type: 'focus', delta: 1 }, ...clear(5), ...typeText('big'), { type: 'focus', delta: 1 }, ...typeText('debian.iso'), { type: 'submit' });
    expect(s.phase).toBe('edit');
    expect(s.errors.disk).toMatch(/size in GiB/);
    expect(s.errors.iso).toMatch(/absolute path/);
  });

  it('space cycles the display and flips the toggles', () => {
    let s = initialFormState(base, RES);
    expect(s.values.display).toBe('none'); // a GPU is passed
    s = run(s, ...Array.from({ length: 5 }, () => ({ type: 'focus', delta: 1 }) as VmFormEvent), { type: 'toggle' });
    expect(s.values.display).toBe('vnc');
    s = run(s, { type: 'focus', delta: 1 }, { type: 'type', text: ' ' }, { type: 'submit' });
    expect(s.spec?.kvmHidden).toBe(true);
    expect(s.spec?.display).toBe('vnc');
  });
});

describe('the form on screen', () => {
  it('shows validation messages, refuses a missing ISO with a message, and confirms with the exact command', async () => {
    const asked: string[] = [];
    let confirmed: VmSpec | null = null;
    let confirmations = 0;
    const r = renderSized(
      <VmForm base={base} resources={RES} isoExists={async (p) => (asked.push(p), p === '/isos/ok.iso')} onConfirm={(s) => ((confirmed = s), confirmations++)} onCancel={() => {}} />,
      { columns: 100, rows: 40 },
    );
    try {
      await waitForText(r, 'Name: gpu-vm');
      await press(r, keys.down);
      for (let i = 0; i < 4; i++) await press(r, keys.backspace);
      await press(r, '1');
      await press(r, '0');
      await press(r, keys.enter);
      await waitForText(r, '✘ At least 256 MiB');
      await press(r, keys.backspace);
      await press(r, keys.backspace);
      await press(r, '8');
      await press(r, 'G');
      for (let i = 0; i < 3; i++) await press(r, keys.down);
      for (const c of '/isos/missing.iso') await press(r, c);
      await press(r, keys.enter);
      await waitForText(r, '✘ No such file on this host: /isos/missing.iso');
      for (let i = 0; i < '/isos/missing.iso'.length; i++) await press(r, keys.backspace);
      for (const c of '/isos/ok.iso') await press(r, c);
      await press(r, keys.enter);
      const frame = await waitForText(r, 'Create gpu-vm?');
      expect(frame).toContain('8192 MiB · 4 vCPUs · new 40 GiB disk · /isos/ok.iso · display none');
      expect(frame).toContain('--cdrom /isos/ok.iso');
      expect(frame).toContain('--host-device pci_0000_01_00_3');
      expect(asked).toEqual(['/isos/missing.iso', '/isos/ok.iso']);
      await press(r, keys.enter, { expectChange: false });
      await waitForFrame(r, () => confirmed !== null);
      expect(confirmed).toMatchObject({ name: 'gpu-vm', memoryMiB: 8192, install: { kind: 'iso', path: '/isos/ok.iso' } });
      await press(r, keys.enter, { expectChange: false });
      expect(confirmations).toBe(1);
    } finally {
      r.unmount();
    }
  });
});

describe('the live creation view', () => {
  it('shows the command, its output as it runs, and how to connect — with the real virt-install on the test driver', async () => {
    const spec = { ...base, disk: { kind: 'new' as const, sizeGiB: 5, pool: 'default' } };
    const argv = virtInstallArgv(spec);
    const hub = createEventHub<CommandEvent>();
    const lines: string[] = [];
    hub.subscribe((e) => void (e.type === 'command-line' && lines.push(e.line)));
    function Harness() {
      const [outcome, setOutcome] = useState<VmCreateOutcome | null>(null);
      useEffect(() => {
        const runner = createRunner({ logDir: null });
        void createVm(runner, spec, hub.emit).then((res) =>
          setOutcome(res.ok ? { ok: true, message: `${spec.name} is defined and started.`, hints: res.hints } : { ok: false, message: 'failed', hints: [] }),
        );
      }, []);
      return <VmCreate argv={argv} feed={hub} outcome={outcome} />;
    }
    const r = renderSized(<Harness />, { columns: 120, rows: 30 });
    try {
      await waitForText(r, 'gpu-vm is defined and started.', 30_000);
      const frame = r.lastFrame();
      expect(frame).toContain(`$ virt-install --connect ${fx.uri} --name gpu-vm`);
      expect(frame).toMatch(/✔ virt-install done/);
      expect(frame).toContain(`virsh -c ${fx.uri} console gpu-vm`);
      expect(lines).toContain('Domain creation completed.');
    } finally {
      r.unmount();
    }
  }, 40_000);
});
