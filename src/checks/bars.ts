// Devices with large memory BARs (bigger than the classic 256 MiB window, or 256 MiB placed above
// 4 GiB: modern GPUs, NPUs): they depend on the firmware's "Above 4G Decoding", and Resizable BAR is
// a known cause of guest trouble. Small BARs above 4 GiB (virtio, NICs) are ordinary.
import { barLine } from '../host/bar-text.js';
import type { HostFacts, PciDevice } from '../host/types.js';
import type { Check } from './types.js';
import { LARGE_BAR_MENU } from './firmware-menus.js';

const WHY =
  'A device whose BARs lie above 4 GiB needs "Above 4G Decoding" in the firmware, and the guest needs a ' +
  'large enough 64-bit MMIO window for it. Resizable BAR enlarges BARs further, which some guests and ' +
  'drivers handle badly (Code 43, black screen).';

/** the evidence for one device: each large BAR with its size and address */
function deviceEvidence(d: PciDevice): string {
  // facts made by hand without the list still say what was found
  if (d.largeBars.length === 0) return `${d.address} ${d.name}: a memory BAR larger than 256 MiB, or of 256 MiB above 4 GiB`;
  return `${d.address} ${d.name}: ${d.largeBars.map(barLine).join('; ')}`;
}

export function checkLargeBars(facts: HostFacts): Check {
  const base = { id: 'large-bars' as const, title: 'Large BARs', why: WHY };
  const large = facts.devices.filter((d) => d.largeBar && !d.isBridge);
  // a resource file that exists but could not be read hides its BARs (absent files are normal in captures)
  const unread = facts.notes.filter((n) => /^cannot (?:open|read) \S*\/resource: /.test(n));
  if (large.length === 0 && (facts.devices.length === 0 || unread.length > 0)) {
    return {
      ...base,
      status: 'unknown',
      summary: facts.devices.length === 0 ? 'no PCI devices could be read' : `${unread.length} device${unread.length === 1 ? '' : 's'}' BARs could not be read`,
      evidence: unread.length > 0 ? unread.slice(0, 6) : ['the scan found no PCI devices at all'],
      remedy: 'Run the check as root on the running system; vfio-wizard scan lists what could not be read.',
    };
  }
  if (large.length === 0) {
    return {
      ...base,
      status: 'pass',
      summary: 'no device has a large BAR',
      evidence: ['no memory BAR larger than 256 MiB (or of 256 MiB above 4 GiB) in any device\'s resource file'],
      remedy: null,
    };
  }
  return {
    ...base,
    status: 'warn',
    summary:
      `${large.length} device${large.length > 1 ? 's have' : ' has'} large BARs (${large.map((d) => d.address).join(', ')}): ` +
      'keep Above 4G Decoding on; Resizable BAR can upset guests',
    // what a BAR over 256 MiB means comes first: a long list is cut short where it is printed
    evidence: [
      ...(large.some((d) => d.largeBars.some((b) => b.size > 256 * 1024 * 1024))
        ? ['a BAR larger than 256 MiB means Resizable BAR is on, or the card always has BARs that large (compute cards, NPUs)']
        : []),
      ...large.map(deviceEvidence),
    ],
    remedy: LARGE_BAR_MENU,
  };
}
