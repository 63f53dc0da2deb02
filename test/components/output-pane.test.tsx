// The live output pane at 80x24 and 60x20 (and resized), fed by real events. Frames are awaited,
// never slept for. Ink's debug mode writes static history plus the live area in every frame.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OutputPane } from '../../components/OutputPane.js';
import { createEventHub, runWithEvents, type CommandEvent } from '../../src/run/events.js';
import { createRunner } from '../../src/run/runner.js';
import { frameLines, lineWidth, press, renderSized, waitForFrame, waitForText, type SizedRender } from '../support/ink.js';

let mounted: SizedRender | null = null;
afterEach(() => {
  mounted?.unmount();
  mounted = null;
});

function setup(size: { columns: number; rows: number }, props: { reservedRows?: number; maxTail?: number } = {}) {
  const hub = createEventHub<CommandEvent>();
  mounted = renderSized(<OutputPane feed={hub} maxTail={100} {...props} />, size);
  return { hub, r: mounted };
}

const start = (id: string, name: string): CommandEvent => ({ type: 'command-start', id, name, argv: [name], at: new Date().toISOString() });
const line = (id: string, name: string, l: string): CommandEvent => ({ type: 'command-line', id, name, stream: 'stdout', line: l });

/** The live area: from the running command's header to the end of the frame. */
const liveArea = (frame: string): string[] => {
  const lines = frameLines(frame);
  const at = lines.findIndex((l) => l.startsWith('▶'));
  return at === -1 ? [] : lines.slice(at);
};

describe.each([
  { columns: 80, rows: 24 },
  { columns: 60, rows: 20 },
])('OutputPane at $columns x $rows', (size) => {
  it('shows a bounded tail, always shorter than the terminal, with long lines truncated', async () => {
    const { hub, r } = setup(size);
    hub.emit(start('c', 'update-initramfs'));
    for (let i = 1; i <= 200; i++) hub.emit(line('c', 'update-initramfs', `line ${i} ${'x'.repeat(i === 200 ? 300 : 5)}`));
    const frame = await waitForText(r, 'line 200');
    const live = liveArea(frame);
    expect(live[0]).toMatch(/^▶ update-initramfs · 200 lines · /);
    expect(live.length).toBeLessThan(size.rows);
    expect(live.length).toBe(size.rows - 1); // the rest of the screen reserved nothing
    expect(frame).not.toContain('line 150 ');
    for (const l of frameLines(frame)) expect(lineWidth(l)).toBeLessThanOrEqual(size.columns);
    expect(live.at(-1)).toMatch(/…$/);
  });

  it('leaves room for the rest of the screen (reservedRows) and respects maxTail', async () => {
    const { hub, r } = setup(size, { reservedRows: 8 });
    hub.emit(start('c', 'dracut'));
    for (let i = 1; i <= 50; i++) hub.emit(line('c', 'dracut', `l${i}`));
    const live = liveArea(await waitForText(r, 'l50'));
    expect(live.length).toBe(size.rows - 8 - 1);

    r.unmount();
    const small = setup(size, { maxTail: 3 });
    small.hub.emit(start('d', 'modprobe'));
    for (let i = 1; i <= 10; i++) small.hub.emit(line('d', 'modprobe', `m${i}`));
    expect(liveArea(await waitForText(small.r, 'm10'))).toEqual([expect.stringMatching(/^▶ modprobe/), 'm8', 'm9', 'm10']);
  });
});

