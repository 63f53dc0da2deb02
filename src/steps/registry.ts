// The wizard's steps as the CLI and the UI see them: each reads what it needs under the root,
// plans (pure), describes its decision for people and for --json, and checks its own result.
import type { BootloaderId, HostFacts } from '../host/types.js';
import type { SystemRoot } from '../host/root.js';
import type { Plan } from '../plan/types.js';
import type { Runner } from '../run/types.js';
import { readCmdlineFiles } from './cmdline-files.js';
import { planCmdline, type CmdlineStepResult } from './cmdline.js';
import { describeCmdline } from './cmdline-report.js';
import { verifyCmdline, verifyTrial } from './cmdline-verify.js';
import { planCmdlineTrial } from './cmdline-trial.js';
import { existsSync } from 'node:fs';
import { ExitCode, UserError } from '../exit-codes.js';
import { scanHost } from '../host/scan.js';
import { identicalIds, selectedIds, selectionReport, unmetBlockers, type Blocker, type SelectionReport } from '../isolate/selection.js';
import { initramfsContains, ISOLATE_DIRS, ISOLATE_FILES, planIsolate, type BindBy } from '../isolate/plan-isolate.js';
import { hostArgv } from '../apply/engine-types.js';
import { SysReader } from '../host/sysfs-read.js';
import { modaliasOf, parsePciAliases } from '../isolate/modalias.js';
import { checkLiveBind, planLiveBind } from '../isolate/live-bind.js';
import { LIVE_BIND_STEP_ID, TRIAL_STEP_ID } from './step-ids.js';
import { devicesInUse } from '../isolate/in-use.js';
import type { VmSpec } from '../vm/vm-spec.js';
import { vmStep } from './vm-step.js';
import { mdevStep, sriovStep, vgpuTypeStep } from './share-steps.js';
import { driverPackageLines, driverPackagesFor, driverPackagesStep, readPackageScan } from './driver-packages.js';

export interface StepOptions {
  params: string[];
  noParams: string[];
  loader?: BootloaderId;
  replaceConflicts: boolean;
  /** --device values as given (ADDR[,ADDR…], functions or slots); steps that take no devices ignore it */
  devices?: string[];
  /** override flags given (--allow-boot-gpu …, --pass-whole-group) */
  overrides?: string[];
  /** isolate: --bind-by and --blacklist */
  bindBy?: BindBy;
  blacklist?: string[];
  /** vm: the virtual machine to create (the VM form or `vm create` flags built it) */
  vm?: VmSpec;
  /** sriov, mdev, vgpu-type: --vfs, --type, --count, --uuid */
  share?: { vfs?: number; type?: string; count?: number; uuids?: string[] };
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
  /** guards the user has not overridden: apply refuses while any remain (exit needsOverride) */
  blockers?: Blocker[];
  /** checks the generated configuration once the plan's commands have run */
  verify: ((root: SystemRoot, runner: Runner) => Promise<StepVerification>) | null;
  /**
   * read-only checks that need a runner (libvirt reachable, the name free), run right before the
   * apply; a failing one stops it with nothing changed (src/steps/apply-outcome.ts)
   */
  preflight?: (root: SystemRoot, runner: Runner) => Promise<StepVerification>;
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
      vfioPciIds: cmdlineDeviceIds(facts, opts),
    });
    const { explanation, details } = describeCmdline(result);
    return {
      stepId: 'cmdline',
      title: 'Kernel command line',
      kind: result.kind,
      plan: result.kind === 'plan' ? { ...result.plan, expect: { cmdlineAdded: result.tokens, cmdlineRemoved: result.replaced, loader: result.loader } } : null,
      explanation,
      details,
      verify:
        result.kind === 'plan'
          ? async (r, runner) => verifyCmdline(result.verify, result.tokens, r, runner)
          : null,
    };
  },
};

/**
 * --device on the command line step: the IDs of the chosen cards, for vfio-pci.ids when vfio-pci is
 * built into the kernel (and rd.driver.pre=vfio-pci with dracut). IDs shared with a device the host
 * keeps cannot go on the command line: they would take that device too.
 */
function cmdlineDeviceIds(facts: HostFacts, opts: StepOptions): string[] | undefined {
  if (!opts.devices?.length) return undefined;
  const report = select(facts, opts);
  const shared = identicalIds(facts, report.devices);
  if (shared.length > 0) {
    throw new UserError(
      `${shared.map((i) => `${i.id} is also on ${i.others.join(', ')}`).join('; ')}: vfio-pci.ids would take those devices from the host too`,
      ExitCode.badInput,
      'Bind these devices by address instead (vfio-wizard apply --step isolate --device …, which uses driver_override). Nothing was changed.',
    );
  }
  return selectedIds(facts, report.devices);
}

