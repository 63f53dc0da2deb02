import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeFacts } from '../support/facts.js';
import {
  checkVirtHostValidate,
  NOT_RUN_OTHER_ROOT,
  parseVirtHostValidate,
  type VirtHostValidateResult,
} from '../../src/checks/virt-host-validate.js';
import { runVirtHostValidate } from '../../src/checks/run-virt-host-validate.js';
import { createRunner } from '../../src/run/runner.js';
import type { RunOptions, RunResult, Runner } from '../../src/run/types.js';

const sample = (name: string) => readFileSync(path.join(import.meta.dirname, 'samples', name), 'utf8');
const withExit = (text: string, exitCode: number): VirtHostValidateResult => ({ ...parseVirtHostValidate(text), exitCode });

describe('parseVirtHostValidate', () => {
  it('reads every QEMU line of a real run on a machine without KVM', () => {
    const r = parseVirtHostValidate(sample('vhv-debian12-tcg-no-kvm.txt'));
    expect(r.items).toHaveLength(11);
    expect(r.unrecognised).toEqual([]);
    expect(r.items[0]).toEqual({
      section: 'QEMU',
      check: 'for hardware virtualization',
      status: 'fail',
      detail:
        'Host not compatible with KVM; HW virtualization CPU features not found. Only emulated CPUs are available; performance will be significantly limited',
      line: expect.stringMatching(/^QEMU: Checking for hardware virtualization +: FAIL \(Host/),
    });
    expect(r.items.map((i) => i.status)).toEqual(['fail', 'warn', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'warn', 'warn']);
    expect(r.items[1]!.check).toBe('if device /dev/vhost-net exists');
    expect(r.items[3]!.check).toBe("for cgroup 'cpu' controller support");
  });

  it('keeps only the QEMU section when LXC lines follow', () => {
    const r = parseVirtHostValidate(sample('vhv-intel-ready-all-sections.txt'));
    expect(r.items).toHaveLength(14);
    expect(r.items.every((i) => i.section === 'QEMU')).toBe(true);
    expect(r.items.some((i) => i.check.includes('fuse'))).toBe(false);
    expect(r.unrecognised).toEqual([]);
  });

  it('strips terminal colours and reads NOTE and nested parentheses', () => {
    const r = parseVirtHostValidate(sample('vhv-tty-colours-synthetic.txt'));
    expect(r.items.map((i) => i.status)).toEqual(['pass', 'fail', 'note']);
    expect(r.items[1]!.detail).toBe("Load the 'kvm_intel' module");
    expect(r.items[2]!.detail).toBe('Only emulated IOMMU (fixed) is available');
    for (const i of r.items) expect(i.line).not.toMatch(/\u001b/);
  });

  it('reports lines that are not check results (stderr noise) instead of dropping them silently', () => {
    const r = parseVirtHostValidate('Unable to initialize cgroups: no such file\n  QEMU: Checking for hardware virtualization     : PASS\n\n');
    expect(r.items).toHaveLength(1);
    expect(r.unrecognised).toEqual(['Unable to initialize cgroups: no such file']);
  });

  it('finds nothing in unrelated text (negative control)', () => {
    const r = parseVirtHostValidate('usage: virt-host-validate [OPTIONS] [HVTYPE]\nQEMU: nothing checked here\n');
    expect(r.items).toEqual([]);
    expect(r.unrecognised).toHaveLength(2);
  });
});

describe('virt-host-validate check', () => {
  it('passes a ready host; the secure-guest warning does not count against passthrough', () => {
    const c = checkVirtHostValidate(makeFacts(), withExit(sample('vhv-intel-ready-all-sections.txt'), 1));
    expect(c.status).toBe('pass');
    expect(c.summary).toMatch(/^13 of 14 QEMU checks passed/);
    expect(c.evidence).toContain('QEMU: if IOMMU is enabled by kernel: PASS');
  });

  it('warns with libvirt’s own advice when the kernel has the IOMMU off', () => {
    const c = checkVirtHostValidate(makeFacts(), withExit(sample('vhv-intel-kernel-param-missing.txt'), 1));
    expect(c.status).toBe('warn');
    expect(c.summary).toContain('if IOMMU is enabled by kernel: WARN');
    expect(c.remedy).toContain('Add intel_iommu=on');
    expect(c.remedy).not.toMatch(/secure guest/i);
  });

  it('warns when IVRS is missing on AMD, and never passes on "amd_iommu=on"', () => {
    const c = checkVirtHostValidate(makeFacts(), withExit(sample('vhv-amd-ivrs-missing.txt'), 1));
    expect(c.status).toBe('warn');
    expect(c.remedy).toMatch(/No ACPI IVRS table found/);
    const bogus = parseVirtHostValidate(
      '  QEMU: Checking if IOMMU is enabled by kernel                               : WARN (IOMMU appears to be disabled in kernel. Add amd_iommu=on to kernel cmdline arguments)\n',
    );
    const corrected = checkVirtHostValidate(makeFacts(), bogus);
    expect(corrected.remedy).not.toContain('amd_iommu=on');
    expect(corrected.remedy).toMatch(/enables the AMD IOMMU by itself/);
  });

  it('fails when a relevant QEMU line fails', () => {
    const c = checkVirtHostValidate(makeFacts(), withExit(sample('vhv-debian12-tcg-no-kvm.txt'), 1));
    expect(c.status).toBe('fail');
    expect(c.summary).toContain('for hardware virtualization: FAIL');
    expect(c.evidence).toContain('exit status 1');
  });

  it('is unknown when not run, saying why', () => {
    const other = checkVirtHostValidate(makeFacts({ root: '/mnt/fixture' }), null);
    expect(other.status).toBe('unknown');
    expect(other.summary).toBe(NOT_RUN_OTHER_ROOT);
    const missing = checkVirtHostValidate(makeFacts({ virt: { virtHostValidate: null } }), undefined);
    expect(missing.summary).toMatch(/not installed/);
    expect(missing.remedy).toMatch(/libvirt-clients/);
    const spawn = checkVirtHostValidate(makeFacts(), { ran: false, reason: 'not run: spawn EACCES' });
    expect(spawn.summary).toBe('not run: spawn EACCES');
  });

  it('is unknown when the output had no QEMU results', () => {
    const c = checkVirtHostValidate(makeFacts(), { ...parseVirtHostValidate('error: something\n'), exitCode: 2 });
    expect(c.status).toBe('unknown');
  });
});

/** A scripted runner for the paths where the real command must not or cannot run. */
function scriptedRunner(output: string, extra: Partial<RunResult> = {}): Runner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    async run(argv: string[], opts?: RunOptions): Promise<RunResult> {
      calls.push(argv);
      for (const line of output.split('\n').filter(Boolean)) opts?.onLine?.(line, 'stdout');
      return {
        argv, name: opts?.name ?? argv[0]!, exitCode: 0, signal: null, spawnError: null, timedOut: false, canceled: false,
        durationMs: 1, tail: [], output, stdout: output, truncated: false, logPath: null, ok: true, ...extra,
      };
    },
  };
}

