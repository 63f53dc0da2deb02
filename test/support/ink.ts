// Helpers for Ink component tests that wait for the screen, not the clock.
//
// - renderSized(tree, {columns, rows}): Ink's own render into a fake TTY of any size
//   (ink-testing-library is fixed at 100 columns and has no rows), with `resize()`.
// - press(r, key): write a key, wait until the frame changes, then yield once more so that
//   React 19 has re-registered Ink 6.8's input handlers before the next key.
// - waitForText / waitForFrame: poll the latest frame until it matches.
// - keys: the byte sequences terminals send.
//
// Rendering uses Ink's debug mode: every commit writes one whole frame (static output plus the
// live area) without throttling, which is what assertions need. Frames are stored raw;
// lastFrame() strips colours.
import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import { render as inkRender, type Instance } from 'ink';
import { stripAnsi } from '../../src/run/line-splitter.js';

export const keys = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  space: ' ',
  backspace: '\u007F',
  ctrlC: '\u0003',
} as const;

class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  readonly frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
}

class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export interface SizedRender {
  /** the latest frame without ANSI codes ('' before the first) */
  lastFrame(): string;
  /** every frame written so far, raw */
  readonly frames: string[];
  readonly stdin: FakeStdin;
  readonly stdout: FakeStdout;
  /** change the terminal size and tell Ink, as a real terminal's SIGWINCH would */
  resize(columns: number, rows: number): void;
  rerender(tree: ReactElement): void;
  unmount(): void;
}

export function renderSized(tree: ReactElement, size: { columns: number; rows: number } = { columns: 80, rows: 24 }): SizedRender {
  const stdout = new FakeStdout(size.columns, size.rows);
  const stderr = new FakeStdout(size.columns, size.rows);
  const stdin = new FakeStdin();
  const instance: Instance = inkRender(tree, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    lastFrame: () => stripAnsi(stdout.frames[stdout.frames.length - 1] ?? ''),
    frames: stdout.frames,
    stdin,
    stdout,
    resize(columns, rows) {
      stdout.columns = columns;
      stdout.rows = rows;
      stdout.emit('resize');
    },
    rerender: (t) => instance.rerender(t),
    unmount: () => {
      instance.unmount();
      instance.cleanup();
    },
  };
}

/** Anything with a lastFrame(): SizedRender or ink-testing-library's render result. */
export interface HasFrames {
  lastFrame(): string | undefined;
  stdin: { write(data: string): unknown };
}

const tick = () => new Promise<void>((resolve) => setImmediate(() => setTimeout(resolve, 0)));

/** Poll until `test(frame)` holds; throws with the last frame after `timeoutMs`. */
export async function waitForFrame(r: HasFrames, test: (frame: string) => boolean, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = stripAnsi(r.lastFrame() ?? '');
    if (test(frame)) return frame;
    if (Date.now() > deadline) throw new Error(`frame did not match within ${timeoutMs} ms; last frame:\n${frame}`);
    await tick();
  }
}

export const waitForText = (r: HasFrames, text: string, timeoutMs?: number): Promise<string> =>
  waitForFrame(r, (f) => f.includes(text), timeoutMs);

/**
 * Write a key and wait for the frame to change (then yield once more). Pass `expectChange: false`
 * for keys that should leave the screen as it is: it then only yields a few ticks.
 */
export async function press(r: HasFrames, key: string, o: { expectChange?: boolean; timeoutMs?: number } = {}): Promise<string> {
  const before = r.lastFrame() ?? '';
  r.stdin.write(key);
  if (o.expectChange === false) {
    for (let i = 0; i < 5; i++) await tick();
    return stripAnsi(r.lastFrame() ?? '');
  }
  const frame = await waitForFrame(r, () => (r.lastFrame() ?? '') !== before, o.timeoutMs);
  await tick();
  return frame;
}

/** Lines of a frame (no trailing empty line). */
export const frameLines = (frame: string): string[] => frame.replace(/\n$/, '').split('\n');

/** Display width of a line (code points; our frames hold single-width characters). */
export const lineWidth = (line: string): number => [...line].length;
