// The wizard's change path in a terminal, over real fixture roots with the real services: the
// kernel command line step with its reasons and toggles, the review (diff and argv), the
// explicit confirm, apply (files written in the temp root, commands listed or run through a
// recording or real runner), Ctrl+C, undo one step, undo everything, drift, no root, and the
// resume after a reboot. Nothing outside the temp roots is written; no command runs as root.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../components/App.js';
import { ServicesProvider } from '../../components/services.js';
import { applyPlan } from '../../src/apply/apply.js';
import { readStatus } from '../../src/apply/status.js';
import { createWizardServices } from '../../src/commands/wizard-services.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import type { RootSpec } from '../../src/demo/root-spec.js';
import { systemRoot } from '../../src/host/root.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { createRunner } from '../../src/run/runner.js';
import { cmdlineStep } from '../../src/steps/registry.js';
import { keys as KEY, press, renderSized, waitForFrame, waitForText } from '../support/ink.js';
import { assertFits } from './wizard-harness.js';
import { cleanupScenarios, fixtureRoot, scan, startScenario, type ChangeScenario } from './change-harness.js';

afterEach(cleanupScenarios);

const DROPIN = '/etc/default/grub.d/99-vfio-wizard.cfg';
const PAGE_DOWN = '\u001B[6~';

/** welcome → readiness → the kernel command line step, with its plan on screen */
async function toCmdline(s: ChangeScenario): Promise<string> {
  await waitForText(s.screen, 'Welcome to vfio-wizard');
  await press(s.screen, KEY.enter);
  await press(s.screen, 'n');
  return waitForText(s.screen, 'Enter shows exactly what changes');
}

/** from the command line screen past devices, isolation and the VM to the summary */
async function cmdlineToSummary(s: ChangeScenario): Promise<string> {
  for (const screen of ['Devices and IOMMU groups', 'Bind to vfio-pci', 'Virtual machine']) {
    await press(s.screen, 'n');
    await waitForText(s.screen, screen);
  }
  await press(s.screen, 'n');
  return waitForText(s.screen, 'Summary');
}

/** …then the review and the confirm, and press y */
async function applyFromDecide(s: ChangeScenario): Promise<string> {
  await press(s.screen, KEY.enter);
  await waitForText(s.screen, 'Files (1):');
  await press(s.screen, KEY.enter);
  await waitForText(s.screen, '[ Cancel ]');
  await press(s.screen, 'y');
  return waitForFrame(s.screen, (f) => /✔ Applied|✘|■/.test(f));
}

describe('the kernel command line step', () => {
  it('shows each parameter with its reason, toggles offered ones, and re-plans', async () => {
    const s = startScenario(SAMPLE_WORKSTATION);
    let f = await toCmdline(s);
    expect(f).toContain('3/7 Kernel command line');
    expect(f).toContain('Boot loader: grub (detected)');
    expect(f).toContain('/etc/default/grub exists'); // the evidence of the detection
    expect(f).toMatch(/› \[x\] intel_iommu=on/);
    expect(f).toContain('the firmware exposes VT-d but this kernel has not enabled the IOMMU');
    expect(f).toMatch(/\[ \] iommu=pt {2}\(offered\)/);
    expect(f).toContain('! host devices are then not isolated by the IOMMU');
    expect(f).toContain('Adds: intel_iommu=on.');

    await press(s.screen, KEY.down);
    f = await press(s.screen, KEY.space);
    expect(f).toMatch(/› \[x\] iommu=pt {2}\(offered, added by you\)/);
    f = await waitForText(s.screen, 'Adds: intel_iommu=on iommu=pt.');

    // leaving out the one the host needs: said on screen, and the plan follows
    await press(s.screen, KEY.up);
    f = await press(s.screen, KEY.space);
    expect(f).toMatch(/\[ \] intel_iommu=on.*\(left out by you\)/);
    f = await waitForText(s.screen, 'Adds: iommu=pt.');
    await press(s.screen, KEY.space);
    await waitForText(s.screen, 'Adds: intel_iommu=on iommu=pt.');

    // the loader override: grub-bls needs grubby, which this root lacks, so the step refuses
    f = await press(s.screen, 'l');
    f = await waitForText(s.screen, 'Boot loader: grub-bls (your choice; detected grub)');
    f = await waitForText(s.screen, 'Cannot change the command line safely');
    expect(f).toMatch(/grubby\s+was not found/);
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(false);
  });

  it('asks for consent before replacing a conflicting token', async () => {
    const spec: RootSpec = { ...SAMPLE_WORKSTATION, cmdline: `${SAMPLE_WORKSTATION.cmdline ?? ''} intel_iommu=off` };
    const s = startScenario(spec);
    let f = await toCmdline(s);
    expect(f).toContain('intel_iommu=off: intel_iommu=off turns the Intel IOMMU off');
    expect(f).toContain('[ ] replace or remove them (your consent)');
    f = await press(s.screen, 'c');
    f = await waitForText(s.screen, '[x] replace or remove them (your consent)');
  });
});

