// Faults with real file systems and real processes: a full tmpfs, a read-only mount, a second
// instance, Ctrl+C during a running command, a corrupted or truncated journal, a file edited
// between apply and rollback. Each must give a clear message, a distinct exit code, and lose nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply.js';
import { ensureStateDir, listRunIds } from '../../src/apply/journal.js';
import { lockPath } from '../../src/apply/lock.js';
import { rollback } from '../../src/apply/rollback.js';
import { readStatus, renderStatusText } from '../../src/apply/status.js';
import { ExitCode, UserError } from '../../src/exit-codes.js';
import { systemRoot } from '../../src/host/root.js';
import type { Plan } from '../../src/plan/types.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { buildChild, startChild } from './support/child.js';
import { cli } from './support/cli.js';
import { addBusybox, makeRoot, removeRoot, snapshot } from './support/tree.js';

const mounts: string[] = [];
const roots: string[] = [];
let script = '';
beforeAll(async () => {
  script = await buildChild();
});
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
  for (const r of roots) removeRoot(r);
  rmSync(path.dirname(script), { recursive: true, force: true });
});

function root(files: Record<string, string>): string {
  const dir = makeRoot(files, 'vfio-fault-');
  roots.push(dir);
  return dir;
}

function mount(args: string[], dir: string): void {
  const r = spawnSync('mount', [...args, dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`mount ${args.join(' ')} ${dir} failed (${r.stderr.trim()}): the disk-full and read-only tests need root and permission to mount tmpfs`);
  }
  mounts.push(dir);
}

const modify = (p: string, before: string, after: string) => ({ kind: 'file' as const, action: 'modify' as const, path: p, before, after, why: 'test' });
const plan = (stepId: string, changes: Plan['changes']): Plan => ({ stepId, title: stepId, needsReboot: false, notes: [], changes });

/** A root on its own 256 KiB tmpfs (journal and files on one file system) holding /etc/small.conf. */
function smallDisk(): string {
  const dir = root({});
  mount(['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs'], dir);
  mkdirSync(path.join(dir, 'var/lib'), { recursive: true });
  mkdirSync(path.join(dir, 'etc'));
  writeFileSync(path.join(dir, 'etc/small.conf'), 'a=1\n');
  return dir;
}

