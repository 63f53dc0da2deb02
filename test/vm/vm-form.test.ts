// The VM form's pure reducer: defaults from the host, validation messages on their fields, the
// spec it builds, and typing that arrives in chunks. The form on screen, inside the wizard, is
// tested in test/components/isolate-vm.test.tsx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FOUR_FUNCTION_NVIDIA } from '../../src/demo/synthetic-hosts.js';
import { initialFormState, vmFormReducer, type VmFormEvent, type VmFormState } from '../../src/vm/vm-form.js';
import { defaultVmSpec, type VmSpec } from '../../src/vm/vm-spec.js';
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

/** focus moved forward to the field */
const to = (s: VmFormState, field: string): VmFormState => {
  let x = s;
  for (let i = 0; i < 20 && ['name', 'memory', 'vcpus', 'disk', 'iso', 'osVariant', 'network', 'display', 'secureBoot', 'kvmHidden', 'hypervVendorId'][x.focus] !== field; i++) x = run(x, { type: 'focus', delta: 1 });
  return x;
};
describe('the form reducer', () => {
  it('starts from the host defaults and builds the same spec when nothing is changed', () => {
    const s = run(initialFormState(base, RES), { type: 'submit' });
    expect(s.phase).toBe('done');
    expect(s.spec).toEqual(base);
    // a done form takes no typing until it is edited again
    expect(run(s, { type: 'type', text: 'x' })).toBe(s);
    expect(run(s, { type: 'edit' })).toMatchObject({ phase: 'edit', spec: null });
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

  it('an absolute ISO path goes into the spec (whether it exists is the VM step\'s finding)', () => {
    const s = run(to(initialFormState(base, RES), 'iso'), ...typeText('/isos/debian.iso'), { type: 'submit' });
    expect(s.phase).toBe('done');
    expect(s.spec?.install).toEqual({ kind: 'iso', path: '/isos/debian.iso' });
  });

  it('keys that arrive as one chunk: DEL and BS erase, other control characters are dropped', () => {
    const s = run(initialFormState(base, RES), { type: 'type', text: '\u007f\u007f\u007fvm\u001b\u0007-2\b1' });
    expect(s.values.name).toBe('gpuvm-1');
  });

  it('a relative ISO path and an unreadable disk value are refused without asking', () => {
    const s = run(initialFormState(base, RES), { type: 'focus', delta: 1 }, { type: 'focus', delta: 1 }, { type: 'focus', delta: 1 }, ...clear(5), ...typeText('big'), { type: 'focus', delta: 1 }, ...typeText('debian.iso'), { type: 'submit' });
    expect(s.phase).toBe('edit');
    expect(s.errors.disk).toMatch(/size in GiB/);
    expect(s.errors.iso).toMatch(/absolute path/);
  });



  it('space cycles the display and the network (NAT, each bridge of the host, none) and flips the toggles', () => {
    let s = initialFormState(base, { ...RES, bridges: ['br0'] });
    expect(s.values.display).toBe('none'); // a GPU is passed
    s = run(to(s, 'display'), { type: 'toggle' });
    expect(s.values.display).toBe('vnc');
    s = run(to(s, 'kvmHidden'), { type: 'type', text: ' ' });
    s = to(s, 'network');
    expect(s.values.network).toBe('network=default');
    s = run(s, { type: 'toggle' });
    expect(s.values.network).toBe('bridge=br0');
    s = run(s, { type: 'toggle' }, { type: 'toggle' });
    expect(s.values.network).toBe('network=default');
    s = run(s, { type: 'toggle' }, { type: 'submit' });
    expect(s.spec?.kvmHidden).toBe(true);
    expect(s.spec?.display).toBe('vnc');
    expect(s.spec?.network).toEqual({ kind: 'bridge', bridge: 'br0' });
  });

  it('the OS variant and Hyper-V vendor_id are typed; a bad vendor_id is refused on its field', () => {
    let s = run(to(initialFormState(base, RES), 'osVariant'), ...clear(7), ...typeText('win11'));
    s = run(to(s, 'hypervVendorId'), ...typeText('whatever'), { type: 'submit' });
    expect(s.spec).toMatchObject({ osVariant: 'win11', hypervVendorId: 'whatever' });
    let bad = run(to(initialFormState(base, RES), 'hypervVendorId'), ...typeText('much-too-long-id'), { type: 'submit' });
    expect(bad.phase).toBe('edit');
    expect(bad.errors.hypervVendorId).toMatch(/1 to 12 letters or digits/);
    bad = run(to(initialFormState(base, RES), 'osVariant'), ...clear(7), ...typeText('win 11'), { type: 'submit' });
    expect(bad.errors.osVariant).toMatch(/not an osinfo short id/);
  });
});