describe('the kernel command line step, continued', () => {
  it('a conflict in /etc/default/grub itself (not on /proc/cmdline) blocks the step until consent, then the plan takes it out', async () => {
    const files = SAMPLE_WORKSTATION.files ?? {};
    const grub = (files['etc/default/grub'] as string).replace(/GRUB_CMDLINE_LINUX="(.*)"/, 'GRUB_CMDLINE_LINUX="$1 intel_iommu=off"');
    const s = startScenario({ ...SAMPLE_WORKSTATION, files: { ...files, 'etc/default/grub': grub } });
    await waitForText(s.screen, 'Welcome to vfio-wizard');
    await press(s.screen, KEY.enter);
    await press(s.screen, 'n');
    let f = await waitForText(s.screen, 'Cannot change the command line safely');
    expect(f).toMatch(/blocked by a conflict: intel_iommu=off in/);
    expect(f).toContain('[ ] replace or remove them (your consent)');
    await press(s.screen, 'c');
    f = await waitForText(s.screen, 'Adds: intel_iommu=on; removes: intel_iommu=off.');
  });

  it('t boots the parameters once first: its own screen, review (generator script, grub-reboot), and back to the command line', async () => {
    // without grub-reboot there is no trial to offer: no key, no line
    const none = startScenario(SAMPLE_WORKSTATION);
    let f = await toCmdline(none);
    expect(f).not.toContain('trial boot once');
    const withReboot = { ...SAMPLE_WORKSTATION, files: { ...SAMPLE_WORKSTATION.files, 'usr/sbin/grub-reboot': '#!/bin/sh\nexit 0\n' } };
    const s = startScenario(withReboot, { columns: 80, rows: 40 });
    f = await toCmdline(s);
    expect(f).toContain('t trial boot once');
    expect(f).toContain('Or t: boot them once first');
    await press(s.screen, 't');
    f = await waitForText(s.screen, 'Trial boot (once)');
    f = await waitForText(s.screen, 'Enter shows the exact changes');
    await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, 'Files (1):');
    expect(f).toContain('create /etc/grub.d/42_vfio-wizard-trial');
    expect(f).toMatch(/grub-reboot/);
    await press(s.screen, KEY.escape);
    await waitForText(s.screen, 'Enter shows the exact changes');
    await press(s.screen, 'b');
    f = await waitForText(s.screen, 'Enter shows exactly what changes');
    expect(f).toContain('Kernel command line');
    expect(existsSync(path.join(s.dir, 'etc/grub.d/42_vfio-wizard-trial'))).toBe(false);
  });
});