describe('disk full and read-only', () => {
  it('ENOSPC mid-step: the step is rolled back, exit noSpace, no temp files, original bytes intact', async () => {
    const dir = smallDisk();
    const before = snapshot(dir);
    const res = await applyPlan(
      plan('fill', [
        modify('/etc/small.conf', 'a=1\n', 'a=2\n'),
        { kind: 'file', action: 'create', path: '/etc/big.bin', before: null, after: 'x'.repeat(400 * 1024), why: 'too big' },
      ]),
      { root: systemRoot(dir), runner: createRecordingRunner() },
    );
    expect(res.exitCode).toBe(ExitCode.noSpace);
    expect(res.status).toBe('rolled-back');
    expect(res.message).toMatch(/no space left on the file system holding/);
    expect(res.message).toContain('rolled back automatically');
    expect(snapshot(dir)).toEqual(before);
    expect(readdirSync(path.join(dir, 'etc'))).toEqual(['small.conf']);
  });

  it('ENOSPC on the journal itself (journal and files on one file system): the undo still runs, frees the space, the step is rolled back, exit noSpace', async () => {
    // The file the step creates is sized to leave the disk (nearly) full, so that a later journal
    // record cannot be written. Where exactly that happens depends on page accounting, so a range of
    // sizes is tried, each on a fresh tmpfs; whatever the point of failure, nothing may be left
    // half-applied, and at least one size must hit the journal (the case the test is about).
    const sizes: number[] = [];
    const cases: { size: number; exitCode: number; status: string; message: string; same: boolean; stepState: string | undefined }[] = [];
    for (let n = 0; n <= 16; n++) sizes.push(n);
    for (const n of sizes) {
      const dir = smallDisk();
      const before = snapshot(dir);
      const free = statfsSync(dir).bavail * statfsSync(dir).bsize;
      const size = Math.max(1, free - n * 4096);
      const res = await applyPlan(
        plan('fill', [
          modify('/etc/small.conf', 'a=1\n', 'a=2\n'),
          { kind: 'file', action: 'create', path: '/etc/fill.bin', before: null, after: 'x'.repeat(size), why: 'fills the disk' },
        ]),
        { root: systemRoot(dir), runner: createRecordingRunner() },
      );
      let stepState: string | undefined;
      try {
        stepState = readStatus(systemRoot(dir)).runs.flatMap((r) => r.steps).find((st) => st.id === 'fill')?.state;
      } catch {
        stepState = 'unreadable';
      }
      const after = snapshot(dir);
      cases.push({ size, exitCode: res.exitCode, status: res.status, message: res.message, same: res.status === 'applied' || JSON.stringify(after) === JSON.stringify(before), stepState });
    }
    // never half-applied: every failure was rolled back to the bytes before, with exit noSpace
    for (const c of cases) {
      expect(c.same, `${c.size}: ${c.message}`).toBe(true);
      if (c.status !== 'applied') {
        expect(c.exitCode, `${c.size}: ${c.message}`).toBe(ExitCode.noSpace);
        expect(c.status, `${c.size}: ${c.message}`).toBe('rolled-back');
        expect(c.stepState, `${c.size}`).not.toBe('applied');
      }
    }
    // the case this is about did occur: the journal write ran out of space
    expect(cases.some((c) => /while writing (the journal|restore\.sh)/.test(c.message)), JSON.stringify(cases.map((c) => c.message.split('\n')[0]))).toBe(true);
  }, 60_000);

  it('room for the lock but not for the journal: nothing is changed, exit noSpace, and no empty run is left behind', async () => {
    // 1–4 pages left: the lock fits, the run's journal, restore.sh or README.txt does not
    const failures: string[] = [];
    for (let pages = 1; pages <= 4; pages++) {
      const dir = smallDisk();
      const before = snapshot(dir);
      ensureStateDir(systemRoot(dir));
      const free = statfsSync(dir).bavail * statfsSync(dir).bsize;
      writeFileSync(path.join(dir, 'filler'), Buffer.alloc(free - pages * 4096));
      const err = await applyPlan(plan('s', [modify('/etc/small.conf', 'a=1\n', 'a=2\n')]), { root: systemRoot(dir), runner: createRecordingRunner() }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `${pages} pages`).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(ExitCode.noSpace);
      failures.push((err as UserError).message);
      expect(readFileSync(path.join(dir, 'etc/small.conf'), 'utf8')).toBe('a=1\n');
      expect(readdirSync(path.join(dir, 'var/lib/vfio-wizard/runs')), `${pages} pages: ${(err as UserError).message}`).toEqual([]);
      expect(readStatus(systemRoot(dir)).runs).toEqual([]);
      expect(existsSync(lockPath(systemRoot(dir)))).toBe(false);
      rmSync(path.join(dir, 'filler'));
      // nothing else anywhere: no temp file, no change to a byte or a mode outside the state directory
      expect(snapshot(dir)).toEqual(before);
    }
    // the run's own files were what could not be written
    expect(failures.some((m) => /while writing (the journal|restore\.sh|README\.txt)/.test(m)), failures.join('\n')).toBe(true);
  });

  it('read-only /etc: the write fails, the step is rolled back, exit readOnly with a remount remedy', async () => {
    const dir = root({ 'etc/.keep': '' });
    const etc = path.join(dir, 'etc');
    mount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs'], etc);
    writeFileSync(path.join(etc, 'a.conf'), 'one\n');
    mount(['-o', 'remount,ro'], etc);
    const before = snapshot(dir);
    const res = await applyPlan(plan('ro', [modify('/etc/a.conf', 'one\n', 'two\n')]), { root: systemRoot(dir), runner: createRecordingRunner() });
    expect(res.exitCode).toBe(ExitCode.readOnly);
    expect(res.message).toContain('is read-only');
    expect(res.message).toContain('mount -o remount,rw');
    expect(res.message).toContain(`findmnt -T ${etc}`);
    expect(snapshot(dir)).toEqual(before);
  });

  it('an immutable file (chattr +i): the step is rolled back, exit readOnly, and the message says how to find and lift it', async () => {
    const dir = root({ 'etc/a.conf': 'one\n' });
    const file = path.join(dir, 'etc/a.conf');
    const lock = spawnSync('chattr', ['+i', file], { encoding: 'utf8' });
    if (lock.status !== 0) throw new Error(`chattr +i failed (${lock.stderr.trim()}): this test needs root on a file system with attributes (ext4, xfs, btrfs)`);
    try {
      const before = snapshot(dir);
      const res = await applyPlan(plan('imm', [modify('/etc/a.conf', 'one\n', 'two\n')]), { root: systemRoot(dir), runner: createRecordingRunner() });
      expect(res.exitCode).toBe(ExitCode.readOnly);
      expect(res.message).toContain(`${file} (or its directory) refuses to be changed`);
      expect(res.message).toContain('chattr -i');
      expect(res.message).not.toMatch(/EPERM: operation not permitted, rename/);
      expect(snapshot(dir)).toEqual(before);
    } finally {
      spawnSync('chattr', ['-i', file]);
    }
  });

  it('a read-only root: nothing can be journaled, so nothing is changed (UserError readOnly)', async () => {
    const dir = root({});
    mount(['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs'], dir);
    mkdirSync(path.join(dir, 'etc'));
    writeFileSync(path.join(dir, 'etc/a.conf'), 'one\n');
    mount(['-o', 'remount,ro'], dir);
    const err = await applyPlan(plan('ro', [modify('/etc/a.conf', 'one\n', 'two\n')]), { root: systemRoot(dir), runner: createRecordingRunner() }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(ExitCode.readOnly);
    expect((err as UserError).message).toContain('read-only');
    expect(readFileSync(path.join(dir, 'etc/a.conf'), 'utf8')).toBe('one\n');
  });
});

describe('a second instance and Ctrl+C during a command (real processes)', () => {
  it('the second apply is refused naming the holder pid; SIGINT cancels the command and rolls the step back', async () => {
    const dir = root({ 'etc/a.conf': 'one\n' });
    addBusybox(dir);
    const before = snapshot(dir);
    const p = plan('slow', [
      modify('/etc/a.conf', 'one\n', 'two\n'),
      // a real command run through a real chroot into the fixture root (static busybox)
      { kind: 'command', argv: ['sh', '-c', 'touch /started; sleep 30'], why: 'a long rebuild', phase: 'initramfs' },
    ]);
    const { child, done } = startChild(script, { op: 'apply', root: dir, plans: [p], realRunner: true });
    const started = path.join(dir, 'started');
    for (let i = 0; i < 200 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(started), 'the command should have started').toBe(true);
    expect(readFileSync(path.join(dir, 'etc/a.conf'), 'utf8')).toBe('two\n');

    const err = await applyPlan(plan('other', []), { root: systemRoot(dir), runner: createRecordingRunner() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(ExitCode.locked);
    expect((err as UserError).message).toContain(`pid ${child.pid}`);
    expect((err as UserError).remedy).toContain(`kill ${child.pid}`);

    const t0 = Date.now();
    child.kill('SIGINT');
    const r = await done;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(ExitCode.interrupted);
    const out = JSON.parse(r.stdout) as { status: string; message: string };
    expect(out.status).toBe('interrupted');
    expect(out.message).toContain('interrupted while running sh -c');
    expect(out.message).toContain('rolled back automatically');
    rmSync(started);
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(lockPath(systemRoot(dir)))).toBe(false);
    // the lock is free again
    expect((await applyPlan(plan('other', []), { root: systemRoot(dir), runner: createRecordingRunner() })).status).toBe('applied');
  }, 30_000);
});

describe('a corrupted or truncated journal', () => {
  for (const damage of ['garbage', 'truncated', 'wrong-version', 'target-leaves-root', 'target-missing', 'backup-leaves-run'] as const) {
    it(`${damage}: rollback refuses with exit journalCorrupt and touches nothing; restore.sh still undoes the run`, async () => {
      const dir = root({ 'etc/a.conf': 'one\n' });
      const sysroot = systemRoot(dir);
      const original = snapshot(dir);
      const res = await applyPlan(plan('s1', [modify('/etc/a.conf', 'one\n', 'two\n')]), { root: sysroot, runner: createRecordingRunner() });
      const runDir = path.join(dir, 'var/lib/vfio-wizard/runs', res.runId as string);
      const journal = path.join(runDir, 'journal.json');
      if (damage === 'garbage') writeFileSync(journal, '{"format": "vfio-wizard-journal", "steps": [oops');
      if (damage === 'truncated') truncateSync(journal, Math.floor(readFileSync(journal).length / 2));
      if (damage === 'wrong-version') writeFileSync(journal, readFileSync(journal, 'utf8').replace('"version": 1', '"version": 99'));
      // valid JSON that would send rollback outside the root, or that lacks a field it needs
      const victim = `${dir}-victim`;
      const edit = (f: (text: string) => string) => {
        const before = readFileSync(journal, 'utf8');
        const after = f(before);
        expect(after, 'the edit must hit the journal').not.toBe(before);
        writeFileSync(journal, after);
      };
      if (damage === 'target-leaves-root') edit((t) => t.replace('"target": "/etc/a.conf"', `"target": "/../${path.basename(victim)}"`));
      if (damage === 'target-missing') edit((t) => t.replace('"target": "/etc/a.conf",', ''));
      if (damage === 'backup-leaves-run') edit((t) => t.replace('"backup": "backups/1.orig"', '"backup": "../../../../etc/a.conf"'));
      const applied = snapshot(dir);
      const err = await rollback({ all: true }, { root: sysroot, runner: createRecordingRunner() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(ExitCode.journalCorrupt);
      expect((err as UserError).message).toContain(journal);
      expect((err as UserError).remedy).toContain('restore.sh');
      expect(snapshot(dir)).toEqual(applied);
      expect(existsSync(victim)).toBe(false);
      // status lists the run as corrupt instead of failing
      const st = readStatus(sysroot);
      expect(st.runs[0]!.corrupt).toContain('corrupt');
      expect(renderStatusText(st)).toContain('CORRUPT');
      // never "nothing pending" next to a run whose contents are unknown; verify says it left it out
      expect(renderStatusText(st)).not.toContain('Nothing pending');
      expect(renderStatusText(st)).toContain(`Unreadable journal: ${res.runId}`);
      const verify = await cli(dir, ['verify']);
      expect(verify.stdout).toContain(`Left out, as their journal cannot be read: ${res.runId}`);
      // the rescue script was written at the last good record and still works
      execFileSync('dash', [path.join(runDir, 'restore.sh'), dir], { stdio: 'pipe' });
      expect(snapshot(dir)).toEqual(original);
      // restore.sh finished cleanly: the unreadable journal no longer blocks rollback or the next apply
      expect((await rollback({ all: true }, { root: sysroot, runner: createRecordingRunner() })).status).toBe('nothing');
      const again = await applyPlan(plan('s2', [modify('/etc/a.conf', 'one\n', 'three\n')]), { root: sysroot, runner: createRecordingRunner() });
      expect(again.status).toBe('applied');
    });
  }
});

describe('an old corrupt run next to newer ones', () => {
  it('does not block undoing a newer step; asking for a step it might hold, or for everything, is refused (exit 8)', async () => {
    const dir = root({ 'etc/a.conf': 'one\n', 'etc/b.conf': 'one\n' });
    const sysroot = systemRoot(dir);
    const r1 = await applyPlan(plan('old', [modify('/etc/a.conf', 'one\n', 'two\n')]), { root: sysroot, runner: createRecordingRunner() });
    // run ids sort by time (to the second): the newer run must be later
    await new Promise((r) => setTimeout(r, 1100));
    const r2 = await applyPlan(plan('new', [modify('/etc/b.conf', 'one\n', 'two\n')]), { root: sysroot, runner: createRecordingRunner() });
    expect(r2.runId! > r1.runId!).toBe(true);
    writeFileSync(path.join(dir, 'var/lib/vfio-wizard/runs', r1.runId!, 'journal.json'), '{ broken');
    const refused = async (req: Parameters<typeof rollback>[0]) => {
      const err = await rollback(req, { root: sysroot, runner: createRecordingRunner() }).catch((e: unknown) => e);
      expect(err, JSON.stringify(req)).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(ExitCode.journalCorrupt);
    };
    await refused({ stepId: 'old' });
    await refused({ all: true });
    expect(readFileSync(path.join(dir, 'etc/b.conf'), 'utf8')).toBe('two\n');
    // the newer step rolls back by name
    expect((await rollback({ stepId: 'new' }, { root: sysroot, runner: createRecordingRunner() })).status).toBe('rolled-back');
    expect(readFileSync(path.join(dir, 'etc/b.conf'), 'utf8')).toBe('one\n');
    expect(readFileSync(path.join(dir, 'etc/a.conf'), 'utf8')).toBe('two\n'); // the old run untouched
  });
});

describe('a file edited between apply and rollback', () => {
  it('rollback refuses (exit 4) showing original / ours / now; --force restores and keeps the edit', async () => {
    const dir = root({ 'etc/default/grub': 'GRUB_TIMEOUT=5\n' });
    const sysroot = systemRoot(dir);
    const res = await applyPlan(plan('cmdline', [modify('/etc/default/grub', 'GRUB_TIMEOUT=5\n', 'GRUB_TIMEOUT=5\nGRUB_X=1\n')]), {
      root: sysroot,
      runner: createRecordingRunner(),
    });
    const file = path.join(dir, 'etc/default/grub');
    writeFileSync(file, 'GRUB_TIMEOUT=5\nGRUB_X=1\nGRUB_USER_EDIT=yes\n');
    const blocked = await rollback({ all: true }, { root: sysroot, runner: createRecordingRunner() });
    expect(blocked.status).toBe('blocked');
    expect(blocked.exitCode).toBe(ExitCode.rollbackBlocked);
    expect(readFileSync(file, 'utf8')).toContain('GRUB_USER_EDIT=yes');
    const d = blocked.drift[0]!;
    expect(d.path).toBe('/etc/default/grub');
    expect(readFileSync(d.original as string, 'utf8')).toBe('GRUB_TIMEOUT=5\n');
    expect(readFileSync(d.ours as string, 'utf8')).toBe('GRUB_TIMEOUT=5\nGRUB_X=1\n');
    expect(d.now).toBe(file);
    expect(d.diff).toContain('+GRUB_USER_EDIT=yes');
    expect(blocked.message).toContain('original:');
    expect(blocked.message).toContain('--force');
    expect(readStatus(sysroot).runs[0]!.steps[0]!.state).toBe('applied');

    // restore.sh refuses the same way unless FORCE=1
    const runDir = path.join(dir, 'var/lib/vfio-wizard/runs', res.runId as string);
    const sh = spawnSync('dash', [path.join(runDir, 'restore.sh'), dir], { encoding: 'utf8' });
    expect(sh.status).toBe(4);
    expect(sh.stderr).toContain('DRIFT: /etc/default/grub');
    expect(readFileSync(file, 'utf8')).toContain('GRUB_USER_EDIT=yes');

    const forced = await rollback({ all: true }, { root: sysroot, runner: createRecordingRunner(), force: true });
    expect(forced.status).toBe('rolled-back');
    expect(readFileSync(file, 'utf8')).toBe('GRUB_TIMEOUT=5\n');
    const kept = readdirSync(path.join(runDir, 'backups')).filter((n) => n.includes('.now-'));
    expect(kept).toHaveLength(1);
    expect(readFileSync(path.join(runDir, 'backups', kept[0]!), 'utf8')).toContain('GRUB_USER_EDIT=yes');
    expect(listRunIds(sysroot)).toHaveLength(1);
  });

  it('a chmod or chown made after apply is drift too: the content is ours, the permissions are someone\'s', async () => {
    const dir = root({ 'etc/modprobe.d/vfio.conf': 'options vfio-pci ids=1:2\n' });
    const sysroot = systemRoot(dir);
    await applyPlan(plan('isolate', [modify('/etc/modprobe.d/vfio.conf', 'options vfio-pci ids=1:2\n', 'options vfio-pci ids=1:2,3:4\n')]), { root: sysroot, runner: createRecordingRunner() });
    const file = path.join(dir, 'etc/modprobe.d/vfio.conf');
    chmodSync(file, 0o600);
    const blocked = await rollback({ all: true }, { root: sysroot, runner: createRecordingRunner() });
    expect(blocked.status).toBe('blocked');
    expect(blocked.drift[0]!.diff).toBe('the content is as vfio-wizard wrote it, but mode 0600, owner 0:0 now (vfio-wizard wrote mode 0644, owner 0:0)');
    expect(readFileSync(file, 'utf8')).toBe('options vfio-pci ids=1:2,3:4\n');
    const forced = await rollback({ all: true }, { root: sysroot, runner: createRecordingRunner(), force: true });
    expect(forced.status).toBe('rolled-back');
    expect(readFileSync(file, 'utf8')).toBe('options vfio-pci ids=1:2\n');
  });

  it('restore.sh sees the same permission drift (dash, coreutils stat): refused with exit 4 and nothing touched, FORCE=1 restores bytes, mode and owner', async () => {
    const dir = root({ 'etc/modprobe.d/vfio.conf': 'options vfio-pci ids=1:2\n' });
    const sysroot = systemRoot(dir);
    const res = await applyPlan(
      plan('isolate', [
        modify('/etc/modprobe.d/vfio.conf', 'options vfio-pci ids=1:2\n', 'options vfio-pci ids=1:2,3:4\n'),
        { kind: 'file', action: 'create', path: '/etc/modprobe.d/new.conf', before: null, after: 'softdep x pre: vfio-pci\n', why: 'test' },
      ]),
      { root: sysroot, runner: createRecordingRunner() },
    );
    const script = path.join(dir, 'var/lib/vfio-wizard/runs', res.runId as string, 'restore.sh');
    const modified = path.join(dir, 'etc/modprobe.d/vfio.conf');
    const created = path.join(dir, 'etc/modprobe.d/new.conf');
    const sh = (env: Record<string, string> = {}) => spawnSync('dash', [script, dir], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
    const metaOf = (f: string) => {
      const st = statSync(f);
      return `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    };

    // a chmod of the file we modified: refused before anything is touched
    chmodSync(modified, 0o600);
    let r = sh();
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toContain('DRIFT: /etc/modprobe.d/vfio.conf holds what vfio-wizard wrote, but its mode and owner are now 600 0 0 (vfio-wizard wrote 644 0 0)');
    expect(r.stderr).toContain('restore.sh: nothing was changed');
    expect(readFileSync(created, 'utf8')).toBe('softdep x pre: vfio-pci\n');
    expect(metaOf(modified)).toBe('600 0:0');
    // back to what we wrote, a chown of the file we created: refused too
    chmodSync(modified, 0o644);
    chownSync(created, 4321, 0);
    r = sh();
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toContain('DRIFT: /etc/modprobe.d/new.conf holds what vfio-wizard wrote, but its mode and owner are now 644 4321 0 (vfio-wizard wrote 644 0 0)');
    expect(readFileSync(modified, 'utf8')).toBe('options vfio-pci ids=1:2,3:4\n');
    expect(existsSync(created)).toBe(true);
    // a symbolic link to a file holding our bytes is not our file: never followed, drift
    chownSync(created, 0, 0);
    writeFileSync(`${created}.elsewhere`, 'softdep x pre: vfio-pci\n');
    rmSync(created);
    symlinkSync('new.conf.elsewhere', created);
    r = sh();
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toContain('DRIFT: /etc/modprobe.d/new.conf changed after vfio-wizard wrote it');
    rmSync(created);
    rmSync(`${created}.elsewhere`);
    writeFileSync(created, 'softdep x pre: vfio-pci\n');
    // FORCE=1 with drift: the original's bytes, mode and owner come back and the created file goes
    chmodSync(modified, 0o600);
    chownSync(created, 4321, 0);
    r = sh({ FORCE: '1', NO_COMMANDS: '1' });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(modified, 'utf8')).toBe('options vfio-pci ids=1:2\n');
    expect(metaOf(modified)).toBe('644 0:0');
    expect(existsSync(created)).toBe(false);
  });
});
