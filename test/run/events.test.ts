// runWithEvents over the real runner and the recording runner, and the plain / JSON renderers.
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createEventHub, runWithEvents, type CommandEvent } from '../../src/run/events.js';
import { createRunner } from '../../src/run/runner.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { createCancellation } from '../../src/run/cancellation.js';
import { createPlainRenderer } from '../../src/run/plain-renderer.js';
import { createJsonRenderer } from '../../src/run/json-renderer.js';
import { formatArgv, formatDuration } from '../../src/run/format-result.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-events-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sink = () => {
  let text = '';
  return { write: (s: string) => void (text += s), text: () => text };
};

describe('runWithEvents', () => {
  it('emits start, every line and end (with the failure message) from a real command', async () => {
    const hub = createEventHub<CommandEvent>();
    const events: CommandEvent[] = [];
    const unsubscribe = hub.subscribe((e) => events.push(e));
    const runner = createRunner({ logDir: dir, runId: 'events' });
    const r = await runWithEvents(runner, hub.emit, ['sh', '-c', 'echo one; echo two >&2; exit 2'], { id: 'c1', name: 'demo' });
    unsubscribe();
    expect(r.exitCode).toBe(2);
    expect(events.map((e) => e.type)).toEqual(['command-start', 'command-line', 'command-line', 'command-end']);
    expect(events[0]).toMatchObject({ id: 'c1', name: 'demo', argv: ['sh', '-c', 'echo one; echo two >&2; exit 2'] });
    expect(events[2]).toEqual({ type: 'command-line', id: 'c1', name: 'demo', stream: 'stderr', line: 'two' });
    const endEvent = events[3];
    expect(endEvent).toMatchObject({ type: 'command-end', status: 'failed', exitCode: 2, logPath: runner.logPath });
    expect(endEvent?.type === 'command-end' && endEvent.message).toContain('demo failed with exit code 2');
    await runWithEvents(runner, hub.emit, ['true']);
    expect(events).toHaveLength(4); // unsubscribed
  });

  it('reports cancel requests as events', async () => {
    let release!: () => void;
    const runner = createRecordingRunner([{ match: ['long'], hold: new Promise<void>((r) => (release = r)) }]);
    const c = createCancellation();
    const events: CommandEvent[] = [];
    const p = runWithEvents(runner, (e) => events.push(e), ['long'], { signal: c.signal, forceSignal: c.forceSignal });
    c.request();
    c.request();
    release();
    await p;
    expect(events.filter((e) => e.type === 'command-cancel').map((e) => e.type === 'command-cancel' && e.force)).toEqual([false, true]);
    expect(events.at(-1)).toMatchObject({ type: 'command-end', status: 'canceled' });
  });
});

describe('plain and JSON renderers', () => {
  const script = createRecordingRunner([
    { match: ['update-grub'], lines: ['Generating grub configuration file ...', { line: 'Warning: os-prober', stream: 'stderr' }] },
    { match: ['dracut', '-f'], exitCode: 1, lines: ['dracut: cannot write'] },
  ]);

  it('plain: every line prefixed by the command name, failures with their message', async () => {
    const out = sink();
    const render = createPlainRenderer(out);
    await runWithEvents(script, render, ['update-grub']);
    await runWithEvents(script, render, ['dracut', '-f']);
    const lines = out.text().split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'update-grub: $ update-grub',
      'update-grub: Generating grub configuration file ...',
      'update-grub: Warning: os-prober',
      expect.stringMatching(/^update-grub: done in \d+ ms$/),
    ]);
    expect(lines).toContain('dracut: dracut failed with exit code 1.');
    expect(lines).toContain('dracut:     dracut: cannot write');
  });

  it('plain: a real command that prints colours, cursor moves and a window title reaches the output without one escape', async () => {
    const out = sink();
    const r = await runWithEvents(createRunner({ logDir: null }), createPlainRenderer(out), ['printf', '\\033[31mred\\033[0m \\033[2J\\033]0;title\\007done\\n']);
    expect(r.ok).toBe(true);
    expect(out.text()).toContain('printf: red done\n');
    expect(out.text()).not.toMatch(/[\u001B\u0007\u009B]/);
  });

  it('json: one parseable event per line', async () => {
    const out = sink();
    await runWithEvents(script, createJsonRenderer(out), ['update-grub'], { id: 'g' });
    const events = out.text().trim().split('\n').map((l) => JSON.parse(l) as CommandEvent);
    expect(events.map((e) => e.type)).toEqual(['command-start', 'command-line', 'command-line', 'command-end']);
    expect(events[1]).toEqual({ type: 'command-line', id: 'g', name: 'update-grub', stream: 'stdout', line: 'Generating grub configuration file ...' });
  });
});

describe('format helpers', () => {
  it('quotes argv the way a shell would need it', () => {
    expect(formatArgv(['grub-mkconfig', '-o', '/boot/grub/grub.cfg'])).toBe('grub-mkconfig -o /boot/grub/grub.cfg');
    expect(formatArgv(['sh', '-c', "echo 'hi' $X", ''])).toBe(`sh -c 'echo '\\''hi'\\'' $X' ''`);
    // a control character (a name or path the user typed) is written as an escape, never as itself
    const shown = formatArgv(['virsh', 'start', "vm\u001b[2J'x\\\u0007\t"]);
    expect(shown).toBe("virsh start $'vm\\e[2J\\'x\\\\\\x07\\t'");
    expect(/[\u0000-\u001F\u007F-\u009F]/.test(shown)).toBe(false);
    // bash reads it back as the very same word
    const back = spawnSync('bash', ['-c', `printf '%s' ${shown.slice('virsh start '.length)}`], { encoding: 'utf8' });
    expect(back.stdout).toBe("vm\u001b[2J'x\\\u0007\t");
  });
  it('formats durations', () => {
    expect([formatDuration(250), formatDuration(3240), formatDuration(125_000)]).toEqual(['250 ms', '3.2 s', '2 min 5 s']);
  });
});