describe('review and confirm', () => {
  it('shows the diff, the exact argv and the reboot; Esc goes back with nothing changed', async () => {
    const s = startScenario(SAMPLE_WORKSTATION);
    await toCmdline(s);
    let f = await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, 'Files (1):');
    expect(f).toContain(`create ${DROPIN}, mode 0644`);
    expect(f).toContain(`+++ b${DROPIN}`);
    expect(f).toContain('+GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} intel_iommu=on"');
    expect(f).toContain('Commands, in the order they will run (as root):');
    expect(f).toContain('1. update-grub');
    expect(f).toContain('A reboot is needed for this step to take effect.');
    assertFits(f, 80, 24);
    f = await press(s.screen, KEY.escape);
    expect(f).toContain('Enter shows exactly what changes');
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(false);
  });

  it('needs an explicit confirm: digits do nothing, Enter on the focused Cancel cancels', async () => {
    const s = startScenario(SAMPLE_WORKSTATION);
    await toCmdline(s);
    await press(s.screen, KEY.enter);
    await waitForText(s.screen, 'Files (1):');
    let f = await press(s.screen, KEY.enter);
    expect(f).toContain('Apply "Kernel command line" now?');
    expect(f).toContain('» [ Cancel ]     [ Apply ]');
    for (const digit of ['1', '2', '0']) {
      f = await press(s.screen, digit, { expectChange: false });
      expect(f).toContain('[ Cancel ]');
    }
    f = await press(s.screen, KEY.enter); // Cancel is focused
    expect(f).toContain('Files (1):');
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(false);
    expect(readStatus(systemRoot(s.dir)).runs).toEqual([]);

    // → focuses Apply; Enter then applies
    await press(s.screen, KEY.enter);
    f = await press(s.screen, KEY.right);
    expect(f).toContain('  [ Cancel ]   » [ Apply ]');
    await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, '✔ Applied');
    expect(readFileSync(path.join(s.dir, DROPIN), 'utf8')).toContain('intel_iommu=on');
  });
});

