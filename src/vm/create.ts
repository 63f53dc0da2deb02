// The create path shared by `vm create` and the wizard's VM screen: preflight (facts + read-only
// virsh probes), the domain virt-install would define (--print-xml), and the creation itself as
// command events, undoing completed steps when a later one fails. Reads under --root; runs only
// through the Runner it is given.
import { existsSync } from 'node:fs';
import type { SystemRoot } from '../host/root.js';
import type { HostFacts } from '../host/types.js';
import { runWithEvents, type CommandEvent } from '../run/events.js';
import type { RunResult, Runner } from '../run/types.js';
import { listBridges } from './host-resources.js';
import { listOsVariants, similarVariants } from './os-variants.js';
import { findOvmf } from './ovmf.js';
import { bridgeFinding, groupFindings, osVariantFinding, ovmfFinding, probeFindings, type Finding } from './preflight.js';
import { virtInstallArgv } from './virt-install-args.js';
import { connectHints, vmCreatePlan } from './vm-plan.js';
import type { VmSpec } from './vm-spec.js';

export async function preflightVm(root: SystemRoot, facts: HostFacts, spec: VmSpec, runner: Runner): Promise<Finding[]> {
  return [
    ...groupFindings(facts, spec.devices),
    ovmfFinding(spec, findOvmf(root), (p) => existsSync(root.at(p))),
    bridgeFinding(spec, listBridges(root)),
    spec.osVariant === 'generic' ? null : osVariantFinding(spec, await listOsVariants(runner), similarVariants),
    ...(await probeFindings(runner, spec)),
  ].filter((f): f is Finding => f !== null);
}

/** `virt-install … --print-xml`: the domain it would define, created nowhere. */
export const printDomainXml = (runner: Runner, spec: VmSpec): Promise<RunResult> =>
  runner.run(virtInstallArgv(spec, { printXml: true }), { name: 'virt-install', timeoutMs: 120_000 });

export interface CreateOutcome {
  ok: boolean;
  /** commands of the plan that completed (before a failure: those were undone) */
  stepsDone: number;
  /** how to connect, when it worked */
  hints: string[];
}

export async function createVm(runner: Runner, spec: VmSpec, emit: (e: CommandEvent) => void, o: { signal?: AbortSignal } = {}): Promise<CreateOutcome> {
  const plan = vmCreatePlan(spec);
  // libvirt's test driver forgets every domain when its process ends, so `virsh domstate` after
  // virt-install can only fail there: the confirmation is left out for test:/// URIs alone.
  const changes = spec.connect.startsWith('test:') ? plan.changes.slice(0, 1) : plan.changes;
  let done = 0;
  for (const change of changes) {
    if (change.kind !== 'command') continue;
    const r = await runWithEvents(runner, emit, change.argv, { timeoutMs: 30 * 60_000, signal: o.signal });
    if (!r.ok) {
      // undo what this run did, newest first (virt-install removes its own half-made domain)
      for (const c of changes.slice(0, done).reverse()) {
        if (c.kind === 'command' && c.undo) await runWithEvents(runner, emit, c.undo.argv, { timeoutMs: 120_000 });
      }
      return { ok: false, stepsDone: done, hints: [] };
    }
    done++;
  }
  return { ok: true, stepsDone: done, hints: connectHints(spec) };
}
