// PCI addresses as sysfs names them: "<domain>:<bus>:<slot>.<fn>", domain 4+ hex digits
// (VMD and some hypervisors use 5-digit domains such as 10000).
export const PCI_ADDRESS = /^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;

export const isPciAddress = (s: string): boolean => PCI_ADDRESS.test(s);

/** Order by domain numerically, then bus, slot and function. */
export function compareAddress(a: string, b: string): number {
  const da = a.indexOf(':');
  const db = b.indexOf(':');
  const na = parseInt(a.slice(0, da), 16);
  const nb = parseInt(b.slice(0, db), 16);
  if (na !== nb) return na - nb;
  const ra = a.slice(da);
  const rb = b.slice(db);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/** PCI-address-shaped components of a sysfs path, in order (the bridge chain, then the device). */
export function addressesInPath(p: string): string[] {
  return p.split('/').filter(isPciAddress);
}
