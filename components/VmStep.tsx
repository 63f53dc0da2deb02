// The VM step, deciding: the form (name, memory, vCPUs, disk, ISO, display, quirks) with each
// field's validation message; once it holds a valid VM, what the scan says about it (IOMMU
// groups, OVMF, the ISO) and the exact virt-install command; and, on x, the VM as libvirt XML,
// a virt-install line, a Vagrantfile or a QEMU command line. Review, the live creation and the
// result are the shared change screens (ChangeStep).
import type { WizardState } from '../src/wizard.js';
import { shellJoin } from '../src/plan/shell-quote.js';
import { FIELD_LABELS, FORM_FIELDS, TEXT_FIELDS } from '../src/vm/vm-form.js';
import type { Finding } from '../src/vm/preflight.js';
import { vmFlagsFor } from '../src/vm/vm-flags.js';
import { Lines, plain, type Line } from './Lines.js';
import { para } from './diff-lines.js';
import { truncate } from './text-layout.js';

const EXPORT_TITLE = { xml: 'libvirt domain XML', 'virt-install': 'virt-install command', vagrant: 'Vagrantfile (vagrant-libvirt)', qemu: 'QEMU command line' } as const;
const MARK: Record<Finding['status'], Line[number]> = { ok: { text: '✔ ', color: 'green' }, warn: { text: '! ', color: 'yellow' }, fail: { text: '✘ ', color: 'red' } };

export function vmFormLines(state: WizardState, columns: number): Line[] {
  const vm = state.vm;
  const form = vm.form!;
  const lines: Line[] = [];
  FORM_FIELDS.forEach((f, i) => {
    const focused = vm.editing && i === form.focus;
    const v = form.values[f];
    const shown = typeof v === 'boolean' ? (v ? '[x]' : '[ ]') : TEXT_FIELDS.has(f) ? `${v}${focused ? '▏' : ''}` : `‹ ${v} ›`;
    lines.push([
      { text: focused ? '› ' : '  ', color: 'cyan' },
      { text: `${FIELD_LABELS[f]}: ` },
      { text: truncate(shown, Math.max(4, columns - FIELD_LABELS[f].length - 4)), bold: focused, inverse: focused && !TEXT_FIELDS.has(f) },
    ]);
    const err = form.errors[f];
    if (err) lines.push(...para(`✘ ${err}`, columns, { color: 'red' }, '    '));
  });
  return lines;
}

function exportLines(state: WizardState, columns: number, height: number): Line[] {
  const vm = state.vm;
  const f = vm.exportFormat!;
  const head: Line[] = [
    plain(`Export: ${EXPORT_TITLE[f]}${vm.form?.phase === 'done' ? '' : ' (of the defaults; Enter in the form to use your values)'}`, { bold: true }),
    ...para(`To save it: vfio-wizard vm export ${shellJoin(vmFlagsFor(vm.form?.spec ?? vm.form!.base))} --format ${f} --output FILE`, columns, { dim: true }),
  ];
  const text = (vm.exportText ?? 'Writing it…').split('\n').map((l) => plain(truncate(l, columns)));
  const room = Math.max(1, height - head.length);
  const start = Math.min(vm.exportScroll, Math.max(0, text.length - room));
  return [...head, ...text.slice(start, start + room)];
}

export function vmDecideLines(state: WizardState, columns: number, height: number): Line[] {
  const vm = state.vm;
  const flow = state.flows.vm;
  if (state.selection.length === 0 && state.share.created.length === 0) return para('No card is chosen yet: choose one on the devices screen, and the VM gets every function of it (or make a mediated device there with s).', columns);
  if (vm.error) return para(`The VM form could not start: ${vm.error}`, columns, { color: 'red' });
  if (!vm.form) return [plain('Reading the host’s memory and CPUs…', { dim: true })];
  if (vm.exportFormat !== null) return exportLines(state, columns, height);
  const lines: Line[] = [
    ...(vm.form.base.devices.length > 0 ? [plain(truncate(`Passed through (libvirt detaches and reattaches them, managed='yes'): ${vm.form.base.devices.join(', ')}`, columns), { dim: true })] : []),
    ...(vm.form.base.mdevs.length > 0 ? para(`Mediated devices: ${vm.form.base.mdevs.map((m) => `${m.uuid} on ${m.parent}`).join(', ')}`, columns, { dim: true }) : []),
    ...vmFormLines(state, columns),
    plain(''),
  ];
  if (vm.editing) {
    lines.push(...para('Type to change the field; ↑↓ or Tab move, ←→ or space switch a choice, Enter checks the VM, Esc stops editing.', columns, { dim: true }));
    return lines;
  }
  if (vm.form.phase !== 'done') {
    lines.push(...para('Enter or e to fill in the form (the defaults come from this host). n skips the VM; x shows it as XML, virt-install, Vagrant or QEMU.', columns, { color: 'green' }));
    return lines;
  }
  const outcome = flow?.outcome;
  if (flow?.planError) return [...lines, ...para(`The VM could not be planned: ${flow.planError}`, columns, { color: 'red' })];
  if (!outcome) return [...lines, plain('Checking…', { dim: true })];
  for (const f of (outcome.details.findings as Finding[] | undefined) ?? []) {
    lines.push([MARK[f.status], { text: truncate(f.message, columns - 2) }]);
    if (f.remedy && f.status !== 'ok') lines.push(...para(f.remedy, columns, { dim: true }, '    '));
  }
  const argv = outcome.details.argv as string[] | undefined;
  if (argv) lines.push(plain(''), ...para(`$ ${shellJoin(argv)}`, columns, { color: 'cyan' }));
  lines.push(plain(''));
  lines.push(
    ...(outcome.kind === 'plan'
      ? para('Enter reviews the creation (libvirt is asked first whether it can: reachable, the name free, room in the pool). e edits, x exports.', columns, { color: 'green' })
      : para('Fix what failed above (e edits the form), or export the VM (x) and create it later.', columns, { color: 'red' })),
  );
  return lines;
}

export function VmStep({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  const lines = vmDecideLines(state, columns, height);
  if (lines.length <= height) return <Lines lines={lines} />;
  // while typing, keep the focused field in view; otherwise the end (the verdict) matters most
  if (state.vm.editing && state.vm.form) {
    const at = Math.min(lines.length - height, Math.max(0, state.vm.form.focus - 2));
    return <Lines lines={lines.slice(at, at + height)} />;
  }
  return <Lines lines={lines.slice(lines.length - height)} />;
}
