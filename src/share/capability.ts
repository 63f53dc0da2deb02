// Can this device be shared instead of given away whole — and if not, why, in one line. Pure:
// HostFacts + ShareFacts in, a verdict out. The ways a device can be shared: mediated devices
// (mdev types: NVIDIA's time-sliced vGPU, Intel GVT-g, the kernel's sample mtty), SR-IOV virtual
// functions (NICs, NVMe, Intel graphics on newer generations, NVIDIA Ampere and later data-centre
// cards), and NVIDIA's vGPU type on such a VF. MIG (Ampere data-centre cards) is reported when
// nvidia-smi said so.
import { isGpu, isNetwork } from '../host/pci-class.js';
import type { HostFacts, PciDevice } from '../host/types.js';
import type { MdevParent, NvidiaVfVgpu, ShareFacts } from './share-facts.js';

export type ShareKind = 'mdev' | 'sriov' | 'nvidia-vgpu';

export interface ShareOption {
  kind: ShareKind;
  summary: string;
  /** the step that does it, and its options */
  how: string;
}

export interface ShareVerdict {
  /** a PCI address, or an mdev parent's own name */
  device: string;
  name: string;
  options: ShareOption[];
  /** why it cannot be shared (one line), when there is no option */
  reason: string | null;
  notes: string[];
}

const WHOLE = 'Pass the whole device instead (the isolation step).';

function mdevOption(p: MdevParent): ShareOption {
  const types = p.types.map((t) => `${t.id}${t.name ? ` (${t.name})` : ''}: ${t.availableInstances ?? '?'} available${t.instances.length ? `, ${t.instances.length} in use` : ''}`);
  return {
    kind: 'mdev',
    summary: `mediated devices — ${p.types.length} type${p.types.length === 1 ? '' : 's'}: ${types.join('; ')}`,
    how: `vfio-wizard apply --step mdev --device ${p.name} --type TYPE [--count N]`,
  };
}

function vfOption(v: NvidiaVfVgpu): ShareOption {
  return {
    kind: 'nvidia-vgpu',
    summary: `NVIDIA vGPU on this virtual function — ${v.current ? `type ${v.current} set; ` : ''}creatable: ${v.creatable.map((c) => `${c.id} ${c.name}`).join(', ') || 'none now'}`,
    how: `vfio-wizard apply --step vgpu-type --device ${v.address} --type ID`,
  };
}

/** Why a GPU offers nothing to share, by vendor and what is bound to it. */
function gpuReason(d: PciDevice): string {
  switch (d.vendor) {
    case '10de':
      return d.driver === 'nvidia'
        ? 'NVIDIA GPU without vGPU types: the regular NVIDIA driver does not share GPUs. vGPU needs a supported data-centre or workstation card, NVIDIA\'s vGPU host driver (not the desktop driver) and a licence; MIG needs an Ampere-or-later data-centre card (A100, A30, H100).'
        : 'Consumer NVIDIA GPUs cannot be shared: vGPU needs a supported data-centre or workstation card, NVIDIA\'s vGPU host driver and a licence; MIG needs an Ampere-or-later data-centre card (A100, A30, H100).';
    case '8086':
      return 'Intel graphics without mediated types or SR-IOV: GVT-g works only up to 10th-gen Core (Broadwell to Comet Lake) with i915.enable_gvt=1 and the kvmgt module; 11th gen and newer share through SR-IOV, which this GPU does not offer now.';
    case '1002':
      return 'AMD consumer GPUs cannot be shared; MxGPU (SR-IOV) needs FirePro S7150 or Instinct cards with AMD\'s GIM driver.';
    default:
      return 'This GPU offers no mediated device types and no SR-IOV.';
  }
}

export function shareVerdict(facts: HostFacts, share: ShareFacts, device: string): ShareVerdict | null {
  const d = facts.devices.find((x) => x.address === device);
  const parent = share.parents.find((p) => p.name === device);
  if (!d && !parent) return null;
  const options: ShareOption[] = [];
  const notes: string[] = [];
  if (parent && parent.types.length > 0) {
    options.push(mdevOption(parent));
    if (parent.types.every((t) => t.availableInstances === 0)) notes.push('No instance of any type can be created now: the device is already carved up, or in use whole.');
    if (!share.mdevctl.installed) notes.push('mdevctl is not installed: mdevs are created through sysfs and are gone after a reboot (Debian/Ubuntu: apt install mdevctl; Fedora/RHEL: dnf install mdevctl).');
  }
  if (d?.sriov && (d.sriov.totalVfs ?? 0) > 0) {
    options.push({
      kind: 'sriov',
      summary: `SR-IOV — ${d.sriov.numVfs ?? '?'} of ${d.sriov.totalVfs} virtual functions enabled; each VF gets its own IOMMU group and is passed like any device`,
      how: `vfio-wizard apply --step sriov --device ${d.address} --vfs N`,
    });
    if (d.vendor === '10de') notes.push('NVIDIA vGPU on Ampere and later runs on these VFs: enable them (the vGPU manager\'s sriov-manage -e does the same), then give each VF a vGPU type.');
    if (d.driver === null) notes.push('No driver is bound: the VFs can only be enabled by the device\'s own driver.');
  }
  const vf = share.nvidiaVfs.find((v) => v.address === device);
  if (vf) options.push(vfOption(vf));
  if (d && share.mig.some((m) => m.address === d.address && m.enabled)) notes.push('MIG mode is on (nvidia-smi): the GPU is split into GPU instances; they reach VMs through the vGPU manager\'s MIG-backed vGPU types.');
  let reason: string | null = null;
  if (options.length === 0 && d) {
    if (isGpu(d.class)) {
      reason = gpuReason(d);
      if (d.bootVga && d.vendor === '10de') notes.push('It drives the host\'s display: NVIDIA vGPU cannot share a GPU the host uses for its console (cards that switch modes, such as the A40 or RTX A6000, must first be set to display-off with NVIDIA\'s displaymodeselector).');
    } else if (isNetwork(d.class)) reason = 'This NIC has no SR-IOV capability.';
    else reason = 'This device offers no mediated device types and no SR-IOV.';
    notes.push(WHOLE);
  }
  return { device, name: d?.name ?? parent?.name ?? device, options, reason, notes };
}

/** Every device that can be shared, then the GPUs that cannot (with the reason). */
export function shareReport(facts: HostFacts, share: ShareFacts): ShareVerdict[] {
  const names = new Set<string>([...share.parents.map((p) => p.name), ...facts.devices.filter((d) => (d.sriov?.totalVfs ?? 0) > 0 || isGpu(d.class)).map((d) => d.address), ...share.nvidiaVfs.map((v) => v.address)]);
  const verdicts = [...names].sort().map((n) => shareVerdict(facts, share, n)).filter((v): v is ShareVerdict => v !== null);
  return [...verdicts.filter((v) => v.options.length > 0), ...verdicts.filter((v) => v.options.length === 0)];
}
