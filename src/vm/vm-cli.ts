// `vfio-wizard vm export` and `vm create`: flags → VmSpec (defaults from the scanned host), then
// the text formats, or preflight → argv → `virt-install --print-xml` → (with --yes) virt-install
// with live output. Export needs neither root nor libvirt.
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CommandContext } from '../commands/context.js';
import { ExitCode, UserError } from '../exit-codes.js';
import { systemRoot, type SystemRoot } from '../host/root.js';
import { scanHost } from '../host/scan.js';
import type { HostFacts } from '../host/types.js';
import { expandSelection } from '../isolate/selection.js';
import { isUuid, readShareFacts, type ShareFacts } from '../share/share-facts.js';
import { shellJoin } from '../plan/shell-quote.js';
import { createRunner } from '../run/runner.js';
import type { Runner } from '../run/types.js';
import { exportVm } from './export.js';
import { EXPORT_FORMATS, type ExportFormat } from './export-formats.js';
import { cliRunner, interruptible } from '../commands/confirm.js';
import { formatFailure } from '../run/format-result.js';
import { applyOutcome } from '../steps/apply-outcome.js';
import { planVm, vmLibvirtFindings } from '../steps/vm-step.js';
import { VERSION } from '../version.js';
import { readHostResources, type HostResources } from './host-resources.js';
import { ovmfForSpec } from './ovmf.js';
import { blocking, type Finding } from './preflight.js';
import { virtInstallArgv } from './virt-install-args.js';
import { connectHints, vmCreatePlan } from './vm-plan.js';
import { defaultVmSpec, DEFAULT_URI, memoryProblem, nameProblem, parseMemoryMiB, specProblems, vcpusProblem, type VmDisplay, type VmMdev, type VmSpec } from './vm-spec.js';

export interface VmFlags {
  device: string[];
  mdev?: string[];
  name: string;
  memory?: string;
  vcpus?: string;
  disk?: string;
  pool?: string;
  iso?: string;
  osVariant?: string;
  network?: string;
  display?: string;
  secureBoot?: boolean;
  loader?: string;
  nvramTemplate?: string;
  kvmHidden?: boolean;
  hypervVendorId?: string;
  connect?: string;
  format?: string;
  output?: string;
  box?: string;
  yes?: boolean;
}

const usage = (message: string, remedy: string) => new UserError(message, ExitCode.usage, remedy);

/** Flags → VmSpec. Malformed values are usage errors (2); devices not on the host are bad input (5). */
export function specFromFlags(flags: VmFlags, facts: HostFacts, res: HostResources, share: ShareFacts): VmSpec {
  const mdevs = mdevsFromFlags(flags.mdev ?? [], share);
  const sel = mdevs.length > 0 && flags.device.length === 0 ? { ok: true as const, devices: [] as string[] } : expandSelection(facts, flags.device);
  if (!sel.ok) throw new UserError(sel.error.message, sel.error.kind === 'usage' ? ExitCode.usage : ExitCode.badInput, sel.error.remedy);
  const spec = { ...defaultVmSpec(facts, res, sel.devices, flags.name), mdevs };
  const np = nameProblem(flags.name);
  if (np) throw usage(`--name ${JSON.stringify(flags.name)}: ${np}`, 'For example --name win11-gpu.');
  if (flags.memory !== undefined) {
    const mib = parseMemoryMiB(flags.memory);
    const p = memoryProblem(mib, res.memTotalKiB);
    if (p || mib === null) throw usage(`--memory ${flags.memory}: ${p}`, 'For example --memory 8G or --memory 8192 (MiB).');
    spec.memoryMiB = mib;
  }
  if (flags.vcpus !== undefined) {
    const n = /^\d+$/.test(flags.vcpus) ? Number(flags.vcpus) : null;
    const p = vcpusProblem(n, res.threads);
    if (p || n === null) throw usage(`--vcpus ${flags.vcpus}: ${p}`, 'For example --vcpus 4.');
    spec.vcpus = n;
  }
  const pool = flags.pool ?? 'default';
  if (flags.disk !== undefined) {
    const d = flags.disk.trim();
    if (d === 'none') spec.disk = { kind: 'none' };
    else if (/^\d+\s*(g|gib|gb)?$/i.test(d)) spec.disk = { kind: 'new', sizeGiB: parseInt(d, 10), pool };
    else if (d.startsWith('/')) spec.disk = { kind: 'existing', path: d };
    else throw usage(`--disk ${d}: not a size, a path or "none"`, 'Use --disk 40 (a new 40 GiB qcow2 in the pool), --disk /var/lib/libvirt/images/win.qcow2 (an existing image) or --disk none.');
  } else if (spec.disk.kind === 'new') spec.disk = { ...spec.disk, pool };
  if (flags.iso !== undefined) spec.install = { kind: 'iso', path: flags.iso };
  if (flags.osVariant !== undefined) spec.osVariant = flags.osVariant;
  if (flags.network !== undefined) {
    const n = flags.network;
    if (n === 'none') spec.network = { kind: 'none' };
    else if (n.startsWith('bridge=')) spec.network = { kind: 'bridge', bridge: n.slice(7) };
    else if (n.startsWith('network=')) spec.network = { kind: 'nat', network: n.slice(8) };
    else throw usage(`--network ${n}: not understood`, 'Use --network network=default (libvirt NAT), --network bridge=br0 or --network none.');
  }
  if (flags.display !== undefined) {
    if (!['none', 'vnc', 'spice'].includes(flags.display)) throw usage(`--display ${flags.display}: not a display`, 'Use --display none, vnc or spice.');
    spec.display = flags.display as VmDisplay;
  }
  spec.firmware = {
    secureBoot: Boolean(flags.secureBoot),
    loader: flags.loader ? { code: flags.loader, vars: flags.nvramTemplate ?? null } : null,
  };
  spec.kvmHidden = Boolean(flags.kvmHidden);
  spec.hypervVendorId = flags.hypervVendorId ?? null;
  spec.connect = flags.connect ?? DEFAULT_URI;
  const problems = specProblems(spec, res);
  if (problems.length > 0) throw usage(`the VM cannot be built: ${problems.join('; ')}`, 'Fix the options named above.');
  return spec;
}

