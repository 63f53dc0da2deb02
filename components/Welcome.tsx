// Step 1: what the wizard does, what this machine is, and whether it can do passthrough at all.
import type { WizardState } from '../src/wizard.js';
import { capLines } from './text-layout.js';
import { Lines, plain, wrapped, type Line } from './Lines.js';

export function hostSummary(state: WizardState): string {
  const f = state.session.facts;
  const parts = [
    f.distro.prettyName ?? f.distro.id ?? 'unknown distribution',
    f.kernel.release ? `kernel ${f.kernel.release}` : 'kernel unknown',
    f.cpu.model ?? `${f.cpu.vendor} CPU`,
  ];
  return parts.join(' · ');
}

export function demoStatusLines(state: WizardState, columns: number): Line[] {
  if (state.demo.state === 'loading') return [plain('Preparing the sample workstation…', { color: 'yellow' })];
  if (state.demo.state === 'failed') {
    return wrapped(`The demo could not be prepared: ${state.demo.message}. Nothing was changed.`, columns, { color: 'red' });
  }
  return [];
}

export function welcomeLines(state: WizardState, columns: number, height: number): Line[] {
  const lines: Line[] = [plain('Welcome to vfio-wizard', { bold: true }), plain('')];
  // what stops this host comes first: on a small terminal the step list gives way, not this
  if (state.blocking.length > 0) {
    lines.push(...wrapped(`✘ This machine cannot do passthrough: ${state.blocking.map((c) => c.summary).join('; ')}.`, columns, { color: 'red' }, '  '));
    if (state.demoAvailable) {
      lines.push(...wrapped('Press d to walk the wizard on a sample workstation instead (nothing is run).', columns, {}, '  '));
    } else if (!state.session.demo) {
      lines.push(...wrapped('Run vfio-wizard --demo to walk the wizard on a sample workstation.', columns, {}, '  '));
    }
    lines.push(plain(''));
  }
  lines.push(...demoStatusLines(state, columns));
  lines.push(...wrapped(`${state.session.demo ? 'Sample host' : 'This host'}: ${hostSummary(state)}`, columns), plain(''));
  const steps = [
    ...wrapped('It takes a Linux host to PCI passthrough with VFIO, one step at a time:', columns),
    ...wrapped('1. Host readiness: CPU, firmware, IOMMU, kernel, virtualisation stack', columns, {}, '   '),
    ...wrapped('2. Kernel command line: the parameters this host needs', columns, {}, '   '),
    ...wrapped('3. Devices by IOMMU group: a GPU, accelerator, NIC or USB controller', columns, {}, '   '),
    ...wrapped('4. Bind to vfio-pci: host drivers kept off, checked in the initramfs', columns, {}, '   '),
    ...wrapped('5. Virtual machine: libvirt, or exported for Vagrant or QEMU', columns, {}, '   '),
    plain(''),
  ];
  const end = [...wrapped('Nothing changes until you confirm it; all can be undone.', columns, { dim: true }), plain(''), plain('Press Enter to start.', { bold: true })];
  // a short terminal gets the steps in one line, so "Press Enter" stays on screen
  const compact = [...wrapped('Steps: readiness → command line → devices → vfio-pci → VM.', columns), plain('')];
  lines.push(...(lines.length + steps.length + end.length <= height ? steps : compact), ...end);
  return capLines(lines, height, (n) => plain(`… ${n} more lines (a taller terminal shows them)`, { dim: true }));
}

export function Welcome({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  return <Lines lines={welcomeLines(state, columns, height)} />;
}
