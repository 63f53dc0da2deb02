// The VM step as the wizard and `vm create` see it: a VmSpec (from the form or the flags) becomes a
// journaled plan of host commands (virt-install, then virsh domstate), so "undo this step" and
// `vfio-wizard rollback --step vm` remove the domain, its UEFI variables and only the disk it
// created. What the scan can judge (IOMMU groups, OVMF, the bridge, the ISO and disk paths) is
// decided here; what needs libvirt (reachable, the name free, room in the pool, the OS variant,
// virt-install's own --print-xml) is the preflight, run right before the apply. After the
// creation, the domain libvirt holds is read back: every function must be a hostdev of it.
import { statSync } from 'node:fs';
import type { SystemRoot } from '../host/root.js';
import type { HostFacts } from '../host/types.js';
import { shellJoin } from '../plan/shell-quote.js';
import type { RunResult, Runner } from '../run/types.js';
import { printDomainXml } from '../vm/create.js';
import { listBridges } from '../vm/host-resources.js';
import { listOsVariants, similarVariants } from '../vm/os-variants.js';
import { findOvmf } from '../vm/ovmf.js';
import { readShareFacts } from '../share/share-facts.js';
import { blocking, bridgeFinding, groupFindings, osVariantFinding, ovmfFinding, probeFindings, type Finding } from '../vm/preflight.js';
import { virtInstallArgv } from '../vm/virt-install-args.js';
import { connectHints, vmCreatePlan } from '../vm/vm-plan.js';
import { addressParts, type VmSpec } from '../vm/vm-spec.js';
import type { StepDefinition, StepOutcome, StepVerification } from './registry.js';

export const VM_STEP_ID = 'vm';

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/** What the scan and the file system under the root can tell before libvirt is asked anything. */
export function vmFactFindings(root: SystemRoot, facts: HostFacts, spec: VmSpec): Finding[] {
  const out: Finding[] = [...groupFindings(facts, spec.devices), ovmfFinding(spec, findOvmf(root), (p) => isFile(root.at(p)))];
  const bridge = bridgeFinding(spec, listBridges(root));
  if (bridge) out.push(bridge);
  if (spec.install.kind === 'iso' && !isFile(root.at(spec.install.path))) {
    out.push({ id: 'iso', status: 'fail', message: `no such file on this host: ${spec.install.path}`, remedy: 'Give the path of an installer ISO that exists, or leave it empty to boot the disk.' });
  }
  if (spec.mdevs.length > 0) {
    const share = readShareFacts(root, facts);
    for (const m of spec.mdevs) {
      const live = share.mdevs.find((x) => x.uuid === m.uuid);
      out.push(
        live
          ? { id: 'mdev', status: 'ok', message: `mdev ${m.uuid} (${live.type ?? 'type ?'}) exists on ${live.parent ?? m.parent}` }
          : share.mdevctl.defined.some((d) => d.uuid === m.uuid)
            ? { id: 'mdev', status: 'fail', message: `mdev ${m.uuid} is defined but not started`, remedy: `Start it: mdevctl start --uuid ${m.uuid}` }
            : { id: 'mdev', status: 'fail', message: `no mdev ${m.uuid} on this host`, remedy: 'Create it first: vfio-wizard apply --step mdev --device PARENT --type TYPE (vfio-wizard share lists them).' },
      );
    }
  }
  if (spec.disk.kind === 'existing' && !isFile(root.at(spec.disk.path))) {
    out.push({ id: 'disk', status: 'fail', message: `no such disk image: ${spec.disk.path}`, remedy: 'Give an existing image, or a size in GiB for a new one.' });
  }
  return out;
}

/** libvirt's part of the preflight: read-only virsh probes, the OS variant, and --print-xml (its domain when accepted). */
export async function vmLibvirtFindings(runner: Runner, spec: VmSpec): Promise<{ findings: Finding[]; printXml: RunResult | null }> {
  const out = await probeFindings(runner, spec);
  if (spec.osVariant !== 'generic') {
    const f = osVariantFinding(spec, await listOsVariants(runner), similarVariants);
    if (f) out.push(f);
  }
  if (blocking(out).length > 0) return { findings: out, printXml: null };
  const xml = await printDomainXml(runner, spec);
  out.push(
    xml.ok
      ? { id: 'print-xml', status: 'ok', message: 'virt-install --print-xml accepts the VM' }
      : { id: 'print-xml', status: 'fail', message: `virt-install --print-xml refused the VM: ${xml.tail.at(-1) ?? `exit ${xml.exitCode ?? xml.spawnError}`}`, remedy: 'Its output says why; fix that and try again.' },
  );
  return { findings: out, printXml: xml };
}

