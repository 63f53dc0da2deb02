import { describe, expect, it } from 'vitest';
import { backgroundBusy, backgroundIdle, trackBackground } from '../../src/run/background-work.js';

describe('background work', () => {
  it('is idle at once with nothing running; otherwise once every tracked promise settled, rejected ones included', async () => {
    expect(backgroundBusy()).toBe(false);
    await backgroundIdle();
    let release!: () => void;
    let fail!: (e: Error) => void;
    const a = trackBackground(new Promise<void>((r) => (release = r)));
    const b = trackBackground(new Promise<void>((_, j) => (fail = j)));
    b.catch(() => {});
    expect(backgroundBusy()).toBe(true);
    const order: string[] = [];
    const idle = backgroundIdle().then(() => order.push('idle'));
    release();
    await a;
    order.push('a');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a']); // b still running
    fail(new Error('x'));
    await idle;
    expect(order).toEqual(['a', 'idle']);
    expect(backgroundBusy()).toBe(false);
  });
});