/** The selection for a device step: whole cards, group viability, guards; input errors are thrown. */
function select(facts: HostFacts, opts: StepOptions): SelectionReport {
  const overrides = opts.overrides ?? [];
  const sel = selectionReport(facts, opts.devices ?? [], { passWholeGroup: overrides.includes('--pass-whole-group') });
  if (!sel.ok) throw new UserError(sel.error.message, sel.error.kind === 'usage' ? ExitCode.usage : ExitCode.badInput, sel.error.remedy);
  return sel.report;
}

function selectionLines(r: SelectionReport, overrides: string[]): string[] {
  const lines = [`Devices: ${r.devices.join(', ')}`];
  for (const e of r.expansions) if (e.devices.length > 1 || !e.devices[0]?.endsWith(e.argument.toLowerCase())) lines.push(`  ${e.argument} → ${e.devices.join(', ')}`);
  const warned = new Set(r.warnings.map((w) => w.message));
  for (const g of r.groups) if (!warned.has(g.explanation.join(' '))) for (const x of g.explanation) lines.push(`  ${x}`);
  for (const b of r.blockers) {
    const given = overrides.includes(b.override);
    lines.push(`${given ? 'OVERRIDDEN' : 'BLOCKED'}: ${b.message}`, `  ${given ? `you passed ${b.override}` : `to go ahead anyway: ${b.override}`}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w.message}`);
  for (const i of r.identicalIds) lines.push(`note: ${i.id} is on ${i.selected.join(', ')} and also on ${i.others.join(', ')}: bound by address, never by ID`);
  return lines;
}

function readIsolateFiles(root: SystemRoot): Record<string, string | null> {
  const r = new SysReader(root.live ? '' : root.dir);
  const files: Record<string, string | null> = {};
  for (const p of ISOLATE_FILES) files[p] = r.optionalText(root.at(p));
  for (const dir of ISOLATE_DIRS) {
    for (const name of r.optionalList(root.at(dir)) ?? []) {
      const p = `${dir}/${name}`;
      if (!(p in files)) files[p] = r.optionalText(root.at(p));
    }
  }
  return files;
}

/** The modules the root's own kernel would load for each device (modules.alias), when readable. */
function aliasModulesFor(root: SystemRoot, facts: HostFacts, addresses: string[]): Record<string, string[]> | undefined {
  const kver = facts.kernel.release;
  if (!kver) return undefined;
  const r = new SysReader();
  const text = r.optionalText(root.at(`/usr/lib/modules/${kver}/modules.alias`)) ?? r.optionalText(root.at(`/lib/modules/${kver}/modules.alias`));
  if (text === null) return undefined;
  const table = parsePciAliases(text);
  const out: Record<string, string[]> = {};
  for (const a of addresses) {
    const d = facts.devices.find((x) => x.address === a);
    if (d) out[a] = table.modulesFor(modaliasOf(d));
  }
  return out;
}

const hasTool = (root: SystemRoot, names: string[]) => names.some((n) => existsSync(root.at(n)));

export const isolateStep: StepDefinition = {
  id: 'isolate',
  title: 'Bind the devices to vfio-pci',
  plan(facts, root, opts) {
    const report = select(facts, opts);
    const overrides = opts.overrides ?? [];
    const result = planIsolate(facts, report.devices, readIsolateFiles(root), {
      blacklist: opts.blacklist ?? [],
      bindBy: opts.bindBy ?? 'auto',
      driverctl: hasTool(root, ['/usr/sbin/driverctl', '/usr/bin/driverctl']),
      mkinitcpioDropinDir: existsSync(root.at('/etc/mkinitcpio.conf.d')),
      aliasModules: aliasModulesFor(root, facts, report.devices),
    });
    const explanation = selectionLines(report, overrides);
    const details: Record<string, unknown> = { devices: report.devices, expansions: report.expansions, groups: report.groups, blockers: report.blockers, warnings: report.warnings, identicalIds: report.identicalIds };
    if (!result.ok) {
      return { stepId: 'isolate', title: isolateStep.title, kind: 'refuse', plan: null, explanation: [...explanation, `Cannot plan the binding: ${result.reason}`, result.remedy], details: { ...details, reason: result.reason }, verify: null };
    }
    explanation.push(`Bind by ${result.bindBy === 'id' ? `vendor:device ID (${result.ids.join(', ')})` : 'address'}; host drivers kept off: ${result.softdeps.map((d) => d.module).join(', ') || 'none'}`);
    for (const c of result.conflicts) explanation.push(`note: ${c}`);
    const packages = driverPackagesFor(facts, report.devices, readPackageScan(root));
    explanation.push(...driverPackageLines(packages, report.devices));
    if (result.vfioPciIdsForCmdline) {
      explanation.push(`vfio-pci is built into this kernel: the IDs go on the kernel command line too — vfio-wizard apply --step cmdline --device ${report.devices.join(',')} (adds vfio-pci.ids=${result.vfioPciIdsForCmdline.join(',')})`);
    }
    Object.assign(details, { bindBy: result.bindBy, ids: result.ids, softdeps: result.softdeps, vfioPciIdsForCmdline: result.vfioPciIdsForCmdline, verification: result.verification, conflicts: result.conflicts, driverPackages: { manager: packages.scan.manager, checked: packages.scan.checked, installed: packages.relevant, hostCards: packages.hostCards } });
    const v = result.verification;
    // the listing is the step's verification, run (and read) once after apply — not a change
    const plan = v
      ? {
          ...result.plan,
          expect: { devices: report.devices },
          changes: result.plan.changes.filter((c) => !(c.kind === 'command' && c.argv.join('\0') === v.argv.join('\0'))),
          notes: [...result.plan.notes, `After the rebuild, \`${v.argv.join(' ')}\` must list vfio-pci and our configuration, or the step is rolled back.`],
        }
      : { ...result.plan, expect: { devices: report.devices } };
    return {
      stepId: 'isolate',
      title: isolateStep.title,
      kind: 'plan',
      plan,
      explanation,
      details,
      blockers: unmetBlockers(report.blockers, overrides),
      verify: v
        ? async (rt, runner) => {
            // the rebuilt image must hold vfio-pci and our configuration, or the step is not done
            const listing = await runner.run(hostArgv(rt, v.argv), { name: v.argv[0] ?? 'list initramfs', timeoutMs: 300_000 });
            if (!listing.ok) return { ok: false, summary: `could not list the initramfs (${v.argv.join(' ')}): exit ${listing.exitCode ?? listing.signal ?? listing.spawnError}` };
            const found = initramfsContains(listing.stdout, v.expect);
            return {
              ok: found.ok,
              summary: found.ok ? `the rebuilt initramfs holds vfio-pci and ${v.expect.files.join(', ') || 'our configuration'}` : `missing from the initramfs: ${found.missing.join(', ')}`,
            };
          }
        : null,
    };
  },
};

export const liveBindStep: StepDefinition = {
  id: LIVE_BIND_STEP_ID,
  title: 'Try it now: bind to vfio-pci without a reboot',
  plan(facts, root, opts) {
    const report = select(facts, opts);
    const addresses = report.devices;
    const r = planLiveBind(facts, addresses, devicesInUse(root, facts, addresses));
    const explanation = [
      ...selectionLines(report, opts.overrides ?? []),
      ...r.devices.map((d) => `  ${d.address}: now ${d.driver ?? 'no driver'}, IOMMU group ${d.iommuGroup ?? 'none'}`),
      ...(r.plan ? ['Each device is moved to vfio-pci now; it returns to its driver on rollback or at the next reboot.'] : ['Cannot bind now:', ...r.reasons.map((x) => `  ${x}`)]),
    ];
    return {
      stepId: LIVE_BIND_STEP_ID,
      title: liveBindStep.title,
      kind: r.plan ? 'plan' : 'refuse',
      plan: r.plan,
      explanation,
      details: { devices: r.devices, reasons: r.reasons, blockers: report.blockers, warnings: report.warnings, groups: report.groups },
      blockers: unmetBlockers(report.blockers, opts.overrides ?? []),
      verify: r.plan
        ? async (rt) => {
            const check = checkLiveBind(scanHost(rt), r.devices, (p) => existsSync(rt.at(p)));
            return { ok: check.ok, summary: check.summary };
          }
        : null,
    };
  },
};

export const cmdlineTrialStep: StepDefinition = {
  id: TRIAL_STEP_ID,
  title: 'Trial boot with the new kernel parameters (once)',
  plan(facts, root, opts) {
    const r = planCmdlineTrial(facts, readCmdlineFiles(root), { add: opts.params, skip: opts.noParams, loader: opts.loader, replaceConflicts: opts.replaceConflicts });
    const base = { stepId: TRIAL_STEP_ID, title: cmdlineTrialStep.title };
    if (r.kind !== 'plan') return { ...base, kind: r.kind, plan: null, explanation: [r.kind === 'nothing' ? `Nothing to try: ${r.reason}.` : `Cannot prepare a trial boot: ${r.reason}`], details: { reason: r.reason }, verify: null };
    return {
      ...base,
      kind: 'plan',
      plan: r.plan,
      explanation: r.explanation,
      details: { tokens: r.tokens, entry: r.entryTitle, verify: r.verify },
      verify: async (rt) => verifyTrial(r.verify, r.tokens, rt),
    };
  },
};

export const STEPS: StepDefinition[] = [cmdlineStep, cmdlineTrialStep, isolateStep, liveBindStep, driverPackagesStep, vmStep, sriovStep, mdevStep, vgpuTypeStep];

export function findStep(id: string): StepDefinition | undefined {
  return STEPS.find((s) => s.id === id);
}

/**
 * The next pending step of the wizard: the kernel command line while its configuration still lacks
 * something this host needs (or cannot be changed here: the user must see why); once the boot
 * configuration has it — even before the reboot that makes it take effect — device isolation.
 */
export function nextStepId(facts: HostFacts, root: SystemRoot): string {
  const cmd = cmdlineStep.plan(facts, root, { params: [], noParams: [], replaceConflicts: false });
  return cmd.kind === 'nothing' ? 'isolate' : 'cmdline';
}
