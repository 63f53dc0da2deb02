// The CLI's own entry point on a root, with its output collected (no terminal, no stdin).
import { main } from '../../../src/cli.js';

export async function cli(root: string, args: string[], json = false): Promise<{ stdout: string; stderr: string; exit: number }> {
  let stdout = '';
  let stderr = '';
  const exit = await main(['--root', root, ...(json ? ['--json'] : []), ...args], {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s) },
    stdinIsTTY: false,
    env: {},
  });
  return { stdout, stderr, exit };
}
