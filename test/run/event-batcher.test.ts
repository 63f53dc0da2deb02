import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createEventBatcher } from '../../src/run/event-batcher.js';
import type { CommandEvent } from '../../src/run/events.js';
import type { OutputAction } from '../../src/run/output-model.js';

const line = (l: string, id = 'a'): CommandEvent => ({ type: 'command-line', id, name: id, stream: 'stdout', line: l });

describe('createEventBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(keep: number | null = null) {
    const flushes: OutputAction[][] = [];
    const b = createEventBatcher({ intervalMs: 80, onFlush: (a) => flushes.push(a), keepLines: () => keep, now: () => Date.now() });
    return { b, flushes };
  }

  it('adds a skip line up as the lines it stands for', () => {
    const { b, flushes } = setup();
    b.push(line('1'));
    b.push({ type: 'command-line', id: 'a', name: 'a', stream: 'stdout', line: '… 998 lines not shown here', skipped: 998 });
    b.push(line('1000'));
    vi.advanceTimersByTime(80);
    expect(flushes[1]).toEqual([{ type: 'command-lines', id: 'a', name: 'a', lines: ['… 998 lines not shown here', '1000'], total: 999 }]);
  });

  it('flushes the first line at once (leading), then at most once per interval (trailing)', () => {
    const { b, flushes } = setup();
    b.push(line('1'));
    expect(flushes).toHaveLength(1);
    for (let i = 2; i <= 1000; i++) b.push(line(String(i)));
    expect(flushes).toHaveLength(1);
    vi.advanceTimersByTime(80);
    expect(flushes).toHaveLength(2);
    expect(flushes[1]).toEqual([{ type: 'command-lines', id: 'a', name: 'a', lines: Array.from({ length: 999 }, (_, i) => String(i + 2)), total: 999 }]);
    vi.advanceTimersByTime(1000);
    expect(flushes).toHaveLength(2); // nothing queued, no empty flushes
  });

  it('coalesces unfinished-line updates to the newest per command, after the lines; a finished line drops the one queued before it', () => {
    const { b, flushes } = setup();
    const partial = (t: string, id = 'a'): CommandEvent => ({ type: 'command-partial', id, name: id, stream: 'stdout', text: t });
    b.push(line('1')); // leading flush
    b.push(partial('10%'));
    b.push(partial('20%'));
    b.push(line('copy done'));
    b.push(partial('30%'));
    b.push(partial('b 5%', 'b'));
    b.push(partial('40%'));
    vi.advanceTimersByTime(80);
    expect(flushes[1]).toEqual([
      { type: 'command-lines', id: 'a', name: 'a', lines: ['copy done'], total: 1 },
      partial('40%'),
      partial('b 5%', 'b'),
    ]);
    b.push(partial('50%'));
    b.push(line('finished'));
    vi.advanceTimersByTime(80);
    expect(flushes[2]).toEqual([{ type: 'command-lines', id: 'a', name: 'a', lines: ['finished'], total: 1 }]);
  });

  it('flushes queued lines before start, cancel and end events, immediately', () => {
    const { b, flushes } = setup();
    b.push(line('1'));
    b.push(line('2'));
    b.push({ type: 'command-end', id: 'a', name: 'a', status: 'ok', exitCode: 0, signal: null, durationMs: 1, logPath: null, message: null });
    expect(flushes).toHaveLength(2);
    expect(flushes[1]?.map((a) => a.type)).toEqual(['command-lines', 'command-end']);
  });

  it('keeps only the lines someone will see when not verbose, but counts all of them', () => {
    const { b, flushes } = setup(10);
    b.push(line('0'));
    for (let i = 1; i <= 100_000; i++) b.push(line(String(i)));
    vi.advanceTimersByTime(80);
    const a = flushes[1]?.[0];
    expect(a?.type === 'command-lines' && a.total).toBe(100_000);
    expect(a?.type === 'command-lines' && a.lines.length).toBeLessThanOrEqual(20);
    expect(a?.type === 'command-lines' && a.lines.at(-1)).toBe('100000');
  });

  it('keeps separate commands apart and dispose drops the queue', () => {
    const { b, flushes } = setup();
    b.push(line('x', 'a'));
    b.push(line('y', 'b'));
    b.push(line('z', 'a'));
    vi.advanceTimersByTime(80);
    expect(flushes[1]?.map((a) => (a.type === 'command-lines' ? `${a.id}:${a.lines.join()}` : a.type))).toEqual(['b:y', 'a:z']);
    b.push(line('late')); // within the interval of the last flush: queued for the trailing edge
    b.dispose();
    vi.advanceTimersByTime(1000);
    expect(flushes).toHaveLength(2);
  });
});
