// "Try it now": move idle devices to vfio-pci on the running system, without a reboot, as a
// plan of journaled sysfs writes — so rollback (or restore.sh) moves them back to the driver
// they had. The kernel's own sequence: driver_override, unbind, drivers_probe, then read the
// driver link back (drivers_probe reports success even when nothing bound).
import type { HostFacts } from '../host/types.js';
import type { Change, Plan } from '../plan/types.js';
import { LIVE_BIND_STEP_ID } from '../steps/step-ids.js';


/** One device the live bind would move, with what stands in the way (empty: it can move now). */
export interface LiveBindDevice {
  address: string;
  driver: string | null;
  iommuGroup: number | null;
  busy: string[];
}

export interface LiveBindPlan {
  devices: LiveBindDevice[];
  /** null when a device is busy or has no IOMMU group: nothing is planned then */
  plan: Plan | null;
  reasons: string[];
}

/**
 * Plans the live bind of `addresses` (already expanded and guarded by the selection logic).
 * `inUse` maps an address to what holds it (open DRM/nvidia nodes, mounted filesystems).
 */
export function planLiveBind(facts: HostFacts, addresses: string[], inUse: Record<string, string[]>): LiveBindPlan {
  const devices: LiveBindDevice[] = addresses.map((address) => {
    const d = facts.devices.find((x) => x.address === address);
    const busy = [...(inUse[address] ?? [])];
    if (d?.bootVga) busy.push('it is the boot GPU (the console is drawn on it)');
    return { address, driver: d?.driver ?? null, iommuGroup: d?.iommuGroup ?? null, busy };
  });
  const reasons: string[] = [];
  if (!facts.iommu.enabled) reasons.push('the kernel has not enabled an IOMMU, so vfio-pci cannot take any device (apply the kernel command line step and reboot first)');
  for (const d of devices) {
    if (!facts.devices.some((x) => x.address === d.address)) reasons.push(`${d.address} is not on this host`);
    if (d.iommuGroup === null && facts.iommu.enabled) reasons.push(`${d.address} has no IOMMU group`);
    for (const b of d.busy) reasons.push(`${d.address} is in use: ${b}`);
  }
  if (reasons.length > 0) return { devices, plan: null, reasons };

  const changes: Change[] = [
    { kind: 'command', argv: ['modprobe', 'vfio-pci'], why: 'load vfio-pci so it can claim the devices', phase: 'live' },
  ];
  for (const d of devices) {
    if (d.driver === 'vfio-pci') continue;
    const dev = `/sys/bus/pci/devices/${d.address}`;
    changes.push({
      kind: 'sysfs',
      path: `${dev}/driver_override`,
      value: 'vfio-pci',
      previous: null,
      why: `only vfio-pci may bind ${d.address} from now on`,
      // clearing the override and re-probing gives the device back to the driver that matches it
      undo: [
        { path: `${dev}/driver_override`, value: '\n' },
        { path: '/sys/bus/pci/drivers_probe', value: d.address },
      ],
    });
    if (d.driver !== null) {
      changes.push({
        kind: 'sysfs',
        path: `/sys/bus/pci/drivers/${d.driver}/unbind`,
        value: d.address,
        previous: null,
        why: `release ${d.address} from ${d.driver}`,
        undo: [],
      });
    }
    changes.push({
      kind: 'sysfs',
      path: '/sys/bus/pci/drivers_probe',
      value: d.address,
      previous: null,
      why: `probe ${d.address} again: with the override, vfio-pci takes it`,
      undo: [{ path: '/sys/bus/pci/drivers/vfio-pci/unbind', value: d.address }],
    });
  }
  return {
    devices,
    reasons,
    plan: {
      stepId: LIVE_BIND_STEP_ID,
      title: 'Try it now: bind to vfio-pci without a reboot',
      changes,
      needsReboot: false,
      notes: ['This lasts until the next reboot; the isolation step makes it permanent. Rollback gives the devices back to their drivers.'],
    },
  };
}

export interface LiveBindCheck {
  ok: boolean;
  details: { address: string; driver: string | null; vfioNode: boolean }[];
  summary: string;
}

/** After the writes: every device's driver link says vfio-pci and /dev/vfio/<group> exists. */
export function checkLiveBind(facts: HostFacts, devices: LiveBindDevice[], exists: (systemPath: string) => boolean): LiveBindCheck {
  const details = devices.map((d) => {
    const now = facts.devices.find((x) => x.address === d.address);
    return { address: d.address, driver: now?.driver ?? null, vfioNode: d.iommuGroup !== null && exists(`/dev/vfio/${d.iommuGroup}`) };
  });
  const bad = details.filter((d) => d.driver !== 'vfio-pci' || !d.vfioNode);
  return {
    ok: bad.length === 0,
    details,
    summary:
      bad.length === 0
        ? `${details.map((d) => d.address).join(', ')} on vfio-pci; /dev/vfio nodes present`
        : bad.map((d) => `${d.address}: driver ${d.driver ?? 'none'}${d.vfioNode ? '' : ', no /dev/vfio node'}`).join('; '),
  };
}
