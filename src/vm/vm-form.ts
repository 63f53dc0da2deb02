// The VM form as a pure reducer: fields as the user typed them, which one has the focus, the
// validation message of each, and the phase (editing → done, with the built spec). Whether the
// ISO or the disk image exists is a fact of the host: the VM step's plan checks it (vmFactFindings)
// and the wizard shows it with the other findings, so this file stays pure.
import type { HostResources } from './host-resources.js';
import { memoryProblem, nameProblem, parseMemoryMiB, specProblems, vcpusProblem, type VmDisplay, type VmSpec } from './vm-spec.js';

export const FORM_FIELDS = ['name', 'memory', 'vcpus', 'disk', 'iso', 'osVariant', 'network', 'display', 'secureBoot', 'kvmHidden', 'hypervVendorId'] as const;
export type FormField = (typeof FORM_FIELDS)[number];
export const TEXT_FIELDS: ReadonlySet<FormField> = new Set(['name', 'memory', 'vcpus', 'disk', 'iso', 'osVariant', 'hypervVendorId']);

export const FIELD_LABELS: Record<FormField, string> = {
  name: 'Name',
  memory: 'Memory',
  vcpus: 'vCPUs',
  disk: 'Disk (GiB, none, or an image path)',
  iso: 'Install ISO (empty: boot the disk)',
  osVariant: 'OS variant (osinfo id, or generic)',
  network: 'Network',
  display: 'Display',
  secureBoot: 'Secure Boot',
  kvmHidden: 'Hide KVM (old NVIDIA drivers)',
  hypervVendorId: 'Hyper-V vendor_id (old NVIDIA drivers; empty: none)',
};

export interface VmFormState {
  /** the defaults the form started from (devices, network, connect … come from here) */
  base: VmSpec;
  resources: HostResources;
  values: { name: string; memory: string; vcpus: string; disk: string; iso: string; osVariant: string; network: string; display: VmDisplay; secureBoot: boolean; kvmHidden: boolean; hypervVendorId: string };
  focus: number;
  errors: Partial<Record<FormField, string>>;
  /** done: the values make a valid VM (spec); edit: the user is changing them */
  phase: 'edit' | 'done';
  /** the built spec, in phase done */
  spec: VmSpec | null;
}

export type VmFormEvent =
  | { type: 'focus'; delta: 1 | -1 }
  | { type: 'type'; text: string }
  | { type: 'backspace' }
  /** space on a choice field: cycle the display, flip a toggle */
  | { type: 'toggle' }
  | { type: 'submit' }
  /** change the values of a done form again */
  | { type: 'edit' };

const DISPLAYS: VmDisplay[] = ['none', 'vnc', 'spice'];

/** The network choice as the form shows it (and as `vm … --network` takes it). */
export const networkText = (n: VmSpec['network']): string => (n.kind === 'none' ? 'none' : n.kind === 'bridge' ? `bridge=${n.bridge}` : `network=${n.network}`);

/** libvirt's NAT, then each bridge of the host, then none. */
function networkChoices(base: VmSpec, r: HostResources): string[] {
  const all = [networkText(base.network), 'network=default', ...(r.bridges ?? []).map((b) => `bridge=${b}`), 'none'];
  return [...new Set(all)];
}

export function initialFormState(base: VmSpec, resources: HostResources): VmFormState {
  return {
    base,
    resources,
    values: {
      name: base.name,
      memory: `${base.memoryMiB}`,
      vcpus: `${base.vcpus}`,
      disk: base.disk.kind === 'new' ? `${base.disk.sizeGiB}` : base.disk.kind === 'existing' ? base.disk.path : 'none',
      iso: base.install.kind === 'iso' ? base.install.path : '',
      osVariant: base.osVariant,
      network: networkText(base.network),
      display: base.display,
      secureBoot: base.firmware.secureBoot,
      kvmHidden: base.kvmHidden,
      hypervVendorId: base.hypervVendorId ?? '',
    },
    focus: 0,
    errors: {},
    phase: 'edit',
    spec: null,
  };
}

export const focusedField = (s: VmFormState): FormField => FORM_FIELDS[s.focus]!;

