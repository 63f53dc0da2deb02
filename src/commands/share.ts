// `vfio-wizard share [--device X] [--json]`: which devices can be shared instead of passed whole
// — mediated device types, SR-IOV, NVIDIA's vGPU type on a VF, MIG — with the command that does
// it, the mdevs that exist and the ones mdevctl keeps; for the others, why not in one line.
// Read-only. nvidia-smi is asked about MIG only on the running system, and only when installed.
import { ExitCode, UserError } from '../exit-codes.js';
import { systemRoot } from '../host/root.js';
import { scanHost } from '../host/scan.js';
import { parseDeviceArgument } from '../isolate/selection.js';
import { shareReport, shareVerdict, type ShareVerdict } from '../share/capability.js';
import { readShareFacts } from '../share/share-facts.js';
import { migState } from '../share/mig-state.js';
import type { CommandContext } from './context.js';

function verdictText(v: ShareVerdict): string {
  const lines = [`${v.device}  ${v.name}`];
  for (const o of v.options) lines.push(`  can share: ${o.summary}`, `    ${o.how}`);
  if (v.reason) lines.push(`  cannot share: ${v.reason}`);
  for (const n of v.notes) lines.push(`  ${n}`);
  return lines.join('\n');
}

export async function runShare(ctx: CommandContext, flags: { device?: string }): Promise<void> {
  const g = ctx.globals();
  const root = systemRoot(g.root);
  const facts = scanHost(root);
  const share = { ...readShareFacts(root, facts), mig: await migState(root) };
  let verdicts: ShareVerdict[];
  if (flags.device !== undefined) {
    const parsed = parseDeviceArgument(flags.device);
    const id = parsed?.kind === 'function' ? parsed.address : flags.device;
    const v = shareVerdict(facts, share, id);
    if (!v) throw new UserError(`no device or mdev parent ${flags.device} on this host`, ExitCode.badInput, 'Run vfio-wizard share without --device to see them all. Nothing was changed.');
    verdicts = [v];
  } else verdicts = shareReport(facts, share);
  if (g.json) {
    ctx.io.stdout.write(`${JSON.stringify({ schemaVersion: 1, devices: verdicts, mdevs: share.mdevs, mdevctl: share.mdevctl, parents: share.parents, nvidiaVfs: share.nvidiaVfs, mig: share.mig }, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(verdicts.length > 0 ? verdicts.map(verdictText).join('\n\n') : 'No GPU, mdev parent or SR-IOV device on this host.');
  if (share.mdevs.length > 0) out.push('', 'Mediated devices that exist:', ...share.mdevs.map((m) => `  ${m.uuid}  ${m.type ?? '?'} on ${m.parent ?? '?'}${m.iommuGroup !== null ? `, IOMMU group ${m.iommuGroup}` : ''}`));
  if (share.mdevctl.defined.length > 0) out.push('', 'Defined in mdevctl:', ...share.mdevctl.defined.map((d) => `  ${d.uuid}  ${d.type ?? '?'} on ${d.parent} (start: ${d.start ?? '?'})`));
  ctx.io.stdout.write(`${out.join('\n')}\n`);
}
