// Crash tests: apply runs in a child process that SIGKILLs itself at the N-th write point (journal
// record, backup, temp write, rename, unlink, command). The number of points comes from the
// engine (VFIO_WIZARD_CRASH_LIST), not from this file. After every kill the original tree must
// come back byte-identically (mode and owner included) — through `rollback` or through the
// POSIX restore.sh run by dash — and a re-run of apply must complete.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlans } from '../../src/apply/apply.js';
import { rollback } from '../../src/apply/rollback.js';
import { readStatus } from '../../src/apply/status.js';
import { systemRoot } from '../../src/host/root.js';
import type { Plan } from '../../src/plan/types.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { buildChild, runChildSync } from './support/child.js';
import { makeRoot, removeRoot, snapshot, type FileSpec } from './support/tree.js';
import { hostArgv } from '../../src/apply/engine-types.js';

/** how a command runs inside a root that is not "/" (chroot with /proc /sys /dev, private mounts) */
const inRoot = (dir: string, command: string) => hostArgv(systemRoot(dir), command.split(' ')).join(' ');

const GRUB = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n';
const TREE: Record<string, FileSpec> = {
  'etc/default/grub': { content: GRUB, mode: 0o644, uid: 0, gid: 0 },
  'etc/initramfs-tools/modules': { content: '# modules\n', mode: 0o640, uid: 0, gid: 4 },
  'etc/modprobe.d/nouveau.conf': { content: 'blacklist nouveau\n', mode: 0o600, uid: 7, gid: 8 },
  // a live setting (as the sharing and live-bind steps write them): no trailing newline, as the engine writes values back
  'sys/bus/pci/devices/0000:02:00.0/sriov_numvfs': { content: '0', mode: 0o644, uid: 0, gid: 0 },
};

const PLANS: Plan[] = [
  {
    stepId: 'isolate',
    title: 'Bind the GPU to vfio-pci at boot',
    needsReboot: true,
    notes: [],
    changes: [
      { kind: 'file', action: 'create', path: '/etc/modprobe.d/vfio/vfio.conf', before: null, after: 'options vfio-pci ids=10de:1b80,10de:10f0\n', why: 'claim the GPU' },
      { kind: 'file', action: 'modify', path: '/etc/initramfs-tools/modules', before: '# modules\n', after: '# modules\nvfio_pci\n', why: 'load early' },
      { kind: 'command', argv: ['update-initramfs', '-u'], why: 'rebuild', phase: 'initramfs', regenerates: 'initramfs' },
    ],
  },
  {
    stepId: 'cmdline',
    title: 'Kernel command line',
    needsReboot: true,
    notes: [],
    changes: [
      { kind: 'file', action: 'modify', path: '/etc/default/grub', before: GRUB, after: GRUB.replace('splash', 'splash intel_iommu=on'), mode: 0o600, why: 'iommu' },
      { kind: 'file', action: 'delete', path: '/etc/modprobe.d/nouveau.conf', before: 'blacklist nouveau\n', after: null, why: 'obsolete' },
      { kind: 'command', argv: ['update-grub'], why: 'regenerate', phase: 'bootloader', regenerates: 'bootloader' },
    ],
  },
  {
    stepId: 'sriov',
    title: 'Virtual functions',
    needsReboot: false,
    notes: [],
    changes: [{ kind: 'sysfs', path: '/sys/bus/pci/devices/0000:02:00.0/sriov_numvfs', value: '4', previous: '0', why: 'four VFs' }],
  },
];

let script = '';
const roots: string[] = [];
beforeAll(async () => {
  script = await buildChild();
});
afterAll(() => {
  for (const r of roots) removeRoot(r);
  rmSync(path.dirname(script), { recursive: true, force: true });
});

function freshRoot(): string {
  const dir = makeRoot(TREE, 'vfio-crash-');
  roots.push(dir);
  return dir;
}