/** --mdev UUID[,UUID…]: each must exist (or be defined in mdevctl), which names its parent. */
function mdevsFromFlags(values: string[], share: ShareFacts): VmMdev[] {
  const uuids = values.flatMap((v) => v.split(',')).map((v) => v.trim().toLowerCase()).filter(Boolean);
  return uuids.map((uuid) => {
    if (!isUuid(uuid)) throw usage(`--mdev ${uuid}: not a UUID`, 'Give the UUID of a mediated device (vfio-wizard share lists them).');
    const parent = share.mdevs.find((m) => m.uuid === uuid)?.parent ?? share.mdevctl.defined.find((d) => d.uuid === uuid)?.parent ?? null;
    if (parent === null) throw new UserError(`no mediated device ${uuid} on this host`, ExitCode.badInput, 'Create it first (vfio-wizard apply --step mdev …); vfio-wizard share lists the ones that exist.');
    return { uuid, parent };
  });
}

function load(ctx: CommandContext): { root: SystemRoot; facts: HostFacts; res: HostResources; share: ShareFacts } {
  const root = systemRoot(ctx.globals().root);
  const facts = scanHost(root);
  return { root, facts, res: readHostResources(root, facts), share: readShareFacts(root, facts) };
}

export async function runVmExport(ctx: CommandContext, flags: VmFlags): Promise<void> {
  const format = (flags.format ?? 'xml') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw usage(`--format ${flags.format}: unknown`, `--format takes one of: ${EXPORT_FORMATS.join(', ')}.`);
  const { root, facts, res, share } = load(ctx);
  const spec = specFromFlags(flags, facts, res, share);
  const text = exportVm(spec, format, { ovmf: ovmfForSpec(root, spec), box: flags.box });
  if (flags.output) {
    try {
      writeFileSync(flags.output, text, { mode: 0o644 });
    } catch (err) {
      throw new UserError(`cannot write ${flags.output}: ${(err as Error).message}`, ExitCode.badInput, 'Choose a writable path for --output.');
    }
    if (ctx.globals().json) ctx.io.stdout.write(`${JSON.stringify({ schemaVersion: 1, format, output: path.resolve(flags.output), devices: spec.devices })}\n`);
    else ctx.io.stderr.write(`wrote ${format} for ${spec.name} (${spec.devices.join(', ')}) to ${flags.output}\n`);
  } else if (ctx.globals().json) {
    ctx.io.stdout.write(`${JSON.stringify({ schemaVersion: 1, format, devices: spec.devices, text })}\n`);
  } else {
    ctx.io.stdout.write(text);
  }
}

