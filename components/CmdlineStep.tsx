// The kernel command line step, deciding: what booted (and the override), every parameter this
// host needs with its reason and warning, the offered ones, conflicts that need consent, and
// what the plan will do — or plainly why there is nothing to do, what to do by hand, or why the
// wizard refuses. Review, apply and the result are the generic change screens (ChangeStep).
import { trialOffered, type WizardState } from '../src/wizard.js';
import { cmdlineView, isSelected } from '../src/wizard-cmdline.js';
import { CursorLines, Lines, plain, type Line } from './Lines.js';
import { para } from './diff-lines.js';
import { truncate } from './text-layout.js';

export function cmdlineDecideLines(state: WizardState, columns: number): { lines: Line[]; cursorLine: number } {
  const flow = state.flows.cmdline;
  const lines: Line[] = [];
  const facts = state.session.facts;
  const detected = facts.boot.bootloader;
  if (!flow || (!flow.outcome && !flow.planError)) return { lines: [plain('Working out what this host needs…', { dim: true })], cursorLine: 0 };
  if (flow.planError) {
    lines.push(...para(`The step could not be planned: ${flow.planError}. Nothing was changed.`, columns, { color: 'red' }));
    return { lines, cursorLine: 0 };
  }
  const outcome = flow.outcome!;
  const view = cmdlineView(outcome);
  const override = state.cmdline.loader;
  lines.push([
    { text: 'Boot loader: ', bold: true },
    { text: view.loader },
    { text: override ? ` (your choice; detected ${detected.id})` : ' (detected)', dim: true },
  ]);
  if (!override) for (const e of detected.evidence.slice(0, 2)) lines.push(plain(truncate(`  ${e}`, columns), { dim: true }));
  lines.push(plain(''));
  lines.push(plain('Kernel parameters this host needs:', { bold: true }));
  let cursorLine = lines.length;
  if (view.params.length === 0) lines.push(plain('  none', { dim: true }));
  view.params.forEach((p, i) => {
    const on = isSelected(state.cmdline, p);
    const here = state.cmdline.cursor === i;
    if (here) cursorLine = lines.length;
    const changed = on !== p.selected;
    lines.push([
      { text: here ? '› ' : '  ', color: 'cyan' },
      { text: on ? '[x] ' : '[ ] ', bold: here },
      { text: p.token, bold: true, inverse: here },
      { text: p.selected ? '' : on ? '  (offered, added by you)' : '  (offered)', dim: true },
      { text: changed && !on ? '  (left out by you)' : '', color: 'yellow' },
    ]);
    lines.push(...para(p.reason, columns, { dim: !here }, '      '));
    if (p.warning) lines.push(...para(`! ${p.warning}`, columns, { color: 'yellow' }, '      '));
  });
  if (view.conflicts.length > 0) {
    const here = state.cmdline.cursor === view.params.length;
    lines.push(plain(''));
    lines.push(plain('On the command line or in its configuration, working against passthrough:', { bold: true }));
    for (const c of view.conflicts) lines.push(...para(`${c.token}: ${c.reason}`, columns, { color: 'red' }, '  '));
    if (here) cursorLine = lines.length;
    lines.push([
      { text: here ? '› ' : '  ', color: 'cyan' },
      { text: state.cmdline.consent ? '[x] ' : '[ ] ' },
      { text: 'replace or remove them (your consent)', inverse: here },
    ]);
  }
  for (const n of view.notes) lines.push(...para(`note: ${n}`, columns, { dim: true }, '  '));
  lines.push(plain(''));
  switch (outcome.kind) {
    case 'plan':
      lines.push(...para(`Adds: ${view.tokens.join(' ') || '(nothing new)'}${view.replaced.length ? `; removes: ${view.replaced.join(' ')}` : ''}. Enter shows exactly what changes.`, columns, { color: 'green' }));
      if (trialOffered(flow)) lines.push(...para('Or t: boot them once first, from a separate entry, with the normal entries left as they are.', columns, { dim: true }));
      break;
    case 'nothing':
      lines.push(...para(`Nothing to change: ${view.reason ?? 'the command line already has what this host needs'}.`, columns, { color: 'green' }));
      break;
    case 'manual':
      lines.push(plain('This has to be done by hand:', { bold: true }));
      for (const i of view.instructions) lines.push(...para(i, columns, {}, '  '));
      break;
    case 'refuse':
      lines.push(...para(`Cannot change the command line safely: ${view.reason ?? 'unknown reason'}`, columns, { color: 'red' }));
      break;
  }
  return { lines, cursorLine };
}

export function CmdlineStep({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  // the highlighted parameter and its reason below it stay in view
  return <CursorLines {...cmdlineDecideLines(state, columns)} height={height} />;
}

/** The trial boot, deciding: what it boots once, from which entry, and how to get back. */
export function trialLines(state: WizardState, columns: number): Line[] {
  const flow = state.flows['cmdline-trial'];
  if (!flow || (!flow.outcome && !flow.planError)) return [plain('Preparing the trial entry…', { dim: true })];
  if (flow.planError) return para(`Cannot plan: ${flow.planError}. Nothing was changed.`, columns, { color: 'red' });
  const o = flow.outcome!;
  const lines: Line[] = [
    ...para('Boots the new parameters once, from a copy of the default entry; the next boot after it is the normal one again. Nothing in the normal entries changes, so a machine that misbehaves just needs a reset.', columns, { dim: true }),
    plain(''),
  ];
  for (const l of o.explanation) lines.push(...para(l, columns));
  lines.push(plain(''));
  if (o.kind === 'plan') {
    lines.push(...para('Enter shows the exact changes. After the trial boot the wizard opens at its check; if it went well, apply the kernel command line step itself (undo removes the trial entry).', columns, { color: 'green' }));
  } else {
    lines.push(...para('No trial boot here; the kernel command line step itself still works (its escape hatch is shown with the review).', columns, { color: 'yellow' }));
  }
  return lines;
}

export function TrialStep({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  return <Lines lines={trialLines(state, columns).slice(0, Math.max(1, height))} />;
}
