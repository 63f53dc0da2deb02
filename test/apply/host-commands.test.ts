// Commands about the running host's own services (runsOn: 'host' — virt-install, virsh) run as
// given whatever --root says, are journaled like any other, and are undone by rollback; an undo
// marked mayFail (virsh destroy of a stopped domain) failing is no problem. restore.sh run on a
// disk mounted elsewhere lists them for the host instead of running them inside the mount.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply.js';
import { rollback } from '../../src/apply/rollback.js';
import { ExitCode } from '../../src/exit-codes.js';
import { systemRoot } from '../../src/host/root.js';
import type { Plan } from '../../src/plan/types.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { createRunner } from '../../src/run/runner.js';
import { COMMAND_TIMEOUT_MS } from '../../src/apply/engine-types.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readStatus, renderStatusText } from '../../src/apply/status.js';
import { makeRoot, removeRoot } from './support/tree.js';

const roots: string[] = [];
afterEach(() => {
  while (roots.length) removeRoot(roots.pop() as string);
});

const plan: Plan = {
  stepId: 'vm',
  title: 'Create the virtual machine vm1',
  needsReboot: false,
  notes: [],
  changes: [
    { kind: 'command', argv: ['virt-install', '--name', 'vm1'], why: 'create', phase: 'other', runsOn: 'host', undo: { argv: ['virsh', 'undefine', 'vm1', '--nvram'], why: 'remove' } },
    { kind: 'command', argv: ['virsh', 'domstate', 'vm1'], why: 'confirm', phase: 'other', runsOn: 'host', undo: { argv: ['virsh', 'destroy', 'vm1'], why: 'stop', mayFail: true } },
  ],
};

describe('host commands', () => {
  it('run without chroot under --root, and roll back newest first; a failing mayFail undo is not a problem', async () => {
    const dir = makeRoot({ 'etc/hostname': 'h\n' });
    roots.push(dir);
    const runner = createRecordingRunner([{ match: /^virsh destroy vm1$/, exitCode: 1, lines: [{ line: 'error: domain is not running', stream: 'stderr' }] }]);
    const root = systemRoot(dir);
    const applied = await applyPlan(plan, { root, runner, uid: 0 });
    expect(applied.status).toBe('applied');
    const rb = await rollback({ stepId: 'vm' }, { root, runner, uid: 0 });
    expect(rb.status, rb.message).toBe('rolled-back');
    expect(rb.exitCode).toBe(ExitCode.ok);
    expect(runner.commandLines()).toEqual(['virt-install --name vm1', 'virsh domstate vm1', 'virsh destroy vm1', 'virsh undefine vm1 --nvram']);
  });

  it('a failing undo without mayFail is a problem the rollback reports (negative control)', async () => {
    const dir = makeRoot({ 'etc/hostname': 'h\n' });
    roots.push(dir);
    const runner = createRecordingRunner([{ match: /^virsh undefine vm1/, exitCode: 1 }]);
    const root = systemRoot(dir);
    await applyPlan(plan, { root, runner, uid: 0 });
    const rb = await rollback({ stepId: 'vm' }, { root, runner, uid: 0 });
    expect(rb.status).not.toBe('rolled-back');
    expect(rb.message).toContain('undo command failed: virsh undefine vm1 --nvram');
  });

  it('restore.sh under another ROOT lists them for the running host and still finishes', async () => {
    const dir = makeRoot({ 'etc/hostname': 'h\n' });
    roots.push(dir);
    const res = await applyPlan(plan, { root: systemRoot(dir), runner: createRecordingRunner(), uid: 0 });
    const r = spawnSync('dash', [res.restoreScript as string, dir], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`not run (it is about the running host, not ${dir}): virsh destroy vm1`);
    expect(r.stdout).toContain(`not run (it is about the running host, not ${dir}): virsh undefine vm1 --nvram`);
    expect(r.stdout.indexOf('virsh destroy')).toBeLessThan(r.stdout.indexOf('virsh undefine'));
    expect(r.stdout).toContain('restore.sh: done');
  });
});

