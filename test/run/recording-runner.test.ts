import { describe, expect, it } from 'vitest';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { createCancellation } from '../../src/run/cancellation.js';

describe('createRecordingRunner', () => {
  it('records argv and options and succeeds silently without a script (--dry-run)', async () => {
    const r = createRecordingRunner();
    const res = await r.run(['update-grub'], { name: 'update-grub', timeoutMs: 1000 });
    expect(res).toMatchObject({ argv: ['update-grub'], name: 'update-grub', exitCode: 0, ok: true, logPath: null, tail: [] });
    await r.run(['/usr/sbin/update-initramfs', '-u', '-k', 'all']);
    expect(r.commandLines()).toEqual(['update-grub', '/usr/sbin/update-initramfs -u -k all']);
    expect(r.calls[1]?.name).toBe('update-initramfs');
    expect(r.calls[0]?.opts.timeoutMs).toBe(1000);
  });

  it('answers from the script: lines through onLine (display-safe), exit codes, signals, spawn errors', async () => {
    const r = createRecordingRunner([
      { match: ['lspci', '-nn'], lines: ['00:02.0 VGA', { line: '\u001B[33mwarn\u001B[0m', stream: 'stderr' }] },
      { match: /^dracut /, exitCode: 1, lines: ['dracut: failed'] },
      { match: (argv) => argv[0] === 'crash', signal: 'SIGSEGV' },
      { match: ['nope'], spawnError: 'nope: command not found (ENOENT)' },
    ]);
    const seen: string[] = [];
    const a = await r.run(['lspci', '-nn'], { onLine: (l, s) => seen.push(`${s}:${l}`) });
    expect(seen).toEqual(['stdout:00:02.0 VGA', 'stderr:warn']);
    expect([a.stdout, a.ok]).toEqual(['00:02.0 VGA', true]);
    const b = await r.run(['dracut', '-f']);
    expect([b.exitCode, b.ok, b.tail]).toEqual([1, false, ['dracut: failed']]);
    const c = await r.run(['crash']);
    expect([c.exitCode, c.signal, c.ok]).toEqual([null, 'SIGSEGV', false]);
    const d = await r.run(['nope']);
    expect([d.spawnError, d.ok]).toEqual(['nope: command not found (ENOENT)', false]);
  });

  it('holds a command until released, and observes cancel and force like the real runner', async () => {
    let release!: () => void;
    const hold = new Promise<void>((res) => (release = res));
    const r = createRecordingRunner([{ match: ['long'], hold }]);
    const c = createCancellation();
    const pending = r.run(['long'], { signal: c.signal, forceSignal: c.forceSignal });
    c.request();
    const res = await pending;
    expect([res.canceled, res.signal, res.ok]).toEqual([true, 'SIGTERM', false]);

    const c2 = createCancellation();
    const p2 = r.run(['long'], { signal: c2.signal, forceSignal: c2.forceSignal });
    c2.request();
    c2.request();
    expect((await p2).signal).toBe('SIGTERM'); // the first request already ended it

    const p3 = r.run(['long']);
    release();
    expect((await p3).ok).toBe(true);
  });

  it('times out held commands and honours once', async () => {
    const r = createRecordingRunner([
      { match: ['flaky'], exitCode: 1, once: true },
      { match: ['flaky'], exitCode: 0 },
      { match: ['slow'], hold: new Promise(() => {}) },
    ]);
    expect((await r.run(['flaky'])).exitCode).toBe(1);
    expect((await r.run(['flaky'])).exitCode).toBe(0);
    const t = await r.run(['slow'], { timeoutMs: 20 });
    expect([t.timedOut, t.ok]).toEqual([true, false]);
  });
});
