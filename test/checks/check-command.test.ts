// `vfio-wizard check` end to end through main(), against fixture roots written by
// materializeRoot: the demo workstation as shipped (VT-d in the firmware, intel_iommu=on not set),
// the same machine after enabling the IOMMU, and one with VT-d off in the firmware.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type MainIo } from '../../src/cli.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_GROUPS_AFTER_ENABLING, SAMPLE_WORKSTATION, SAMPLE_KERNEL } from '../../src/demo/sample-workstation.js';
import type { RootSpec } from '../../src/demo/root-spec.js';
import type { Check, CheckId } from '../../src/checks/types.js';
import { formatChecks } from '../../src/commands/check.js';

const READY_CMDLINE = `BOOT_IMAGE=/boot/vmlinuz-${SAMPLE_KERNEL} root=UUID=3f1c2a7e-5b8d-4e0f-9a61-2c7d9e4b1a05 ro quiet intel_iommu=on`;

const READY: RootSpec = {
  ...SAMPLE_WORKSTATION,
  id: 'ready',
  cmdline: READY_CMDLINE,
  iommuUnits: ['dmar0', 'dmar1'],
  dmesg: [
    `[    0.000000] Command line: ${READY_CMDLINE}`,
    '[    0.008731] ACPI: DMAR 0x0000000047A1B000 000088 (v02 INTEL  EDK2     00000002      01000013)',
    '[    0.120416] DMAR: IOMMU enabled',
    '[    0.120601] DMAR-IR: Enabled IRQ remapping in x2apic mode',
    '',
  ].join('\n'),
  devices: SAMPLE_WORKSTATION.devices.map((d) => ({ ...d, iommuGroup: SAMPLE_GROUPS_AFTER_ENABLING[d.address] ?? null })),
};

const FIRMWARE_OFF: RootSpec = {
  ...SAMPLE_WORKSTATION,
  id: 'firmware-off',
  acpiTables: (SAMPLE_WORKSTATION.acpiTables ?? []).filter((t) => t !== 'DMAR'),
  dmesg: '[    0.000000] Linux version 6.1.0-13-amd64\n',
};

interface Captured {
  code: number;
  out: string;
  err: string;
}

async function run(args: string[], tty = false): Promise<Captured> {
  let out = '';
  let err = '';
  const io: MainIo = {
    stdout: { write: (s: string) => (out += s), isTTY: tty },
    stderr: { write: (s: string) => (err += s) },
    stdinIsTTY: tty,
    env: {},
  };
  const code = await main(args, io);
  return { code, out, err };
}

const byId = (checks: Check[], id: CheckId) => checks.find((c) => c.id === id)!;

