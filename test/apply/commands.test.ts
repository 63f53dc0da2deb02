// The rollback and status subcommands, driven through the CLI's own entry point.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply.js';
import { acquireLock } from '../../src/apply/lock.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { ExitCode, UserError } from '../../src/exit-codes.js';
import { scanHost } from '../../src/host/scan.js';
import { cmdlineStep } from '../../src/steps/registry.js';
import { systemRoot } from '../../src/host/root.js';
import type { Plan } from '../../src/plan/types.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { cli } from './support/cli.js';
import { makeRoot, removeRoot, snapshot } from './support/tree.js';

const roots: string[] = [];
afterEach(() => {
  while (roots.length) removeRoot(roots.pop() as string);
});


const plan: Plan = {
  stepId: 'cmdline',
  title: 'Kernel command line',
  needsReboot: true,
  notes: [],
  changes: [
    { kind: 'file', action: 'modify', path: '/etc/default/grub', before: 'A=1\n', after: 'A=2\n', why: 'w' },
    { kind: 'command', argv: ['update-grub'], why: 'w', phase: 'bootloader', regenerates: 'bootloader' },
  ],
};

describe('vfio-wizard status / rollback', () => {
  it('status before and after apply; rollback refuses without --yes off a terminal, then rolls back with it', async () => {
    const dir = makeRoot({ 'etc/default/grub': 'A=1\n' });
    roots.push(dir);
    expect((await cli(dir, ['status'])).stdout).toContain('nothing was applied');
    const before = snapshot(dir);
    await applyPlan(plan, { root: systemRoot(dir), runner: createRecordingRunner(), commands: 'skip' });

    const st = await cli(dir, ['status']);
    expect(st.exit).toBe(ExitCode.ok);
    expect(st.stdout).toMatch(/cmdline\s+applied\s+Kernel command line\s+\[reboot pending, verification pending\]/);
    expect(st.stdout).toContain('Commands still to run: update-grub.');
    const js = JSON.parse((await cli(dir, ['status'], true)).stdout) as { schema: string; pending: { reboot: string[] } };
    expect(js.schema).toBe('vfio-wizard.status/1');
    expect(js.pending.reboot).toEqual(['cmdline']);

    const refused = await cli(dir, ['rollback', '--commands', 'skip']);
    expect(refused.exit).toBe(ExitCode.usage);
    expect(refused.stderr).toContain('Pass --yes');
    expect(refused.stdout).toContain('restore /etc/default/grub');
    // the regeneration once, after the files, as the rollback runs it; a skipped one is listed too
    expect(refused.stdout).toMatch(/restore \/etc\/default\/grub\n {2}then, once, from the restored files:\n {6}re-run update-grub\n$/);
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe('A=2\n');

    const done = await cli(dir, ['rollback', '--yes', '--commands', 'skip']);
    expect(done.exit, done.stderr).toBe(ExitCode.ok);
    expect(done.stdout).toContain('Rolled back: cmdline.');
    // update-grub was listed at apply time for the user to run: after restoring the file it must be
    // run again (listed again under --commands skip), or grub.cfg would keep the new parameters
    expect(done.stdout).toContain('Rolled back: cmdline. Still to run (--commands skip): update-grub.');
    expect(snapshot(dir)).toEqual(before);
    expect((await cli(dir, ['rollback', '--yes'])).stdout).toContain('Nothing to roll back.');
    expect((await cli(dir, ['status'])).stdout).toMatch(/cmdline\s+rolled-back/);
  });

  it('rollback --step names an unknown step clearly; --json gives the result object', async () => {
    const dir = makeRoot({ 'etc/default/grub': 'A=1\n' });
    roots.push(dir);
    await applyPlan(plan, { root: systemRoot(dir), runner: createRecordingRunner() });
    const unknown = await cli(dir, ['rollback', '--step', 'nope', '--yes']);
    expect(unknown.exit).toBe(ExitCode.badInput);
    expect(unknown.stderr).toMatch(/nope/);
    expect(unknown.stderr).toMatch(/Nothing was changed/);
    const r = await cli(dir, ['rollback', '--step', 'cmdline', '--yes', '--commands', 'skip'], true);
    const j = JSON.parse(r.stdout) as { status: string; pendingCommands: string[][] };
    expect(j.status).toBe('rolled-back');
    // update-grub ran at apply time: restoring the file needs it again, listed under --commands skip
    expect(j.pendingCommands).toEqual([['update-grub']]);
  });
});

/** the sample workstation materialised into a fresh directory */
function fixtureRoot(spec: typeof SAMPLE_WORKSTATION): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-interrupted-'));
  materializeRoot(spec, dir);
  return dir;
}

/**
 * The sample workstation with its cmdline step applied (commands listed, not run) and then left as
 * a kill -9 during the regeneration leaves it: the drop-in written, the step still "applying".
 */