const MARK: Record<Finding['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

export interface CreateDeps {
  runner?: Runner;
  uid?: number;
}

/**
 * Preflight (facts, then read-only virsh probes), the domain virt-install would define
 * (--print-xml), then — with --yes — the creation through the journaled engine (the VM step), so
 * `vfio-wizard rollback --step vm` removes it again.
 */
export async function runVmCreate(ctx: CommandContext, flags: VmFlags, deps: CreateDeps = {}): Promise<void> {
  const g = ctx.globals();
  const { root, facts, res, share } = load(ctx);
  const spec = specFromFlags(flags, facts, res, share);
  const out = (s: string) => void ctx.io.stdout.write(s);
  const json = g.json;
  const base = deps.runner ?? createRunner({ logDir: root.at('/var/log/vfio-wizard') });

  if (spec.install.kind === 'iso' && !existsFile(root.at(spec.install.path))) {
    throw new UserError(`--iso ${spec.install.path}: no such file`, ExitCode.badInput, 'Give the path of an installer ISO that exists on this host, or --import to boot an existing disk.');
  }
  if (spec.disk.kind === 'existing' && !existsFile(root.at(spec.disk.path))) {
    throw new UserError(`--disk ${spec.disk.path}: no such file`, ExitCode.badInput, 'Give an existing disk image, or a size in GiB for a new one.');
  }

  const outcome = planVm(root, facts, spec);
  const factFindings = (outcome.details.findings as Finding[]).filter((f) => f.id !== 'iso' && f.id !== 'disk');
  // the probes are read-only and quiet; what they found is printed as findings below
  const libvirt = blocking(factFindings).length > 0 ? null : await vmLibvirtFindings(base, spec);
  const findings = [...factFindings, ...(libvirt?.findings ?? [])];
  const argv = virtInstallArgv(spec);
  const plan = vmCreatePlan(spec);
  if (!json) {
    out(`Preflight for ${spec.name} (${spec.connect}):\n${findings.map((f) => `  ${MARK[f.status]} ${f.message}${f.remedy && f.status !== 'ok' ? `\n         ${f.remedy}` : ''}`).join('\n')}\n`);
  }
  const report = (extra: Record<string, unknown>) =>
    json && out(`${JSON.stringify({ schemaVersion: 1, type: 'vm-create', name: spec.name, connect: spec.connect, devices: spec.devices, preflight: findings, argv, undo: plan.changes.map((c) => (c.kind === 'command' ? (c.undo?.argv ?? null) : null)).reverse(), ...extra })}\n`);
  if (findings.some((f) => f.id === 'print-xml' && f.status === 'fail')) {
    report({ status: 'print-xml-failed' });
    const x = libvirt?.printXml;
    // the failure as every other command's: named, its outcome, its last lines made safe to show
    if (!json) out(`${x ? `${formatFailure(x)}\n` : 'virt-install --print-xml failed.\n'}Nothing was created.\n`);
    ctx.setExit(ExitCode.failed);
    return;
  }
  const domain = libvirt?.printXml?.ok ? libvirt.printXml.stdout : null;
  if (blocking(findings).length > 0 || domain === null) {
    report({ status: 'preflight-failed' });
    if (!json) out('Nothing was created.\n');
    ctx.setExit(ExitCode.checkFailed);
    return;
  }
  if (!json) out(`\nThe command:\n  ${shellJoin(argv)}\n\nThe domain it defines (virt-install --print-xml):\n${domain.endsWith('\n') ? domain : `${domain}\n`}`);

  if (!flags.yes) {
    report({ status: 'planned', domainXml: domain });
    if (!json) out('\nNothing was created. Re-run with --yes to create it.\n');
    return;
  }
  const uid = deps.uid ?? (typeof process.geteuid === 'function' ? process.geteuid() : 0);
  if (uid !== 0 && /^[a-z+]+:\/\/\/system$/.test(spec.connect)) {
    throw new UserError(`creating a VM on ${spec.connect} needs root`, ExitCode.needsRoot, 'Re-run the same command as root (sudo vfio-wizard vm create …), or use --connect qemu:///session for a VM of your own user (no PCI passthrough there).');
  }

  const [{ applied, log }, exitFor] = await interruptible(async (signal, forceSignal) => {
    // every command (virt-install, an undo) shows live, prefixed by its name (or as JSON Lines
    // events); the second Ctrl+C kills it (SIGKILL to its process group)
    const cli = cliRunner(base, { json, out: ctx.io.stdout, forceSignal, jsonLines: true });
    const a = await applyOutcome(outcome, {
      root,
      runner: cli.runner,
      uid,
      signal,
      preflightDone: true,
      toolVersion: VERSION,
      rerunHint: `sudo vfio-wizard vm create …`,
      onCheck: (what, v) => void (!json && what === 'verification' && out(`${v.ok ? 'verified' : 'check failed'}: ${v.summary}\n`)),
    });
    return { applied: a, log: cli.logPath() };
  });
  const { result } = applied;
  const logLine = log ? `Log of the commands: ${log}\n` : '';
  if (result.status !== 'applied') {
    report({ status: 'failed', domainXml: domain, result, logPath: log });
    if (!json) out(`Creating ${spec.name} failed. ${result.message}\n${logLine}`);
    ctx.setExit(exitFor(result.exitCode));
    return;
  }
  report({ status: 'created', domainXml: domain, runId: result.runId, verification: applied.verification, howToConnect: connectHints(spec), logPath: log });
  if (!json) {
    out(
      `\n${spec.name} is defined and started. Connect with:\n${connectHints(spec).map((h) => `  ${h}`).join('\n')}\n` +
        `To remove it: vfio-wizard rollback --step vm   (${undoText(plan)})\n${logLine}`,
    );
  }
}

const undoText = (plan: ReturnType<typeof vmCreatePlan>): string => {
  const undo = plan.changes.flatMap((c) => (c.kind === 'command' && c.undo ? [shellJoin(c.undo.argv)] : [])).reverse();
  return undo.length > 0 ? `it runs: ${undo.join('; ')}` : 'nothing to run: this libvirt keeps no domain';
};

const existsFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

