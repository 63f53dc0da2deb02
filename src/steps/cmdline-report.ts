// The kernel command line decision in words (plain renderer and review screen) and as data
// (--json). Every parameter comes with its reason; offered ones say how to take them.
import type { CmdlineStepResult } from './cmdline.js';

export function describeCmdline(result: CmdlineStepResult): { explanation: string[]; details: Record<string, unknown> } {
  const d = result.decision;
  const lines: string[] = [];
  lines.push(`Boot loader: ${result.loader}`);
  if (result.kind === 'plan') for (const e of result.loaderEvidence) lines.push(`  ${e}`);
  lines.push('Parameters this host needs:');
  if (d.params.length === 0) lines.push('  none');
  for (const p of d.params) {
    const mark = p.selected ? '+' : '·';
    const how = p.selected ? '' : ` (offered: add it with --param ${p.token})`;
    lines.push(`  ${mark} ${p.token}${how}`);
    lines.push(`      ${p.reason}`);
    if (p.warning) lines.push(`      warning: ${p.warning}`);
  }
  for (const c of d.conflicts) {
    lines.push(`  ! ${c.token} on the current command line: ${c.reason}`);
    lines.push('      replaced or removed only with --replace-conflicts (your consent)');
  }
  for (const n of d.notes) lines.push(`  note: ${n}`);
  switch (result.kind) {
    case 'plan':
      lines.push(`Adds: ${result.tokens.join(' ') || '(nothing new)'}${result.replaced.length ? `; removes: ${result.replaced.join(' ')}` : ''}`);
      lines.push(result.escapeHatch);
      if (result.trialBoot) lines.push(`To boot with the parameters once before making them permanent: ${result.trialBoot.join(' ')}`);
      break;
    case 'nothing':
      lines.push(`Nothing to change: ${result.reason}.`);
      break;
    case 'manual':
      lines.push(...result.instructions);
      break;
    case 'refuse':
      lines.push(`Cannot change the command line safely: ${result.reason}`);
      break;
  }
  const details: Record<string, unknown> = {
    loader: result.loader,
    params: d.params,
    conflicts: d.conflicts,
    notes: d.notes,
  };
  if (result.kind === 'plan') Object.assign(details, { loaderEvidence: result.loaderEvidence, tokens: result.tokens, replaced: result.replaced, verify: result.verify, escapeHatch: result.escapeHatch, trialBoot: result.trialBoot });
  if (result.kind === 'manual') Object.assign(details, { tokens: result.tokens, instructions: result.instructions });
  if (result.kind === 'refuse' || result.kind === 'nothing') details.reason = result.reason;
  return { explanation: lines, details };
}
