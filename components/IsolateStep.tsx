// The isolation step, deciding: the cards chosen and every function they expand to, what else
// shares their IOMMU groups, the guards (each one overridden only by an explicit confirm), the
// warnings, how the devices will be bound and which host drivers are kept off them. Review,
// apply and the result are the shared change screens (ChangeStep). "Try it now" (t) is the live
// bind on its own screen.
import { shortAddress } from '../src/iommu-view.js';
import type { WizardState } from '../src/wizard.js';
import { isolateView } from '../src/wizard-isolate.js';
import { CursorLines, Lines, plain, type Line } from './Lines.js';
import { para } from './diff-lines.js';
import { truncate } from './text-layout.js';

const BIND_BY_TEXT = { auto: 'automatic (by ID, by address when another device shares the ID)', id: 'by vendor:device ID', address: 'by PCI address (driver_override)' };

export function isolateDecideLines(state: WizardState, columns: number): { lines: Line[]; cursorLine: number } {
  const flow = state.flows.isolate;
  const facts = state.session.facts;
  if (state.selection.length === 0) {
    return {
      lines: [
        ...para('No card is chosen yet. On the devices screen (b), move to a GPU, accelerator, NIC or USB controller, press space to mark its card, then Enter to come back here.', columns),
        plain(''),
        ...para('Every endpoint function of a card goes together (an NVIDIA card has VGA, audio, USB and UCSI functions); bridges never do.', columns, { dim: true }),
      ],
      cursorLine: 0,
    };
  }
  if (!flow || (!flow.outcome && !flow.planError)) return { lines: [plain('Working out the binding…', { dim: true })], cursorLine: 0 };
  if (flow.planError) return { lines: para(`The step could not be planned: ${flow.planError}. Nothing was changed.`, columns, { color: 'red' }), cursorLine: 0 };
  const outcome = flow.outcome!;
  const view = isolateView(outcome);
  const lines: Line[] = [plain('Passed through together:', { bold: true })];
  for (const a of view.devices) {
    const d = facts.devices.find((x) => x.address === a);
    lines.push(plain(truncate(`  ${shortAddress(a)}  ${d?.name ?? ''}  (${d?.driver ?? 'no driver'}${d?.iommuGroup !== null && d ? `, group ${d.iommuGroup}` : ''})`, columns)));
  }
  // a group whose viability is unknown is also a warning below: say it once
  const warned = view.warnings.map((w) => w.message).join(' ');
  for (const g of view.groups) if (!warned.includes(g)) lines.push(...para(g, columns, { dim: true }, '  '));
  let cursorLine = lines.length;
  if (view.blockers.length > 0) {
    lines.push(plain(''), plain('Guards — each stops the step until you insist:', { bold: true }));
    view.blockers.forEach((b, i) => {
      const here = state.isolate.cursor === i;
      const over = state.isolate.overrides.includes(b.override);
      if (here) cursorLine = lines.length;
      lines.push([
        { text: here ? '› ' : '  ', color: 'cyan' },
        { text: over ? '[x] ' : '[ ] ', bold: here },
        { text: over ? `overridden (${b.override})` : `blocked — space to override (${b.override})`, color: over ? 'yellow' : 'red', inverse: here },
      ]);
      lines.push(...para(b.message, columns, { color: over ? undefined : 'red', dim: over }, '      '));
    });
  }
  if (view.warnings.length > 0) {
    lines.push(plain(''));
    for (const w of view.warnings) lines.push(...para(`! ${w.message}`, columns, { color: 'yellow' }, '  '));
  }
  lines.push(plain(''));
  const bindRow = view.blockers.length;
  if (state.isolate.cursor === bindRow) cursorLine = lines.length;
  lines.push([
    { text: state.isolate.cursor === bindRow ? '› ' : '  ', color: 'cyan' },
    { text: 'Bind: ', bold: true },
    { text: BIND_BY_TEXT[state.isolate.bindBy], inverse: state.isolate.cursor === bindRow },
    { text: '  (m or space: change)', dim: true },
  ]);
  if (outcome.kind === 'plan') {
    const how = view.bindBy === 'id' ? `options vfio-pci ids=${view.ids.join(',')}` : 'driver_override for each address, early at boot';
    lines.push(...para(`→ ${how}; host drivers kept off with softdep: ${view.softdeps.join(', ') || 'none needed'}; vfio-pci loaded early in the initramfs, and the rebuilt image is checked.`, columns, { dim: true }, '    '));
    if (view.vfioPciIdsForCmdline) {
      lines.push(...para(`vfio-pci is built into this kernel: the IDs must go on the kernel command line too (vfio-pci.ids=${view.vfioPciIdsForCmdline.join(',')}) — add them on the command line screen.`, columns, { color: 'yellow' }, '    '));
    }
    for (const n of view.notes) lines.push(...para(`note: ${n}`, columns, { dim: true }, '    '));
  }
  lines.push(plain(''));
  const unmet = outcome.blockers ?? [];
  if (outcome.kind !== 'plan') {
    lines.push(...para(`Cannot plan the binding: ${view.reason ?? outcome.explanation.at(-1) ?? 'unknown reason'}`, columns, { color: 'red' }));
  } else if (unmet.length > 0) {
    lines.push(...para(`Blocked by ${unmet.length} guard${unmet.length === 1 ? '' : 's'}: choose other devices (b), or override ${unmet.length === 1 ? 'it' : 'each'} above.`, columns, { color: 'red' }));
  } else {
    lines.push(...para('Enter shows exactly what changes (applied at the next boot). t tries it now without a reboot.', columns, { color: 'green' }));
  }
  return { lines, cursorLine };
}

export function IsolateStep({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  return <CursorLines {...isolateDecideLines(state, columns)} height={height} />;
}

/** The live bind, deciding: what each function is on now and whether it can move now — or why not. */
export function tryNowLines(state: WizardState, columns: number): Line[] {
  const flow = state.flows['live-bind'];
  if (state.selection.length === 0) return para('Choose a card on the devices screen first.', columns);
  if (!flow || (!flow.outcome && !flow.planError)) return [plain('Looking at the devices…', { dim: true })];
  if (flow.planError) return para(`Cannot plan: ${flow.planError}. Nothing was changed.`, columns, { color: 'red' });
  const o = flow.outcome!;
  const lines: Line[] = [...para('Moves the devices to vfio-pci now, without a reboot: unbind from the current driver, driver_override, drivers_probe — then the driver link is read back. Undo (or the next reboot) gives them back.', columns, { dim: true }), plain('')];
  for (const l of o.explanation) lines.push(...para(l, columns, /^BLOCKED/.test(l) ? { color: 'red' } : {}));
  lines.push(plain(''));
  if (o.kind !== 'plan') lines.push(...para('Not possible now; the isolation step (applied at the next boot) still is.', columns, { color: 'yellow' }));
  else if ((o.blockers?.length ?? 0) > 0) lines.push(...para('Blocked: override the guards on the isolation screen (b) first.', columns, { color: 'red' }));
  else lines.push(...para('Enter shows the exact writes.', columns, { color: 'green' }));
  return lines;
}

export function TryNowStep({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  const lines = tryNowLines(state, columns);
  return <Lines lines={lines.slice(0, Math.max(1, height))} />;
}
