// The built bin under signals while a step's command runs: Ctrl+C (SIGINT), a shutdown or `kill`
// (SIGTERM) and a terminal that went away (SIGHUP) each stop the command, roll the step back,
// release the lock, and end with 128+n. The command is real: a fixture root (the sample
// workstation) with a static busybox, whose update-grub sleeps the first time it runs (the
// step's regeneration) and returns at once the second (the rollback's).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { binPath } from '../support/tmux.js';
import { addBusybox } from '../apply/support/tree.js';
import { interruptible } from '../../src/commands/confirm.js';
import { EventEmitter } from 'node:events';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Our GRUB drop-in (its name sorts after the root's own drop-ins), if it is there. */
const ourDropins = (dir: string): string[] => (existsSync(path.join(dir, 'etc/default/grub.d')) ? readdirSync(path.join(dir, 'etc/default/grub.d')).filter((f) => f.endsWith('vfio-wizard.cfg')) : []);

/** The step is undone on disk: no drop-in of ours, /etc/default/grub as before, the lock freed. */
function expectRolledBack(dir: string, grubBefore: string): void {
  expect(ourDropins(dir)).toEqual([]);
  expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(grubBefore);
  expect(existsSync(path.join(dir, 'var/lib/vfio-wizard/lock'))).toBe(false);
}

function slowRoot(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-signals-'));
  dirs.push(dir);
  materializeRoot(SAMPLE_WORKSTATION, dir);
  addBusybox(dir);
  const script = path.join(dir, 'usr/sbin/update-grub');
  writeFileSync(script, '#!/bin/sh\nif [ -e /regenerated-once ]; then echo rolled back; exit 0; fi\ntouch /regenerated-once\necho regenerating\nsleep 30\n');
  chmodSync(script, 0o755);
  return dir;
}

function startApply(dir: string) {
  const child = spawn(process.execPath, [binPath, '--root', dir, 'apply', '--step', 'cmdline', '--param', 'intel_iommu=on', '--yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, done, out: () => out, err: () => err };
}

describe('signals during apply (the built bin, a real command in a chroot)', () => {
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${sig} stops the command, rolls the step back, frees the lock, exits ${code}`, async () => {
      if (!existsSync(path.join(path.dirname(binPath), '..', 'dist', 'cli.js'))) throw new Error('run `npm run build` first (npm test does)');
      const dir = slowRoot();
      const grubBefore = readFileSync(path.join(dir, 'etc/default/grub'), 'utf8');
      const run = startApply(dir);
      for (let i = 0; i < 300 && !run.out().includes('update-grub: regenerating'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(run.out(), run.err()).toContain('update-grub: regenerating');
      expect(ourDropins(dir)).toHaveLength(1); // written, the regeneration running
      run.child.kill(sig);
      const end = await run.done;
      expect(end, run.out() + run.err()).toEqual({ code, signal: null }); // its own exit, not killed by the signal
      expect(run.out()).toContain('update-grub: rolled back'); // the rollback's regeneration ran
      expectRolledBack(dir, grubBefore);
    }, 40_000);
  }
});

// A real hangup: the bin leads its own session on a pseudo-terminal (python3's pty module: the
// tests already need python3 for virt-install), and the terminal goes away when its master side
// is closed, as when an SSH connection drops. The kernel sends SIGHUP, and every later write to
// the terminal fails with EIO — which must not crash the rollback — and Node's restoring of the
// terminal at exit must not abort the process.
const HANGUP_DRIVER = `
import fcntl, json, os, pty, re, select, struct, sys, termios, time
steps = json.loads(sys.argv[1])  # [[text to wait for, keys to send then], ...]; then the hangup
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop('CI', None)
    os.environ['TERM'] = 'xterm-256color'
    os.execvp(sys.argv[2], sys.argv[2:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))
ANSI = re.compile(rb'\\x1b\\[[0-9;?]*[ -/]*[@-~]|\\x1b[()][A-Z0-9]|\\x1b[=>]')
seen = b''
for wait, keys in steps:
    deadline = time.time() + 40
    while wait not in ANSI.sub(b'', seen).decode('utf8', 'replace') and time.time() < deadline:
        if select.select([fd], [], [], 0.3)[0]:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    if wait not in ANSI.sub(b'', seen).decode('utf8', 'replace'):
        os.kill(pid, 9)
        print(json.dumps({'timeout': wait, 'screen': ANSI.sub(b'', seen).decode('utf8', 'replace')[-1500:]}))
        sys.exit(0)
    if keys:
        time.sleep(0.8)  # the UI reads keys once it has drawn
        seen = b''
        os.write(fd, keys.encode())
os.close(fd)
_, status = os.waitpid(pid, 0)
print(json.dumps({'exit': os.WEXITSTATUS(status) if os.WIFEXITED(status) else None, 'signal': os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}))
`;

/** Runs argv on a pseudo-terminal through the steps, hangs up, and returns how the process ended. */
function hangUp(steps: [string, string][], argv: string[]): { exit: number | null; signal: number | null } {
  const r = spawnSync('python3', ['-c', HANGUP_DRIVER, JSON.stringify(steps), ...argv], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const end = JSON.parse(r.stdout) as { exit: number | null; signal: number | null; timeout?: string; screen?: string };
  expect(end.timeout, end.screen).toBeUndefined();
  return end;
}

const journalStates = (dir: string): string[] => {
  const runs = path.join(dir, 'var/lib/vfio-wizard/runs');
  return (JSON.parse(readFileSync(path.join(runs, readdirSync(runs)[0]!, 'journal.json'), 'utf8')) as { steps: { state: string }[] }).steps.map((s) => s.state);
};

describe('the terminal hangs up during apply (a real pseudo-terminal)', () => {
  it('the step is rolled back, the lock freed, and the exit is 129 — no EIO crash, no SIGABRT', () => {
    const dir = slowRoot();
    const grubBefore = readFileSync(path.join(dir, 'etc/default/grub'), 'utf8');
    const end = hangUp(
      [['update-grub: regenerating', '']], // hung up while the regeneration runs
      [process.execPath, binPath, '--plain', '--root', dir, 'apply', '--step', 'cmdline', '--param', 'intel_iommu=on', '--yes'],
    );
    expect(end).toEqual({ exit: 129, signal: null });
    expectRolledBack(dir, grubBefore);
    expect(journalStates(dir)).toEqual(['rolled-back']);
  }, 70_000);

  it('in the wizard: the step running when the terminal went away is rolled back before the process ends (129)', () => {
    const dir = slowRoot();
    const grubBefore = readFileSync(path.join(dir, 'etc/default/grub'), 'utf8');
    const end = hangUp(
      [
        ['Press Enter to start', '\r'],
        ['2/7 Host readiness', 'n'],
        ['Adds: intel_iommu=on.', '\r'],
        ['1. update-grub', '\r'],
        ['[ Cancel ]', 'y'],
        ['regenerating', ''],
      ],
      [process.execPath, binPath, '--root', dir],
    );
    expect(end).toEqual({ exit: 129, signal: null });
    expectRolledBack(dir, grubBefore);
    expect(journalStates(dir)).toEqual(['rolled-back']);
  }, 130_000);
});

describe('a signal during rollback', () => {
  it('SIGTERM while the rollback regenerates stops it and exits 143, not 4 ("a file changed")', async () => {
    const dir = slowRoot();
    const script = path.join(dir, 'usr/sbin/update-grub');
    // applied with --commands skip (a fake update-grub writes no menu to check); slow once /slow
    // exists: the rollback's regeneration
    writeFileSync(script, '#!/bin/sh\nif [ -e /slow ]; then echo regenerating; sleep 30; fi\necho ok\n');
    const env = { ...process.env, CI: 'true' };
    const applied = spawnSync(process.execPath, [binPath, '--root', dir, '--commands', 'skip', 'apply', '--step', 'cmdline', '--param', 'intel_iommu=on', '--yes'], { encoding: 'utf8', env });
    expect(applied.status, applied.stdout + applied.stderr).toBe(0);
    writeFileSync(path.join(dir, 'slow'), '');
    const child = spawn(process.execPath, [binPath, '--root', dir, 'rollback', '--yes'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    for (let i = 0; i < 300 && !out.includes('update-grub: regenerating'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('update-grub: regenerating');
    child.kill('SIGTERM');
    expect(await done, out).toBe(143);
    expect(ourDropins(dir)).toEqual([]); // the files were restored before the regeneration
    expect(existsSync(path.join(dir, 'var/lib/vfio-wizard/lock'))).toBe(false);
  }, 40_000);
});

describe('interruptible exit codes', () => {
  it('maps the engine\'s "interrupted" to the signal that came; other codes and no signal stay as they are', async () => {
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      const proc = new EventEmitter();
      const [, exitFor] = await interruptible(async (signal) => {
        proc.emit(sig);
        expect(signal.aborted).toBe(true);
      }, proc);
      expect(exitFor(130)).toBe(code);
      expect(exitFor(1)).toBe(1);
      expect(proc.listenerCount(sig)).toBe(0);
    }
    const [, quiet] = await interruptible(async () => undefined, new EventEmitter());
    expect(quiet(130)).toBe(130);
    expect(quiet(0)).toBe(0);
  });
});
