// Tier 5: the change path of the built bin in a real pty (tmux, 80x24): `vfio-wizard --demo`
// walks readiness → kernel command line → review → confirm → applied (the regeneration listed,
// not run) → summary → undo everything, staying inside the screen, and quits with 0 leaving no
// demo root behind. Needs `npm run build` first.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { binPath, projectDir, startTmux, type TmuxSession } from '../support/tmux.js';

const sessions: TmuxSession[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.kill();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

beforeAll(() => {
  if (!existsSync(path.join(projectDir, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
});

/** Banner and header on top, nothing scrolled away, the frame shorter than the terminal. */
function assertInPlace(screen: string, rows: number): void {
  const lines = screen.split('\n');
  expect(lines[0]).toContain('DEMO — sample workstation, nothing is run');
  expect(lines[1]).toMatch(/^vfio-wizard · /);
  expect(lines.filter((l) => l.trim() !== '').length).toBeLessThan(rows);
}

describe('the change path in a real terminal', () => {
  it('applies the kernel command line step in the demo and undoes everything', async () => {
    const rows = 24;
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'vw-tmux-change-'));
    dirs.push(tmp);
    const t = startTmux(['node', binPath, '--demo'], { columns: 80, rows, env: { TMPDIR: tmp } });
    sessions.push(t);
    await t.waitFor('Press Enter to start');
    t.keys('Enter');
    await t.waitFor('2/5 Host readiness');
    t.keys('n');
    let screen = await t.waitFor('Adds: intel_iommu=on.');
    assertInPlace(screen, rows);
    expect(screen).toContain('3/5 Kernel command line');
    expect(screen).toMatch(/› \[x\] intel_iommu=on/);
    t.keys('Enter');
    screen = await t.waitFor('Commands, in the order they will run (the demo lists them, runs nothing):');
    assertInPlace(screen, rows);
    expect(screen).toContain('+++ b/etc/default/grub.d/99-vfio-wizard.cfg');
    expect(screen).toContain('1. update-grub');
    t.keys('Enter');
    screen = await t.waitFor('» [ Cancel ]');
    assertInPlace(screen, rows);
    t.keys('1'); // a digit is no answer
    t.keys('y');
    screen = await t.waitFor('✔ Applied');
    assertInPlace(screen, rows);
    expect(screen).toContain('· update-grub (listed, not run)');
    t.keys('n');
    await t.waitFor('4/5 Devices and IOMMU groups');
    t.keys('n');
    screen = await t.waitFor('Applied by vfio-wizard (newest first):');
    assertInPlace(screen, rows);
    expect(screen).toContain('/etc/default/grub.d/99-vfio-wizard.cfg');
    t.keys('a');
    await t.waitFor('Undo everything?');
    t.keys('y');
    screen = await t.waitFor('✔ Undone: everything');
    assertInPlace(screen, rows);
    t.keys('Enter');
    await t.waitFor('Nothing applied by vfio-wizard is in effect');
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    expect(readdirSync(tmp)).toEqual([]); // the demo root (with its journal) was removed
  }, 60_000);
});
