// Proprietary driver packages that keep a card busy (seed 003: cuda-drivers and
// nvidia-container-toolkit held the guest GPU). Read from the package manager's own database files
// under the root — dpkg's var/lib/dpkg/status and pacman's var/lib/pacman/local/<name>-<ver>/desc.
// rpm keeps a database only rpm itself can read, and running rpm is not this module's business,
// so on rpm systems the answer is "not checked".
// Removal is offered as its own confirmed action; its undo is the matching reinstall command.
// libnvidia-* are user-space libraries (CUDA, NVENC): they do not claim the card, so they are not listed.
//
// Pure: the caller passes the files' contents.
import type { CommandChange } from '../plan/types.js';

export type PackageManager = 'dpkg' | 'pacman' | 'rpm';

export interface DriverPackage {
  name: string;
  version: string | null;
  manager: 'dpkg' | 'pacman';
  /** why it matters */
  reason: string;
}

export interface PackageScan {
  /** null: no dpkg or pacman database was found */
  manager: PackageManager | null;
  checked: boolean;
  packages: DriverPackage[];
  note: string | null;
}

const PATTERNS: { re: RegExp; reason: string }[] = [
  { re: /^nvidia-driver(?:-.*)?$/, reason: 'the NVIDIA proprietary driver: its modules claim every NVIDIA GPU' },
  { re: /^nvidia-dkms(?:-.*)?$/, reason: 'builds the NVIDIA kernel module for every kernel' },
  { re: /^nvidia(?:-open)?(?:-lts|-dkms)?$/, reason: 'the NVIDIA proprietary kernel module (Arch)' },
  { re: /^cuda-drivers(?:-.*)?$/, reason: 'pulls in the NVIDIA driver from the CUDA repository' },
  { re: /^nvidia-container-toolkit$/, reason: 'gives containers the GPU and keeps the driver loaded' },
  { re: /^amdgpu-pro(?:-.*)?$/, reason: 'the AMD proprietary driver stack' },
];

function match(name: string): string | null {
  return PATTERNS.find((p) => p.re.test(name))?.reason ?? null;
}

/** Installed packages from dpkg's status file ("Status: install ok installed" stanzas only). */
export function dpkgInstalled(status: string): { name: string; version: string | null }[] {
  const out: { name: string; version: string | null }[] = [];
  for (const stanza of status.split(/\n\s*\n/)) {
    const field = (f: string) => new RegExp(`^${f}:[ \\t]*(.*)$`, 'm').exec(stanza)?.[1]?.trim() ?? null;
    const name = field('Package');
    if (name && field('Status') === 'install ok installed') out.push({ name, version: field('Version') });
  }
  return out;
}

/** A pacman local database entry's %NAME% and %VERSION%. */
export function pacmanDesc(desc: string): { name: string; version: string | null } | null {
  const section = (s: string) => new RegExp(`^%${s}%\\n(.*)$`, 'm').exec(desc)?.[1]?.trim() ?? null;
  const name = section('NAME');
  return name ? { name, version: section('VERSION') } : null;
}

export interface PackageInputs {
  /** var/lib/dpkg/status contents, null when absent */
  dpkgStatus: string | null;
  /** contents of every var/lib/pacman/local/<dir>/desc, empty when there is no pacman database */
  pacmanDescs: string[];
  /** an rpm database exists (var/lib/rpm or usr/lib/sysimage/rpm) */
  rpmDatabase: boolean;
}

export function findDriverPackages(inputs: PackageInputs): PackageScan {
  if (inputs.dpkgStatus !== null) {
    const packages = dpkgInstalled(inputs.dpkgStatus).flatMap((p) => {
      const reason = match(p.name);
      return reason ? [{ ...p, manager: 'dpkg' as const, reason }] : [];
    });
    return { manager: 'dpkg', checked: true, packages, note: null };
  }
  if (inputs.pacmanDescs.length > 0) {
    const packages = inputs.pacmanDescs.flatMap((d) => {
      const p = pacmanDesc(d);
      const reason = p ? match(p.name) : null;
      return p && reason ? [{ ...p, manager: 'pacman' as const, reason }] : [];
    });
    return { manager: 'pacman', checked: true, packages, note: null };
  }
  if (inputs.rpmDatabase) {
    return { manager: 'rpm', checked: false, packages: [], note: 'rpm system: driver packages were not checked (list them with: rpm -qa | grep -Ei "nvidia|cuda|amdgpu-pro")' };
  }
  return { manager: null, checked: false, packages: [], note: 'no dpkg or pacman database found: driver packages were not checked' };
}

/** The removal command for these packages and the reinstall command that undoes it. */
export function removalCommand(packages: readonly DriverPackage[]): { argv: string[]; undo: string[] } | null {
  if (packages.length === 0) return null;
  const names = packages.map((p) => p.name);
  if (packages.every((p) => p.manager === 'dpkg')) {
    // pinned versions so the undo brings back exactly what was there
    const pinned = packages.map((p) => (p.version ? `${p.name}=${p.version}` : p.name));
    return { argv: ['apt-get', 'remove', '--purge', '-y', ...names], undo: ['apt-get', 'install', '-y', ...pinned] };
  }
  if (packages.every((p) => p.manager === 'pacman')) {
    return { argv: ['pacman', '-Rns', '--noconfirm', ...names], undo: ['pacman', '-S', '--noconfirm', ...names] };
  }
  return null;
}

/** The removal as a plan command (phase "other"), journaled with its reinstall as the undo. */
export function removalChange(packages: readonly DriverPackage[]): CommandChange | null {
  const cmd = removalCommand(packages);
  if (!cmd) return null;
  return {
    kind: 'command',
    argv: cmd.argv,
    why: `remove ${packages.map((p) => p.name).join(', ')}: ${packages.map((p) => p.reason).join('; ')}`,
    phase: 'other',
    undo: { argv: cmd.undo, why: 'reinstall the packages that were removed' },
  };
}