describe('runVirtHostValidate', () => {
  it('never runs against another root', async () => {
    const runner = scriptedRunner('');
    const r = await runVirtHostValidate(makeFacts({ root: '/tmp/x' }), runner);
    expect(r).toEqual({ ran: false, reason: NOT_RUN_OTHER_ROOT });
    expect(runner.calls).toEqual([]);
  });

  it('does not run when it is not installed, and reports a spawn error as not run', async () => {
    const runner = scriptedRunner('');
    expect((await runVirtHostValidate(makeFacts({ virt: { virtHostValidate: null } }), runner)).ran).toBe(false);
    expect(runner.calls).toEqual([]);
    const broken = scriptedRunner('', { spawnError: 'spawn virt-host-validate ENOENT', exitCode: null, ok: false });
    expect(await runVirtHostValidate(makeFacts(), broken)).toEqual({ ran: false, reason: 'not run: spawn virt-host-validate ENOENT' });
  });

  it('marks a timeout', async () => {
    const runner = scriptedRunner('  QEMU: Checking for hardware virtualization   : PASS\n', { timedOut: true, exitCode: null, signal: 'SIGTERM' });
    const r = await runVirtHostValidate(makeFacts(), runner, { timeoutMs: 5000 });
    expect(r.ran && r.error).toBe('virt-host-validate did not finish within 5 s');
    expect(checkVirtHostValidate(makeFacts(), r).evidence).toContain('virt-host-validate did not finish within 5 s');
  });

  it('runs the real virt-host-validate here and recognises every QEMU line it prints', async () => {
    // the independent view: the same command run directly, its lines counted by prefix
    let direct: string;
    try {
      direct = execFileSync('virt-host-validate', ['qemu'], { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' });
    } catch (e) {
      direct = String((e as { stdout?: string }).stdout ?? '');
    }
    const qemuLines = direct.split('\n').filter((l) => /^\s*QEMU: /.test(l));
    expect(qemuLines.length).toBeGreaterThan(3);

    const streamed: string[] = [];
    const r = await runVirtHostValidate(makeFacts(), createRunner({ logDir: null }), { onLine: (l) => streamed.push(l) });
    if (!r.ran) throw new Error(`virt-host-validate did not run: ${r.reason}`);
    expect(r.items).toHaveLength(qemuLines.length);
    expect(r.unrecognised.filter((l) => /QEMU:/.test(l))).toEqual([]);
    for (const [n, item] of r.items.entries()) {
      expect(qemuLines[n]).toContain(item.check);
      expect(qemuLines[n]).toContain(`: ${item.status.toUpperCase()}`);
    }
    expect(streamed.filter((l) => /QEMU: Checking/.test(l))).toHaveLength(qemuLines.length);
    // this build machine has no KVM: libvirt must say so, and the check must not pass
    const hw = r.items.find((i) => i.check === 'for hardware virtualization');
    const c = checkVirtHostValidate(makeFacts(), r);
    if (hw?.status === 'fail') expect(c.status).toBe('fail');
    expect(c.evidence.length).toBeGreaterThanOrEqual(qemuLines.length);
  });
});
