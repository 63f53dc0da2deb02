// Tier 5, with commands that really run: the built bin in tmux against a fixture root that is also
// a tiny chroot (busybox-static as /bin/sh, sleep, touch), whose update-grub hangs the first time.
// Ctrl+C during it stops it (SIGTERM to its process group), the step is rolled back by itself and
// the screen says so; the rollback's own update-grub run is quick. Also: NO_COLOR=1 leaves no
// colour or style escape in the pane. The wizard runs as root here (the CI machine's user), and
// every write and command stays inside the temp root (chroot, private mount namespace).
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { binPath, startTmux, useTmux } from '../support/tmux.js';

const { sessions, dirs } = useTmux();
beforeAll(() => {
  if (!existsSync('/bin/busybox')) throw new Error('/bin/busybox is missing: install busybox-static');
});

const GRUB_DROPIN = 'etc/default/grub.d/99-vfio-wizard.cfg';

/** SAMPLE_WORKSTATION as a root that chroot can enter: busybox applets and a slow first update-grub. */
function chrootableWorkstation(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-tmux-run-'));
  dirs.push(dir);
  materializeRoot(SAMPLE_WORKSTATION, dir);
  for (const d of ['bin', 'usr/sbin', 'var/tmp', 'proc', 'sys', 'dev']) mkdirSync(path.join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', path.join(dir, 'bin/busybox'));
  chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'sleep', 'touch', 'echo']) symlinkSync('busybox', path.join(dir, 'bin', applet));
  writeFileSync(
    path.join(dir, 'usr/sbin/update-grub'),
    [
      '#!/bin/sh',
      'if [ -e /var/tmp/update-grub-ran ]; then echo "update-grub: second run, quick"; exit 0; fi',
      'touch /var/tmp/update-grub-ran',
      'echo "Generating grub configuration file ..."',
      'exec sleep 600',
      '',
    ].join('\n'),
  );
  // the sample root already has an update-grub (the loader detection looks for it): make this one runnable
  chmodSync(path.join(dir, 'usr/sbin/update-grub'), 0o755);
  return dir;
}

describe('a running command in a real terminal', () => {
  it('Ctrl+C stops it, the step is rolled back by itself, and the screen says so', async () => {
    const root = chrootableWorkstation();
    const t = startTmux(['node', binPath, '--root', root], { columns: 100, rows: 30, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } });
    sessions.push(t);
    await t.waitFor('Press Enter to start');
    t.keys('Enter');
    await t.waitFor('2/7 Host readiness');
    t.keys('n');
    await t.waitFor('Adds: intel_iommu=on.');
    t.keys('Enter');
    await t.waitFor('1. update-grub');
    t.keys('Enter');
    await t.waitFor('» [ Cancel ]');
    t.keys('y');
    let screen = await t.waitFor('Generating grub configuration file ...', 30_000);
    expect(screen).toContain('Ctrl+C stops the running command');
    expect(existsSync(path.join(root, GRUB_DROPIN))).toBe(true); // files first, then the regeneration
    t.keys('C-c');
    screen = await t.waitFor('■ Interrupted', 30_000);
    expect(screen).toMatch(/rolled back/i);
    expect(existsSync(path.join(root, GRUB_DROPIN))).toBe(false);
    // the interrupted update-grub may have done part of its work: the rollback ran it again
    expect(existsSync(path.join(root, 'var/tmp/update-grub-ran'))).toBe(true);
    const runs = path.join(root, 'var/lib/vfio-wizard/runs');
    const journal = readFileSync(path.join(runs, readdirSync(runs)[0]!, 'journal.json'), 'utf8');
    expect(JSON.parse(journal).steps[0].state).toBe('rolled-back');
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
  }, 90_000);
});

describe('NO_COLOR', () => {
  it('leaves no colour or style escape in the pane; the cursor is still marked in text', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'vw-tmux-'));
    dirs.push(tmp);
    const t = startTmux(['node', binPath, '--demo'], { columns: 80, rows: 24, env: { TMPDIR: tmp, NO_COLOR: '1' } });
    sessions.push(t);
    await t.waitFor('Press Enter to start');
    t.keys('Enter');
    await t.waitFor('2/7 Host readiness');
    const coloured = t.screen({ colours: true });
    expect(coloured).not.toContain('\u001b[');
    expect(coloured).toMatch(/› ✔ CPU virtualization/);
    // the same screen without NO_COLOR does carry escapes (the negative control)
    const plain = startTmux(['node', binPath, '--demo'], { columns: 80, rows: 24, env: { TMPDIR: tmp } });
    sessions.push(plain);
    await plain.waitFor('Press Enter to start');
    plain.keys('Enter');
    await plain.waitFor('2/7 Host readiness');
    expect(plain.screen({ colours: true })).toContain('\u001b[');
  });
});
