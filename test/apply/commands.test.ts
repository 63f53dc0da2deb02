// The rollback and status subcommands, driven through the CLI's own entry point.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply.js';
import { ExitCode } from '../../src/exit-codes.js';
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
