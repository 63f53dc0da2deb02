// The sharing steps as the CLI and the UI see them: sriov (virtual functions on a physical
// function), mdev (mediated devices of a type on a parent), vgpu-type (NVIDIA's vGPU type on a
// VF). Each reads what it needs under the root, plans through src/share/plan-share.ts, and checks
// afterwards that the kernel really has what was asked for — sysfs writes can succeed and create
// nothing — so a step that did not take is rolled back by the apply path.
import { randomUUID } from 'node:crypto';
import { ExitCode, UserError } from '../exit-codes.js';
import { scanHost } from '../host/scan.js';
import type { SystemRoot } from '../host/root.js';
import { SysReader } from '../host/sysfs-read.js';
import { parseDeviceArgument } from '../isolate/selection.js';
import { isUuid, readShareFacts } from '../share/share-facts.js';
import { planMdev, planSriov, planVgpuType, SRIOV_RULES_FILE, type SharePlanResult } from '../share/plan-share.js';
import type { StepDefinition, StepOptions, StepOutcome } from './registry.js';

const usage = (message: string, remedy: string) => new UserError(message, ExitCode.usage, remedy);

/** Exactly one --device: a PCI function, or (mdev) a parent's own name. */
function oneDevice(opts: StepOptions, step: string, allowName: boolean): string {
  const parts = (opts.devices ?? []).flatMap((d) => d.split(',')).map((d) => d.trim()).filter(Boolean);
  if (parts.length !== 1) throw usage(`--step ${step} takes exactly one --device`, `For example --device 0000:03:00.0${allowName ? ' (or an mdev parent such as mtty)' : ''}. Nothing was changed.`);
  const raw = parts[0]!;
  const parsed = parseDeviceArgument(raw);
  if (parsed?.kind === 'function') return parsed.address;
  if (allowName && /^[A-Za-z0-9_.:-]+$/.test(raw)) return raw;
  throw usage(`--device ${raw}: not a PCI function address`, 'Give a function such as 03:00.0 or 0000:03:00.0. Nothing was changed.');
}

function outcome(stepId: string, title: string, r: SharePlanResult, details: Record<string, unknown>, verify: StepOutcome['verify']): StepOutcome {
  if (r.kind === 'plan') return { stepId, title: r.plan.title, kind: 'plan', plan: r.plan, explanation: r.explanation, details, verify };
  if (r.kind === 'nothing') return { stepId, title, kind: 'nothing', plan: null, explanation: [`Nothing to do: ${r.reason}.`], details: { ...details, reason: r.reason }, verify: null };
  return { stepId, title, kind: 'refuse', plan: null, explanation: [`Cannot do it: ${r.reason}.`, r.remedy], details: { ...details, reason: r.reason, remedy: r.remedy }, verify: null };
}

export const sriovStep: StepDefinition = {
  id: 'sriov',
  title: 'SR-IOV virtual functions',
  plan(facts, root, opts) {
    const pf = oneDevice(opts, 'sriov', false);
    const n = opts.share?.vfs;
    if (n === undefined) throw usage('--step sriov needs --vfs N', 'For example --vfs 4 (0 removes them). Nothing was changed.');
    const rules = new SysReader().optionalText(root.at(SRIOV_RULES_FILE));
    const r = planSriov(facts, pf, n, rules);
    return outcome('sriov', sriovStep.title, r, { device: pf, vfs: n }, async (rt: SystemRoot) => {
      const d = scanHost(rt).devices.find((x) => x.address === pf);
      const got = d?.sriov?.virtfns.length ?? 0;
      return got === n && (d?.sriov?.numVfs ?? 0) === n
        ? { ok: true, summary: `${pf} has ${n} virtual function${n === 1 ? '' : 's'}${n > 0 ? `: ${d?.sriov?.virtfns.join(', ')}` : ''}` }
        : { ok: false, summary: `${pf} shows ${d?.sriov?.numVfs ?? '?'} in sriov_numvfs and ${got} virtual function${got === 1 ? '' : 's'}, not ${n}` };
    });
  },
};

export const mdevStep: StepDefinition = {
  id: 'mdev',
  title: 'Mediated devices',
  plan(facts, root, opts) {
    const parent = oneDevice(opts, 'mdev', true);
    const type = opts.share?.type;
    if (!type) throw usage('--step mdev needs --type TYPE', 'vfio-wizard share lists the types of each parent. Nothing was changed.');
    const given = opts.share?.uuids ?? [];
    for (const u of given) if (!isUuid(u)) throw usage(`--uuid ${u}: not a UUID`, 'Give UUIDs like 0b4b6dab-6c2f-4ba2-9e1b-6ee1e9a25b4a, or leave --uuid out. Nothing was changed.');
    const count = opts.share?.count ?? (given.length || 1);
    if (given.length > 0 && given.length !== count) throw usage(`${given.length} --uuid for --count ${count}`, 'Give one UUID per instance, or leave --uuid out. Nothing was changed.');
    const share = readShareFacts(root, facts);
    const uuids = given.length > 0 ? given : Array.from({ length: count }, () => randomUUID());
    const mdevctl = share.mdevctl.installed;
    const r = planMdev(share, parent, type, { mdevctl, uuids });
    return outcome('mdev', mdevStep.title, r, { parent, type, uuids, mdevctl }, async (rt: SystemRoot) => {
      const now = readShareFacts(rt, scanHost(rt));
      const missing = uuids.filter((u) => !now.mdevs.some((m) => m.uuid === u && m.type === type));
      const undefinedHere = mdevctl ? uuids.filter((u) => !now.mdevctl.defined.some((d) => d.uuid === u)) : [];
      if (missing.length > 0) return { ok: false, summary: `the kernel has no mdev ${missing.join(', ')} of type ${type}` };
      if (undefinedHere.length > 0) return { ok: false, summary: `mdevctl has no definition for ${undefinedHere.join(', ')}` };
      return { ok: true, summary: `${uuids.length} mdev${uuids.length === 1 ? '' : 's'} of type ${type} on ${parent}${mdevctl ? ', defined in mdevctl (started at boot)' : ' (until the next reboot)'}: ${uuids.join(', ')}` };
    });
  },
};

export const vgpuTypeStep: StepDefinition = {
  id: 'vgpu-type',
  title: 'NVIDIA vGPU type on a virtual function',
  plan(facts, root, opts) {
    const vf = oneDevice(opts, 'vgpu-type', false);
    const raw = opts.share?.type;
    if (!raw || !/^\d+$/.test(raw)) throw usage('--step vgpu-type needs --type ID (a number from creatable_vgpu_types)', 'vfio-wizard share lists the creatable types of each VF. Nothing was changed.');
    const id = Number(raw);
    const r = planVgpuType(readShareFacts(root, facts), vf, id);
    return outcome('vgpu-type', vgpuTypeStep.title, r, { device: vf, type: id }, async (rt: SystemRoot) => {
      const v = readShareFacts(rt, scanHost(rt)).nvidiaVfs.find((x) => x.address === vf);
      return v?.current === id ? { ok: true, summary: `${vf} has vGPU type ${id}` } : { ok: false, summary: `${vf} reports vGPU type ${v?.current ?? 'unknown'}, not ${id}` };
    });
  },
};
