import { describe, expect, it } from 'vitest';
import { initialOutputState, outputReducer, visibleTail, type OutputAction, type OutputState } from '../../src/run/output-model.js';

const start = (id: string, name = id): OutputAction => ({ type: 'command-start', id, name, argv: [name], at: '2026-01-01T00:00:00.000Z' });
const line = (id: string, l: string, name = id): OutputAction => ({ type: 'command-line', id, name, stream: 'stdout', line: l });
const end = (id: string, status: 'ok' | 'failed' = 'ok', name = id): OutputAction => ({
  type: 'command-end',
  id,
  name,
  status,
  exitCode: status === 'ok' ? 0 : 2,
  signal: null,
  durationMs: 1200,
  logPath: '/var/log/vfio-wizard/x.log',
  message: null,
});
const apply = (actions: OutputAction[], s: OutputState = initialOutputState({ tailCapacity: 3 })) => actions.reduce(outputReducer, s);

describe('outputReducer', () => {
  it('keeps a bounded tail and counts every line', () => {
    const s = apply([start('a'), ...['1', '2', '3', '4', '5'].map((l) => line('a', l))]);
    expect(s.running[0]?.tail).toEqual(['3', '4', '5']);
    expect(s.running[0]?.lineCount).toBe(5);
    expect(s.staticItems).toEqual([]);
  });

  it('counts a skip line as the lines it stands for, and shows it', () => {
    const skip: OutputAction = { type: 'command-line', id: 'a', name: 'a', stream: 'stdout', line: '… 5000 lines not shown here', skipped: 5000 };
    const s = apply([start('a'), line('a', '1'), skip, line('a', '5002')]);
    expect(s.running[0]).toMatchObject({ tail: ['1', '… 5000 lines not shown here', '5002'], lineCount: 5002 });
  });

  it('follows a new capacity: growing keeps what is there and fills up, shrinking trims at once', () => {
    let s = apply([start('a'), line('a', '1'), line('a', '2'), line('a', '3'), line('a', '4')]);
    s = outputReducer(s, { type: 'set-capacity', tailCapacity: 5 });
    expect(s.running[0]?.tail).toEqual(['2', '3', '4']);
    s = apply(['5', '6', '7'].map((l) => line('a', l)), s);
    expect(s.running[0]?.tail).toEqual(['3', '4', '5', '6', '7']);
    s = outputReducer(s, { type: 'set-capacity', tailCapacity: 2 });
    expect(s.running[0]?.tail).toEqual(['6', '7']);
    expect(s.tailCapacity).toBe(2);
    expect(outputReducer(s, { type: 'set-capacity', tailCapacity: 0 }).tailCapacity).toBe(1);
    expect(outputReducer(s, { type: 'set-capacity', tailCapacity: 2 })).toBe(s); // no change, same state
  });

  it('shows the unfinished line below the tail until a finished line replaces it', () => {
    const partial = (t: string): OutputAction => ({ type: 'command-partial', id: 'a', name: 'a', stream: 'stdout', text: t });
    let s = apply([start('a'), line('a', '1'), line('a', '2'), partial('copy 40%')]);
    expect(visibleTail(s.running[0]!, 3)).toEqual(['1', '2', 'copy 40%']);
    expect(visibleTail(s.running[0]!, 2)).toEqual(['2', 'copy 40%']);
    expect(visibleTail(s.running[0]!, 1)).toEqual(['copy 40%']);
    expect(s.running[0]?.lineCount).toBe(2); // not a line yet
    expect(outputReducer(s, partial('copy 40%'))).toBe(s); // unchanged: same state
    s = apply([line('a', 'copy 100%')], s);
    expect(visibleTail(s.running[0]!, 3)).toEqual(['1', '2', 'copy 100%']);
    expect(s.running[0]?.partial).toBe('');
    expect(apply([partial('x')], apply([end('a')], s)).running).toEqual([]); // a late one for an ended command is ignored
  });

  it('batched lines count what the batcher dropped', () => {
    const s = apply([start('a'), { type: 'command-lines', id: 'a', name: 'a', lines: ['8', '9'], total: 9 }]);
    expect(s.running[0]).toMatchObject({ tail: ['8', '9'], lineCount: 9 });
  });

  it('moves a finished command to history, one item, and appends only', () => {
    const s1 = apply([start('a'), line('a', 'x'), end('a')]);
    expect(s1.running).toEqual([]);
    expect(s1.staticItems).toEqual([
      { kind: 'command', key: 'a:end', id: 'a', name: 'a', status: 'ok', exitCode: 0, signal: null, durationMs: 1200, logPath: '/var/log/vfio-wizard/x.log' },
    ]);
    const s2 = apply([start('b'), end('b', 'failed')], s1);
    expect(s2.staticItems[0]).toBe(s1.staticItems[0]);
    expect(s2.staticItems.map((i) => i.key)).toEqual(['a:end', 'b:end']);
  });

  it('ignores lines of unknown commands and duplicate starts', () => {
    const s = apply([line('ghost', 'x'), start('a'), start('a')]);
    expect(s.running).toHaveLength(1);
  });

  it('tracks cancel requests (a later SIGTERM never downgrades a kill)', () => {
    const cancel = (force: boolean): OutputAction => ({ type: 'command-cancel', id: 'a', name: 'a', force });
    expect(apply([start('a'), cancel(false)]).running[0]?.cancel).toBe('terminating');
    expect(apply([start('a'), cancel(false), cancel(true), cancel(false)]).running[0]?.cancel).toBe('killing');
  });

  it('verbose mode streams every line into the scrollback once, keys unique across toggles', () => {
    let s = apply([start('a'), line('a', '1'), line('a', '2'), line('a', '3'), line('a', '4')]);
    s = outputReducer(s, { type: 'toggle-verbose' });
    // the visible tail (2, 3, 4) moves into the scrollback; line 1 had already scrolled away
    expect(s.staticItems.map((i) => (i.kind === 'line' ? i.line : i.key))).toEqual(['2', '3', '4']);
    s = apply([line('a', '5'), { type: 'toggle-verbose' }, line('a', '6'), { type: 'toggle-verbose' }, line('a', '7'), end('a')], s);
    expect(s.staticItems.map((i) => (i.kind === 'line' ? i.line : i.key))).toEqual(['2', '3', '4', '5', '6', '7', 'a:end']);
    const keys = s.staticItems.map((i) => i.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('batch applies its actions in order', () => {
    const s = outputReducer(initialOutputState(), { type: 'batch', actions: [start('a'), line('a', 'x'), end('a')] });
    expect(s.staticItems).toHaveLength(1);
  });

  it('visibleTail shows the newest lines that fit', () => {
    const s = apply([start('a'), line('a', '1'), line('a', '2'), line('a', '3')]);
    const cmd = s.running[0]!;
    expect(visibleTail(cmd, 2)).toEqual(['2', '3']);
    expect(visibleTail(cmd, 0)).toEqual([]);
    expect(visibleTail(cmd, -1)).toEqual([]);
  });
});
