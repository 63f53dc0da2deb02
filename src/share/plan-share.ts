// Plans for sharing a device (pure): SR-IOV virtual functions (sysfs sriov_numvfs, kept across
// reboots by a udev rule), mediated devices (mdevctl define --auto + start when mdevctl is
// installed; otherwise sysfs `create`, which a reboot forgets), and an NVIDIA vGPU type on a VF
// (nvidia/current_vgpu_type). Every change is one the engine journals and undoes: the VF count and
// the vGPU type go back to what they were, the mdevs are stopped and undefined or removed, the
// udev rule is restored. Nothing here reads the system; the callers pass facts and file texts.
import type { HostFacts } from '../host/types.js';
import type { Change, Plan } from '../plan/types.js';
import type { ShareFacts } from './share-facts.js';

export const SRIOV_RULES_FILE = '/etc/udev/rules.d/70-vfio-wizard-sriov.rules';
const OLD_RULES_HEADER = '# Written by vfio-wizard: how many SR-IOV virtual functions each device gets when its driver binds.\n# Undo with `vfio-wizard rollback --step sriov`.\n';
const RULES_HEADER = '# Written by vfio-wizard: how many SR-IOV virtual functions each device gets once its driver is bound (at boot, or when it binds later).\n# Undo with `vfio-wizard rollback --step sriov`.\n';

export type SharePlanResult =
  | { kind: 'plan'; plan: Plan; explanation: string[] }
  | { kind: 'nothing'; reason: string }
  | { kind: 'refuse'; reason: string; remedy: string };

// "bind": the driver bound while udev runs (a module loaded late). "add" with a driver: the
// coldplug replay at boot (systemd-udev-trigger replays only "add"), for a driver that bound in the
// initramfs before udev of the real root ran — nvme and most NIC drivers. Writing the count it
// already has is a no-op for the kernel, so both firing is harmless.
const ruleFor = (pf: string, n: number) => `ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="${pf}", DRIVER=="?*", ATTR{sriov_numvfs}="${n}"`;
const isRuleFor = (line: string, pf: string) => line.includes(`KERNEL=="${pf}"`) && line.includes('sriov_numvfs');

/** The udev rules file with this device's line set to n (removed for 0); null: the file should not exist. */
export function editSriovRules(text: string | null, pf: string, n: number): string | null {
  const kept = (text ?? RULES_HEADER).split('\n').filter((l, i, all) => !(i === all.length - 1 && l === '')).filter((l) => !isRuleFor(l, pf));
  if (n > 0) kept.push(ruleFor(pf, n));
  // the file goes away only when nothing but our own header is left in it
  // our header, also as earlier versions wrote it (a file left with only that goes away too)
  const ours = new Set([...RULES_HEADER.split('\n'), ...OLD_RULES_HEADER.split('\n')]);
  if (kept.every((l) => l.trim() === '' || ours.has(l))) return null;
  return `${kept.join('\n')}\n`;
}

