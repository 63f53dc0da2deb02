// After the reboot a step asked for: did it take effect? Pure checks over a fresh scan (and, for
// isolation, the wizard's own modprobe file), shared by `vfio-wizard verify` and the wizard's
// resume screen.
import { hasParam } from '../edit/cmdline-tokens.js';
import { isGpu } from '../host/pci-class.js';
import type { HostFacts } from '../host/types.js';
import type { StepExpectation } from '../plan/types.js';
import { decideCmdlineParams } from './cmdline-params.js';
import { vfioSymptoms } from '../host/vfio-symptoms.js';
import { harmlessBridge } from '../isolate/group-rules.js';

export interface AfterRebootCheck {
  ok: boolean;
  summary: string;
  /** what was looked at, line by line */
  lines: string[];
}

/**
 * The kernel command line step took effect: the IOMMU is on, every parameter the step added is on
 * /proc/cmdline and none it removed (or that turns the IOMMU off) is. Without a journaled
 * expectation (older journals), "added" means what this host needs now.
 */
export function cmdlineAfterReboot(facts: HostFacts, expect: StepExpectation | null = null): AfterRebootCheck {
  const cmdline = facts.kernel.cmdline ?? '';
  const decision = decideCmdlineParams(facts);
  const wanted = expect?.cmdlineAdded ?? decision.params.filter((p) => p.selected).map((p) => p.token);
  const missing = wanted.filter((t) => !hasParam(cmdline, t));
  const conflicts = [...new Set([...decision.conflicts.map((c) => c.token), ...(expect?.cmdlineRemoved ?? []).filter((t) => hasParam(cmdline, t))])];
  const iommu = facts.iommu.enabled;
  // no IOMMU units and unreadable groups: the IOMMU's state is unknown, which never passes
  const unknown = !iommu && !facts.iommu.groupsReadable;
  const lines = [
    `/proc/cmdline: ${cmdline || '(unreadable)'}`,
    `IOMMU: ${iommu ? `on, ${facts.iommu.groupCount} group${facts.iommu.groupCount === 1 ? '' : 's'}` : unknown ? 'unknown (/sys/kernel/iommu_groups unreadable)' : 'off'}`,
    `interrupt remapping: ${facts.iommu.interruptRemapping === null ? 'unknown' : facts.iommu.interruptRemapping ? 'on' : 'off'}`,
  ];
  if (missing.length > 0) lines.push(`not on the command line: ${missing.join(' ')}`);
  if (conflicts.length > 0) lines.push(`still on the command line: ${conflicts.join(' ')}`);
  if (expect?.cmdlineAdded?.length) lines.push(`added by the step: ${expect.cmdlineAdded.join(' ')}`);
  const ok = iommu && missing.length === 0 && conflicts.length === 0;
  const summary = ok
    ? `the kernel booted with the IOMMU on and ${expect?.cmdlineAdded ? 'every parameter the step added' : 'every parameter this host needs'}`
    : unknown
      ? 'whether the IOMMU is on cannot be told: /sys/kernel/iommu_groups could not be read (run verify as root on the booted system)'
      : !iommu
        ? 'the IOMMU is still off after the reboot'
      : 'the kernel command line still lacks what this host needs';
  return { ok, summary, lines };
}

/**
 * The functions the wizard's isolation files bind: by ID (`options vfio-pci ids=` in its modprobe
 * file) and by address (the `ADDR=0xVVVV:0xDDDD` list of its override script).
 */
export function boundByWizard(facts: HostFacts, vfioConf: string | null, overrideScript: string | null): string[] {
  const ids: string[] = [];
  for (const line of (vfioConf ?? '').split('\n')) {
    const m = /^\s*options\s+vfio[-_]pci\s+.*\bids=([0-9a-fA-F:,]+)/.exec(line);
    if (m) for (const id of m[1]!.split(',')) if (id) ids.push(id.toLowerCase());
  }
  const byId = facts.devices.filter((d) => ids.includes(`${d.vendor}:${d.device}`)).map((d) => d.address);
  const byAddress = [...(overrideScript ?? '').matchAll(/\b([0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])=0x/g)].map((m) => m[1]!);
  return [...new Set([...byId, ...byAddress])].sort();
}

/**
 * The isolation step took effect: every function it binds is on vfio-pci with its /dev/vfio/N, the
 * rest of each of their groups is on vfio-pci or driverless, and a GPU still drives the host.
 */
export function isolateAfterReboot(facts: HostFacts, selected: string[], vfioNodes: (group: number) => boolean): AfterRebootCheck {
  const lines: string[] = [];
  const problems: string[] = [];
  const devices = facts.devices.filter((d) => selected.includes(d.address));
  if (devices.length === 0) problems.push('none of the devices the step binds is on this host any more');
  for (const d of devices) {
    const node = d.iommuGroup !== null && vfioNodes(d.iommuGroup);
    lines.push(`${d.address} ${d.name}: ${d.driver ?? 'no driver'}${d.iommuGroup !== null ? `, group ${d.iommuGroup}${node ? ', /dev/vfio present' : ''}` : ''}`);
    if (d.driver !== 'vfio-pci') problems.push(`${d.address} is on ${d.driver ?? 'no driver'}, not vfio-pci`);
    else if (!node) problems.push(`${d.address}: /dev/vfio/${d.iommuGroup ?? '?'} is missing`);
    for (const other of facts.devices) {
      if (other.iommuGroup === null || other.iommuGroup !== d.iommuGroup || harmlessBridge(other) || selected.includes(other.address)) continue;
      if (other.driver !== null && other.driver !== 'vfio-pci' && other.driver !== 'pci-stub') problems.push(`${other.address} (${other.driver}) shares group ${other.iommuGroup} and is not on vfio-pci`);
    }
  }
  // what the kernel logged about these devices explains a failure (or warns about one to come)
  for (const s of vfioSymptoms(facts.kernel.vfioLogLines ?? [])) {
    if (s.address !== null && !selected.includes(s.address)) continue;
    lines.push(`kernel log: ${s.line}`, `  ${s.explanation}`);
    if (s.id === 'group-not-viable' || s.id === 'vfio-probe-einval' || s.id === 'unknown-header') problems.push(`${s.address ?? 'a device'}: ${s.line}`);
  }
  const hostGpus = facts.devices.filter((d) => isGpu(d.class) && !selected.includes(d.address));
  if (hostGpus.length > 0 && !hostGpus.some((d) => d.driver !== null && d.driver !== 'vfio-pci')) problems.push('no GPU is left with a host driver');
  lines.push(...problems.map((p) => `problem: ${p}`));
  const ok = problems.length === 0;
  return { ok, summary: ok ? `${devices.map((d) => d.address).join(', ')} on vfio-pci after the reboot` : problems[0]!, lines };
}