const MARK: Record<Finding['status'], string> = { ok: 'ok', warn: 'warning', fail: 'FAIL' };
export const findingLines = (fs: readonly Finding[]): string[] =>
  fs.flatMap((f) => [`${MARK[f.status]}: ${f.message}`, ...(f.remedy && f.status !== 'ok' ? [`  ${f.remedy}`] : [])]);

const summaryOf = (fs: readonly Finding[]): StepVerification => {
  const bad = blocking(fs);
  return bad.length === 0 ? { ok: true, summary: 'libvirt is ready for this VM' } : { ok: false, summary: bad.map((f) => f.message).join('; ') };
};

/** The domain libvirt now holds passes every selected function through (read back with virsh dumpxml). */
export function hostdevsMissing(domainXml: string, devices: readonly string[]): string[] {
  const sources = [...domainXml.matchAll(/<hostdev\b[^>]*type=['"]pci['"][\s\S]*?<\/hostdev>/g)].map((m) => m[0]);
  const num = (xml: string, attr: string) => {
    const v = new RegExp(`<address\\b[^>]*\\b${attr}=['"](0x[0-9a-f]+|\\d+)['"]`, 'i').exec(xml)?.[1];
    return v === undefined ? null : Number(v);
  };
  return devices.filter((a) => {
    const p = addressParts(a);
    return !sources.some((x) => num(x, 'domain') === p.domain && num(x, 'bus') === p.bus && num(x, 'slot') === p.slot && num(x, 'function') === p.fn);
  });
}

export function planVm(root: SystemRoot, facts: HostFacts, spec: VmSpec): StepOutcome {
  const base = { stepId: VM_STEP_ID, title: `Create the virtual machine ${spec.name}` };
  const findings = vmFactFindings(root, facts, spec);
  const argv = virtInstallArgv(spec);
  const explanation = [
    `${spec.name}: ${spec.memoryMiB} MiB, ${spec.vcpus} vCPUs, q35 with UEFI${spec.firmware.secureBoot ? ' (Secure Boot)' : ''}, on ${spec.connect}`,
    ...(spec.devices.length > 0 ? [`Passed through (managed by libvirt): ${spec.devices.join(', ')}`] : []),
    ...(spec.mdevs.length > 0 ? [`Mediated devices: ${spec.mdevs.map((m) => `${m.uuid} on ${m.parent}`).join(', ')}`] : []),
    ...findingLines(findings),
    `The command: ${shellJoin(argv)}`,
  ];
  const details = { spec, argv, findings, howToConnect: connectHints(spec) };
  if (blocking(findings).length > 0) {
    return { ...base, kind: 'refuse', plan: null, explanation: [...explanation, 'Nothing can be created until the failures above are fixed.'], details, verify: null };
  }
  const virsh = ['virsh', '-c', spec.connect];
  return {
    ...base,
    kind: 'plan',
    plan: vmCreatePlan(spec),
    explanation: [...explanation, 'Before creating it, libvirt is asked (read-only) whether it can: reachable, the name free, room in the pool.'],
    details,
    preflight: async (_root, runner) => summaryOf((await vmLibvirtFindings(runner, spec)).findings),
    // libvirt's test driver keeps no domain once virt-install has exited: nothing to read back there
    verify: spec.connect.startsWith('test:')
      ? null
      : async (_root, runner) => {
          const r = await runner.run([...virsh, 'dumpxml', spec.name], { name: 'virsh', timeoutMs: 60_000 });
          if (!r.ok) return { ok: false, summary: `could not read the domain back (virsh dumpxml ${spec.name}: exit ${r.exitCode ?? r.spawnError})` };
          const missing = [...hostdevsMissing(r.stdout, spec.devices), ...spec.mdevs.filter((m) => !new RegExp(`<address\\b[^>]*uuid=['"]${m.uuid}['"]`, 'i').test(r.stdout)).map((m) => `mdev ${m.uuid}`)];
          const n = spec.devices.length + spec.mdevs.length;
          return missing.length === 0
            ? { ok: true, summary: `libvirt holds ${spec.name} with all ${n} device${n === 1 ? '' : 's'} passed through` }
            : { ok: false, summary: `${spec.name} was defined without ${missing.join(', ')}` };
        },
  };
}

export const vmStep: StepDefinition = {
  id: VM_STEP_ID,
  title: 'Create the virtual machine',
  plan(facts, root, opts) {
    if (!opts.vm) {
      return {
        stepId: VM_STEP_ID,
        title: 'Create the virtual machine',
        kind: 'manual',
        plan: null,
        explanation: ['The VM step needs a description of the VM: use the VM screen of the wizard, or vfio-wizard vm create --device ADDR --name NAME [--memory …] [--iso …] (vm export prints it without creating anything).'],
        details: {},
        verify: null,
      };
    }
    return planVm(root, facts, opts.vm);
  },
};