export function planSriov(facts: HostFacts, pf: string, n: number, rulesText: string | null): SharePlanResult {
  const d = facts.devices.find((x) => x.address === pf);
  if (!d) return { kind: 'refuse', reason: `no PCI device ${pf} on this host`, remedy: 'Run vfio-wizard share (or scan) for the addresses. Nothing was changed.' };
  if (d.physfn !== null) return { kind: 'refuse', reason: `${pf} is itself a virtual function (of ${d.physfn})`, remedy: `Give the physical function: --device ${d.physfn}.` };
  if (!d.sriov || (d.sriov.totalVfs ?? 0) === 0) return { kind: 'refuse', reason: `${pf} (${d.name}) has no SR-IOV capability`, remedy: 'Pass the whole device instead (the isolation step).' };
  const total = d.sriov.totalVfs ?? 0;
  if (!Number.isInteger(n) || n < 0 || n > total) return { kind: 'refuse', reason: `${n} virtual functions: ${pf} supports 0 to ${total}`, remedy: `Choose --vfs between 0 and ${total}.` };
  if (d.driver === null) return { kind: 'refuse', reason: `${pf} has no driver bound: only the device's own driver can enable its virtual functions`, remedy: 'Load its driver first (for a NIC, igb/ixgbe/ice/mlx5_core…), then try again.' };
  const now = d.sriov.numVfs ?? 0;
  const rules = editSriovRules(rulesText, pf, n);
  const fileChange: Change | null =
    rules === rulesText
      ? null
      : rules === null
        ? { kind: 'file', action: 'delete', path: SRIOV_RULES_FILE, before: rulesText, after: null, why: `no virtual functions for ${pf} at boot any more` }
        : { kind: 'file', action: rulesText === null ? 'create' : 'modify', path: SRIOV_RULES_FILE, before: rulesText, after: rules, mode: 0o644, why: `give ${pf} ${n} virtual function${n === 1 ? '' : 's'} again at every boot (udev, when its driver binds)` };
  if (now === n && fileChange === null) return { kind: 'nothing', reason: `${pf} has ${n} virtual function${n === 1 ? '' : 's'} now and at boot` };
  const path = `/sys/bus/pci/devices/${pf}/sriov_numvfs`;
  const sysfs: Change[] = [];
  // the kernel refuses to change a non-zero count directly: it goes through 0
  if (now !== 0 && n !== 0 && now !== n) sysfs.push({ kind: 'sysfs', path, value: '0', previous: String(now), why: `the kernel changes a non-zero VF count only through 0 (${pf} has ${now} now)` });
  if (now !== n) sysfs.push({ kind: 'sysfs', path, value: String(n), previous: sysfs.length > 0 ? '0' : String(now), why: `${n === 0 ? 'remove' : 'create'} the virtual functions of ${pf} now` });
  const plan: Plan = {
    stepId: 'sriov',
    title: `SR-IOV: ${n} virtual function${n === 1 ? '' : 's'} on ${pf}`,
    changes: [...(fileChange ? [fileChange] : []), ...sysfs],
    needsReboot: false,
    notes: [
      'Each virtual function appears as its own PCI function with its own IOMMU group; pass one to a VM like any device (the isolation step), or give an NVIDIA VF a vGPU type (--step vgpu-type).',
      ...(d.hostCritical.includes('default-route') ? [`${pf} carries the default route: the physical function keeps its network; changing the VF count resets the VFs only.`] : []),
    ],
  };
  return {
    kind: 'plan',
    plan,
    explanation: [`${pf} ${d.name}: ${now} of ${total} virtual functions enabled now; after this step: ${n}, also after a reboot (${SRIOV_RULES_FILE}).`],
  };
}

export interface MdevPlanOptions {
  /** mdevctl is installed under the root: define persistently and start */
  mdevctl: boolean;
  /** one UUID per instance (the caller makes them: fresh random ones) */
  uuids: string[];
}

