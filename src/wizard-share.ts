// Sharing a device from the wizard: `s` on a device in the browser opens the screen of its way of
// sharing (SR-IOV virtual functions, mediated devices of a type, an NVIDIA vGPU type on a VF),
// where the user picks a type and a count; the rest is the shared change path. Mediated devices
// the wizard creates are offered to the VM step. Pure: the verdicts come from src/share/.
import { shareVerdict, type ShareKind, type ShareVerdict } from './share/capability.js';
import type { MdevType, NvidiaVfVgpu, ShareFacts } from './share/share-facts.js';
import type { HostFacts } from './host/types.js';
import type { StepOptions, StepOutcome } from './steps/registry.js';
import type { VmMdev } from './vm/vm-spec.js';

export type ShareScreen = 'shareSriov' | 'shareMdev' | 'shareVgpu';
export const SHARE_SCREENS: Record<ShareKind, ShareScreen> = { sriov: 'shareSriov', mdev: 'shareMdev', 'nvidia-vgpu': 'shareVgpu' };
export const SHARE_STEP_IDS: Record<ShareScreen, string> = { shareSriov: 'sriov', shareMdev: 'mdev', shareVgpu: 'vgpu-type' };

export interface ShareChoiceState {
  /** the device (PCI address) the share screens work on */
  device: string | null;
  /** row under the cursor: the mdev type, or the vGPU type */
  cursor: number;
  /** VFs (sriov) or instances (mdev) */
  count: number;
  /** mediated devices created in this session (with the run that made them), offered to the VM */
  created: (VmMdev & { runId: string | null })[];
}

export const initShareChoices = (): ShareChoiceState => ({ device: null, cursor: 0, count: 1, created: [] });

const EMPTY: ShareFacts = { parents: [], mdevs: [], mdevctl: { installed: false, defined: [] }, nvidiaVfs: [], mig: [] };
export const shareFactsOf = (share: ShareFacts | undefined): ShareFacts => share ?? EMPTY;

export function verdictFor(facts: HostFacts, share: ShareFacts | undefined, device: string | null): ShareVerdict | null {
  return device === null ? null : shareVerdict(facts, shareFactsOf(share), device);
}

export const mdevTypesOf = (share: ShareFacts | undefined, device: string | null): MdevType[] =>
  shareFactsOf(share).parents.find((p) => p.name === device)?.types ?? [];
export const vgpuOf = (share: ShareFacts | undefined, device: string | null): NvidiaVfVgpu | null =>
  shareFactsOf(share).nvidiaVfs.find((v) => v.address === device) ?? null;

/** Where `s` on this device leads, with the count the screen starts from; null: nothing to share. */
export function openShare(facts: HostFacts, share: ShareFacts | undefined, device: string): { screen: ShareScreen; count: number } | null {
  const v = verdictFor(facts, share, device);
  const first = v?.options[0];
  if (!first) return null;
  const d = facts.devices.find((x) => x.address === device);
  // SR-IOV starts at what the device has now: Enter on an unchanged count is "nothing to do"
  return { screen: SHARE_SCREENS[first.kind], count: first.kind === 'sriov' ? (d?.sriov?.numVfs ?? 0) : 1 };
}

/** Rows the cursor walks, and the largest count, on a share screen. */
export function shareBounds(facts: HostFacts, share: ShareFacts | undefined, screen: ShareScreen, c: ShareChoiceState): { rows: number; maxCount: number; minCount: number } {
  if (screen === 'shareSriov') return { rows: 0, maxCount: facts.devices.find((d) => d.address === c.device)?.sriov?.totalVfs ?? 0, minCount: 0 };
  if (screen === 'shareMdev') {
    const types = mdevTypesOf(share, c.device);
    return { rows: types.length, maxCount: Math.max(1, types[c.cursor]?.availableInstances ?? 1), minCount: 1 };
  }
  return { rows: vgpuOf(share, c.device)?.creatable.length ?? 0, maxCount: 1, minCount: 1 };
}

/** The screen's choices as the step's options (--device, --vfs, --type, --count); null: nothing to plan. */
export function shareOptions(share: ShareFacts | undefined, screen: ShareScreen, c: ShareChoiceState): StepOptions | null {
  if (c.device === null) return null;
  const base = { params: [], noParams: [], replaceConflicts: false, devices: [c.device] };
  if (screen === 'shareSriov') return { ...base, share: { vfs: c.count } };
  if (screen === 'shareMdev') {
    const t = mdevTypesOf(share, c.device)[c.cursor];
    return t ? { ...base, share: { type: t.id, count: c.count } } : null;
  }
  const t = vgpuOf(share, c.device)?.creatable[c.cursor];
  return t ? { ...base, share: { type: String(t.id) } } : null;
}

/** The mdevs an applied mdev step made (from its plan's details), to offer to the VM. */
export function createdMdevs(outcome: StepOutcome | null): VmMdev[] {
  const d = outcome?.details;
  if (!d || outcome?.stepId !== 'mdev' || typeof d.parent !== 'string' || !Array.isArray(d.uuids)) return [];
  return (d.uuids as string[]).map((uuid) => ({ uuid, parent: d.parent as string }));
}