function runDirs(dir: string): string[] {
  const runs = path.join(dir, 'var/lib/vfio-wizard/runs');
  return existsSync(runs) ? readdirSync(runs).sort().map((r) => path.join(runs, r)) : [];
}

describe('SIGKILL at every write point of apply', () => {
  it('rollback (or restore.sh) restores the original tree, and apply then completes', async () => {
    const original = snapshot(freshRoot());

    // 1. the engine enumerates its own write points on a clean run
    const listDir = mkdtempSync(path.join(os.tmpdir(), 'vfio-crash-list-'));
    const listFile = path.join(listDir, 'points.txt');
    const ref = freshRoot();
    const clean = runChildSync(script, { op: 'apply', root: ref, plans: PLANS }, { VFIO_WIZARD_CRASH_LIST: listFile });
    expect(clean.code, clean.stderr + clean.stdout).toBe(0);
    const points = readFileSync(listFile, 'utf8').trim().split('\n').map((l) => l.split('\t')[1] as string);
    rmSync(listDir, { recursive: true, force: true });
    const applied = snapshot(ref);
    expect(applied).not.toEqual(original); // negative control: apply changes the tree
    const kinds = new Set(points.map((p) => p.replace(/[#\s]?\d+/g, '')));
    for (const k of ['journal:temp', 'journal:rename', 'backup:temp', 'backup:rename', 'file:temp', 'file:rename', 'file:unlink', 'command:running', 'command', 'sysfs', 'restore.sh']) {
      expect(kinds, `write point kind ${k}`).toContain(k);
    }
    console.log(`crash test: ${points.length} write points — ${[...kinds].join(', ')}`);

    let viaScript = 0;
    let viaRecovery = 0;
    let changedAtKill = 0;
    for (let n = 1; n <= points.length; n++) {
      const dir = freshRoot();
      const killed = runChildSync(script, { op: 'apply', root: dir, plans: PLANS }, { VFIO_WIZARD_CRASH_AT: String(n) });
      expect(killed.signal, `point ${n} (${points[n - 1]}) should kill the child`).toBe('SIGKILL');
      const root = systemRoot(dir);
      if (JSON.stringify(snapshot(dir)) !== JSON.stringify(original)) changedAtKill++;
      if (n % 3 === 0) {
        // the rescue path: dash runs restore.sh of every run, newest first, without Node
        for (const run of runDirs(dir).reverse()) {
          if (!existsSync(path.join(run, 'restore.sh'))) continue;
          execFileSync('dash', [path.join(run, 'restore.sh'), dir], { env: { ...process.env, NO_COMMANDS: '1' }, stdio: 'pipe' });
        }
        viaScript++;
        // restore.sh on a root other than "/" leaves live settings alone (they mean nothing on a
        // mounted disk); everything else must be back
        const withoutSys = (t: ReturnType<typeof snapshot>) => Object.fromEntries(Object.entries(t).filter(([k]) => !k.startsWith('sys')));
        expect(withoutSys(snapshot(dir)), `after restore.sh at point ${n} (${points[n - 1]})`).toEqual(withoutSys(original));
        // (on a mounted disk the sysfs file would not exist at all: the fixture's is reset by hand
        // so the re-apply below starts from the same tree as the other modes)
        writeFileSync(path.join(dir, 'sys/bus/pci/devices/0000:02:00.0/sriov_numvfs'), '0');
      } else if (n % 3 === 1) {
        const rb = await rollback({ all: true }, { root, runner: createRecordingRunner() });
        expect(['rolled-back', 'nothing'], `rollback at point ${n}: ${rb.message}`).toContain(rb.status);
        expect(snapshot(dir), `after rollback at point ${n} (${points[n - 1]})`).toEqual(original);
      } else {
        // no explicit rollback: the next apply finds the interrupted step and undoes it first
        viaRecovery++;
      }
      // steps that completed before the kill stay applied; the re-run applies the rest
      const done = new Set(readStatus(root).runs.flatMap((r) => r.steps.filter((st) => st.state === 'applied').map((st) => st.id)));
      if (n % 3 !== 2) expect(done.size, `nothing stays applied after a full rollback (point ${n})`).toBe(0);
      const again = await applyPlans(PLANS.filter((p) => !done.has(p.stepId)), { root, runner: createRecordingRunner() });
      expect(again.status, `re-apply after point ${n}: ${again.message}`).toBe('applied');
      expect(snapshot(dir), `re-applied tree after point ${n}`).toEqual(applied);
      // whichever way it was recovered, everything applied now undoes to the original tree
      const all = await rollback({ all: true }, { root, runner: createRecordingRunner() });
      expect(all.status, `final rollback after point ${n}: ${all.message}`).toBe('rolled-back');
      expect(snapshot(dir), `original tree after the final rollback (point ${n})`).toEqual(original);
      removeRoot(dir);
    }
    console.log(
      `crash test: ${points.length} kills (${changedAtKill} left the tree half-changed); restored by rollback (${points.length - viaScript - viaRecovery}), by restore.sh under dash (${viaScript}) or by recovery in the next apply (${viaRecovery})`,
    );
    // negative control: most kills really happen mid-change, so restoring is not a no-op
    expect(changedAtKill).toBeGreaterThan(points.length / 2);
  }, 300_000);
});

describe('SIGKILL at every write point of rollback', () => {
  it('a second rollback finishes the job and the original tree comes back', async () => {
    const original = snapshot(freshRoot());
    const listDir = mkdtempSync(path.join(os.tmpdir(), 'vfio-crash-list-'));
    const listFile = path.join(listDir, 'points.txt');
    const ref = freshRoot();
    expect((await applyPlans(PLANS, { root: systemRoot(ref), runner: createRecordingRunner() })).status).toBe('applied');
    const clean = runChildSync(script, { op: 'rollback-all', root: ref, plans: [] }, { VFIO_WIZARD_CRASH_LIST: listFile });
    expect(clean.code, clean.stderr + clean.stdout).toBe(0);
    expect(snapshot(ref)).toEqual(original);
    const points = readFileSync(listFile, 'utf8').trim().split('\n').map((l) => l.split('\t')[1] as string);
    rmSync(listDir, { recursive: true, force: true });
    expect(points.some((p) => p.startsWith('restore'))).toBe(true);
    expect(points.some((p) => p.startsWith('remove'))).toBe(true);
    let finishedBeforeKill = 0;
    for (let n = 1; n <= points.length; n++) {
      const dir = freshRoot();
      const root = systemRoot(dir);
      await applyPlans(PLANS, { root, runner: createRecordingRunner() });
      const killed = runChildSync(script, { op: 'rollback-all', root: dir, plans: [] }, { VFIO_WIZARD_CRASH_AT: String(n) });
      expect(killed.signal, `rollback point ${n} (${points[n - 1]})`).toBe('SIGKILL');
      const runner = createRecordingRunner();
      const rb = await rollback({ all: true }, { root, runner });
      expect(['rolled-back', 'nothing'], `second rollback after point ${n}: ${rb.message}`).toContain(rb.status);
      if (rb.status === 'nothing') finishedBeforeKill++;
      // whatever the first rollback got to, the regenerations are never lost
      else expect(runner.commandLines(), `regenerations after point ${n}`).toEqual([inRoot(dir, 'update-initramfs -u'), inRoot(dir, 'update-grub')]);
      expect(snapshot(dir), `after rollback point ${n} (${points[n - 1]})`).toEqual(original);
      removeRoot(dir);
    }
    console.log(`crash test: ${points.length} write points in rollback, each killed and finished by a second rollback (${finishedBeforeKill} killed after the last record)`);
    // only the points after the final journal record (its rename and restore.sh) find nothing left to do
    expect(finishedBeforeKill).toBeLessThanOrEqual(2);
  }, 300_000);
});