export function planMdev(share: ShareFacts, parentName: string, typeId: string, o: MdevPlanOptions): SharePlanResult {
  const parent = share.parents.find((p) => p.name === parentName);
  if (!parent) {
    const known = share.parents.map((p) => p.name);
    return { kind: 'refuse', reason: `${parentName} is not a mediated-device parent on this host`, remedy: known.length ? `Parents here: ${known.join(', ')}.` : 'This host has no mdev parent (no GPU or driver offers mediated devices). Run vfio-wizard share for why.' };
  }
  const type = parent.types.find((t) => t.id === typeId);
  if (!type) return { kind: 'refuse', reason: `${parentName} has no mdev type ${typeId}`, remedy: `Its types: ${parent.types.map((t) => `${t.id}${t.name ? ` (${t.name})` : ''}`).join(', ')}.` };
  const count = o.uuids.length;
  if (count < 1) return { kind: 'refuse', reason: 'no instance asked for', remedy: 'Give --count 1 or more.' };
  if (type.availableInstances !== null && type.availableInstances < count) {
    return { kind: 'refuse', reason: `${typeId} on ${parentName} has ${type.availableInstances} instance${type.availableInstances === 1 ? '' : 's'} available, ${count} asked for`, remedy: 'Ask for fewer, choose a smaller type, or remove instances that are not used.' };
  }
  const changes: Change[] = [];
  for (const uuid of o.uuids) {
    if (o.mdevctl) {
      changes.push(
        { kind: 'command', argv: ['mdevctl', 'define', '--auto', '--uuid', uuid, '--parent', parentName, '--type', typeId], why: `define mdev ${uuid} (${typeId}) persistently, started at every boot`, phase: 'other', undo: { argv: ['mdevctl', 'undefine', '--uuid', uuid], why: `forget mdev ${uuid}` } },
        { kind: 'command', argv: ['mdevctl', 'start', '--uuid', uuid], why: `create mdev ${uuid} now`, phase: 'other', undo: { argv: ['mdevctl', 'stop', '--uuid', uuid], why: `remove mdev ${uuid} now` } },
      );
    } else {
      changes.push({
        kind: 'sysfs',
        path: `/sys/class/mdev_bus/${parentName}/mdev_supported_types/${typeId}/create`,
        value: uuid,
        previous: null,
        undo: [{ path: `/sys/bus/mdev/devices/${uuid}/remove`, value: '1' }],
        why: `create mdev ${uuid} (${typeId}) now; without mdevctl it does not survive a reboot`,
      });
    }
  }
  return {
    kind: 'plan',
    plan: {
      stepId: 'mdev',
      title: `Mediated device${count === 1 ? '' : 's'}: ${count} × ${typeId} on ${parentName}`,
      changes,
      needsReboot: false,
      notes: [
        `Attach to a VM: vfio-wizard vm create … --mdev ${o.uuids.join(',')} (a hostdev of type mdev; the VM owns it, the parent stays with the host).`,
        ...(o.mdevctl ? [] : ['mdevctl is not installed: these mdevs are gone after a reboot. Install mdevctl (apt install mdevctl / dnf install mdevctl) and run the step again to keep them.']),
      ],
    },
    explanation: [`${parentName}: ${type.id}${type.name ? ` (${type.name})` : ''}, ${type.availableInstances ?? '?'} available; ${count} to create${o.mdevctl ? ' with mdevctl (persistent)' : ' through sysfs (until the next reboot)'}: ${o.uuids.join(', ')}`],
  };
}

export function planVgpuType(share: ShareFacts, vf: string, typeId: number): SharePlanResult {
  const v = share.nvidiaVfs.find((x) => x.address === vf);
  if (!v) return { kind: 'refuse', reason: `${vf} has no NVIDIA vGPU interface (nvidia/creatable_vgpu_types)`, remedy: 'It needs an SR-IOV virtual function of a vGPU-capable NVIDIA card with the vGPU host driver 17 or newer: enable the VFs first (--step sriov).' };
  if (v.current !== null && v.current !== 0) {
    return v.current === typeId ? { kind: 'nothing', reason: `${vf} has vGPU type ${typeId} already` } : { kind: 'refuse', reason: `${vf} has vGPU type ${v.current} already`, remedy: 'Roll that back first (vfio-wizard rollback --step vgpu-type), or use another VF.' };
  }
  const t = v.creatable.find((c) => c.id === typeId);
  if (!t) return { kind: 'refuse', reason: `vGPU type ${typeId} cannot be created on ${vf} now`, remedy: v.creatable.length ? `Creatable now: ${v.creatable.map((c) => `${c.id} (${c.name})`).join(', ')}.` : 'No type is creatable now: the GPU is fully used, or its other VFs hold a different profile size.' };
  return {
    kind: 'plan',
    plan: {
      stepId: 'vgpu-type',
      title: `vGPU ${t.name} on ${vf}`,
      changes: [{ kind: 'sysfs', path: `/sys/bus/pci/devices/${vf}/nvidia/current_vgpu_type`, value: String(typeId), previous: String(v.current ?? 0), why: `give the virtual function ${vf} the vGPU type ${typeId} (${t.name})` }],
      needsReboot: false,
      notes: [
        `Pass ${vf} to a VM as a PCI device (vfio-wizard vm create --device ${vf} …).`,
        'The type is a live setting: it holds until the next reboot (or until the VFs are recreated); set it again then (this step) — vfio-wizard does not make it permanent.',
      ],
    },
    explanation: [`${vf}: vGPU type ${typeId} (${t.name})`],
  };
}
