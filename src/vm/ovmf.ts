// Where the UEFI firmware for the guest lives. The modern way is QEMU's firmware descriptors
// (/usr/share/qemu/firmware/*.json): libvirt reads them when the domain says
// <os firmware='efi'>, so the wizard passes no paths. The explicit code/vars pairs are for the
// QEMU command line and Vagrant, and for users who ask for a specific file. Reads under --root.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { VmSpec } from './vm-spec.js';
import type { SystemRoot } from '../host/root.js';

export interface OvmfPair {
  /** system path of the read-only code image */
  code: string;
  /** system path of the variable-store template; null when none was found next to it */
  vars: string | null;
  /** the code image enforces Secure Boot (secboot builds, descriptors with "secure-boot") */
  secureBoot: boolean;
  /** Microsoft keys are enrolled in the vars template (.ms, "enrolled-keys") */
  enrolledKeys: boolean;
  /** the descriptor that named it, or null for a pair found by file name */
  descriptor: string | null;
}

export interface OvmfFindings {
  /** descriptors for x86_64 q35 flash firmware (libvirt's autoselection works when non-empty) */
  descriptors: string[];
  pairs: OvmfPair[];
}

/** Code/vars names by distribution; the first match in each directory wins per variant. */
const LAYOUTS: { dir: string; files: [code: string, vars: string, secure: boolean, enrolled: boolean][] }[] = [
  {
    dir: '/usr/share/OVMF', // Debian, Ubuntu
    files: [
      ['OVMF_CODE_4M.fd', 'OVMF_VARS_4M.fd', false, false],
      ['OVMF_CODE_4M.secboot.fd', 'OVMF_VARS_4M.ms.fd', true, true],
      ['OVMF_CODE.fd', 'OVMF_VARS.fd', false, false],
      ['OVMF_CODE.secboot.fd', 'OVMF_VARS.ms.fd', true, true],
    ],
  },
  {
    dir: '/usr/share/edk2/ovmf', // Fedora, RHEL, CentOS
    files: [
      ['OVMF_CODE.fd', 'OVMF_VARS.fd', false, false],
      ['OVMF_CODE.secboot.fd', 'OVMF_VARS.secboot.fd', true, true],
    ],
  },
  {
    dir: '/usr/share/edk2/x64', // Arch
    files: [
      ['OVMF_CODE.4m.fd', 'OVMF_VARS.4m.fd', false, false],
      ['OVMF_CODE.secboot.4m.fd', 'OVMF_VARS.4m.fd', true, false],
      ['OVMF_CODE.fd', 'OVMF_VARS.fd', false, false],
      ['OVMF_CODE.secboot.fd', 'OVMF_VARS.fd', true, false],
    ],
  },
  {
    dir: '/usr/share/edk2-ovmf/x64', // openSUSE, Gentoo
    files: [
      ['OVMF_CODE.fd', 'OVMF_VARS.fd', false, false],
      ['OVMF_CODE.secboot.fd', 'OVMF_VARS.fd', true, false],
    ],
  },
];

const DESCRIPTOR_DIRS = ['/etc/qemu/firmware', '/usr/share/qemu/firmware'];

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

interface Descriptor {
  mapping?: { device?: string; executable?: { filename?: string }; 'nvram-template'?: { filename?: string } };
  targets?: { architecture?: string; machines?: string[] }[];
  features?: string[];
}

/** A descriptor's pair when it describes x86_64 q35 flash firmware, else null. Pure. */
export function pairFromDescriptor(text: string, descriptorPath: string): OvmfPair | null {
  let d: Descriptor;
  try {
    d = JSON.parse(text) as Descriptor;
  } catch {
    return null;
  }
  const code = d.mapping?.executable?.filename;
  if (d.mapping?.device !== 'flash' || typeof code !== 'string') return null;
  const q35 = (d.targets ?? []).some((t) => t.architecture === 'x86_64' && (t.machines ?? []).some((m) => m.includes('q35')));
  if (!q35) return null;
  const features = d.features ?? [];
  const vars = d.mapping['nvram-template']?.filename;
  return {
    code,
    vars: typeof vars === 'string' ? vars : null,
    secureBoot: features.includes('secure-boot'),
    enrolledKeys: features.includes('enrolled-keys'),
    descriptor: descriptorPath,
  };
}

export function findOvmf(root: SystemRoot): OvmfFindings {
  const descriptors: string[] = [];
  const pairs: OvmfPair[] = [];
  const seen = new Set<string>();
  for (const dir of DESCRIPTOR_DIRS) {
    let names: string[];
    try {
      names = readdirSync(root.at(dir)).filter((n) => n.endsWith('.json')).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const sys = `${dir}/${n}`;
      let text: string;
      try {
        text = readFileSync(root.at(sys), 'utf8');
      } catch {
        continue;
      }
      const p = pairFromDescriptor(text, sys);
      if (!p || !isFile(root.at(p.code))) continue;
      descriptors.push(sys);
      const key = `${p.code}|${p.vars}`;
      if (!seen.has(key)) {
        seen.add(key);
        pairs.push(p);
      }
    }
  }
  for (const layout of LAYOUTS) {
    for (const [code, vars, secureBoot, enrolledKeys] of layout.files) {
      const c = `${layout.dir}/${code}`;
      if (!isFile(root.at(c))) continue;
      const v = `${layout.dir}/${vars}`;
      const pair: OvmfPair = { code: c, vars: isFile(root.at(v)) ? v : null, secureBoot, enrolledKeys, descriptor: null };
      const key = `${pair.code}|${pair.vars}`;
      if (!seen.has(key)) {
        seen.add(key);
        pairs.push(pair);
      }
    }
  }
  return { descriptors, pairs };
}

/** The pair for the wanted Secure Boot state: with a vars template first, descriptors before file names. */
export function pickOvmf(f: OvmfFindings, secureBoot: boolean): OvmfPair | null {
  const fit = f.pairs.filter((p) => p.secureBoot === secureBoot && (!secureBoot || p.enrolledKeys || p.vars !== null));
  return fit.find((p) => p.vars !== null) ?? fit[0] ?? null;
}

/** The OVMF pair an export names: the one the user gave (--loader), else the best found under the root. */
export function ovmfForSpec(root: SystemRoot, spec: Pick<VmSpec, 'firmware'>): OvmfPair | null {
  const l = spec.firmware.loader;
  return l ? { ...l, secureBoot: spec.firmware.secureBoot, enrolledKeys: false, descriptor: null } : pickOvmf(findOvmf(root), spec.firmware.secureBoot);
}
