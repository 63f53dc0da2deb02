// Tier 5: the built bin in a real pty (tmux) at 80x24 and 60x20: `vfio-wizard --demo` walks
// welcome → readiness → details → devices → filter, stays inside the screen (the banner never
// scrolls away, which is what a frame taller or wider than the terminal would cause), quits
// with 0 and removes its demo root. Needs `npm run build` first (the test script does it).
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { binPath, startTmux, useTmux } from '../support/tmux.js';

const { sessions, dirs } = useTmux();

function demo(columns: number, rows: number) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vw-tmux-'));
  dirs.push(tmp);
  const t = startTmux(['node', binPath, '--demo'], { columns, rows, env: { TMPDIR: tmp } });
  sessions.push(t);
  return { t, tmp };
}

/** The frame sits at the top of the screen: banner, then the step header, nothing wrapped above. */
function assertInPlace(screen: string, rows: number): void {
  const lines = screen.split('\n');
  expect(lines[0]).toContain('DEMO — sample workstation, nothing is run');
  expect(lines[1]).toMatch(/^vfio-wizard · /);
  const used = lines.filter((l) => l.trim() !== '').length;
  expect(used).toBeLessThan(rows);
  expect(screen).toMatch(/q quit/);
}

describe.each([
  [80, 24],
  [60, 20],
])('vfio-wizard --demo in a %ix%i terminal', (columns, rows) => {
  it('walks every screen of this issue and quits cleanly', async () => {
    const { t, tmp } = demo(columns, rows);
    assertInPlace(await t.waitFor('Press Enter to start'), rows);
    t.keys('Enter');
    assertInPlace(await t.waitFor('2/7 Host readiness'), rows);
    t.keys('Down', 'Down', 'Enter');
    let screen = await t.waitFor('Fix: Add intel_iommu=on');
    assertInPlace(screen, rows);
    expect(screen).toMatch(/› ✘ IOMMU enabled by kernel/);
    t.keys('n');
    screen = await t.waitFor('3/7 Kernel command line');
    assertInPlace(screen, rows);
    t.keys('n');
    screen = await t.waitFor('4/7 Devices and IOMMU groups');
    assertInPlace(screen, rows);
    expect(screen).toMatch(/01:00\.0 \[10de:1f02\]/);
    expect(screen).not.toMatch(/04:00\.0 \[8086:125c\]/); // the NIC is no GPU
    t.keys('f');
    screen = await t.waitFor('Everything: 21 devices');
    assertInPlace(screen, rows);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    expect(readdirSync(tmp)).toEqual([]); // the demo root was removed
  });
});

describe('closing the terminal', () => {
  it('removes the demo root when the terminal goes away', async () => {
    const { t, tmp } = demo(80, 24);
    await t.waitFor('Press Enter to start');
    expect(readdirSync(tmp)).toHaveLength(1);
    t.kill();
    for (let i = 0; i < 200 && readdirSync(tmp).length > 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('resizing', () => {
  it('reflows the device browser from 80x24 to 60x20', async () => {
    const { t } = demo(80, 24);
    await t.waitFor('Press Enter to start');
    t.keys('Enter');
    await t.waitFor('2/7 Host readiness');
    t.keys('n');
    await t.waitFor('3/7 Kernel command line');
    t.keys('n');
    await t.waitFor('VGA: NVIDIA TU106');
    t.resize(60, 20);
    // Below 80 columns the rows drop the class label.
    const screen = await t.waitFor(/01:00\.0 \[10de:1f02\] NVIDIA TU106/);
    assertInPlace(screen, 20);
  });
});
