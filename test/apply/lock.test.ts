// The lock tells a live holder from a stale one by pid, process start time and boot id.
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStatus } from '../../src/apply/status.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureStateDir } from '../../src/apply/journal.js';
import { acquireLock, breakStaleLock, currentBootId, lockPath } from '../../src/apply/lock.js';
import { ExitCode, UserError } from '../../src/exit-codes.js';
import { systemRoot } from '../../src/host/root.js';
import { makeRoot, removeRoot } from './support/tree.js';

const roots: string[] = [];
afterEach(() => {
  while (roots.length) removeRoot(roots.pop() as string);
});

function fresh() {
  const dir = makeRoot({});
  roots.push(dir);
  return systemRoot(dir);
}

const startTicks = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
};

/** What a second `rollback` taking the lock throws (null: it got the lock). */
function refusal(root: ReturnType<typeof systemRoot>): unknown {
  try {
    acquireLock(root, 'rollback');
  } catch (e) {
    return e;
  }
  return null;
}

describe('lock', () => {
  it('is exclusive while held and free after release', () => {
    const root = fresh();
    const a = acquireLock(root, 'apply');
    const err = refusal(root);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(ExitCode.locked);
    expect((err as UserError).message).toContain(`pid ${process.pid}, "apply"`);
    a.release();
    acquireLock(root, 'rollback').release();
  });

  it('takes over a lock whose holder is dead, whose pid was reused, or that was written before a reboot', async () => {
    const root = fresh();
    ensureStateDir(root);
    const child = spawn('sleep', ['30']);
    await new Promise((r) => child.once('spawn', r));
    const live = { pid: child.pid as number, startTicks: startTicks(child.pid as number), bootId: currentBootId(), startedAt: 'x', command: 'apply' };
    try {
      // a live holder: refused
      writeFileSync(lockPath(root), JSON.stringify(live));
      expect(() => acquireLock(root, 'apply')).toThrow(`pid ${child.pid}`);
      // same pid, different start time: the pid was reused by another process
      writeFileSync(lockPath(root), JSON.stringify({ ...live, startTicks: '1' }));
      acquireLock(root, 'apply').release();
      // written under another boot (e.g. by the installed system, seen from a rescue system)
      writeFileSync(lockPath(root), JSON.stringify({ ...live, bootId: '00000000-0000-0000-0000-000000000000' }));
      acquireLock(root, 'apply').release();
      // a lock file cut short by a crash
      writeFileSync(lockPath(root), '{"pid": 12');
      acquireLock(root, 'apply').release();
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    // the holder died
    writeFileSync(lockPath(root), JSON.stringify(live));
    const l = acquireLock(root, 'apply');
    expect(JSON.parse(readFileSync(lockPath(root), 'utf8')).pid).toBe(process.pid);
    l.release();
  });
});

describe('breaking a stale lock', () => {
  const stale = JSON.stringify({ pid: 2 ** 22 + 9, startTicks: '1', bootId: currentBootId(), startedAt: 'x', command: 'gone' });

  it('removes the lock only while it still holds the bytes judged stale (shell-special text, trailing newlines)', () => {
    const root = fresh();
    ensureStateDir(root);
    const odd = Buffer.from(`{"command": "a 'b' \\"c\\" $HOME \`id\` \\\\ *"}\n\n`);
    writeFileSync(lockPath(root), odd);
    // taken over meanwhile: a different content stays as it is
    expect(breakStaleLock(root, Buffer.from(`${odd.toString().trimEnd()}\n`))).toBe('changed');
    expect(breakStaleLock(root, Buffer.from(odd.toString().replace('$HOME', '$PATH')))).toBe('changed');
    expect(readFileSync(lockPath(root))).toEqual(odd);
    expect(breakStaleLock(root, odd)).toBe('removed');
    expect(() => lstatSync(lockPath(root))).toThrow(/ENOENT/);
    // already gone
    expect(breakStaleLock(root, odd)).toBe('changed');
  });

  it('takes over a stale lock of any bytes: NULs a crash left, invalid UTF-8, a big one', () => {
    const root = fresh();
    ensureStateDir(root);
    for (const junk of [Buffer.alloc(64), Buffer.from([0xff, 0xfe, 0x7b, 0x80, 0x0a]), Buffer.alloc(300 * 1024, 0x61)]) {
      writeFileSync(lockPath(root), junk);
      const l = acquireLock(root, 'apply');
      expect(JSON.parse(readFileSync(lockPath(root), 'utf8')).pid).toBe(process.pid);
      l.release();
    }
  });

  it('waits while another breaker holds the flock, leaving the stale lock in place, and takes it over once that one is done', async () => {
    const root = fresh();
    const state = ensureStateDir(root);
    writeFileSync(lockPath(root), stale);
    // a real flock(1) holding the breakers' lock on the state directory, as a breaker mid-way would
    // (its own process group: the sleep it runs holds the lock too, and is stopped with it)
    const holder = spawn('flock', [state, 'sh', '-c', 'echo held; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      expect(breakStaleLock(root, Buffer.from(stale))).toBe('busy');
      const err = refusal(root);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(ExitCode.locked);
      expect((err as UserError).message).toContain(`it is stale, but the flock on ${state} that breaking it needs stayed taken`);
      expect((err as UserError).remedy).toContain(`remove ${lockPath(root)} by hand`);
      expect(readFileSync(lockPath(root), 'utf8')).toBe(stale);
    } finally {
      process.kill(-holder.pid!, 'SIGKILL');
    }
    await new Promise((r) => holder.once('close', r));
    const l = acquireLock(root, 'apply');
    expect(JSON.parse(readFileSync(lockPath(root), 'utf8')).pid).toBe(process.pid);
    l.release();
  }, 20_000);

  it('without flock(1) on PATH the stale lock is still compared and taken over, in this process', () => {
    const root = fresh();
    ensureStateDir(root);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'vw-nopath-'));
    const saved = process.env.PATH;
    try {
      process.env.PATH = empty;
      writeFileSync(lockPath(root), stale);
      expect(breakStaleLock(root, Buffer.from(`${stale} `))).toBe('changed');
      const l = acquireLock(root, 'apply');
      expect(JSON.parse(readFileSync(lockPath(root), 'utf8')).pid).toBe(process.pid);
      l.release();
    } finally {
      process.env.PATH = saved;
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('lock races between processes', () => {
  const race = async (root: ReturnType<typeof fresh>, n: number) => {
    const { buildChild } = await import('./support/child.js');
    const script = await buildChild('lock-child.ts');
    const log = `${root.dir}/race.log`;
    writeFileSync(log, '');
    const outs = await Promise.all(
      Array.from({ length: n }, () => new Promise<string>((resolve) => {
        const c = spawn(process.execPath, [script, root.dir, log, '150'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        c.stdout.on('data', (d) => (out += String(d)));
        c.on('close', () => resolve(out.trim()));
      })),
    );
    return { outs, events: readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
  };
  // holders never overlap: every start is followed by the same process's end before anyone else starts
  const exclusive = (events: string[]) => {
    for (let i = 0; i < events.length; i += 2) {
      expect(events[i]).toMatch(/^start \d+$/);
      expect(events[i + 1]).toBe(events[i]!.replace('start', 'end'));
    }
  };

  it('eight processes at once: one holds it at a time, the others are told who does', async () => {
    const root = fresh();
    ensureStateDir(root);
    const { outs, events } = await race(root, 8);
    expect(outs.every((o) => o === 'held' || o === 'locked'), outs.join(',')).toBe(true);
    expect(outs.filter((o) => o === 'held').length).toBeGreaterThanOrEqual(1);
    exclusive(events);
  }, 30_000);

  it('a stale lock broken by eight processes at once still admits one holder at a time', async () => {
    const root = fresh();
    ensureStateDir(root);
    writeFileSync(lockPath(root), JSON.stringify({ pid: 2 ** 22 + 7, startTicks: '1', bootId: currentBootId(), startedAt: 'x', command: 'gone' }));
    const { outs, events } = await race(root, 8);
    expect(outs.every((o) => o === 'held' || o === 'locked'), outs.join(',')).toBe(true);
    expect(outs.filter((o) => o === 'held').length).toBeGreaterThanOrEqual(1);
    exclusive(events);
  }, 30_000);
});

describe('planted links in the state directory', () => {
  const caught = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    return null;
  };

  it('a lock that is a symbolic link is refused (exit 8), never followed, and the link target is left alone', () => {
    const root = fresh();
    ensureStateDir(root);
    const decoy = path.join(root.dir, 'decoy.json');
    const decoyText = `${JSON.stringify({ pid: 1, startTicks: startTicks(1), bootId: currentBootId(), startedAt: 'x', command: 'apply' })}\n`;
    writeFileSync(decoy, decoyText);
    symlinkSync(decoy, lockPath(root));
    const err = caught(() => acquireLock(root, 'apply'));
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(ExitCode.journalCorrupt);
    expect((err as UserError).message).not.toContain('pid 1'); // not read as a live holder
    expect(lstatSync(lockPath(root)).isSymbolicLink()).toBe(true);
    expect(readFileSync(decoy, 'utf8')).toBe(decoyText);
  });

  it('status refuses a state directory or runs directory that is a link (exit 8) instead of reading journals elsewhere', () => {
    for (const which of ['var/lib/vfio-wizard', 'var/lib/vfio-wizard/runs']) {
      const root = fresh();
      const elsewhere = path.join(root.dir, 'elsewhere');
      mkdirSync(path.join(elsewhere, 'runs'), { recursive: true });
      mkdirSync(path.dirname(path.join(root.dir, which)), { recursive: true });
      symlinkSync(which.endsWith('runs') ? path.join(elsewhere, 'runs') : elsewhere, path.join(root.dir, which));
      const err = caught(() => readStatus(root));
      expect(err, which).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(ExitCode.journalCorrupt);
    }
    // the control: plain directories read fine
    const plainRoot = fresh();
    ensureStateDir(plainRoot);
    expect(readStatus(plainRoot).runs).toEqual([]);
  });
});

describe('a command left running by a holder that was killed', () => {
  it('still holds the lock while its process group lives (exit 6, naming it); the lock is free once it ends', async () => {
    const root = fresh();
    ensureStateDir(root);
    // a holder that is gone: a process that has exited
    const gone = spawn('true');
    await new Promise((r) => gone.on('exit', r));
    // its command, in a process group of its own, as the runner starts them
    const cmd = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pgid = cmd.pid!;
    writeFileSync(
      lockPath(root),
      `${JSON.stringify({ pid: gone.pid, startTicks: null, bootId: currentBootId(), startedAt: '2026-12-06T00:00:00Z', command: 'apply', child: { pgid, name: 'update-grub' } })}\n`,
    );
    try {
      const err = refusal(root);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(ExitCode.locked);
      expect((err as UserError).message).toContain(`update-grub, started by a vfio-wizard that was stopped (pid ${gone.pid}, "apply"), is still running in process group ${pgid}`);
      expect((err as UserError).remedy).toContain(`kill -- -${pgid}`);
      expect(readStatus(root).inProgress).toMatchObject({ pid: pgid });
    } finally {
      process.kill(-pgid, 'SIGKILL');
      await new Promise((r) => cmd.on('exit', r));
    }
    const lock = acquireLock(root, 'rollback');
    lock.release();
  });

  it('the engine records the running command in the lock, and clears it when the command ends', async () => {
    const root = fresh();
    const lock = acquireLock(root, 'apply');
    try {
      const { createRunner } = await import('../../src/run/runner.js');
      const { lockedRunner } = await import('../../src/apply/lock.js');
      const seen: unknown[] = [];
      await lockedRunner(createRunner({ logDir: null }), lock).run(['sh', '-c', 'echo running'], {
        name: 'update-grub',
        onLine: () => seen.push((JSON.parse(readFileSync(lockPath(root), 'utf8')) as { child: unknown }).child),
      });
      expect(seen).toEqual([{ pgid: expect.any(Number), name: 'update-grub' }]);
      expect((JSON.parse(readFileSync(lockPath(root), 'utf8')) as { child: unknown; pid: number }).child).toBeNull();
    } finally {
      lock.release();
    }
  });
});
