// The driver-packages step: proprietary driver packages that keep the chosen card busy (seed 003:
// cuda-drivers and nvidia-container-toolkit held the guest GPU), found in the package manager's
// own database under the root, shown by the isolation step, and removed only here — a separate,
// confirmed, journaled step whose undo reinstalls the exact versions. It refuses while the host
// keeps a card of the same vendor on that driver: removing it would take the host's own GPU.
import path from 'node:path';
import { ExitCode, UserError } from '../exit-codes.js';
import type { SystemRoot } from '../host/root.js';
import { SysReader } from '../host/sysfs-read.js';
import { isGpuOrAccelerator } from '../host/pci-class.js';
import type { HostFacts } from '../host/types.js';
import { findDriverPackages, removalChange, type DriverPackage, type PackageScan } from '../isolate/packages.js';
import { selectionReport } from '../isolate/selection.js';
import type { StepDefinition } from './registry.js';

export const DRIVER_PACKAGES_STEP_ID = 'driver-packages';

/** Only the pacman entries whose directory name could be a driver package are read (name-ver-rel). */
const PACMAN_CANDIDATE = /^(nvidia|cuda|amdgpu)/;

/** The package databases under the root: dpkg's status, pacman's candidate descs, whether rpm has one. */
export function readPackageScan(root: SystemRoot): PackageScan {
  const r = new SysReader(root.live ? '' : root.dir);
  const dpkgStatus = r.optionalText(root.at('/var/lib/dpkg/status'));
  const local = '/var/lib/pacman/local';
  const pacmanDescs = (r.optionalList(root.at(local)) ?? [])
    .filter((d) => PACMAN_CANDIDATE.test(d))
    .flatMap((d) => r.optionalText(root.at(path.posix.join(local, d, 'desc'))) ?? []);
  const rpmDatabase = r.exists(root.at('/var/lib/rpm')) || r.exists(root.at('/usr/lib/sysimage/rpm'));
  return findDriverPackages({ dpkgStatus, pacmanDescs, rpmDatabase });
}

const NVIDIA = '10de';
const AMD = '1002';
const vendorOf = (p: DriverPackage): string => (/^amdgpu/.test(p.name) ? AMD : NVIDIA);

export interface DriverPackageView {
  scan: PackageScan;
  /** installed packages that concern the vendor of a selected card */
  relevant: DriverPackage[];
  /** cards the host keeps with a driver of that vendor's stack: removal would take them too */
  hostCards: string[];
}

/** Which driver packages matter for this selection, and which host cards still need them. */
export function driverPackagesFor(facts: HostFacts, selected: readonly string[], scan: PackageScan): DriverPackageView {
  const sel = new Set(selected);
  const vendors = new Set(facts.devices.filter((d) => sel.has(d.address)).map((d) => d.vendor));
  const relevant = scan.packages.filter((p) => vendors.has(vendorOf(p)));
  const stack = new Set(relevant.map(vendorOf));
  const hostCards = facts.devices
    .filter((d) => !sel.has(d.address) && stack.has(d.vendor) && isGpuOrAccelerator(d.class) && d.driver !== null && d.driver !== 'vfio-pci')
    .map((d) => `${d.address} (${d.driver})`);
  return { scan, relevant, hostCards };
}

/** The lines the isolation step prints about driver packages (empty when there is nothing to say). */
export function driverPackageLines(v: DriverPackageView, devices: readonly string[]): string[] {
  if (!v.scan.checked) return v.scan.note && v.scan.manager === 'rpm' ? [`note: ${v.scan.note}`] : [];
  if (v.relevant.length === 0) return [];
  const lines = [`Installed driver packages that can keep the card busy: ${v.relevant.map((p) => `${p.name}${p.version ? ` ${p.version}` : ''}`).join(', ')}`];
  for (const p of v.relevant) lines.push(`  ${p.name}: ${p.reason}`);
  lines.push(
    v.hostCards.length > 0
      ? `  The host still drives ${v.hostCards.join(', ')} with them: keep the packages (the softdeps keep them off the passed card).`
      : `  The softdeps keep them off the card; to remove them as well: vfio-wizard apply --step ${DRIVER_PACKAGES_STEP_ID} --device ${devices.join(',')} (rollback reinstalls these versions)`,
  );
  return lines;
}

export const driverPackagesStep: StepDefinition = {
  id: DRIVER_PACKAGES_STEP_ID,
  title: 'Remove proprietary driver packages',
  plan(facts, root, opts) {
    if (!opts.devices?.length) throw new UserError(`--step ${DRIVER_PACKAGES_STEP_ID} needs --device ADDR`, ExitCode.usage, 'The card the packages are removed for, e.g. --device 01:00.0. Nothing was changed.');
    const sel = selectionReport(facts, opts.devices);
    if (!sel.ok) throw new UserError(sel.error.message, sel.error.kind === 'usage' ? ExitCode.usage : ExitCode.badInput, sel.error.remedy);
    const devices = sel.report.devices;
    const v = driverPackagesFor(facts, devices, readPackageScan(root));
    const base = { stepId: DRIVER_PACKAGES_STEP_ID, title: driverPackagesStep.title, verify: null };
    const details = { devices, manager: v.scan.manager, packages: v.relevant, hostCards: v.hostCards };
    if (!v.scan.checked) return { ...base, kind: 'refuse', plan: null, explanation: [`Cannot check: ${v.scan.note}`], details: { ...details, reason: v.scan.note } };
    if (v.relevant.length === 0) return { ...base, kind: 'nothing', plan: null, explanation: ['No proprietary driver package for this card is installed.'], details: { ...details, reason: 'none installed' } };
    if (v.hostCards.length > 0) {
      const reason = `the host still drives ${v.hostCards.join(', ')} with these packages; removing them would take its own GPU`;
      return { ...base, kind: 'refuse', plan: null, explanation: [`Cannot remove them: ${reason}.`, 'The softdeps of the isolate step keep the driver off the passed card; the packages can stay.'], details: { ...details, reason } };
    }
    const change = removalChange(v.relevant)!;
    const manager = v.scan.manager;
    return {
      ...base,
      kind: 'plan',
      plan: {
        stepId: DRIVER_PACKAGES_STEP_ID,
        title: driverPackagesStep.title,
        changes: [change],
        // loaded modules stay until the next boot
        needsReboot: true,
        notes: [`Rollback reinstalls: ${change.undo!.argv.join(' ')}${manager === 'dpkg' ? ' (the exact versions; they must still be in the configured repositories)' : ''}.`],
      },
      explanation: driverPackageLines(v, devices),
      details,
      verify: async (rt) => {
        const left = driverPackagesFor(facts, devices, readPackageScan(rt)).relevant.filter((p) => v.relevant.some((q) => q.name === p.name));
        return left.length === 0
          ? { ok: true, summary: `${v.relevant.map((p) => p.name).join(', ')} ${v.relevant.length === 1 ? 'is' : 'are'} no longer installed` }
          : { ok: false, summary: `still installed: ${left.map((p) => p.name).join(', ')}` };
      },
    };
  },
};