describe('vfio-wizard check against fixture roots', () => {
  let tmp: string;
  const roots: Record<string, string> = {};
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-check-'));
    for (const spec of [SAMPLE_WORKSTATION, READY, FIRMWARE_OFF]) {
      roots[spec.id] = path.join(tmp, spec.id);
      materializeRoot(spec, roots[spec.id]!);
    }
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('--json: documented shape only, IOMMU kernel layer failing, exit 3', async () => {
    const r = await run(['--root', roots['sample-workstation']!, 'check', '--json']);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.out) as { schemaVersion: number; root: string; checks: Check[] };
    expect(Object.keys(report).sort()).toEqual(['checks', 'root', 'schemaVersion']);
    expect(report.schemaVersion).toBe(1);
    expect(report.root).toBe(roots['sample-workstation']);
    for (const c of report.checks) {
      expect(Object.keys(c).sort()).toEqual(['evidence', 'id', 'remedy', 'status', 'summary', 'title', 'why']);
    }
    expect(byId(report.checks, 'iommu-firmware').status).toBe('pass');
    const kernel = byId(report.checks, 'iommu-kernel');
    expect(kernel.status).toBe('fail');
    expect(kernel.summary).toMatch(/kernel parameter missing/);
    expect(kernel.remedy).toContain('intel_iommu=on');
    expect(byId(report.checks, 'virt-host-validate').summary).toBe("not run: the host's own check only describes the running system");
  });

  it('--json on a ready host: no failure, exit 0', async () => {
    const r = await run(['check', '--root', roots.ready!, '--json']);
    const report = JSON.parse(r.out) as { checks: Check[] };
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(byId(report.checks, 'iommu-kernel').status).toBe('pass');
    expect(byId(report.checks, 'interrupt-remapping').status).toBe('pass');
    expect(byId(report.checks, 'boot-gpu').summary).toContain('boot GPU 0000:00:02.0');
    expect(r.code).toBe(0);
  });

  it('--json with VT-d off in the firmware blames the firmware, not a parameter', async () => {
    const r = await run(['--json', '--root', roots['firmware-off']!, 'check']);
    expect(r.code).toBe(3);
    const report = JSON.parse(r.out) as { checks: Check[] };
    const fw = byId(report.checks, 'iommu-firmware');
    expect(fw.status).toBe('fail');
    expect(fw.remedy).toContain('VT-d');
    expect(byId(report.checks, 'iommu-kernel').remedy).not.toContain('intel_iommu=on');
  });

  it('plain output: one line per check, fixes under non-pass items, no escape codes off a terminal', async () => {
    const r = await run(['--root', roots['sample-workstation']!, 'check']);
    expect(r.code).toBe(3);
    expect(r.out).not.toMatch(/\u001b/);
    expect(r.out).toContain(`Readiness of the system at ${roots['sample-workstation']}:`);
    expect(r.out).toMatch(/^ {2}FAIL {2}IOMMU enabled by kernel +kernel parameter missing/m);
    expect(r.out).toMatch(/^ {2}PASS {2}CPU virtualization /m);
    expect(r.out).toMatch(/^ {8}fix: {2}Add intel_iommu=on/m);
    expect(r.out).not.toMatch(/^virt-host-validate: /m);
    expect(r.out).toMatch(/failed, \d+ unknown\.\nNot ready for passthrough/);
    const statusLines = r.out.split('\n').filter((l) => /^ {2}(PASS|WARN|FAIL|\?\?\?\?) {2}/.test(l));
    expect(statusLines).toHaveLength(13);
  });

  it('colours the status words only on a terminal', async () => {
    const r = await run(['--root', roots.ready!, 'check', '--plain'], true);
    expect(r.out).toContain('\u001b[32mPASS\u001b[0m');
    const noColor = await run(['--root', roots.ready!, '--no-color', 'check', '--plain'], true);
    expect(noColor.out).not.toMatch(/\u001b/);
  });

  it('reports a missing --root as bad input without scanning', async () => {
    const r = await run(['--root', path.join(tmp, 'nope'), 'check', '--json']);
    expect(r.code).toBe(5);
    // --json: no checks, the reason as the document
    expect(JSON.parse(r.out)).toMatchObject({ schemaVersion: 1, error: { exitCode: 5, message: expect.stringMatching(/no such directory/) } });
    expect(r.err).toMatch(/no such directory/);
  });
});

describe('formatChecks', () => {
  const base = { title: 'T', evidence: ['e1'], why: 'because' };
  it('aligns continuation lines of a multi-line fix and prints nothing under a pass', () => {
    const text = formatChecks(
      [
        { ...base, id: 'uefi', title: 'UEFI boot', status: 'pass', summary: 'fine', remedy: null },
        { ...base, id: 'virt-host-validate', status: 'warn', summary: 'two things', remedy: 'first\nsecond' },
      ],
      { color: false },
    );
    expect(text).toContain('  PASS  UEFI boot  fine\n  WARN  T          two things\n');
    expect(text).toContain('        fix:  first\n              second\n');
    expect(text).toContain('        seen: e1\n');
    expect(text.match(/why:/g)).toHaveLength(1);
    expect(text).toContain('1 passed, 1 warning, 0 failed, 0 unknown.\nReady for passthrough; read the warnings above.\n');
  });

  it('never says "Ready" while a layer is unknown: it names the layers it could not judge; a failure still comes first', () => {
    const pass = { ...base, id: 'uefi' as const, title: 'UEFI boot', status: 'pass' as const, summary: 'fine', remedy: null };
    const unknown = { ...base, id: 'cpu-virtualization' as const, title: 'CPU virtualization', status: 'unknown' as const, summary: '?', remedy: 'look' };
    const text = formatChecks([pass, unknown], { color: false });
    expect(text).not.toContain('Ready for passthrough');
    expect(text).toContain('1 passed, 0 warnings, 0 failed, 1 unknown.\nNothing failed, but readiness is not known: CPU virtualization could not be judged');
    const failed = formatChecks([unknown, { ...pass, status: 'fail', remedy: 'fix' }], { color: false });
    expect(failed).toContain('Not ready for passthrough');
  });
});
