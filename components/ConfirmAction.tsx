// The explicit confirm before anything changes the system (apply, undo, undo with --force).
// Cancel is focused first; only `y`, or Enter once the Apply button is focused, goes ahead.
// Digits and every other key do nothing — this is never a list to pick from.
import type { WizardState } from '../src/wizard.js';
import type { ConfirmAction as Action } from '../src/wizard-step.js';
import { Lines, plain, type Line } from './Lines.js';
import { para } from './diff-lines.js';
import { capLines } from './text-layout.js';

function describeAction(state: WizardState, a: Action, columns: number): { title: string; lines: Line[]; button: string } {
  if (a.kind === 'apply') {
    const plan = state.flows[a.stepId]?.outcome?.plan;
    const files = plan?.changes.filter((c) => c.kind === 'file').length ?? 0;
    const commands = plan?.changes.filter((c) => c.kind === 'command').length ?? 0;
    const what = `${files} file${files === 1 ? '' : 's'}, ${commands} command${commands === 1 ? '' : 's'}${plan?.needsReboot ? ', then a reboot' : ''}`;
    return {
      title: `Apply "${plan?.title ?? a.stepId}" now?`,
      lines: [
        ...para(`This changes ${what}. Originals are backed up first; "undo this step" restores them.`, columns),
        ...(state.session.demo ? para('Demo: the files are written in its temporary root and the commands are listed, not run.', columns, { dim: true }) : []),
      ],
      button: 'Apply',
    };
  }
  if (a.kind === 'override') {
    return {
      title: 'Go ahead despite this guard?',
      lines: [
        ...para(a.message, columns, { color: 'yellow' }),
        plain(''),
        ...para(`This is what ${a.flag} does on the command line. Nothing changes yet: the plan is made again with the guard lifted, and you review it before anything is applied.`, columns),
      ],
      button: 'Override',
    };
  }
  const which = 'all' in a.target ? 'every step vfio-wizard applied' : `step ${a.target.stepId}`;
  if (a.force) {
    return {
      title: 'Overwrite files that were changed since?',
      lines: para(`Undo ${which} with --force: the files changed after vfio-wizard wrote them are replaced by their originals. Their current versions are kept next to the backups.`, columns, { color: 'yellow' }),
      button: 'Force undo',
    };
  }
  return {
    title: 'all' in a.target ? 'Undo everything?' : `Undo step ${a.target.stepId}?`,
    lines: para(`Restores the original files of ${which} and regenerates what they feed (boot menu, initramfs). A file changed since is not overwritten: you will see its three versions.`, columns),
    button: 'all' in a.target ? 'Undo everything' : 'Undo',
  };
}

export function confirmLines(state: WizardState, columns: number): Line[] {
  const c = state.confirm;
  if (!c) return [];
  const d = describeAction(state, c.action, columns);
  const lines: Line[] = [plain(d.title, { bold: true, color: 'yellow' }), plain(''), ...d.lines, plain('')];
  // overriding a guard changes nothing on the system, so it needs no root
  if (!state.canApply && c.action.kind !== 'override') {
    lines.push(...para(`This needs root, and the wizard never asks for a password. Nothing was changed. Re-run it as root: ${state.rerunHint}`, columns, { color: 'red' }));
    lines.push(plain(''));
    lines.push([{ text: '[ Back ]', inverse: true }]);
    return lines;
  }
  const cancel = c.focus === 'cancel';
  // the focus is marked in text too (» ), not only in colour: monochrome terminals and screen
  // readers see it
  lines.push([
    { text: cancel ? '» ' : '  ', bold: true },
    { text: '[ Cancel ]', inverse: cancel, bold: cancel },
    { text: cancel ? '     ' : '   » ', bold: true },
    { text: `[ ${d.button} ]`, inverse: !cancel, bold: !cancel, color: cancel ? undefined : 'red' },
  ]);
  lines.push(plain(''));
  lines.push(...para(`y or ←/→ then Enter: ${d.button.toLowerCase()} · n or Esc: cancel`, columns, { dim: true }));
  return lines;
}

export function ConfirmAction({ state, columns, height }: { state: WizardState; columns: number; height: number }) {
  return <Lines lines={capLines(confirmLines(state, columns), height, (n) => plain(`… ${n} more lines`, { dim: true }))} />;
}
