// libvirt's own host check. Its lines look like
//   "  QEMU: Checking for hardware virtualization            : PASS"
//   "  QEMU: Checking if device /dev/vhost-net exists         : WARN (Load the 'vhost_net' module …)"
// (format "%6s: Checking %-60s: " then PASS, or FAIL/WARN/NOTE with the reason in parentheses).
// It prints sections for QEMU, LXC and BHYVE; only QEMU matters for passthrough.
import type { HostFacts } from '../host/types.js';
import type { Check } from './types.js';

export type VirtHostValidateStatus = 'pass' | 'warn' | 'fail' | 'note';

export interface VirtHostValidateItem {
  /** "QEMU", "LXC", "BHYVE" */
  section: string;
  /** what was checked: "for hardware virtualization", "if device /dev/kvm exists" */
  check: string;
  status: VirtHostValidateStatus;
  /** the text in parentheses after FAIL/WARN/NOTE */
  detail: string | null;
  /** the line as printed */
  line: string;
}

export type VirtHostValidateResult =
  | {
      ran: true;
      /** null when unknown (parsed text only) or killed */
      exitCode: number | null;
      /** QEMU lines only */
      items: VirtHostValidateItem[];
      /** non-empty lines that are not a check result of any section (stderr, errors) */
      unrecognised: string[];
      /** why the run did not complete (spawn error, timeout), null when it did */
      error: string | null;
    }
  | {
      ran: false;
      /** why it was not run */
      reason: string;
    };

// the escape sequences virt-host-validate prints on a terminal
const ANSI = /\u001b\[[0-9;]*m/g;
const LINE = /^\s*([A-Za-z][A-Za-z0-9_-]*): Checking (.*?)\s*: (PASS|FAIL|WARN|NOTE)(?:\s+\((.*)\))?\s*$/;

/** Parse the output of `virt-host-validate [qemu]`; keeps QEMU items, reports foreign lines. */
export function parseVirtHostValidate(output: string): VirtHostValidateResult & { ran: true } {
  const items: VirtHostValidateItem[] = [];
  const unrecognised: string[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.replace(ANSI, '').trimEnd();
    if (line.trim() === '') continue;
    const m = LINE.exec(line);
    if (!m) {
      unrecognised.push(line.trim());
      continue;
    }
    if (m[1] !== 'QEMU') continue;
    items.push({
      section: m[1],
      check: m[2]!.trim(),
      status: m[3]!.toLowerCase() as VirtHostValidateStatus,
      detail: m[4]?.trim() ?? null,
      line: line.trim(),
    });
  }
  return { ran: true, exitCode: null, items, unrecognised, error: null };
}

/**
 * QEMU items that say nothing about passthrough: confidential-guest support (AMD SEV, IBM Secure
 * Execution) warns on nearly every host, and vhost-net only affects virtio network speed.
 */
export function isRelevantToPassthrough(item: VirtHostValidateItem): boolean {
  return !/secure guest support|\/dev\/vhost-net/i.test(item.check);
}

const WHY =
  'libvirt\'s own host check (virt-host-validate qemu) is a second opinion on the same layers — hardware ' +
  'virtualization, /dev/kvm, cgroups, the IOMMU — from the tool that will run the VM.';

const formatItem = (i: VirtHostValidateItem) =>
  `QEMU: ${i.check}: ${i.status.toUpperCase()}${i.detail ? ` (${i.detail})` : ''}`;

// "amd_iommu=on" is not a valid kernel value; never pass it on, whoever suggests it
const correctInvalidAdvice = (text: string) =>
  text.replace(/amd_iommu=on/g, 'nothing for AMD (the kernel enables the AMD IOMMU by itself)');

export const NOT_RUN_OTHER_ROOT = "not run: the host's own check only describes the running system";

export function checkVirtHostValidate(facts: HostFacts, result: VirtHostValidateResult | null | undefined): Check {
  const base = { id: 'virt-host-validate' as const, title: 'virt-host-validate', why: WHY };
  if (!result || !result.ran) {
    let reason: string;
    if (result && !result.ran) reason = result.reason;
    else if (facts.root !== '/') reason = NOT_RUN_OTHER_ROOT;
    else if (facts.virt.virtHostValidate === null) reason = 'not run: virt-host-validate is not installed';
    else reason = 'not run';
    const notInstalled = facts.virt.virtHostValidate === null && facts.root === '/';
    return {
      ...base,
      status: 'unknown',
      summary: reason,
      evidence: [`virt-host-validate: ${facts.virt.virtHostValidate ?? 'not found'}`],
      remedy: notInstalled
        ? 'It comes with libvirt (Debian/Ubuntu: libvirt-clients; Fedora: libvirt-client); see the virt-stack check.'
        : facts.root !== '/'
          ? 'Run `virt-host-validate qemu` on the system itself once it is booted.'
          : 'Run `virt-host-validate qemu` yourself to see libvirt\'s view.',
    };
  }
  const evidence = result.items.map(formatItem);
  if (result.exitCode !== null) evidence.push(`exit status ${result.exitCode}`);
  if (result.error) evidence.push(result.error);
  if (result.items.length === 0) {
    return {
      ...base,
      status: 'unknown',
      summary: result.error ?? 'virt-host-validate printed no QEMU check results',
      evidence: [...evidence, ...result.unrecognised.slice(0, 5)],
      remedy: 'Run `virt-host-validate qemu` yourself and read its output.',
    };
  }
  const relevant = result.items.filter(isRelevantToPassthrough);
  const fails = relevant.filter((i) => i.status === 'fail');
  const warns = relevant.filter((i) => i.status === 'warn');
  const counts = `${result.items.filter((i) => i.status === 'pass').length} of ${result.items.length} QEMU checks passed`;
  if (fails.length || warns.length) {
    const bad = [...fails, ...warns];
    return {
      ...base,
      status: fails.length ? 'fail' : 'warn',
      summary: `${counts}; ${bad.map((i) => `${i.check}: ${i.status.toUpperCase()}`).join('; ')}`,
      evidence,
      remedy:
        bad.map((i) => `${i.check}: ${correctInvalidAdvice(i.detail ?? i.status.toUpperCase())}`).join('\n') +
        '\nThe checks above for the same layer (cpu-virtualization, iommu-firmware, iommu-kernel) say which switch or parameter is wrong.',
    };
  }
  return {
    ...base,
    status: 'pass',
    summary: `${counts}${relevant.length < result.items.length ? ' (confidential-guest and vhost-net notes do not affect passthrough)' : ''}`,
    evidence,
    remedy: null,
  };
}
