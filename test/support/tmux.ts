// Tier 5: drive the built bin in a real terminal. tmux gives a real pty of a fixed size; tests
// send keys and poll capture-pane for text (never fixed sleeps).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { afterEach, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const binPath = path.join(projectDir, 'bin', 'vfio-wizard.js');

function tmux(socket: string, args: string[]): string {
  const r = spawnSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`tmux cannot run (${r.error.message}); install the tmux package`);
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export interface TmuxSession {
  /** the visible screen as text (trailing spaces trimmed per line) */
  screen(opts?: { colours?: boolean }): string;
  keys(...keys: string[]): void;
  /** send literal text (no key-name lookup) */
  type(text: string): void;
  resize(columns: number, rows: number): void;
  /** poll until the screen contains text (or matches), else throw with the last screen */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** the exit status of the command, once it has ended (printed by the wrapper) */
  waitForExit(timeoutMs?: number): Promise<number>;
  kill(): void;
}

/**
 * Start `command` (argv, run by sh with the given env) in a detached tmux session of the given
 * size. After the command ends, the pane prints "EXIT=<status>" and stays open for inspection.
 */
export function startTmux(
  argv: string[],
  opts: { columns?: number; rows?: number; env?: Record<string, string>; cwd?: string } = {},
): TmuxSession {
  const socket = `vw-${process.pid}-${randomBytes(4).toString('hex')}`;
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const env = Object.entries({ TERM: 'xterm-256color', ...opts.env })
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(' ');
  const shellCmd = `cd ${quote(opts.cwd ?? projectDir)} && env -u CI ${env} ${argv.map(quote).join(' ')}; echo "EXIT=$?"; sleep 600`;
  tmux(socket, [
    'new-session', '-d', '-s', 'w', '-x', String(opts.columns ?? 80), '-y', String(opts.rows ?? 24), shellCmd,
  ]);
  const session: TmuxSession = {
    screen(o = {}) {
      const out = tmux(socket, ['capture-pane', '-p', ...(o.colours ? ['-e'] : []), '-t', 'w']);
      return out
        .split('\n')
        .map((l) => l.replace(/\s+$/, ''))
        .join('\n');
    },
    keys(...keys) {
      tmux(socket, ['send-keys', '-t', 'w', ...keys]);
    },
    type(text) {
      tmux(socket, ['send-keys', '-t', 'w', '-l', text]);
    },
    resize(columns, rows) {
      tmux(socket, ['resize-window', '-t', 'w', '-x', String(columns), '-y', String(rows)]);
    },
    async waitFor(text, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        last = session.screen();
        if (typeof text === 'string' ? last.includes(text) : text.test(last)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${String(text)}; screen was:\n${last}`);
    },
    async waitForExit(timeoutMs = 15_000) {
      const screen = await session.waitFor(/^EXIT=\d+$/m, timeoutMs);
      return Number(/^EXIT=(\d+)$/m.exec(screen)![1]);
    },
    kill() {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    },
  };
  return session;
}

/**
 * A tmux test file's bookkeeping: every session started and temp dir made is closed after each
 * test, and the built bin must exist (`npm test` builds first).
 */
export function useTmux(): { sessions: TmuxSession[]; dirs: string[] } {
  const sessions: TmuxSession[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const s of sessions.splice(0)) s.kill();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  beforeAll(() => {
    if (!existsSync(path.join(projectDir, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  });
  return { sessions, dirs };
}