describe('OutputPane', () => {
  it('follows a resize: smaller terminal, shorter and narrower pane; larger, more lines', async () => {
    const { hub, r } = setup({ columns: 80, rows: 24 });
    hub.emit(start('c', 'grub-mkconfig'));
    for (let i = 1; i <= 60; i++) hub.emit(line('c', 'grub-mkconfig', `${String(i).padStart(3, '0')} ${'y'.repeat(100)}`));
    await waitForText(r, '060');
    expect(liveArea(r.lastFrame())).toHaveLength(23);

    r.resize(60, 12);
    const small = await waitForFrame(r, (f) => liveArea(f).length === 11);
    for (const l of frameLines(small)) expect(lineWidth(l)).toBeLessThanOrEqual(60);
    expect(liveArea(small).at(-1)).toMatch(/^060 y+…$/);

    r.resize(100, 40);
    const big = await waitForFrame(r, (f) => liveArea(f).length === 39);
    expect(liveArea(big)[1]).toMatch(/^023 /); // 38 tail rows: lines 23 to 60
  });

  it('never grows past the terminal, even when the screen leaves it no room', async () => {
    const { hub, r } = setup({ columns: 60, rows: 20 }, { reservedRows: 18 });
    hub.emit(start('a', 'one'));
    hub.emit(start('b', 'two'));
    hub.emit(line('b', 'two', 'hidden'));
    const frame = await waitForText(r, '▶ two · 1 line ');
    expect(frameLines(frame)).toEqual([expect.stringMatching(/^▶ two · 1 line · /)]);
    r.resize(60, 19);
    await waitForFrame(r, (f) => f.trim() === '');
  });

  it('writes finished commands to history, one line each, with the log path on failure', async () => {
    const { hub, r } = setup({ columns: 100, rows: 24 });
    hub.emit(start('a', 'update-grub'));
    hub.emit(line('a', 'update-grub', 'Generating grub configuration file ...'));
    hub.emit({ type: 'command-end', id: 'a', name: 'update-grub', status: 'ok', exitCode: 0, signal: null, durationMs: 3200, logPath: '/var/log/vfio-wizard/r.log', message: null });
    hub.emit(start('b', 'dracut'));
    hub.emit({ type: 'command-end', id: 'b', name: 'dracut', status: 'failed', exitCode: 1, signal: null, durationMs: 800, logPath: '/var/log/vfio-wizard/r.log', message: 'x' });
    const frame = await waitForText(r, 'dracut failed');
    expect(frameLines(frame)).toEqual([
      '✔ update-grub done · 3.2 s',
      '✘ dracut failed, exit 1 · 800 ms · log /var/log/vfio-wizard/r.log',
    ]);
  });

  it('shows cancel progress on the running command', async () => {
    const { hub, r } = setup({ columns: 80, rows: 24 });
    hub.emit(start('a', 'virt-install'));
    hub.emit({ type: 'command-cancel', id: 'a', name: 'virt-install', force: false });
    await waitForText(r, 'stopping… press Ctrl+C again to force');
    hub.emit({ type: 'command-cancel', id: 'a', name: 'virt-install', force: true });
    await waitForText(r, 'killing…');
  });

  it('v streams every line into the scrollback, and back', async () => {
    const { hub, r } = setup({ columns: 80, rows: 24 }, { maxTail: 3 });
    hub.emit(start('a', 'lsinitramfs'));
    for (let i = 1; i <= 6; i++) hub.emit(line('a', 'lsinitramfs', `f${i}`));
    await waitForText(r, 'f6');
    expect(r.lastFrame()).toContain('v show everything');

    const verbose = await press(r, 'v');
    expect(verbose).toContain('v tail only');
    for (let i = 7; i <= 9; i++) hub.emit(line('a', 'lsinitramfs', `f${i}`));
    const frame = await waitForText(r, 'lsinitramfs: f9');
    expect(frameLines(frame).slice(0, 6)).toEqual(['f4', 'f5', 'f6', 'f7', 'f8', 'f9'].map((f) => `lsinitramfs: ${f}`));
    expect(liveArea(frame)).toHaveLength(1); // no tail while everything streams

    await press(r, 'v');
    hub.emit(line('a', 'lsinitramfs', 'f10'));
    const back = await waitForFrame(r, (f) => liveArea(f).at(-1) === 'f10');
    expect(liveArea(back)).toEqual([expect.stringContaining('v show everything'), 'f8', 'f9', 'f10']);
    expect(back).not.toContain('lsinitramfs: f10');
  });

  it('a padded line that does not fit keeps its end in view (virt-host-validate at 80 columns); scrollback wraps instead of cutting', async () => {
    const padded = `  QEMU: Checking for hardware virtualization${' '.repeat(33)}: PASS`;
    const { hub, r } = setup({ columns: 80, rows: 24 }, { maxTail: 3 });
    hub.emit(start('h', 'virt-host-validate'));
    hub.emit(line('h', 'virt-host-validate', padded));
    const frame = await waitForText(r, ': PASS');
    expect(liveArea(frame).at(-1)).toBe('  QEMU: Checking for hardware virtualization  : PASS');
    // a line that fits is drawn exactly as it came
    hub.emit(line('h', 'virt-host-validate', 'a   b'));
    expect(liveArea(await waitForText(r, 'a   b')).at(-1)).toBe('a   b');

    await press(r, 'v');
    const long = `START ${'y'.repeat(100)} END`;
    hub.emit(line('h', 'virt-host-validate', long));
    const shown = await waitForText(r, 'END');
    expect(frameLines(shown).join('')).toContain(`virt-host-validate: ${long}`);
  });

  it('renders in batches, not once per line or per chunk', async () => {
    const hub = createEventHub<CommandEvent>();
    let commits = 0;
    mounted = renderSized(<OutputPane feed={hub} batchMs={80} onCommit={() => void commits++} />, { columns: 80, rows: 24 });
    const r = mounted;
    hub.emit(start('a', 'burst'));
    await waitForText(r, '▶ burst');
    const before = commits;
    const t0 = performance.now();
    // 200 chunks of 50 lines, each in its own macrotask, as a pipe would deliver them
    for (let chunk = 0; chunk < 200; chunk++) {
      for (let i = 1; i <= 50; i++) hub.emit(line('a', 'burst', `b${chunk * 50 + i}`));
      await new Promise((res) => setImmediate(res));
    }
    const elapsed = performance.now() - t0;
    await waitForText(r, 'b10000');
    // leading + trailing flush per 80 ms window (plus the 1 s elapsed-time tick), never per chunk
    expect(commits - before).toBeLessThanOrEqual(Math.ceil(elapsed / 80) + 2 + Math.ceil(elapsed / 1000));
    expect(commits - before).toBeLessThan(200);
    expect(r.lastFrame()).toContain('10000 lines');
  });

  it('shows a progress line redrawn with \\r as it changes, in place, while the command runs', async () => {
    const { hub, r } = setup({ columns: 80, rows: 24 });
    const runner = createRunner({ logDir: null });
    const done = runWithEvents(runner, hub.emit, ['sh', '-c', 'echo start; printf "copying 10%%\\r"; sleep 0.5; printf "copying 60%%\\r"; sleep 0.5; printf "copying 100%%\\n"'], { name: 'copy' });
    let f = await waitForText(r, 'copying 10%');
    expect(liveArea(f)).toEqual([expect.stringMatching(/^▶ copy · 1 line/), 'start', 'copying 10%']);
    f = await waitForText(r, 'copying 60%');
    expect(liveArea(f).slice(1)).toEqual(['start', 'copying 60%']); // redrawn in place, not appended
    expect((await done).ok).toBe(true);
    f = await waitForText(r, '✔ copy done');
    expect(f).not.toContain('copying 60%');
  });

  it('counts every line of a flood in its header, the ones it had no time to draw included', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-pane-'));
    try {
      const { hub, r } = setup({ columns: 80, rows: 24 });
      // the runner as the wizard makes it: the command writes into a file read as it grows
      const runner = createRunner({ logDir: dir, runId: 'flood', floodTail: true });
      const done = runWithEvents(runner, hub.emit, ['sh', '-c', 'seq 1 200000; sleep 1'], { name: 'flood', displayOnly: true });
      const live = liveArea(await waitForText(r, '200000'));
      // the pane drew far fewer lines than the command printed (the skip line is above the tail)
      expect(live[0]).toMatch(/^▶ flood · 200000 lines · /);
      expect(live.at(-1)).toBe('200000');
      expect((await done).ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shows a real command from the runner, then its history line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-pane-'));
    try {
      const { hub, r } = setup({ columns: 80, rows: 24 });
      const runner = createRunner({ logDir: dir, runId: 'pane' });
      const result = await runWithEvents(runner, hub.emit, ['sh', '-c', 'for i in 1 2 3; do echo "step $i"; done; echo oops >&2; exit 5'], { name: 'steps' });
      expect(result.exitCode).toBe(5);
      const frame = await waitForText(r, '✘ steps failed, exit 5');
      expect(frame).toContain(`log ${path.join(dir, 'pane.log')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
