// The host's display: which GPU the firmware booted with (boot_vga=1), and whether one GPU
// remains for the host once another is given to a guest.
import type { HostFacts, PciDevice } from '../host/types.js';
import { isGpu } from '../host/pci-class.js';
import type { Check } from './types.js';

const WHY =
  'The boot GPU drives the firmware and console output; passing it through is harder (the firmware has ' +
  'modified its ROM, the console framebuffer holds it). With only one GPU, passing it means the host runs ' +
  'headless while the guest runs.';

/** Physical GPUs: display-class functions that are not SR-IOV virtual functions. */
export function hostGpus(facts: HostFacts): PciDevice[] {
  return facts.devices.filter((d) => isGpu(d.class) && d.physfn === null);
}

const describe = (d: PciDevice) =>
  `${d.address} ${d.name} (driver ${d.driver ?? 'none'}${d.bootVga ? ', boot_vga=1' : ''})`;

export function checkBootGpu(facts: HostFacts): Check {
  const base = { id: 'boot-gpu' as const, title: 'Boot GPU and host display', why: WHY };
  const gpus = hostGpus(facts);
  const evidence = gpus.map(describe);
  const boot = gpus.find((d) => d.bootVga) ?? null;
  if (facts.devices.length === 0) {
    // nothing was read, so "no GPU" would be a guess
    return {
      ...base,
      status: 'unknown',
      summary: 'no PCI devices could be read, so whether a GPU is left for the host is unknown',
      evidence: facts.notes.filter((n) => n.includes('/sys/bus/pci')).concat('the scan found no PCI devices at all').slice(0, 3),
      remedy: 'Run the check on the running system (or a root with its /sys captured); vfio-wizard scan lists what was read.',
    };
  }
  if (gpus.length === 0) {
    return {
      ...base,
      status: 'pass',
      summary: 'no GPU found: the host is headless; passing other devices (NICs, accelerators) is unaffected',
      evidence: ['no PCI display controller (class 03xx)'],
      remedy: null,
    };
  }
  if (!boot) evidence.push('no GPU reports boot_vga=1 (the console may be on a serial line or a device without VGA decoding)');
  const bootText = boot ? `boot GPU ${boot.address} ${boot.name}` : 'no boot GPU flagged';
  if (gpus.length === 1) {
    const only = gpus[0]!;
    return {
      ...base,
      status: 'warn',
      summary: `only one GPU (${only.address} ${only.name}): passing it through leaves the host without a display`,
      evidence,
      remedy:
        'Pass other devices freely. To pass this GPU, add a second GPU for the host (an integrated GPU often works: enable ' +
        'it in the firmware setup, usually "iGPU Multi-Monitor" or "Primary Display"), or plan a single-GPU passthrough — ' +
        'an advanced setup where the display manager is stopped and the console unbound while the guest runs; manage the host over SSH.',
    };
  }
  // the host keeps a display only through a GPU that still has a host driver (or none yet)
  const givenAway = (d: PciDevice) => d.driver === 'vfio-pci' || d.driver === 'pci-stub';
  if (gpus.every(givenAway)) {
    return {
      ...base,
      status: 'warn',
      summary: `all ${gpus.length} GPUs are bound to ${[...new Set(gpus.map((d) => d.driver))].join('/')}: none is left with a host driver, so the host has no display while the guests run`,
      evidence,
      remedy:
        'Keep at least one GPU with its host driver: undo the binding of one (vfio-wizard rollback --step isolate, or bind by address only the cards the guests need), ' +
        'or run this host headless on purpose and manage it over SSH.',
    };
  }
  const others = gpus.filter((d) => d !== boot);
  return {
    ...base,
    status: 'pass',
    summary: `${bootText}; ${gpus.length} GPUs, so one can stay with the host (candidates for a guest: ${others.map((d) => d.address).join(', ')})`,
    evidence,
    remedy: null,
  };
}
