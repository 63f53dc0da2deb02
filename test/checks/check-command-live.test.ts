// `vfio-wizard check` on this machine's own root (read-only): virt-host-validate really runs,
// its lines stream before the checklist in plain mode and stay out of stdout with --json.
import { describe, expect, it } from 'vitest';
import { main, type MainIo } from '../../src/cli.js';
import type { Check } from '../../src/checks/types.js';

async function run(args: string[]) {
  let out = '';
  let err = '';
  const io: MainIo = {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s) },
    stdinIsTTY: false,
    env: {},
  };
  const code = await main(args, io);
  return { code, out, err };
}

describe('vfio-wizard check on the live root', () => {
  it('--json: stdout is exactly the report; virt-host-validate ran and its QEMU lines are the evidence', async () => {
    const r = await run(['check', '--json']);
    const report = JSON.parse(r.out) as { root: string; checks: Check[] };
    expect(report.root).toBe('/');
    const vhv = report.checks.find((c) => c.id === 'virt-host-validate')!;
    expect(vhv.summary).not.toMatch(/^not run/);
    expect(vhv.evidence.some((e) => e.startsWith('QEMU: for hardware virtualization: '))).toBe(true);
    const failed = report.checks.some((c) => c.status === 'fail');
    expect(r.code).toBe(failed ? 3 : 0);
  });

  it('plain: the virt-host-validate lines come first, prefixed, then the checklist', async () => {
    const r = await run(['check']);
    const lines = r.out.split('\n');
    const firstStreamed = lines.findIndex((l) => /^virt-host-validate: +QEMU: Checking /.test(l));
    const checklist = lines.indexOf('Readiness of this machine:');
    expect(firstStreamed).toBeGreaterThan(-1);
    expect(checklist).toBeGreaterThan(firstStreamed);
    expect(r.out).not.toMatch(/\u001b/);
  });
});
