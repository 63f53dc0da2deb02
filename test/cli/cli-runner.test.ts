// What `apply`, `rollback` and `vm create` run their commands through on the command line:
// Ctrl+C turned into cancellation (first SIGTERM to the process group, second SIGKILL), every
// line printed as it comes with the command's name in front, or collected as events for --json,
// and the run's log named. Real processes (sh), a real log file in a temp dir; the SIGINTs come
// from an EventEmitter standing in for `process`.
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cliRunner, interruptible, JSON_HEAD_LINES, JSON_TAIL_LINES } from '../../src/commands/confirm.js';
import { createRunner } from '../../src/run/runner.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'vw-cli-runner-'));
  dirs.push(d);
  return d;
};

function sink() {
  const chunks: string[] = [];
  return { write: (s: string) => void chunks.push(s), text: () => chunks.join('') };
}

describe('interruptible', () => {
  it('the first SIGINT aborts the signal, the second the force signal; the listener is gone afterwards', async () => {
    const proc = new EventEmitter();
    const seen: string[] = [];
    await interruptible(async (signal, force) => {
      expect(proc.listenerCount('SIGINT')).toBe(1);
      proc.emit('SIGINT');
      seen.push(`term=${signal.aborted} kill=${force.aborted}`);
      proc.emit('SIGINT');
      seen.push(`term=${signal.aborted} kill=${force.aborted}`);
    }, proc);
    expect(seen).toEqual(['term=true kill=false', 'term=true kill=true']);
    expect(proc.listenerCount('SIGINT')).toBe(0);
  });
});

describe('cliRunner (plain)', () => {
  it('prints each line as it comes, prefixed by the command name, the end with its duration, and names the log', async () => {
    const logDir = tmp();
    const out = sink();
    const cli = cliRunner(createRunner({ logDir }), { json: false, out, forceSignal: new AbortController().signal });
    const r = await cli.runner.run(['sh', '-c', 'echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three'], { name: 'regen' });
    expect(r.ok).toBe(true);
    const lines = out.text().trimEnd().split('\n');
    expect(lines[0]).toBe("regen: $ sh -c 'echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three'");
    expect(lines.slice(1, 4)).toEqual(['regen: one', 'regen: two', 'regen: three']);
    expect(lines[4]).toMatch(/^regen: done in \d/);
    expect(cli.events).toEqual([]); // plain mode prints, it does not collect
    expect(cli.logPath()).toBe(r.logPath);
    expect(readFileSync(cli.logPath()!, 'utf8')).toMatch(/start regen[\s\S]*one\n[\s\S]*three/);
  });

  it('a command that ignores SIGTERM is killed by the second Ctrl+C, and both show', async () => {
    const out = sink();
    const proc = new EventEmitter();
    const [r] = await interruptible(async (signal, forceSignal) => {
      const cli = cliRunner(createRunner({ logDir: null, killGraceMs: 60_000 }), { json: false, out, forceSignal });
      const running = cli.runner.run(['sh', '-c', 'trap "" TERM; echo started; while :; do sleep 0.05; done'], { name: 'stubborn', signal });
      while (!out.text().includes('stubborn: started')) await new Promise((res) => setTimeout(res, 20));
      proc.emit('SIGINT');
      await new Promise((res) => setTimeout(res, 300));
      expect(out.text()).not.toMatch(/stubborn: .*(canceled|killed)/); // TERM is ignored: still running
      proc.emit('SIGINT');
      return running;
    }, proc);
    expect(r.canceled).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    const text = out.text();
    expect(text).toContain('stubborn: stopping (SIGTERM to its process group); interrupt again to force');
    expect(text).toContain('stubborn: stopping now (SIGKILL to its process group)');
  }, 20_000);
});

describe('cliRunner (--json)', () => {
  it('collects the command events in order and prints nothing', async () => {
    const out = sink();
    const cli = cliRunner(createRunner({ logDir: tmp() }), { json: true, out, forceSignal: new AbortController().signal });
    await cli.runner.run(['sh', '-c', 'echo a; exit 3'], { name: 'x' });
    expect(out.text()).toBe('');
    expect(cli.events.map((e) => e.type)).toEqual(['command-start', 'command-line', 'command-end']);
    expect(cli.events[1]).toMatchObject({ name: 'x', line: 'a', stream: 'stdout' });
    expect(cli.events[2]).toMatchObject({ status: 'failed', exitCode: 3, logPath: cli.logPath() });
    expect((cli.events[2] as { message: string }).message).toContain(cli.logPath()!);
  });
});

describe('the --json document of a command that prints a flood', () => {
  it('keeps the first and last lines, with one line between saying how many were left out; the log keeps every one', async () => {
    const out = sink();
    const logDir = tmp();
    const { runner, events, logPath } = cliRunner(createRunner({ logDir, runId: 'flood' }), { json: true, out, forceSignal: new AbortController().signal });
    const r = await runner.run(['seq', '1', '5000'], { name: 'seq' });
    expect(r.ok).toBe(true);
    const lines = events.filter((e) => e.type === 'command-line').map((e) => (e.type === 'command-line' ? [e.line, e.skipped] : []));
    expect(lines).toHaveLength(JSON_HEAD_LINES + 1 + JSON_TAIL_LINES);
    expect(lines[0]).toEqual(['1', undefined]);
    expect(lines[JSON_HEAD_LINES - 1]).toEqual([String(JSON_HEAD_LINES), undefined]);
    expect(lines[JSON_HEAD_LINES]).toEqual(['… 3000 lines not kept here (the log has every one)', 3000]);
    expect(lines[JSON_HEAD_LINES + 1]).toEqual(['4001', undefined]);
    expect(lines.at(-1)).toEqual(['5000', undefined]);
    expect(events.map((e) => e.type).filter((t) => t !== 'command-line')).toEqual(['command-start', 'command-end']);
    expect(events.at(-1)?.type).toBe('command-end');
    expect(out.text()).toBe('');
    expect(readFileSync(logPath()!, 'utf8').split('\n').filter((l) => /^\d+$/.test(l))).toHaveLength(5000);
  });
});
