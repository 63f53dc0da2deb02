// The share screens, deciding: what the device offers (and what it cannot), then the choice —
// how many SR-IOV virtual functions, which mdev type and how many, which NVIDIA vGPU type — and
// what the plan will do. Review, apply and the result are the shared change screens (ChangeStep).
import type { WizardState } from '../src/wizard.js';
import { mdevTypesOf, SHARE_STEP_IDS, verdictFor, vgpuOf, type ShareScreen } from '../src/wizard-share.js';
import { CursorLines, plain, type Line } from './Lines.js';
import { para } from './diff-lines.js';
import { truncate } from './text-layout.js';

export function shareDecideLines(state: WizardState, screen: ShareScreen, columns: number): { lines: Line[]; cursorLine: number } {
  const { device } = state.share;
  const facts = state.session.facts;
  const v = verdictFor(facts, state.session.share, device);
  const lines: Line[] = [plain(truncate(`${device ?? '?'}  ${v?.name ?? ''}`, columns), { bold: true })];
  for (const o of v?.options ?? []) lines.push(...para(`can share: ${o.summary}`, columns, { dim: true }, '  '));
  for (const n of v?.notes ?? []) lines.push(...para(n, columns, { color: 'yellow' }, '  '));
  lines.push(plain(''));
  let cursorLine = lines.length;
  const c = state.share;
  if (screen === 'shareSriov') {
    const d = facts.devices.find((x) => x.address === device);
    lines.push([{ text: 'Virtual functions: ', bold: true }, { text: `‹ ${c.count} ›`, inverse: true }, { text: `  of ${d?.sriov?.totalVfs ?? '?'} (now ${d?.sriov?.numVfs ?? '?'}; ←/→ change)`, dim: true }]);
  } else if (screen === 'shareMdev') {
    lines.push(plain('Type:', { bold: true }));
    mdevTypesOf(state.session.share, device).forEach((t, i) => {
      const here = i === c.cursor;
      if (here) cursorLine = lines.length;
      lines.push([
        { text: here ? '› ' : '  ', color: 'cyan' },
        { text: t.id, bold: here, inverse: here },
        { text: `  ${t.name ?? ''} · ${t.availableInstances ?? '?'} available${t.instances.length ? ` · ${t.instances.length} in use` : ''}`, dim: !here },
      ]);
    });
    lines.push([{ text: 'Instances: ', bold: true }, { text: `‹ ${c.count} ›`, inverse: true }, { text: '  (←/→ change)', dim: true }]);
  } else {
    const vf = vgpuOf(state.session.share, device);
    lines.push(plain(`vGPU type (now ${vf?.current ? vf.current : 'none'}):`, { bold: true }));
    (vf?.creatable ?? []).forEach((t, i) => {
      const here = i === c.cursor;
      if (here) cursorLine = lines.length;
      lines.push([{ text: here ? '› ' : '  ', color: 'cyan' }, { text: `${t.id}  ${t.name}`, bold: here, inverse: here }]);
    });
    if ((vf?.creatable.length ?? 0) === 0) lines.push(plain('  none can be created now', { dim: true }));
  }
  lines.push(plain(''));
  const flow = state.flows[SHARE_STEP_IDS[screen]];
  if (flow?.planError) lines.push(...para(`Cannot plan it: ${flow.planError}. Nothing was changed.`, columns, { color: 'red' }));
  else if (flow?.outcome) {
    const o = flow.outcome;
    for (const l of o.explanation) lines.push(...para(l, columns, o.kind === 'refuse' ? { color: 'red' } : {}));
    if (o.kind === 'plan') lines.push(...para('Enter shows exactly what changes.', columns, { color: 'green' }));
  } else lines.push(plain('Working it out…', { dim: true }));
  return { lines, cursorLine };
}

export function ShareStep({ state, screen, columns, height }: { state: WizardState; screen: ShareScreen; columns: number; height: number }) {
  return <CursorLines {...shareDecideLines(state, screen, columns)} height={height} />;
}
