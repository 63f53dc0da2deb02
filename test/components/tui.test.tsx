// startTui is the exit owner: it renders the real App into the given streams (fakes of a
// terminal here), resolves with the App's exit code, unmounts once and hands the terminal back
// (raw mode off, signal handlers removed).
import { EventEmitter } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTui } from '../../components/tui.js';
import { stripAnsi } from '../../src/run/line-splitter.js';
import { keys } from '../support/ink.js';
import { session } from './wizard-harness.js';

class Terminal extends EventEmitter {
  readonly isTTY = true;
  columns = 80;
  rows = 24;
  output = '';
  write = (s: string): boolean => {
    this.output += s;
    return true;
  };
}

class Keyboard extends EventEmitter {
  readonly isTTY = true;
  readonly rawModes: boolean[] = [];
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setRawMode(on: boolean): void {
    this.rawModes.push(on);
  }
  setEncoding(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

const tick = () => new Promise<void>((r) => setImmediate(() => setTimeout(r, 0)));

async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (ok()) return;
    await tick();
  }
  throw new Error(`timed out waiting for ${what}`);
}

function start() {
  const stdout = new Terminal();
  const stdin = new Keyboard();
  const exit = startTui({
    session: session(),
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new Terminal() as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
  });
  return { stdout, stdin, exit };
}

// startTui listens for SIGTERM/SIGHUP while the UI runs; once it has exited its listeners must be
// gone. Ink's signal-exit installs process-wide listeners on first use and keeps them, so the
// baseline is taken after one UI has run.
const listeners = () => ({ term: process.listenerCount('SIGTERM'), hup: process.listenerCount('SIGHUP') });
beforeAll(async () => {
  const { stdout, stdin, exit } = start();
  await until(() => stripAnsi(stdout.output).includes('Welcome'), 'the welcome screen');
  stdin.write('q');
  await exit;
});

describe('startTui', () => {
  it('resolves 0 on q and leaves raw mode off', async () => {
    const before = listeners();
    const { stdout, stdin, exit } = start();
    await until(() => stripAnsi(stdout.output).includes('Welcome to vfio-wizard'), 'the welcome screen');
    expect(listeners().term).toBeGreaterThan(before.term);
    stdin.write('q');
    await expect(exit).resolves.toBe(0);
    expect(listeners()).toEqual(before);
    expect(stdin.rawModes[0]).toBe(true);
    expect(stdin.rawModes.at(-1)).toBe(false);
  });

  it('resolves 130 on Ctrl+C', async () => {
    const before = listeners();
    const { stdout, stdin, exit } = start();
    await until(() => stripAnsi(stdout.output).includes('Welcome'), 'the welcome screen');
    stdin.write(keys.ctrlC);
    await expect(exit).resolves.toBe(130);
    expect(listeners()).toEqual(before);
  });

  it('resolves 143 on SIGTERM and unmounts once', async () => {
    const before = listeners();
    const { stdout, stdin, exit } = start();
    await until(() => stripAnsi(stdout.output).includes('Welcome'), 'the welcome screen');
    // Only listeners are called (process.emit never kills); startTui's is among them.
    process.emit('SIGTERM', 'SIGTERM');
    await expect(exit).resolves.toBe(143);
    expect(stdin.rawModes.filter((on) => !on)).toHaveLength(1);
    expect(listeners()).toEqual(before);
  });
});

/** startTui with a session that arrives later (runWizard: the scan runs after the first frame). */
function startLoading() {
  const stdout = new Terminal();
  const stdin = new Keyboard();
  let settle: { resolve: (s: ReturnType<typeof session>) => void; reject: (e: Error) => void } | null = null;
  let asked = 0;
  let signal: AbortSignal | null = null;
  const exit = startTui({
    loading: {
      title: 'Scanning this host…',
      demo: false,
      load: (s) => {
        asked++;
        signal = s;
        return new Promise((resolve, reject) => {
          settle = { resolve, reject };
        });
      },
    },
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: new Terminal() as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
  });
  // a rejection is looked at by the test, not left unhandled meanwhile
  exit.catch(() => undefined);
  const loadAsked = async () => {
    await until(() => settle !== null, 'the load to be asked for');
    return settle!;
  };
  return { stdout, stdin, exit, loadAsked, asked: () => asked, signal: () => signal };
}

describe('startTui with a session loaded after the first frame', () => {
  it('draws the first frame before it loads, then the wizard; q quits it as usual', async () => {
    const before = listeners();
    const { stdout, stdin, exit, loadAsked, asked } = startLoading();
    await until(() => stripAnsi(stdout.output).includes('vfio-wizard · Scanning this host…'), 'the first frame');
    const framesBeforeLoad = stdout.output;
    (await loadAsked()).resolve(session());
    expect(asked()).toBe(1);
    expect(framesBeforeLoad).not.toContain('Welcome');
    await until(() => stripAnsi(stdout.output).includes('Welcome to vfio-wizard'), 'the welcome screen');
    stdin.write('q');
    await expect(exit).resolves.toBe(0);
    expect(listeners()).toEqual(before);
    expect(stdin.rawModes.at(-1)).toBe(false);
  });

  it('keys typed while it loads are the wizard\'s once it is there (Enter: on to the readiness screen)', async () => {
    const { stdout, stdin, exit, loadAsked } = startLoading();
    await until(() => stripAnsi(stdout.output).includes('Scanning this host…'), 'the first frame');
    const settle = await loadAsked();
    stdin.write(keys.enter);
    await tick();
    expect(stripAnsi(stdout.output)).not.toContain('Host readiness');
    settle.resolve(session());
    await until(() => stripAnsi(stdout.output).includes('2/7 Host readiness'), 'the readiness screen');
    stdin.write('q');
    await expect(exit).resolves.toBe(0);
  });

  it('q while loading quits with 0, Ctrl+C with 130, the load is told to stop, and the terminal is handed back', async () => {
    const before = listeners();
    for (const [key, code] of [['q', 0], [keys.ctrlC, 130]] as const) {
      const { stdout, stdin, exit, loadAsked, signal } = startLoading();
      await until(() => stripAnsi(stdout.output).includes('Scanning this host…'), 'the first frame');
      await loadAsked();
      expect(signal()?.aborted).toBe(false);
      stdin.write(key);
      await expect(exit).resolves.toBe(code);
      expect(signal()?.aborted).toBe(true);
      expect(stdin.rawModes.at(-1)).toBe(false);
    }
    expect(listeners()).toEqual(before);
  });

  it('a load that fails ends the UI and rejects with its error, for the CLI to report (terminal handed back)', async () => {
    const before = listeners();
    const { stdout, stdin, exit, loadAsked } = startLoading();
    await until(() => stripAnsi(stdout.output).includes('Scanning this host…'), 'the first frame');
    (await loadAsked()).reject(new Error('ENOSPC: no space left on device'));
    await expect(exit).rejects.toThrow('ENOSPC: no space left on device');
    expect(stdin.rawModes.at(-1)).toBe(false);
    expect(listeners()).toEqual(before);
  });
});