describe('apply', () => {
  it('writes the drop-in, lists the regeneration (commands: skip), and explains the way back', async () => {
    const s = startScenario(SAMPLE_WORKSTATION, { columns: 80, rows: 40 });
    await toCmdline(s);
    const f = await applyFromDecide(s);
    expect(f).toContain('✔ Applied');
    expect(f).toContain(`✔ create ${DROPIN}`);
    expect(f).toContain('· update-grub (listed, not run)');
    expect(f).toContain('Not run; run them inside the system, in this order:');
    expect(f).toContain('Reboot for the change to take effect');
    expect(f).toMatch(/in the GRUB menu \(hold Shift or\s+press Esc while booting\)/);
    expect(f).toMatch(/without Node: sh\s+\S+restore\.sh/);
    expect(readFileSync(path.join(s.dir, DROPIN), 'utf8')).toContain('GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} intel_iommu=on"');
    const st = readStatus(systemRoot(s.dir));
    expect(st.runs.flatMap((r) => r.steps.map((x) => [x.id, x.state]))).toEqual([['cmdline', 'applied']]);
  });

  it('runs the regeneration live and rolls back by itself when the generated config lacks the parameters', async () => {
    // update-grub "runs" (recording runner: output, exit 0) but writes no grub.cfg with the
    // parameter, so the check of the generated configuration fails and the step is undone.
    const runner = createRecordingRunner([{ match: /update-grub/, lines: ['Generating grub configuration file ...', 'done'] }]);
    const s = startScenario(SAMPLE_WORKSTATION, { commands: 'chroot', runner: () => runner, rows: 40 });
    await toCmdline(s);
    const f = await applyFromDecide(s);
    expect(f).toContain('✘ Failed and rolled back');
    expect(f).toMatch(/the check after applying\s+failed/);
    expect(f).toContain('update-grub done'); // the pane's history line for the command
    expect(runner.commandLines().some((l) => l.endsWith('update-grub'))).toBe(true);
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(false);
    // the pane keeps its history mounted: moving on after commands ran still draws (regression:
    // unmounting Ink's <Static> ran the next frame out of memory)
    await cmdlineToSummary(s);
    await waitForText(s.screen, 'Nothing applied by vfio-wizard is in effect');
  });

  it('the output pane shows a tail as tall as its third of the screen while a command runs (not just its last line)', async () => {
    // regression: the tail's capacity was fixed when the pane mounted hidden (1 line)
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const lines = Array.from({ length: 40 }, (_, i) => `regen line ${i + 1}`);
    const runner = createRecordingRunner([{ match: /update-grub/, lines, hold, once: true }]);
    const s = startScenario(SAMPLE_WORKSTATION, { commands: 'chroot', runner: () => runner, rows: 30 });
    await toCmdline(s);
    await press(s.screen, KEY.enter);
    await press(s.screen, KEY.enter);
    await press(s.screen, 'y');
    const f = await waitForText(s.screen, 'regen line 40');
    const shown = lines.filter((l) => f.split('\n').some((row) => row.trimEnd() === l));
    // rows 30: the pane gets a third of what the screen leaves, one row of it the command's header
    expect(shown.length).toBeGreaterThanOrEqual(4);
    expect(shown).toEqual(lines.slice(lines.length - shown.length)); // the newest, in order
    expect(f).not.toContain('regen line 1\n');
    // the whole frame stays shorter than the terminal
    expect(f.split('\n').length).toBeLessThan(30);
    release();
    await waitForText(s.screen, 'update-grub done');
  });

  it('Ctrl+C stops the running command (SIGTERM, then SIGKILL) and the step is rolled back', async () => {
    // a real process that ignores SIGTERM stands in for update-grub: only the second Ctrl+C ends it
    // (the rollback's own regeneration afterwards is a quick `true`)
    const real = createRunner({ logDir: null, killGraceMs: 60_000 });
    let calls = 0;
    const stubborn = {
      run: (_argv: string[], opts?: Parameters<typeof real.run>[1]) =>
        real.run(calls++ === 0 ? ['sh', '-c', 'trap "" TERM; echo regenerating; while :; do sleep 0.1; done'] : ['true'], opts),
    };
    const s = startScenario(SAMPLE_WORKSTATION, { commands: 'chroot', runner: () => stubborn, rows: 30 });
    await toCmdline(s);
    await press(s.screen, KEY.enter);
    await press(s.screen, KEY.enter);
    await press(s.screen, 'y');
    let f = await waitForText(s.screen, 'regenerating');
    expect(f).toContain('Ctrl+C stops the running command; twice kills it');
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(true); // written, command running
    // v streams every line into the scrollback instead of the tail, and back
    expect(f).toContain('· v show everything');
    f = await press(s.screen, 'v');
    f = await waitForText(s.screen, '· v tail only');
    f = await press(s.screen, 'v');
    f = await waitForText(s.screen, '· v show everything');
    f = await press(s.screen, KEY.ctrlC);
    f = await waitForText(s.screen, 'Stopping (SIGTERM sent)');
    await new Promise((r) => setTimeout(r, 300));
    expect(s.screen.lastFrame()).not.toContain('■ Interrupted'); // TERM is ignored: still running
    await press(s.screen, KEY.ctrlC);
    f = await waitForText(s.screen, '■ Interrupted', 15_000);
    expect(f).toMatch(/rolled back\s+automatically: what it had changed is\s+as it was/);
    expect(f).toContain('update-grub canceled (SIGKILL)'); // the pane's history: the second Ctrl+C killed it
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(false);
    expect(s.exits).toEqual([]); // Ctrl+C stopped the command, not the wizard
  }, 30_000);
});