describe('command timeouts', () => {
  it('a command running past its timeout is stopped (SIGTERM to its group), the step fails with the time and the log, and is rolled back', async () => {
    const dir = makeRoot({ 'etc/hostname': 'h\n' });
    roots.push(dir);
    const root = systemRoot(dir);
    const slow: Plan = {
      stepId: 'vm',
      title: 'slow',
      needsReboot: false,
      notes: [],
      changes: [
        { kind: 'file', path: '/etc/vfio-test.conf', action: 'create', before: null, after: 'x\n', mode: 0o644, why: 'w' },
        { kind: 'command', argv: ['sh', '-c', 'echo working; sleep 30'], why: 'hangs', phase: 'other', runsOn: 'host', timeoutMs: 400 },
      ],
    };
    const t0 = Date.now();
    const applied = await applyPlan(slow, { root, runner: createRunner({ logDir: root.at('/var/log/vfio-wizard'), killGraceMs: 500 }), uid: 0 });
    expect(Date.now() - t0).toBeLessThan(15_000); // not the 30 s of the sleep
    expect(applied.status).toBe('rolled-back');
    expect(applied.message).toMatch(/timed out after 400 ms and was stopped/);
    expect(applied.message).toMatch(/full log: .*var\/log\/vfio-wizard\/.*\.log/);
    expect(existsSync(root.at('/etc/vfio-test.conf'))).toBe(false);
  });

  it('engine commands get the default limit when the plan names none', async () => {
    const dir = makeRoot({ 'etc/hostname': 'h\n' });
    roots.push(dir);
    const runner = createRecordingRunner();
    await applyPlan(plan, { root: systemRoot(dir), runner, uid: 0 });
    expect(runner.calls.map((c) => c.opts.timeoutMs)).toEqual([COMMAND_TIMEOUT_MS, COMMAND_TIMEOUT_MS]);
  });
});

describe('command logs in the journal', () => {
  it('a step records where its commands were logged (a path inside the root); status shows it under the root it is read from', async () => {
    const dir = makeRoot({ 'etc/hostname': 'h\n' });
    roots.push(dir);
    const root = systemRoot(dir);
    const p: Plan = { stepId: 'vm', title: 't', needsReboot: false, notes: [], changes: [{ kind: 'command', argv: ['sh', '-c', 'echo logged'], why: 'w', phase: 'other', runsOn: 'host' }] };
    const applied = await applyPlan(p, { root, runner: createRunner({ logDir: root.at('/var/log/vfio-wizard'), runId: 'logtest' }), uid: 0 });
    expect(applied.status).toBe('applied');
    const journal = readFileSync(path.join(dir, 'var/lib/vfio-wizard/runs', applied.runId!, 'journal.json'), 'utf8');
    expect(JSON.parse(journal).steps[0].entries[0].logPath).toBe('/var/log/vfio-wizard/logtest.log');
    const st = readStatus(root).runs[0]!.steps[0]!;
    expect(st.logs).toEqual([path.join(dir, 'var/log/vfio-wizard/logtest.log')]);
    expect(readFileSync(st.logs[0]!, 'utf8')).toContain('logged');
    expect(renderStatusText(readStatus(root))).toContain(`      log: ${path.join(dir, 'var/log/vfio-wizard/logtest.log')}`);
    // --commands skip runs nothing and logs nothing
    const skipped = await applyPlan({ ...p, stepId: 'cmdline' }, { root, runner: createRecordingRunner(), commands: 'skip', uid: 0 });
    expect(skipped.status).toBe('applied');
    expect(readStatus(root).runs.flatMap((r) => r.steps).find((s) => s.id === 'cmdline')?.logs).toEqual([]);
  });
});

describe('rollback under --commands skip', () => {
  it('status keeps listing the regeneration it did not run; a rollback that runs it lists nothing', async () => {
    const dir = makeRoot({ 'etc/default/grub': 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n' });
    roots.push(dir);
    const root = systemRoot(dir);
    const p: Plan = {
      stepId: 'cmdline',
      title: 'Kernel command line',
      needsReboot: true,
      notes: [],
      changes: [
        { kind: 'file', path: '/etc/default/grub', action: 'modify', before: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n', after: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on"\n', why: 'w' },
        { kind: 'command', argv: ['update-grub'], why: 'regenerate', phase: 'bootloader', regenerates: 'bootloader' },
      ],
    };
    expect((await applyPlan(p, { root, runner: createRecordingRunner(), commands: 'skip', uid: 0 })).status).toBe('applied');
    const rb = await rollback({ stepId: 'cmdline' }, { root, runner: createRecordingRunner(), commands: 'skip', uid: 0 });
    expect(rb.status).toBe('rolled-back');
    expect(rb.pendingCommands).toEqual([['update-grub']]);
    const st = readStatus(root);
    expect(st.runs[0]!.steps[0]).toMatchObject({ state: 'rolled-back', pendingCommands: [['update-grub']] });
    expect(st.pending.commands).toEqual([['update-grub']]);
    expect(renderStatusText(st)).toContain('Commands still to run: update-grub.');
    // the control: the same rollback running its commands leaves nothing listed
    const dir2 = makeRoot({ 'etc/default/grub': 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n' });
    roots.push(dir2);
    const root2 = systemRoot(dir2);
    await applyPlan(p, { root: root2, runner: createRecordingRunner(), uid: 0 });
    await rollback({ stepId: 'cmdline' }, { root: root2, runner: createRecordingRunner(), uid: 0 });
    expect(readStatus(root2).pending.commands).toEqual([]);
  });
});
