// SystemRoot.at: every path the program reads or writes under --root goes through it, so it is
// where a path from a file under the root ("..", from a journal or a kernel release) is stopped.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../src/exit-codes.js';
import { systemRoot } from '../../src/host/root.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-root-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SystemRoot.at', () => {
  const root = systemRoot(dir);

  it('puts system paths under the root', () => {
    expect(root.at('/etc/default/grub')).toBe(path.join(dir, 'etc/default/grub'));
    expect(root.at('etc//x/../y')).toBe(path.join(dir, 'etc/y'));
    expect(root.at('/')).toBe(dir);
  });

  it('refuses a path that leads outside the root, with bad-input', () => {
    for (const p of ['/..', '/../victim', '/etc/../../victim', `/../${path.basename(dir)}-x/y`]) {
      const err = (() => {
        try {
          return root.at(p);
        } catch (e) {
          return e;
        }
      })();
      expect(err, p).toBeInstanceOf(UserError);
      expect((err as UserError).exitCode).toBe(ExitCode.badInput);
      expect((err as UserError).message).toContain('leads outside');
    }
  });

  it('the live root leaves paths as they are: ".." cannot climb above /', () => {
    expect(systemRoot('/').at('/../etc/x')).toBe('/../etc/x');
    expect(path.resolve(systemRoot('/').at('/../etc/x'))).toBe('/etc/x');
  });
});
