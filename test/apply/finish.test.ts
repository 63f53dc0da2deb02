// `vfio-wizard finish`: the commands only listed (--commands skip at apply or rollback) run for
// real through chroot into a root with a static busybox, once each, and the journal stops listing
// them; --by-hand records without running; a failure keeps it and what follows listed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply.js';
import { loadRun, listRunIds } from '../../src/apply/journal.js';
import { readStatus } from '../../src/apply/status.js';
import { ExitCode } from '../../src/exit-codes.js';
import { systemRoot } from '../../src/host/root.js';
import type { Plan } from '../../src/plan/types.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { cli } from './support/cli.js';
import { addBusybox, makeRoot, removeRoot } from './support/tree.js';

const roots: string[] = [];
afterEach(() => {
  while (roots.length) removeRoot(roots.pop() as string);
});


/** a "regeneration" that leaves a trace in the root each time it runs */
const regen = (name: string) => ['sh', '-c', `echo ${name} >> /trace`];
const plan = (commands: { argv: string[]; regenerates?: 'bootloader' | 'initramfs'; runsOn?: 'host' }[]): Plan => ({
  stepId: 'cmdline',
  title: 'Kernel command line',
  needsReboot: true,
  notes: [],
  changes: [
    { kind: 'file', action: 'modify', path: '/etc/default/grub', before: 'A=1\n', after: 'A=2\n', why: 'w' },
    ...commands.map((c) => ({ kind: 'command' as const, argv: c.argv, why: 'w', phase: 'bootloader' as const, ...(c.regenerates ? { regenerates: c.regenerates } : {}), ...(c.runsOn ? { runsOn: c.runsOn } : {}) })),
  ],
});

async function appliedWithSkip(p: Plan): Promise<string> {
  const dir = makeRoot({ 'etc/default/grub': 'A=1\n' });
  roots.push(dir);
  addBusybox(dir);
  const res = await applyPlan(p, { root: systemRoot(dir), runner: createRecordingRunner(), commands: 'skip' });
  expect(res.status).toBe('applied');
  return dir;
}

const trace = (dir: string) => (existsSync(path.join(dir, 'trace')) ? readFileSync(path.join(dir, 'trace'), 'utf8') : '');

