// runWizard end to end without a terminal: the real scanner and checks over fixture roots
// materialised into temporary directories (the demo's own, and a host with VT-d off).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runWizard } from '../../src/commands/wizard.js';
import type { GlobalOptions } from '../../src/commands/context.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { AMD_FULLY_ENABLED, IOMMU_OFF_IN_FIRMWARE } from '../../src/demo/synthetic-hosts.js';
import type { RootSpec } from '../../src/demo/root-spec.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fixture(spec: RootSpec): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-wizard-test-'));
  dirs.push(dir);
  materializeRoot(spec, dir);
  return dir;
}

async function run(g: Partial<GlobalOptions>, tty = false) {
  let out = '';
  let err = '';
  const exits: number[] = [];
  const code = await runWizard({
    io: {
      stdout: { write: (s: string) => (out += s), isTTY: tty },
      stderr: { write: (s: string) => (err += s) },
      stdinIsTTY: tty,
      env: {},
    },
    globals: { root: '/', json: false, plain: false, color: true, demo: false, ...g },
    setExit: (c) => exits.push(c),
  });
  return { code, out, err };
}

describe('runWizard without a terminal', () => {
  it('--demo prints the sample workstation in plain text: banner, checklist, devices, no escape codes', async () => {
    const { code, out } = await run({ demo: true });
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe('DEMO — sample workstation, nothing is run');
    expect(out).toContain('Host readiness');
    expect(out).toMatch(/✔ .*CPU/);
    expect(out).toContain('[10de:1f02]'); // the sample's RTX 2070
    expect(out).toContain('[boot GPU]');
    expect(out).toContain('[host]');
    expect(out).toContain('The kernel has not enabled the IOMMU'); // the sample has intel_iommu=on still to add
    expect(out).toContain('vfio-wizard check');
    expect(out).not.toContain('\u001B');
    expect(out).not.toContain('cannot do PCI passthrough');
  });

  it('--demo --json prints facts and checks, and the demo root is gone afterwards', async () => {
    const { code, out } = await run({ demo: true, json: true });
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { demo: boolean; facts: { root: string; devices: unknown[] }; checks: { id: string }[] };
    expect(doc.demo).toBe(true);
    expect(doc.facts.devices.length).toBeGreaterThan(10);
    expect(doc.checks.map((c) => c.id)).toContain('iommu-kernel');
    expect(doc.facts.root).toContain('vfio-wizard-demo-');
    expect(existsSync(doc.facts.root)).toBe(false);
  });

  it('explains a host without VT-d and points at --demo, exit 0 (check is the command with a failing status)', async () => {
    const { code, out } = await run({ root: fixture(IOMMU_OFF_IN_FIRMWARE) });
    expect(code).toBe(0);
    expect(out).toContain('This machine cannot do PCI passthrough:');
    expect(out).toMatch(/✘ .*IOMMU/);
    expect(out).toContain('vfio-wizard --demo');
    expect(out).toContain('No IOMMU groups: the firmware exposes no IOMMU');
  });

  it('lists a ready host by IOMMU group, without the demo offer (negative control)', async () => {
    const { out } = await run({ root: fixture(AMD_FULLY_ENABLED), plain: true }, true);
    expect(out).toMatch(/IOMMU group 27\n {4}2d:00\.0 \[1002:67df\]/);
    expect(out).not.toContain('cannot do PCI passthrough');
    expect(out).not.toContain('--demo');
    expect(out).not.toContain('DEMO');
  });
});
