// mkinitcpio: MODULES are loaded in order before any hook runs, so the vfio modules must come
// before every early-KMS module listed there (amdgpu, radeon, nouveau, i915, xe, nvidia*); HOOKS
// must hold `modconf`, or /etc/modprobe.d (our ids and softdeps) never reaches the image.
// Two syntaxes exist: the array `MODULES=(a b)` and the old string `MODULES="a b"`; both are kept
// in the form found.
// When /etc/mkinitcpio.conf.d/ exists (newer mkinitcpio sources *.conf there after the main file)
// and the main file uses the array form, a drop-in that prepends to the array leaves the user's
// file untouched; it is named to be sourced last, so no other drop-in can reset MODULES after it.
//
// Pure: text in, text out.
import { normaliseModuleName } from '../isolate/host-drivers.js';
import { KMS_MODULES } from './initramfs-tools-modules.js';

export const MKINITCPIO_CONF = '/etc/mkinitcpio.conf';
export const MKINITCPIO_DROPIN_DIR = '/etc/mkinitcpio.conf.d';
export const MKINITCPIO_DROPIN = `${MKINITCPIO_DROPIN_DIR}/99-vfio-wizard.conf`;

const isKms = (m: string) => KMS_MODULES.includes(m) || m.startsWith('nvidia');

export interface MkinitcpioArray {
  name: string;
  form: 'array' | 'string';
  values: string[];
  /** line index of the assignment (single-line assignments only) */
  line: number;
}

const ARRAY = /^(\s*)([A-Z_]+)=\(([^)]*)\)(\s*(?:#.*)?)$/;
const STRING = /^(\s*)([A-Z_]+)="([^"]*)"(\s*(?:#.*)?)$/;

/** The last uncommented single-line assignment of `name` (what bash ends up with). */
export function readMkinitcpioVar(text: string, name: string): MkinitcpioArray | null {
  const lines = text.split('\n');
  let found: MkinitcpioArray | null = null;
  lines.forEach((line, i) => {
    const a = ARRAY.exec(line) ?? STRING.exec(line);
    if (!a || a[2] !== name) return;
    const values = a[3]!.split(/\s+/).filter((w) => w !== '').map((w) => w.replace(/^["']|["']$/g, ''));
    found = { name, form: ARRAY.test(line) ? 'array' : 'string', values, line: i };
  });
  return found;
}

export interface MkinitcpioEdit {
  ok: true;
  /** where the change goes: the main file or our drop-in */
  path: string;
  text: string;
  changed: boolean;
  /** HOOKS has modconf */
  modconf: boolean;
  notes: string[];
}

export type MkinitcpioResult = MkinitcpioEdit | { ok: false; reason: string };

/**
 * Put `modules` before the first KMS module in MODULES. With `dropinDir` and the array form, write
 * our drop-in instead of touching the main file.
 */
export function planMkinitcpio(main: string | null, modules: readonly string[], opts: { dropinDir: boolean; dropin: string | null; files?: readonly string[] }): MkinitcpioResult {
  if (main === null) return { ok: false, reason: `${MKINITCPIO_CONF} is missing: mkinitcpio is not set up on this system` };
  const wanted = modules.map(normaliseModuleName);
  const mods = readMkinitcpioVar(main, 'MODULES');
  const hooks = readMkinitcpioVar(main, 'HOOKS');
  const modconf = hooks?.values.includes('modconf') ?? false;
  const notes: string[] = [];
  if (!modconf) notes.push(`HOOKS in ${MKINITCPIO_CONF} has no modconf: /etc/modprobe.d is not copied into the image, so the ids and softdeps apply only after the root is mounted. Add modconf to HOOKS.`);
  const virqfdGone = !wanted.includes('vfio_virqfd');

  if (opts.dropinDir && (mods === null || mods.form === 'array')) {
    const body = [
      ...(wanted.length ? [`MODULES=(${wanted.join(' ')} "\${MODULES[@]}")`] : []),
      ...(opts.files?.length ? [`FILES+=(${opts.files.join(' ')})`] : []),
    ];
    if (body.length === 0) return { ok: true, path: MKINITCPIO_DROPIN, text: opts.dropin ?? '', changed: false, modconf, notes };
    const text = `# Written by vfio-wizard: vfio modules first, before any display driver. To undo: delete this file, run mkinitcpio -P.\n${body.join('\n')}\n`;
    if (mods?.values.some((v) => normaliseModuleName(v) === 'vfio_virqfd') && virqfdGone) {
      notes.push(`MODULES in ${MKINITCPIO_CONF} lists vfio_virqfd, which no longer exists on this kernel (merged into vfio in 6.2): mkinitcpio reports it as missing. Remove it.`);
    }
    return { ok: true, path: MKINITCPIO_DROPIN, text, changed: text !== opts.dropin, modconf, notes };
  }
  if (mods === null) {
    return { ok: false, reason: `${MKINITCPIO_CONF} has no single-line MODULES=(...) assignment the wizard can edit safely; add ${wanted.join(' ')} at the front of MODULES by hand` };
  }
  const current = mods.values.map(normaliseModuleName);
  const kmsAt = current.findIndex(isKms);
  const allBefore = wanted.every((w) => {
    const i = current.indexOf(w);
    return i >= 0 && (kmsAt < 0 || i < kmsAt);
  });
  let next = [...mods.values];
  if (!allBefore) {
    // keep every listed module and its order, except that ours move in front of the first KMS module
    const kept = mods.values.filter((v) => !wanted.includes(normaliseModuleName(v)));
    const ours = wanted.map((w) => mods.values.find((v) => normaliseModuleName(v) === w) ?? w);
    const firstKms = kept.findIndex((v) => isKms(normaliseModuleName(v)));
    const at = firstKms >= 0 ? firstKms : kept.length;
    next = [...kept.slice(0, at), ...ours, ...kept.slice(at)];
  }
  if (virqfdGone && next.some((v) => normaliseModuleName(v) === 'vfio_virqfd')) {
    next = next.filter((v) => normaliseModuleName(v) !== 'vfio_virqfd');
    notes.push('removed vfio_virqfd from MODULES: it was merged into vfio in Linux 6.2 and mkinitcpio fails to find it');
  }
  const lines = main.split('\n');
  let changed = false;
  if (next.join(' ') !== mods.values.join(' ')) {
    lines[mods.line] = assign(lines[mods.line]!, mods.form, 'MODULES', next);
    changed = true;
  }
  const wantFiles = opts.files ?? [];
  if (wantFiles.length > 0) {
    const files = readMkinitcpioVar(main, 'FILES');
    const missing = wantFiles.filter((f) => !(files?.values ?? []).includes(f));
    if (missing.length > 0) {
      if (files) lines[files.line] = assign(lines[files.line]!, files.form, 'FILES', [...files.values, ...missing]);
      else lines.push(mods.form === 'array' ? `FILES=(${missing.join(' ')})` : `FILES="${missing.join(' ')}"`);
      changed = true;
    }
  }
  return { ok: true, path: MKINITCPIO_CONF, text: changed ? lines.join('\n') : main, changed, modconf, notes };
}

function assign(line: string, form: 'array' | 'string', name: string, values: string[]): string {
  const m = (form === 'array' ? ARRAY : STRING).exec(line)!;
  return form === 'array' ? `${m[1]}${name}=(${values.join(' ')})${m[4]}` : `${m[1]}${name}="${values.join(' ')}"${m[4]}`;
}
