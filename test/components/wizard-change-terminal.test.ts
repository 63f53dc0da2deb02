// Tier 5: the main path of the built bin in a real pty (tmux, 80x24): `vfio-wizard --demo` walks
// readiness → kernel command line → review → confirm → applied (the regeneration listed, not run)
// → devices (a card chosen) → isolation → applied, undone from its screen, applied again → the
// VM form → summary → undo everything, staying inside the screen, and quits with 0 leaving no
// demo root behind. Needs `npm run build` first.
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { binPath, startTmux, useTmux } from '../support/tmux.js';

const { sessions, dirs } = useTmux();

/** Banner and header on top, nothing scrolled away, the frame shorter than the terminal. */
function assertInPlace(screen: string, rows: number): void {
  const lines = screen.split('\n');
  expect(lines[0]).toContain('DEMO — sample workstation, nothing is run');
  expect(lines[1]).toMatch(/^vfio-wizard · /);
  expect(lines.filter((l) => l.trim() !== '').length).toBeLessThan(rows);
}

describe('the change path in a real terminal', () => {
  it('applies the command line and the isolation in the demo, undoes one from its screen, fills the VM form, and undoes everything', async () => {
    const rows = 24;
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'vw-tmux-change-'));
    dirs.push(tmp);
    const t = startTmux(['node', binPath, '--demo'], { columns: 80, rows, env: { TMPDIR: tmp } });
    sessions.push(t);
    await t.waitFor('Press Enter to start');
    t.keys('Enter');
    await t.waitFor('2/7 Host readiness');
    t.keys('n');
    let screen = await t.waitFor('Adds: intel_iommu=on.');
    assertInPlace(screen, rows);
    expect(screen).toContain('3/7 Kernel command line');
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
    await t.waitFor('4/7 Devices and IOMMU groups');
    // the NVIDIA card: marked with space, then Enter takes it to the isolation step
    t.keys('Down');
    t.keys('Space');
    await t.waitFor('Chosen: 01:00');
    t.keys('Enter');
    screen = await t.waitFor('Enter shows exactly what changes (applied at the next boot)');
    assertInPlace(screen, rows);
    expect(screen).toContain('5/7 Bind to vfio-pci');
    expect(screen).toContain('01:00.3');
    t.keys('Enter');
    screen = await t.waitFor('+++ b/etc/modprobe.d/vfio.conf');
    assertInPlace(screen, rows);
    t.keys('Enter');
    await t.waitFor('» [ Cancel ]');
    t.keys('y');
    screen = await t.waitFor('✔ Applied');
    expect(screen).toContain('update-initramfs -u -k all');
    // undone from its own screen, then applied again
    t.keys('u');
    await t.waitFor('Undo step isolate?');
    t.keys('y');
    screen = await t.waitFor('✔ Undone: step isolate');
    assertInPlace(screen, rows);
    t.keys('Enter');
    await t.waitFor('Enter shows exactly what changes (applied at the next boot)');
    t.keys('Enter');
    await t.waitFor('+++ b/etc/modprobe.d/vfio.conf');
    t.keys('Enter');
    await t.waitFor('» [ Cancel ]');
    t.keys('y');
    await t.waitFor('✔ Applied');
    t.keys('n');
    // the VM form: typed into (q is a letter here), checked against the scan
    await t.waitFor('6/7 Virtual machine');
    t.keys('e');
    await t.waitFor('Esc stops editing');
    t.type('q');
    await t.waitFor('Name: vfio-vmq');
    t.keys('Enter');
    screen = await t.waitFor('have no IOMMU group');
    assertInPlace(screen, rows);
    t.keys('n');
    screen = await t.waitFor('Applied by vfio-wizard (newest first):');
    assertInPlace(screen, rows);
    expect(screen).toMatch(/› Bind the devices to vfio-pci {2}isolate/);
    expect(screen).toMatch(/Kernel command line {2}cmdline/);
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

  it('at 60x20, the smallest size the wizard supports: the change path (decide, review, confirm, applied, devices, isolation, VM form, summary) stays in place', async () => {
    const rows = 20;
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'vw-tmux-small-'));
    dirs.push(tmp);
    const t = startTmux(['node', binPath, '--demo'], { columns: 60, rows, env: { TMPDIR: tmp } });
    sessions.push(t);
    await t.waitFor('Press Enter to start');
    t.keys('Enter');
    await t.waitFor('2/7 Host readiness');
    t.keys('n');
    let screen = await t.waitFor('3/7 Kernel command line');
    screen = await t.waitFor('intel_iommu=on');
    assertInPlace(screen, rows);
    t.keys('Enter');
    screen = await t.waitFor('Files (1)');
    assertInPlace(screen, rows);
    t.keys('Enter');
    screen = await t.waitFor('[ Cancel ]');
    assertInPlace(screen, rows);
    t.keys('y');
    screen = await t.waitFor('✔ Applied');
    assertInPlace(screen, rows);
    t.keys('n');
    screen = await t.waitFor('4/7 Devices');
    assertInPlace(screen, rows);
    t.keys('Down');
    t.keys('Space');
    await t.waitFor('Chosen: 01:00');
    t.keys('Enter');
    screen = await t.waitFor('5/7 Bind to vfio-pci');
    assertInPlace(screen, rows);
    t.keys('n');
    screen = await t.waitFor('6/7 Virtual machine');
    assertInPlace(screen, rows);
    t.keys('n');
    screen = await t.waitFor('7/7 Summary');
    assertInPlace(screen, rows);
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
  }, 60_000);
});
