// `vfio-wizard check`: the readiness checklist, layer by layer (docs/checks.md). Reads the host
// (or --root DIR), runs libvirt's virt-host-validate on the running system and shows its lines
// as they come, then prints one line per check with the fix under every item that is not a pass.
// --json prints { schemaVersion, root, checks } and nothing else on stdout. Exit status 3 when
// any check fails. Read-only; never loads the UI.
import { systemRoot } from '../host/root.js';
import { scanHost } from '../host/scan.js';
import { anyFailed, countStatuses, runChecks } from '../checks/index.js';
import { runVirtHostValidate } from '../checks/run-virt-host-validate.js';
import type { VirtHostValidateResult } from '../checks/virt-host-validate.js';
import type { Check, CheckStatus } from '../checks/types.js';
import { ExitCode } from '../exit-codes.js';
import type { CommandContext } from './context.js';

export interface CheckReport {
  schemaVersion: 1;
  root: string;
  checks: Check[];
}

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', unknown: '????' };
const COLOUR: Record<CheckStatus, string> = { pass: '\u001b[32m', warn: '\u001b[33m', fail: '\u001b[31m', unknown: '\u001b[36m' };
const RESET = '\u001b[0m';
/** evidence lines shown under an item that is not a pass (all of them are in --json) */
const EVIDENCE_SHOWN = 6;

function indentBlock(label: string, text: string, pad: string): string[] {
  return text.split('\n').map((line, n) => `${pad}${n === 0 ? label : ' '.repeat(label.length)}${line}`);
}

/** The plain-text checklist: one line per check; why, fix and what was seen under the others. */
export function formatChecks(checks: Check[], opts: { color: boolean }): string {
  const width = Math.max(...checks.map((c) => c.title.length));
  const out: string[] = [];
  const pad = ' '.repeat(8);
  for (const c of checks) {
    const label = opts.color ? `${COLOUR[c.status]}${LABEL[c.status]}${RESET}` : LABEL[c.status];
    out.push(`  ${label}  ${c.title.padEnd(width)}  ${c.summary}`);
    if (c.status === 'pass') continue;
    out.push(...indentBlock('why:  ', c.why, pad));
    if (c.remedy) out.push(...indentBlock('fix:  ', c.remedy, pad));
    const seen = c.evidence.slice(0, EVIDENCE_SHOWN);
    if (c.evidence.length > EVIDENCE_SHOWN) seen.push(`… ${c.evidence.length - EVIDENCE_SHOWN} more (see --json)`);
    if (seen.length) out.push(...indentBlock('seen: ', seen.join('\n'), pad));
  }
  const n = countStatuses(checks);
  out.push('');
  out.push(`${n.pass} passed, ${n.warn} warning${n.warn === 1 ? '' : 's'}, ${n.fail} failed, ${n.unknown} unknown.`);
  const unknown = checks.filter((c) => c.status === 'unknown').map((c) => c.title);
  out.push(
    n.fail > 0
      ? 'Not ready for passthrough: fix the failed layers above, lowest first (exit status 3).'
      : unknown.length > 0
        ? `Nothing failed, but readiness is not known: ${unknown.join(', ')} could not be judged from what was readable (see each one above).`
        : n.warn > 0
          ? 'Ready for passthrough; read the warnings above.'
          : 'Ready for passthrough.',
  );
  return `${out.join('\n')}\n`;
}

export async function runCheck(ctx: CommandContext): Promise<void> {
  const g = ctx.globals();
  const { io } = ctx;
  const root = systemRoot(g.root);
  const facts = scanHost(root);
  const plain = !g.json;
  const color = plain && Boolean(io.stdout.isTTY) && g.color && !io.env.NO_COLOR;

  let vhv: VirtHostValidateResult | null = null;
  if (root.live && facts.virt.virtHostValidate !== null) {
    // loaded only when there is something to run; a read-only command writes no log file
    const { createRunner } = await import('../run/runner.js');
    const runner = createRunner({ logDir: null });
    if (plain) io.stdout.write("Running libvirt's host check (virt-host-validate qemu):\n");
    vhv = await runVirtHostValidate(facts, runner, {
      ...(plain ? { onLine: (line: string) => void io.stdout.write(`virt-host-validate: ${line}\n`) } : {}),
    });
    if (plain) io.stdout.write('\n');
  }
  const checks = runChecks(facts, { virtHostValidate: vhv });

  if (g.json) {
    const report: CheckReport = { schemaVersion: 1, root: facts.root, checks };
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout.write(`Readiness of ${root.live ? 'this machine' : `the system at ${facts.root}`}:\n`);
    io.stdout.write(formatChecks(checks, { color }));
    if (facts.notes.length > 0) {
      io.stdout.write(`\nWhat the scan could not read:\n${facts.notes.map((n) => `  - ${n}`).join('\n')}\n`);
    }
  }
  ctx.setExit(anyFailed(checks) ? ExitCode.checkFailed : ExitCode.ok);
}
