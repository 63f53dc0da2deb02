// Which other devices of an IOMMU group stop a VM from opening it. The kernel lets a group be used
// only while every device in it is bound to a driver that manages DMA for vfio (vfio-pci, pci-stub,
// and pcieport on bridges and root ports) or to no driver at all. Bridges are never handed to a VM,
// so a bridge is harmless only on pcieport (or on no driver); an ISA/LPC bridge on lpc_ich or a host
// bridge with a driver of its own makes the group unusable, and moving the card is the only way out.
import type { PciDevice } from '../host/types.js';

/** Drivers the kernel accepts on the other devices of a group a VM opens. */
export const GROUP_SAFE_DRIVERS: ReadonlySet<string> = new Set(['vfio-pci', 'vfio_pci', 'pci-stub', 'pci_stub', 'pcieport']);

/** A bridge that stays with the host without keeping its group from a VM. */
export const harmlessBridge = (d: PciDevice): boolean => d.isBridge && (d.driver === null || GROUP_SAFE_DRIVERS.has(d.driver));

/** A bridge whose host driver keeps the whole group from a VM (it cannot be passed along). */
export const blockingBridge = (d: PciDevice): boolean => d.isBridge && !harmlessBridge(d);

const slotOf = (address: string) => address.slice(0, address.lastIndexOf('.'));

/**
 * A function built into the root complex (bus 00, no bridge above it): the chipset's audio, SMBus,
 * LPC, SATA and NIC share a slot number there without being one card, so such a function is a unit
 * of its own — picking the onboard audio must not take the onboard NIC next to it.
 */
export const integratedEndpoint = (d: PciDevice): boolean => d.parents.length === 0 && /^[0-9a-f]+:00:/.test(d.address);

/** What one pick means: the card (every function of its slot) or, built into the chipset, the function. */
export function cardKey(d: PciDevice): string {
  const a = d.physfn ?? d.address;
  return integratedEndpoint(d) && d.physfn === null ? a : slotOf(a);
}