/** Build the spec from the typed values, or the message of every field that is wrong. */
export function buildSpec(s: VmFormState): { spec: VmSpec | null; errors: Partial<Record<FormField, string>> } {
  const v = s.values;
  const errors: Partial<Record<FormField, string>> = {};
  const np = nameProblem(v.name.trim());
  if (np) errors.name = np;
  const mib = parseMemoryMiB(v.memory);
  const mp = memoryProblem(mib, s.resources.memTotalKiB);
  if (mp) errors.memory = mp;
  const n = /^\s*\d+\s*$/.test(v.vcpus) ? Number(v.vcpus) : null;
  const cp = vcpusProblem(n, s.resources.threads);
  if (cp) errors.vcpus = cp;
  const d = v.disk.trim();
  let disk: VmSpec['disk'] = { kind: 'none' };
  if (/^\d+$/.test(d) && Number(d) >= 1) disk = { kind: 'new', sizeGiB: Number(d), pool: s.base.disk.kind === 'new' ? s.base.disk.pool : 'default' };
  else if (d.startsWith('/')) disk = { kind: 'existing', path: d };
  else if (d !== 'none') errors.disk = 'A size in GiB (40), the path of an image, or none.';
  const osVariant = v.osVariant.trim() || 'generic';
  const vendor = v.hypervVendorId.trim();
  const network: VmSpec['network'] = v.network === 'none' ? { kind: 'none' } : v.network.startsWith('bridge=') ? { kind: 'bridge', bridge: v.network.slice(7) } : { kind: 'nat', network: v.network.replace(/^network=/, '') };
  const iso = v.iso.trim();
  if (iso !== '' && !iso.startsWith('/')) errors.iso = 'Give the ISO as an absolute path (/var/lib/libvirt/images/…).';
  if (iso === '' && disk.kind === 'none' && !errors.disk) errors.disk = 'With no ISO the VM boots its disk: give a size or an image.';
  if (Object.keys(errors).length > 0 || mib === null || n === null) return { spec: null, errors };
  const spec: VmSpec = {
    ...s.base,
    name: v.name.trim(),
    memoryMiB: mib,
    vcpus: n,
    disk,
    install: iso === '' ? { kind: 'import' } : { kind: 'iso', path: iso },
    osVariant,
    network,
    display: v.display,
    kvmHidden: v.kvmHidden,
    hypervVendorId: vendor === '' ? null : vendor,
    firmware: { ...s.base.firmware, secureBoot: v.secureBoot },
  };
  const rest = specProblems(spec, s.resources);
  if (rest.length > 0) return { spec: null, errors: { [focusedFieldFor(rest[0]!)]: rest.map((p) => p.replace(/^[\w-]+: /, '')).join(' ') } };
  return { spec, errors: {} };
}

const focusedFieldFor = (problem: string): FormField => {
  const f = problem.slice(0, problem.indexOf(':'));
  const alias: Record<string, FormField> = { paths: 'iso', 'os-variant': 'osVariant', 'hyperv-vendor-id': 'hypervVendorId' };
  return (FORM_FIELDS as readonly string[]).includes(f) ? (f as FormField) : (alias[f] ?? 'name');
};

export function vmFormReducer(s: VmFormState, e: VmFormEvent): VmFormState {
  if (e.type === 'edit') return s.phase === 'done' ? { ...s, phase: 'edit', spec: null } : s;
  if (s.phase === 'done') return s;
  const field = focusedField(s);
  switch (e.type) {
    case 'focus':
      return { ...s, focus: (s.focus + e.delta + FORM_FIELDS.length) % FORM_FIELDS.length };
    case 'type': {
      if (!TEXT_FIELDS.has(field)) return e.text === ' ' ? vmFormReducer(s, { type: 'toggle' }) : s;
      // A terminal can deliver several keys as one chunk (fast typing, a paste): a DEL or BS in it
      // erases, other control characters are dropped, the rest is text.
      let value = [...s.values[field as 'name']];
      for (const c of e.text) {
        if (c === '\u007f' || c === '\b') value = value.slice(0, -1);
        else if (c >= ' ' && c !== '\u007f') value.push(c);
      }
      const next = value.join('');
      if (next === s.values[field as 'name']) return s;
      const { [field]: _, ...errors } = s.errors;
      return { ...s, values: { ...s.values, [field]: next }, errors };
    }
    case 'backspace': {
      if (!TEXT_FIELDS.has(field)) return s;
      const { [field]: _, ...errors } = s.errors;
      return { ...s, values: { ...s.values, [field]: [...s.values[field as 'name']].slice(0, -1).join('') }, errors };
    }
    case 'toggle':
      if (field === 'display') return { ...s, values: { ...s.values, display: DISPLAYS[(DISPLAYS.indexOf(s.values.display) + 1) % DISPLAYS.length]! } };
      if (field === 'network') {
        const choices = networkChoices(s.base, s.resources);
        return { ...s, values: { ...s.values, network: choices[(choices.indexOf(s.values.network) + 1) % choices.length]! } };
      }
      if (field === 'kvmHidden' || field === 'secureBoot') return { ...s, values: { ...s.values, [field]: !s.values[field] } };
      return s;
    case 'submit': {
      const { spec, errors } = buildSpec(s);
      if (!spec) {
        const first = FORM_FIELDS.findIndex((f) => errors[f] !== undefined);
        return { ...s, errors, focus: first >= 0 ? first : s.focus };
      }
      return { ...s, errors: {}, spec, phase: 'done' };
    }
  }
}