async function interruptedCmdline(): Promise<{ dir: string; runs: string }> {
  const dir = fixtureRoot(SAMPLE_WORKSTATION);
  roots.push(dir);
  const first = await cli(dir, ['--commands', 'skip', 'apply', '--step', 'cmdline', '--yes']);
  expect(first.exit, first.stderr).toBe(ExitCode.ok);
  const runs = path.join(dir, 'var/lib/vfio-wizard/runs');
  const journalPath = path.join(runs, readdirSync(runs)[0]!, 'journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { steps: { state: string }[] };
  journal.steps[0]!.state = 'applying';
  writeFileSync(journalPath, JSON.stringify(journal, null, 2));
  return { dir, runs };
}

describe('apply after an interrupted run', () => {
  it('undoes the half-done step first and plans from the disk as it is, instead of "nothing to change"', async () => {
    // the sample workstation: its cmdline step writes a GRUB drop-in and regenerates grub.cfg
    const { dir, runs } = await interruptedCmdline();
    const dropIn = path.join(dir, 'etc/default/grub.d/99-vfio-wizard.cfg');
    expect(existsSync(dropIn)).toBe(true);

    const again = await cli(dir, ['--commands', 'skip', 'apply', '--step', 'cmdline', '--yes']);
    expect(again.exit, again.stderr).toBe(ExitCode.ok);
    expect(again.stdout).toContain('An interrupted step of an earlier run was undone first (cmdline)');
    expect(again.stdout).not.toMatch(/Nothing to change/);
    expect(existsSync(dropIn)).toBe(true);
    const states = readdirSync(runs)
      .sort()
      .map((r) => (JSON.parse(readFileSync(path.join(runs, r, 'journal.json'), 'utf8')) as { steps: { state: string }[] }).steps[0]!.state);
    expect(states).toEqual(['rolled-back', 'applied']);
  });

  it('a plan made before the undo (as the wizard makes them) is not applied, and the message says the undo was the one change', async () => {
    const { dir, runs } = await interruptedCmdline();
    const root = systemRoot(dir);
    const facts = scanHost(root);
    // planned from the disk as the interrupted run left it: iommu=pt added to the half-written drop-in
    const outcome = cmdlineStep.plan(facts, root, { params: ['iommu=pt'], noParams: [], replaceConflicts: false });
    expect(outcome.plan?.changes.some((c) => c.kind === 'file' && c.path === '/etc/default/grub.d/99-vfio-wizard.cfg' && c.before !== null)).toBe(true);
    const err = await applyPlan(outcome.plan!, { root, runner: createRecordingRunner(), commands: 'skip', uid: 0 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(ExitCode.checkFailed);
    expect((err as UserError).message).toContain('an interrupted step of an earlier run (cmdline) was undone first');
    expect((err as UserError).message).toContain('That undo is the only change made');
    expect((err as UserError).remedy).toBe('Plan the step again, from the disk as it is now, and review the new diff.');
    // the undo happened (drop-in gone, step rolled back); nothing of the stale plan was written
    expect(existsSync(path.join(dir, 'etc/default/grub.d/99-vfio-wizard.cfg'))).toBe(false);
    expect(readdirSync(runs)).toHaveLength(1);
    expect((JSON.parse(readFileSync(path.join(runs, readdirSync(runs)[0]!, 'journal.json'), 'utf8')) as { steps: { state: string }[] }).steps[0]!.state).toBe('rolled-back');
  });

  it('a second apply while the first holds the lock is turned away (exit 6) before it plans anything', async () => {
    const { dir } = await interruptedCmdline();
    // a live holder: this test process itself
    const lock = acquireLock(systemRoot(dir), 'apply');
    try {
      const second = await cli(dir, ['--commands', 'skip', 'apply', '--step', 'cmdline', '--yes']);
      expect(second.exit).toBe(ExitCode.locked);
      expect(second.stdout).toBe('');
    } finally {
      lock.release();
    }
  });
});

describe('status while another vfio-wizard works', () => {
  it('says the step is in progress (pid, command), not interrupted', async () => {
    const { dir } = await interruptedCmdline();
    const lock = acquireLock(systemRoot(dir), 'apply');
    try {
      const st = await cli(dir, ['status']);
      expect(st.stdout).toContain(`In progress: vfio-wizard apply (pid ${process.pid}, since `);
      expect(st.stdout).not.toContain('Interrupted or blocked');
      const js = JSON.parse((await cli(dir, ['status'], true)).stdout) as { inProgress: { pid: number; command: string } | null };
      expect(js.inProgress).toMatchObject({ pid: process.pid, command: 'apply' });
    } finally {
      lock.release();
    }
    // the holder gone, the same step is what it is: interrupted
    const after = await cli(dir, ['status']);
    expect(after.stdout).toContain('Interrupted or blocked: cmdline');
    expect((JSON.parse((await cli(dir, ['status'], true)).stdout) as { inProgress: unknown }).inProgress).toBeNull();
  });
});
