// `vfio-wizard status [--json]`: the runs under <root>/var/lib/vfio-wizard, their steps and state,
// and what is pending (reboot, verification, commands listed with --commands skip). Read-only.
import { readStatus, renderStatusText } from '../apply/status.js';
import { ExitCode } from '../exit-codes.js';
import { systemRoot } from '../host/root.js';
import type { CommandContext } from './context.js';

export function runStatus(ctx: CommandContext): void {
  const g = ctx.globals();
  const st = readStatus(systemRoot(g.root));
  ctx.io.stdout.write(g.json ? `${JSON.stringify(st, null, 2)}\n` : renderStatusText(st));
  // a corrupt journal is worth a non-zero exit even though status itself worked
  ctx.setExit(st.runs.some((r) => r.corrupt !== null) ? ExitCode.journalCorrupt : ExitCode.ok);
}
