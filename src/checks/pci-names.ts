// Devices the local pci.ids database does not know: harmless for passthrough, but the wizard
// (and lspci) can then show only numeric IDs, which makes choosing the right device harder.
import type { HostFacts } from '../host/types.js';
import type { Check } from './types.js';

const WHY =
  'Names come from the pci.ids database. An outdated copy shows new devices only as "Device 10de:2684", ' +
  'which makes it easy to pick the wrong one. Passthrough itself does not need names.';

const SHOWN = 5;

export function checkPciNames(facts: HostFacts): Check {
  const base = { id: 'pci-names' as const, title: 'PCI device names', why: WHY };
  const source = facts.pciIdsSource;
  if (source === null) {
    return {
      ...base,
      status: 'warn',
      summary: 'no pci.ids database found: devices are shown by number only',
      evidence: ['pci.ids: not found (/usr/share/misc/pci.ids, /usr/share/hwdata/pci.ids)'],
      remedy: 'Install pciutils (Debian/Ubuntu, openSUSE) or hwdata (Fedora, Arch), which provide pci.ids.',
    };
  }
  const unnamed = facts.devices.filter((d) => d.vendorName === null || d.deviceName === null);
  if (unnamed.length === 0) {
    return {
      ...base,
      status: 'pass',
      summary: `all ${facts.devices.length} devices have names`,
      evidence: [`pci.ids: ${source}`],
      remedy: null,
    };
  }
  const list = unnamed.map((d) => `${d.address} [${d.vendor}:${d.device}]`);
  return {
    ...base,
    status: 'warn',
    summary: `${unnamed.length} device${unnamed.length > 1 ? 's have' : ' has'} no name in pci.ids: ${list.slice(0, SHOWN).join(', ')}${unnamed.length > SHOWN ? ', …' : ''}`,
    evidence: [`pci.ids: ${source}`, ...unnamed.map((d) => `${d.address} [${d.vendor}:${d.device}] ${d.name}: no ${d.vendorName === null ? 'vendor' : 'device'} name`)],
    remedy: 'Run `update-pciids` (from pciutils) to download the current pci.ids, or update the pciutils/hwdata package.',
  };
}
