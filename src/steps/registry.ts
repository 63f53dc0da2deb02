// The wizard's steps as the CLI and the UI see them: each reads what it needs under the root,
// plans (pure), describes its decision for people and for --json, and checks its own result.
import type { BootloaderId, HostFacts } from '../host/types.js';
import type { SystemRoot } from '../host/root.js';
import type { Plan } from '../plan/types.js';
import type { Runner } from '../run/types.js';
import { readCmdlineFiles } from './cmdline-files.js';
import { planCmdline, type CmdlineStepResult } from './cmdline.js';
import { describeCmdline } from './cmdline-report.js';
import { verifyCmdline } from './cmdline-verify.js';
import { existsSync } from 'node:fs';
import { ExitCode, UserError } from '../exit-codes.js';
import { scanHost } from '../host/scan.js';
import { expandSelection } from '../isolate/selection.js';
import { checkLiveBind, LIVE_BIND_STEP_ID, planLiveBind } from '../isolate/live-bind.js';
import { devicesInUse } from '../isolate/in-use.js';

export interface StepOptions {
  params: string[];
  noParams: string[];
  loader?: BootloaderId;
  replaceConflicts: boolean;
  /** --device values as given (ADDR[,ADDR…], functions or slots); steps that take no devices ignore it */
  devices?: string[];
}

export interface StepVerification {
  ok: boolean;
  summary: string;
}

export interface StepOutcome {
  stepId: string;
  title: string;
  /** plan: something to apply; nothing: already done; manual: do it by hand; refuse: cannot safely */
  kind: 'plan' | 'nothing' | 'manual' | 'refuse';
  plan: Plan | null;
  /** the decision explained, line by line (plain renderer) */
  explanation: string[];
  /** the step's own details for --json */
  details: Record<string, unknown>;
  /** checks the generated configuration once the plan's commands have run */
  verify: ((root: SystemRoot, runner: Runner) => Promise<StepVerification>) | null;
}

export interface StepDefinition {
  id: string;
  title: string;
  plan(facts: HostFacts, root: SystemRoot, opts: StepOptions): StepOutcome;
}

export const cmdlineStep: StepDefinition = {
  id: 'cmdline',
  title: 'Kernel command line',
  plan(facts, root, opts) {
    const result: CmdlineStepResult = planCmdline(facts, readCmdlineFiles(root), {
      add: opts.params,
      skip: opts.noParams,
      loader: opts.loader,
      replaceConflicts: opts.replaceConflicts,
    });
    const { explanation, details } = describeCmdline(result);
    return {
      stepId: 'cmdline',
      title: 'Kernel command line',
      kind: result.kind,
      plan: result.kind === 'plan' ? result.plan : null,
      explanation,
      details,
      verify:
        result.kind === 'plan'
          ? async (r, runner) => verifyCmdline(result.verify, result.tokens, r, runner)
          : null,
    };
  },
};

/** Expands --device into whole cards; malformed or unknown addresses are input errors. */
function selectDevices(facts: HostFacts, devices: string[]): string[] {
  const sel = expandSelection(facts, devices);
  if (!sel.ok) throw new UserError(sel.error.message, sel.error.kind === 'usage' ? ExitCode.usage : ExitCode.badInput, sel.error.remedy);
  return sel.devices;
}

export const liveBindStep: StepDefinition = {
  id: LIVE_BIND_STEP_ID,
  title: 'Try it now: bind to vfio-pci without a reboot',
  plan(facts, root, opts) {
    const addresses = selectDevices(facts, opts.devices ?? []);
    const r = planLiveBind(facts, addresses, devicesInUse(root, facts, addresses));
    const explanation = [
      `Devices: ${addresses.join(', ')}`,
      ...r.devices.map((d) => `  ${d.address}: now ${d.driver ?? 'no driver'}, IOMMU group ${d.iommuGroup ?? 'none'}`),
      ...(r.plan ? ['Each device is moved to vfio-pci now; it returns to its driver on rollback or at the next reboot.'] : ['Cannot bind now:', ...r.reasons.map((x) => `  ${x}`)]),
    ];
    return {
      stepId: LIVE_BIND_STEP_ID,
      title: liveBindStep.title,
      kind: r.plan ? 'plan' : 'refuse',
      plan: r.plan,
      explanation,
      details: { devices: r.devices, reasons: r.reasons },
      verify: r.plan
        ? async (rt) => {
            const check = checkLiveBind(scanHost(rt), r.devices, (p) => existsSync(rt.at(p)));
            return { ok: check.ok, summary: check.summary };
          }
        : null,
    };
  },
};

export const STEPS: StepDefinition[] = [cmdlineStep, liveBindStep];

export function findStep(id: string): StepDefinition | undefined {
  return STEPS.find((s) => s.id === id);
}

/**
 * The next pending step of the wizard: the kernel command line while the IOMMU is off (or the
 * command line still lacks something this host needs); otherwise device isolation.
 */
export function nextStepId(facts: HostFacts, root: SystemRoot): string {
  const cmd = cmdlineStep.plan(facts, root, { params: [], noParams: [], replaceConflicts: false });
  if (!facts.iommu.enabled || cmd.kind === 'plan') return 'cmdline';
  return 'isolate';
}
