// `vfio-wizard verify [--step ID]`: after the reboot a step asked for, check that it took effect
// (the same checks the wizard's resume screen runs) and record the outcome in the journal, so
// `status` stops listing it as pending. Read-only apart from that record.
import { markVerification, readStatus } from '../apply/status.js';
import { ExitCode } from '../exit-codes.js';
import { systemRoot } from '../host/root.js';
import { scanHost } from '../host/scan.js';
import { afterRebootCheck } from '../steps/after-reboot-checks.js';
import type { CommandContext } from './context.js';

export function runVerify(ctx: CommandContext, flags: { step?: string }): void {
  const g = ctx.globals();
  const root = systemRoot(g.root);
  const status = readStatus(root);
  const due = status.runs
    .flatMap((run) => run.steps)
    .filter((s) => s.state === 'applied' && s.verification === 'pending' && (flags.step === undefined || s.id === flags.step));
  const facts = due.length > 0 ? scanHost(root) : null;
  const results = due.map((s) => {
    if (s.rebootPending) return { runId: s.runId, step: s.id, state: 'reboot-pending' as const, check: null };
    const c = facts ? afterRebootCheck(s.id, facts, root, s.expect) : null;
    if (!c) return { runId: s.runId, step: s.id, state: 'no-check' as const, check: null };
    markVerification(root, s.runId, s.id, c.ok ? 'passed' : 'failed');
    return { runId: s.runId, step: s.id, state: c.ok ? ('passed' as const) : ('failed' as const), check: c };
  });
  const failed = results.some((r) => r.state === 'failed');
  // a run whose journal cannot be read may hold a step waiting for its check: say so, never skip it silently
  const unreadable = status.runs.filter((r) => r.corrupt).map((r) => r.runId);
  if (!g.json && unreadable.length > 0) {
    ctx.io.stdout.write(`Left out, as their journal cannot be read: ${unreadable.join(', ')} (vfio-wizard status says why).\n`);
  }
  if (g.json) {
    ctx.io.stdout.write(`${JSON.stringify({ schemaVersion: 1, results, unreadableRuns: unreadable }, null, 2)}\n`);
  } else if (results.length === 0) {
    ctx.io.stdout.write(`Nothing to verify${flags.step ? ` for step ${flags.step}` : ''}: no applied step is waiting for its after-reboot check.\n`);
  } else {
    for (const r of results) {
      if (r.state === 'reboot-pending') ctx.io.stdout.write(`${r.step}: not yet — reboot first, then run vfio-wizard verify again.\n`);
      else if (r.state === 'no-check') ctx.io.stdout.write(`${r.step}: this step has no after-reboot check.\n`);
      else {
        ctx.io.stdout.write(`${r.step}: ${r.state === 'passed' ? 'took effect' : 'did NOT take effect'} — ${r.check!.summary}\n${r.check!.lines.map((l) => `  ${l}`).join('\n')}\n`);
        if (r.state === 'failed') ctx.io.stdout.write(`  To undo it: vfio-wizard rollback --step ${r.step}\n`);
      }
    }
  }
  ctx.setExit(failed ? ExitCode.failed : ExitCode.ok);
}
