// `apply --dry-run` through the CLI: the real path without writing — the plan is checked against
// the disk, targets are resolved, and every command is recorded exactly as apply would run it.
// No file under the root changes, no journal is made, and the output says what would run.
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { ExitCode } from '../../src/exit-codes.js';
import { makeRoot, removeRoot, snapshot } from './support/tree.js';

const roots: string[] = [];
afterEach(() => {
  while (roots.length) removeRoot(roots.pop() as string);
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const exit = await main(args, { stdout: { write: (s: string) => (stdout += s), isTTY: false }, stderr: { write: (s: string) => (stderr += s) }, stdinIsTTY: false, env: {} });
  return { stdout, stderr, exit };
}

describe('apply --dry-run', () => {
  it('walks the apply path, records the commands, writes nothing, and says so', async () => {
    const dir = makeRoot({});
    roots.push(dir);
    materializeRoot(SAMPLE_WORKSTATION, dir);
    const before = snapshot(dir);
    const r = await cli(['--root', dir, 'apply', '--step', 'cmdline', '--dry-run']);
    expect(r.exit, r.stderr).toBe(ExitCode.ok);
    expect(r.stdout).toContain('skipped: create /etc/default/grub.d/99-vfio-wizard.cfg');
    expect(r.stdout).toContain('Would run, in this order (recorded, not run):\n  update-grub');
    expect(r.stdout).toContain('Dry run: the plan fits the disk; nothing was written and nothing was run.');
    expect(r.stdout).not.toContain('Undo:');
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('plan without --step', () => {
  it('plans the command line first; once applied, says it waits for a reboot and moves on to isolation', async () => {
    const dir = makeRoot({});
    roots.push(dir);
    materializeRoot(SAMPLE_WORKSTATION, dir);
    const first = await cli(['--root', dir, 'plan']);
    expect(first.exit).toBe(ExitCode.ok);
    expect(first.stdout).toMatch(/^Kernel command line/);
    const applied = await cli(['--root', dir, 'apply', '--step', 'cmdline', '--yes', '--commands', 'skip']);
    expect(applied.exit, applied.stderr).toBe(ExitCode.ok);
    const next = await cli(['--root', dir, 'plan', '--device', '01:00.0']);
    expect(next.exit, next.stderr).toBe(ExitCode.ok);
    expect(next.stdout).toMatch(/^Applied and waiting for a reboot: cmdline\. After it, vfio-wizard verify checks that it took effect\./);
    expect(next.stdout).toContain('Bind the devices to vfio-pci');
  });
});
