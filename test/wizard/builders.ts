// Small builders for the wizard's tests on top of test/support/facts.ts: a device in one call,
// checks with readable defaults, and a host made of given devices.
import type { Check, CheckId, CheckStatus } from '../../src/checks/types.js';
import type { HostFacts, PciDevice } from '../../src/host/types.js';
import { makeDevice, makeFacts, type DeepPartial } from '../support/facts.js';

export function pci(address: string, cls: string, over: Partial<PciDevice> = {}): PciDevice {
  return makeDevice({ address: `0000:${address}`, class: cls, ...over });
}

export function check(id: CheckId, status: CheckStatus, over: Partial<Check> = {}): Check {
  return {
    id,
    title: id,
    status,
    summary: `${id} is ${status}`,
    evidence: [`evidence for ${id}`],
    why: `why ${id} matters`,
    remedy: status === 'pass' ? null : `fix ${id}`,
    ...over,
  };
}

/** A host whose devices are `devices` (IOMMU groups derived from their iommuGroup). */
export function hostWith(devices: PciDevice[], over: DeepPartial<HostFacts> = {}): HostFacts {
  const groups = new Map<number, string[]>();
  for (const d of devices) {
    if (d.iommuGroup !== null) groups.set(d.iommuGroup, [...(groups.get(d.iommuGroup) ?? []), d.address]);
  }
  return makeFacts({ ...over, devices, iommuGroups: [...groups].map(([id, devs]) => ({ id, devices: devs })) });
}