describe('vfio-wizard finish', () => {
  it('runs what apply only listed, once, records it, and then has nothing left; off a terminal it asks for --yes first', async () => {
    const dir = await appliedWithSkip(plan([{ argv: regen('update-grub'), regenerates: 'bootloader' }]));
    expect(readStatus(systemRoot(dir)).pending.commands).toEqual([regen('update-grub')]);
    expect((await cli(dir, ['status'])).stdout).toContain('`vfio-wizard finish` runs them');

    const refused = await cli(dir, ['finish']);
    expect(refused.exit).toBe(ExitCode.usage);
    expect(refused.stdout).toContain("Will run, in this order:\n  sh -c 'echo update-grub >> /trace'\n      listed by cmdline (applied, run ");
    expect(trace(dir)).toBe('');
    expect(readStatus(systemRoot(dir)).pending.commands).toHaveLength(1);

    const done = await cli(dir, ['finish', '--yes']);
    expect(done.exit, done.stderr).toBe(ExitCode.ok);
    expect(trace(dir)).toBe('update-grub\n');
    expect(done.stdout).toContain("Ran: sh -c 'echo update-grub >> /trace'.");
    expect(done.stdout).toMatch(/Log of the commands: .*\/var\/log\/vfio-wizard\//);
    expect(readStatus(systemRoot(dir)).pending.commands).toEqual([]);
    const entry = loadRun(systemRoot(dir), listRunIds(systemRoot(dir))[0]!).journal.steps[0]!.entries.find((e) => e.kind === 'command');
    expect(entry).toMatchObject({ state: 'done', exitCode: 0, logPath: expect.stringMatching(/^\/var\/log\/vfio-wizard\//) });

    const again = await cli(dir, ['finish', '--yes'], true);
    expect(again.exit).toBe(ExitCode.ok);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'nothing' });
    expect(trace(dir)).toBe('update-grub\n');
  });

  it('runs the regeneration a rollback under --commands skip only listed, and status stops listing it', async () => {
    const dir = await appliedWithSkip(plan([{ argv: regen('update-grub'), regenerates: 'bootloader' }]));
    const rb = await cli(dir, ['rollback', '--yes', '--commands', 'skip']);
    expect(rb.exit, rb.stderr).toBe(ExitCode.ok);
    expect(rb.stdout).toContain('`vfio-wizard finish` runs them later');
    expect(readStatus(systemRoot(dir)).pending.commands).toEqual([regen('update-grub')]);
    const done = await cli(dir, ['finish', '--yes'], true);
    expect(done.exit, done.stdout).toBe(ExitCode.ok);
    const doc = JSON.parse(done.stdout) as { status: string; done: string[][]; events: { type: string }[]; logPath: string };
    expect(doc).toMatchObject({ status: 'finished', done: [regen('update-grub')], left: [] });
    expect(doc.events.map((e) => e.type)).toContain('command-end');
    expect(trace(dir)).toBe('update-grub\n');
    expect(readStatus(systemRoot(dir)).pending.commands).toEqual([]);
    expect(readStatus(systemRoot(dir)).runs[0]!.steps[0]!.state).toBe('rolled-back');
  });

  it('stops at a failing command: it and the ones after it stay listed, exit 1, the log is named', async () => {
    const dir = await appliedWithSkip(plan([{ argv: ['sh', '-c', 'echo broken >&2; exit 3'] }, { argv: regen('after') }]));
    const r = await cli(dir, ['finish', '--yes']);
    expect(r.exit).toBe(ExitCode.failed);
    expect(r.stderr).toContain("sh -c 'echo broken >&2; exit 3' exited with status 3:\n    broken");
    expect(r.stderr).toMatch(/full log: .*\/var\/log\/vfio-wizard\//);
    expect(r.stderr).toContain('still listed');
    expect(trace(dir)).toBe('');
    expect(readStatus(systemRoot(dir)).pending.commands).toHaveLength(2);
  });

  it('--by-hand runs nothing and records them; a host command inside another root is left for the host', async () => {
    const dir = await appliedWithSkip(plan([{ argv: regen('update-grub'), regenerates: 'bootloader' }, { argv: ['virsh', 'net-start', 'default'], runsOn: 'host' }]));
    const host = await cli(dir, ['finish', '--yes']);
    expect(host.exit, host.stderr).toBe(ExitCode.ok);
    expect(host.stdout).toContain('not run (it is about the running host, not');
    expect(host.stdout).toContain('Still to run on the host itself once it is up: virsh net-start default.');
    expect(readStatus(systemRoot(dir)).pending.commands).toEqual([['virsh', 'net-start', 'default']]);
    const hand = await cli(dir, ['finish', '--yes', '--by-hand']);
    expect(hand.exit, hand.stderr).toBe(ExitCode.ok);
    expect(hand.stdout).toContain('Recorded as run by hand: virsh net-start default.');
    expect(readStatus(systemRoot(dir)).pending.commands).toEqual([]);
    expect(trace(dir)).toBe('update-grub\n');
  });

  it('a run whose journal is damaged but which restore.sh undid: status shows its steps and what restore.sh only listed; finish records it without touching the damaged journal', async () => {
    const dir = await appliedWithSkip(plan([{ argv: ['grub-mkconfig', '-o', '/boot/grub/my grub.cfg'], regenerates: 'bootloader' }]));
    const runDir = path.join(dir, 'var/lib/vfio-wizard/runs', listRunIds(systemRoot(dir))[0]!);
    writeFileSync(path.join(runDir, 'journal.json'), '{"truncated": ');
    const r = spawnSync('dash', [path.join(runDir, 'restore.sh'), dir], { env: { ...process.env, NO_COMMANDS: '1' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const st = await cli(dir, ['status']);
    expect(st.exit).toBe(ExitCode.ok);
    expect(st.stdout).toMatch(/cmdline\s+rolled-back\s+\(journal unreadable: /);
    expect(st.stdout).toContain("Commands still to run: grub-mkconfig -o '/boot/grub/my grub.cfg'.");
    const done = await cli(dir, ['finish', '--yes', '--by-hand']);
    expect(done.exit, done.stderr).toBe(ExitCode.ok);
    expect(readStatus(systemRoot(dir)).pending.commands).toEqual([]);
    expect(existsSync(path.join(runDir, 'commands-not-run'))).toBe(false);
    expect(readFileSync(path.join(runDir, 'journal.json'), 'utf8')).toBe('{"truncated": ');
  });

  it('refuses --commands skip without --by-hand (it would only list them again), changing nothing', async () => {
    const dir = await appliedWithSkip(plan([{ argv: regen('update-grub'), regenerates: 'bootloader' }]));
    const r = await cli(dir, ['finish', '--yes', '--commands', 'skip']);
    expect(r.exit).toBe(ExitCode.usage);
    expect(r.stderr).toContain('--commands skip would list them again');
    expect(readStatus(systemRoot(dir)).pending.commands).toHaveLength(1);
  });
});