describe('undo', () => {
  it('undo this step restores the files', async () => {
    const s = startScenario(SAMPLE_WORKSTATION, { rows: 40 });
    await toCmdline(s);
    await applyFromDecide(s);
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(true);
    let f = await press(s.screen, 'u');
    expect(f).toContain('Undo step cmdline?');
    expect(f).toContain('» [ Cancel ]     [ Undo ]');
    f = await press(s.screen, 'y');
    f = await waitForText(s.screen, '✔ Undone: step cmdline');
    expect(f).toContain('Rolled back: cmdline.');
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(false);
    f = await press(s.screen, KEY.enter);
    await waitForText(s.screen, 'Enter shows exactly what changes'); // planned again from the restored disk
  });

  it('the summary lists applied steps and undoes everything', async () => {
    const s = startScenario(SAMPLE_WORKSTATION, { rows: 40 });
    await toCmdline(s);
    await applyFromDecide(s);
    await cmdlineToSummary(s);
    let f = await waitForText(s.screen, 'Applied by vfio-wizard (newest first):');
    expect(f).toContain('7/7 Summary');
    expect(f).toMatch(/› Kernel command line {2}cmdline · run \S+ · reboot pending/);
    expect(f).toContain(DROPIN);
    // applied under --commands skip: the regeneration is still to run, and the way to do it is named
    expect(f).toMatch(/still to run: update-grub \(vfio-wizard finish runs them;/);
    f = await press(s.screen, 'a');
    expect(f).toContain('Undo everything?');
    f = await press(s.screen, 'y');
    f = await waitForText(s.screen, '✔ Undone: everything');
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(false);
    await press(s.screen, KEY.enter);
    await waitForText(s.screen, 'Nothing applied by vfio-wizard is in effect');
  });

  it('a file changed since shows the three versions and is overwritten only after a second confirm', async () => {
    const s = startScenario(SAMPLE_WORKSTATION, { columns: 160, rows: 40 });
    await toCmdline(s);
    await applyFromDecide(s);
    const file = path.join(s.dir, DROPIN);
    writeFileSync(file, `${readFileSync(file, 'utf8')}# edited by hand\n`);
    await cmdlineToSummary(s);
    await waitForText(s.screen, 'Applied by vfio-wizard');
    await press(s.screen, 'a');
    await press(s.screen, 'y');
    let f = await waitForText(s.screen, 'Not undone: files changed since vfio-wizard wrote them');
    expect(f).toContain(`${DROPIN} (step cmdline) was changed after vfio-wizard wrote it`);
    expect(f).toContain('original: (did not exist)');
    expect(f).toMatch(/ours: +\S+backups\/1\.ours/);
    expect(f).toContain(`now: ${file}`);
    expect(f).toContain('+# edited by hand');
    expect(readFileSync(file, 'utf8')).toContain('# edited by hand'); // not overwritten
    f = await press(s.screen, 'f');
    expect(f).toContain('Overwrite files that were changed since?');
    f = await press(s.screen, KEY.escape);
    expect(existsSync(file)).toBe(true);
    await press(s.screen, 'f');
    await press(s.screen, 'y');
    f = await waitForText(s.screen, '✔ Undone: everything');
    expect(existsSync(file)).toBe(false);
  });
});

describe('without root', () => {
  it('reviews, then says how to re-run as root and changes nothing', async () => {
    const s = startScenario(SAMPLE_WORKSTATION, { uid: 1000, rerunHint: 'sudo vfio-wizard --root /x' });
    await toCmdline(s);
    let f = await press(s.screen, KEY.enter);
    f = await waitForText(s.screen, '1. update-grub');
    f = await waitForText(s.screen, 'Applying needs root');
    expect(f).toMatch(/Re-run: sudo vfio-wizard\s+--root \/x/);
    f = await press(s.screen, KEY.enter);
    expect(f).toContain('the wizard never asks for a password. Nothing was changed.');
    expect(f).toContain('[ Back ]');
    expect(f).not.toContain('[ Apply ]');
    await press(s.screen, 'y');
    expect(existsSync(path.join(s.dir, DROPIN))).toBe(false);
    expect(readStatus(systemRoot(s.dir)).runs).toEqual([]);
  });
});

/** The sample workstation as it boots after the step: intel_iommu=on on /proc/cmdline, DMAR units, groups. */
const AFTER_REBOOT: RootSpec = {
  ...SAMPLE_WORKSTATION,
  id: 'sample-after-reboot',
  cmdline: `${SAMPLE_WORKSTATION.cmdline ?? ''} intel_iommu=on`,
  iommuUnits: ['dmar0', 'dmar1'],
  devices: SAMPLE_WORKSTATION.devices.map((d, i) => ({ ...d, iommuGroup: i })),
};

describe('resume after the reboot', () => {
  async function resumeOn(spec: RootSpec) {
    const dir = fixtureRoot(spec);
    const root = systemRoot(dir);
    const outcome = cmdlineStep.plan(scan(dir).facts, root, { params: ['intel_iommu=on'], noParams: [], replaceConflicts: false });
    const applied = await applyPlan(outcome.plan!, { root, runner: createRecordingRunner(), commands: 'skip', uid: 0 });
    expect(applied.status).toBe('applied');
    const real = createWizardServices({ rootDir: dir, commands: 'skip', rerunHint: 'sudo vfio-wizard', uid: 0 });
    // Under a temp root the journal cannot see a reboot (no boot id changes there): present the
    // real status as it reads on the live system after the reboot and the regeneration.
    const steps = {
      ...real,
      status: (session: Parameters<typeof real.status>[0]) => {
        const st = real.status(session);
        for (const r of st.runs) for (const x of r.steps) Object.assign(x, { rebootPending: false, pendingCommands: [] });
        return st;
      },
    };
    const screen = renderSized(
      <ServicesProvider services={{ steps, commandFeed: real.commandFeed }}>
        <App session={scan(dir)} onExit={() => {}} />
      </ServicesProvider>,
    );
    return { dir, screen, root, runId: applied.runId! };
  }

  it('opens at the check of the pending step, checks /proc/cmdline and the IOMMU, records it', async () => {
    const { screen, root } = await resumeOn(AFTER_REBOOT);
    try {
      let f = await waitForText(screen, 'After the reboot');
      f = await waitForText(screen, 'Recorded in the journal as passed.');
      expect(f).toContain('/proc/cmdline: BOOT_IMAGE=');
      expect(f).toContain('intel_iommu=on');
      expect(f).toMatch(/IOMMU: on, \d+ groups/);
      expect(f).toContain('✔ the kernel booted with the IOMMU on and every parameter the step added');
      expect(f).toContain('added by the step: intel_iommu=on');
      assertFits(f, 80, 24);
      expect(readStatus(root).runs[0]?.steps[0]?.verification).toBe('passed');
      f = await press(screen, KEY.enter);
      expect(f).toContain('4/7 Devices and IOMMU groups'); // on with the step after the verified one
    } finally {
      screen.unmount();
    }
  });

  it('negative control: the IOMMU still off after the reboot fails the check and offers undo', async () => {
    const { screen, root } = await resumeOn(SAMPLE_WORKSTATION);
    try {
      const f = await waitForText(screen, 'Recorded in the journal as failed.');
      expect(f).toContain('✘ the IOMMU is still off after the reboot');
      expect(f).toContain('u undoes this step');
      expect(readStatus(root).runs[0]?.steps[0]?.verification).toBe('failed');
    } finally {
      screen.unmount();
    }
  });
});

describe('layout of the change screens', () => {
  for (const [columns, rows] of [
    [80, 24],
    [60, 20],
  ] as const) {
    it(`decide, review, confirm, result, summary and undo fit ${columns}x${rows}`, async () => {
      const s = startScenario(SAMPLE_WORKSTATION, { columns, rows, demo: true });
      await waitForText(s.screen, 'Welcome');
      await press(s.screen, KEY.enter);
      await press(s.screen, 'n');
      await waitForText(s.screen, 'intel_iommu=on');
      assertFits(s.screen.lastFrame(), columns, rows);
      await press(s.screen, KEY.enter);
      assertFits(await waitForText(s.screen, 'Files (1):'), columns, rows);
      assertFits(await press(s.screen, PAGE_DOWN, { expectChange: false }), columns, rows);
      assertFits(await press(s.screen, KEY.enter), columns, rows);
      await press(s.screen, 'y');
      assertFits(await waitForText(s.screen, '✔ Applied'), columns, rows);
      for (const screen of ['Devices and IOMMU groups', 'Bind to vfio-pci', 'Virtual machine']) {
        await press(s.screen, 'n');
        assertFits(await waitForText(s.screen, screen), columns, rows);
      }
      await press(s.screen, 'n');
      assertFits(await waitForText(s.screen, 'Applied by vfio-wizard'), columns, rows);
      assertFits(await press(s.screen, 'a'), columns, rows);
      await press(s.screen, 'y');
      assertFits(await waitForText(s.screen, '✔ Undone: everything'), columns, rows);
    });
  }
});

describe('a step an earlier run left half done', () => {
  /** the sample workstation with its cmdline step as a kill -9 during the regeneration leaves it, and the wizard on it at that step */
  async function interrupted() {
    const dir = fixtureRoot(SAMPLE_WORKSTATION);
    const root = systemRoot(dir);
    const outcome = cmdlineStep.plan(scan(dir).facts, root, { params: ['intel_iommu=on'], noParams: [], replaceConflicts: false });
    const applied = await applyPlan(outcome.plan!, { root, runner: createRecordingRunner(), commands: 'skip', uid: 0 });
    expect(applied.status).toBe('applied');
    const journalPath = path.join(dir, 'var/lib/vfio-wizard/runs', applied.runId!, 'journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { steps: { state: string }[] };
    journal.steps[0]!.state = 'applying';
    writeFileSync(journalPath, JSON.stringify(journal, null, 2));
    // the wizard on it, at the kernel command line step
    const s = startScenario(dir);
    await waitForText(s.screen, 'Welcome to vfio-wizard');
    await press(s.screen, KEY.enter);
    await press(s.screen, 'n');
    const frame = await waitForText(s.screen, 'what an interrupted run left half done: cmdline');
    expect(frame.replace(/\s+/g, ' ')).toContain(`half done: cmdline (run ${applied.runId}).`);
    return { dir, root, runId: applied.runId!, s, frame };
  }

  it('applying a plan made before the undo: the undo is shown as done, the stale plan is not applied, and nothing claims "nothing was changed"', async () => {
    const { dir, root, runId, s } = await interrupted();
    // iommu=pt on top of the half-written drop-in: a plan that edits it
    await press(s.screen, KEY.down);
    await press(s.screen, KEY.space);
    await waitForText(s.screen, 'Adds: iommu=pt.');
    await press(s.screen, KEY.enter);
    await waitForText(s.screen, 'Files (1):');
    await press(s.screen, KEY.enter);
    await waitForText(s.screen, '[ Cancel ]');
    await press(s.screen, 'y');
    const f = await waitForText(s.screen, '✘ Not applied');
    const text = f.replace(/\s+/g, ' ');
    expect(text).toContain(`Undid step cmdline of run ${runId}, left half-done by an earlier interruption`);
    expect(text).toContain('That undo is the only change made');
    expect(text).not.toContain('Nothing was changed');
    expect(existsSync(path.join(dir, DROPIN))).toBe(false);
    expect(readStatus(root).runs[0]!.steps[0]!.state).toBe('rolled-back');
    // r: decide again, from the disk as it is now; the journal was read again, so no warning
    await press(s.screen, 'r');
    const again = await waitForText(s.screen, 'Adds: intel_iommu=on iommu=pt.');
    expect(again).not.toContain('interrupted run');
  });

  it('is named above the plan and on the summary; undone with u, the step plans again from the disk as it is', async () => {
    const { dir, root, s, frame } = await interrupted();
    let f = frame;
    expect(f).toContain('⚠ Undo first (u here) what an interrupted run left half done');
    expect(f.replace(/\s+/g, ' ')).toContain('A plan here reads the disk as that run left it.');
    expect(f).toContain('u undo this step');
    assertFits(f, 80, 24);
    // the half-written drop-in reads as "already there": exactly why the warning is needed
    expect(existsSync(path.join(dir, DROPIN))).toBe(true);

    // the summary says what happened to the step
    f = await cmdlineToSummary(s);
    expect(f).toMatch(/cmdline · run \S+ · interrupted/);
    expect(f).toContain('An earlier run stopped in the middle of applying this step');
    // back to the step, and undo it there
    for (let i = 0; i < 4; i++) await press(s.screen, 'b');
    await waitForText(s.screen, 'an interrupted run left half done');
    await press(s.screen, 'u');
    await waitForText(s.screen, '[ Cancel ]');
    await press(s.screen, 'y');
    f = await waitForFrame(s.screen, (x) => /Rolled back|rolled back/.test(x));
    await press(s.screen, KEY.enter);
    // the journal read again: no warning, and the step plans from the disk as it is now
    f = await waitForText(s.screen, 'Adds: intel_iommu=on.');
    expect(f).not.toContain('interrupted run');
    expect(existsSync(path.join(dir, DROPIN))).toBe(false);
    expect(readStatus(root).runs[0]!.steps[0]!.state).toBe('rolled-back');
  });
});
