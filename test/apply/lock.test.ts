// The lock tells a live holder from a stale one by pid, process start time and boot id.
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readStatus } from '../../src/apply/status.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureStateDir } from '../../src/apply/journal.js';
import { acquireLock, currentBootId, lockPath } from '../../src/apply/lock.js';
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

describe('lock', () => {
  it('is exclusive while held and free after release', () => {
    const root = fresh();
    const a = acquireLock(root, 'apply');
    const err = (() => {
      try {
        acquireLock(root, 'rollback');
      } catch (e) {
        return e;
      }
      return null;
    })();
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
