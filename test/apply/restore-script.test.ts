// restore.sh is run by dash with a PATH holding only coreutils (and chroot): it must restore the
// tree without Node, check checksums, honour ROOT, and be safe to run twice.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlans } from '../../src/apply/apply.js';
import { parseNotRun } from '../../src/apply/journal.js';
import { readStatus } from '../../src/apply/status.js';
import { systemRoot } from '../../src/host/root.js';
import type { Plan } from '../../src/plan/types.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { makeRoot, removeRoot, snapshot } from './support/tree.js';

const COREUTILS = ['cp', 'mv', 'rm', 'chmod', 'chown', 'sha256sum', 'stat', 'cut', 'dirname', 'basename', 'mkdir', 'rmdir', 'sync', 'chroot'];
const cleanup: string[] = [];
afterEach(() => {
  while (cleanup.length) removeRoot(cleanup.pop() as string);
});

/** A PATH with nothing but the coreutils restore.sh may use. */
function coreutilsOnlyPath(): string {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'vfio-coreutils-'));
  cleanup.push(bin);
  for (const tool of COREUTILS) {
    const where = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(where, path.join(bin, tool));
  }
  return bin;
}

const plans = (grub: string): Plan[] => [
  {
    stepId: 'isolate',
    title: "vfio-pci's options",
    needsReboot: true,
    notes: [],
    changes: [
      { kind: 'file', action: 'create', path: '/etc/modprobe.d/new dir/vfio.conf', before: null, after: "options vfio-pci ids=1002:67df # it's ours\n", why: 'w' },
      { kind: 'command', argv: ['update-initramfs', '-u', '-k', 'all'], why: 'w', phase: 'initramfs', regenerates: 'initramfs' },
    ],
  },
  {
    stepId: 'cmdline',
    title: 'cmdline',
    needsReboot: true,
    notes: [],
    changes: [
      { kind: 'file', action: 'modify', path: '/etc/default/grub', before: grub, after: `${grub}GRUB_CMDLINE_LINUX="amd_iommu=on"\n`, mode: 0o600, why: 'w' },
      { kind: 'file', action: 'delete', path: '/etc/modprobe.d/old.conf', before: 'x\n', after: null, why: 'w' },
      { kind: 'command', argv: ['update-grub'], why: 'w', phase: 'bootloader', regenerates: 'bootloader' },
    ],
  },
];

describe('restore.sh under dash', () => {
  it('restores the tree with coreutils only, lists the regeneration commands, marks the steps undone, and is idempotent', async () => {
    const grub = 'GRUB_DEFAULT=0\n';
    const dir = makeRoot({
      'etc/default/grub': { content: grub, mode: 0o644, uid: 0, gid: 0 },
      'etc/modprobe.d/old.conf': { content: 'x\n', mode: 0o640, uid: 3, gid: 4 },
    });
    cleanup.push(dir);
    const before = snapshot(dir);
    const res = await applyPlans(plans(grub), { root: systemRoot(dir), runner: createRecordingRunner() });
    expect(res.status).toBe('applied');
    expect(snapshot(dir)).not.toEqual(before);
    const scriptPath = res.restoreScript as string;
    const env = { PATH: coreutilsOnlyPath(), NO_COMMANDS: '1' };
    const r = spawnSync('/usr/bin/dash', [scriptPath, dir], { env, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    expect(r.stdout).toContain('restored: /etc/default/grub');
    expect(r.stdout).toContain('removed: /etc/modprobe.d/new dir/vfio.conf');
    // initramfs first, then the boot loader, each once
    const cmds = r.stdout.split('\n').filter((l) => l.startsWith('not run'));
    expect(cmds).toEqual(['not run (NO_COMMANDS=1): update-initramfs -u -k all', 'not run (NO_COMMANDS=1): update-grub']);
    expect(readStatus(systemRoot(dir)).runs[0]!.steps.map((s) => s.state)).toEqual(['rolled-back', 'rolled-back']);
    // what it only listed stays to do: status shows it (once each), and the script says so
    expect(readStatus(systemRoot(dir)).pending.commands).toEqual([['update-initramfs', '-u', '-k', 'all'], ['update-grub']]);
    expect(r.stdout).toMatch(/restore\.sh: done, but the commands listed as not run are still to do/);

    const again = spawnSync('/usr/bin/dash', [scriptPath, dir], { env, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a command it only lists keeps an argument with spaces whole in what status shows as still to run', async () => {
    const dir = makeRoot({ 'etc/a.conf': 'a\n' });
    cleanup.push(dir);
    const argv = ['grub2-mkconfig', '-o', "/boot/efi/EFI/my os/grub.cfg", "it's"];
    const res = await applyPlans(
      [
        {
          stepId: 'x',
          title: 'x',
          needsReboot: true,
          notes: [],
          changes: [
            { kind: 'file', action: 'modify', path: '/etc/a.conf', before: 'a\n', after: 'b\n', why: 'w' },
            { kind: 'command', argv, why: 'w', phase: 'bootloader', regenerates: 'bootloader' },
          ],
        },
      ],
      { root: systemRoot(dir), runner: createRecordingRunner() },
    );
    const r = spawnSync('/usr/bin/dash', [res.restoreScript as string, dir], { env: { PATH: coreutilsOnlyPath(), NO_COMMANDS: '1' }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readStatus(systemRoot(dir)).pending.commands).toEqual([argv]);
  });

  it('reads the list of an older restore.sh, which joined the arguments with spaces', () => {
    expect(parseNotRun('update-initramfs -u -k all\nupdate-grub\n')).toEqual([['update-initramfs', '-u', '-k', 'all'], ['update-grub']]);
    expect(parseNotRun('a\u001fb c\u001f\u001f\n')).toEqual([['a', 'b c', '']]);
  });

  it('exit 4 (a drifted file) wins over a failure that comes after it; a drifted file it created says there was no original', async () => {
    const grub = 'GRUB_DEFAULT=0\n';
    const setup = async () => {
      const dir = makeRoot({ 'etc/default/grub': grub, 'etc/modprobe.d/old.conf': 'x\n' });
      cleanup.push(dir);
      const res = await applyPlans(plans(grub), { root: systemRoot(dir), runner: createRecordingRunner() });
      return { dir, script: res.restoreScript as string, runDir: path.dirname(res.restoreScript as string) };
    };
    const run = (script: string, dir: string) => spawnSync('dash', [script, dir], { env: { ...process.env, NO_COMMANDS: '1' }, encoding: 'utf8' });
    // undone in this order: old.conf, recreated by hand since (drift), then grub, whose backup is damaged (a failure)
    const a = await setup();
    writeFileSync(path.join(a.dir, 'etc/modprobe.d/old.conf'), 'recreated\n');
    writeFileSync(path.join(a.runDir, 'backups/3.orig'), 'tampered\n');
    const r = run(a.script, a.dir);
    expect(r.stderr).toMatch(/DRIFT: \/etc\/modprobe\.d\/old\.conf[\s\S]*does not match its checksum/);
    expect(r.status, r.stderr).toBe(4);
    // the file vfio-wizard created, edited by hand: no "original" to point at
    const b = await setup();
    writeFileSync(path.join(b.dir, 'etc/modprobe.d/new dir/vfio.conf'), 'edited by hand\n');
    const r2 = run(b.script, b.dir);
    expect(r2.status).toBe(4);
    expect(r2.stderr).toContain('DRIFT: /etc/modprobe.d/new dir/vfio.conf changed after vfio-wizard wrote it; left as it is. It did not exist before vfio-wizard created it.');
  });

  it('one drifted file: nothing is touched — not the other files, not the regeneration — until FORCE=1', async () => {
    const grub = 'GRUB_DEFAULT=0\n';
    const dir = makeRoot({ 'etc/default/grub': grub, 'etc/modprobe.d/old.conf': 'x\n' });
    cleanup.push(dir);
    const res = await applyPlans(plans(grub), { root: systemRoot(dir), runner: createRecordingRunner() });
    // the newest change (old.conf deleted) is fine; an older one (the file isolate created) was edited
    writeFileSync(path.join(dir, 'etc/modprobe.d/new dir/vfio.conf'), 'edited by hand\n');
    const before = snapshot(dir);
    // without NO_COMMANDS: a regeneration that ran would show in its output
    const r = spawnSync('/usr/bin/dash', [res.restoreScript as string, dir], { env: { PATH: coreutilsOnlyPath() }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr).toContain('DRIFT: /etc/modprobe.d/new dir/vfio.conf');
    expect(r.stderr).toContain('restore.sh: nothing was changed (see above)');
    expect(r.stdout).not.toMatch(/^(?:restored|removed|running):/m);
    expect(snapshot(dir)).toEqual(before);
    // FORCE=1: the edit is kept next to the backups, and everything is undone
    const f = spawnSync('/usr/bin/dash', [res.restoreScript as string, dir], { env: { PATH: coreutilsOnlyPath(), FORCE: '1', NO_COMMANDS: '1' }, encoding: 'utf8' });
    expect(f.status, f.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'etc/modprobe.d/old.conf'), 'utf8')).toBe('x\n');
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(grub);
  });

  it('refuses a damaged backup instead of restoring garbage (negative control)', async () => {
    const grub = 'GRUB_DEFAULT=0\n';
    const dir = makeRoot({ 'etc/default/grub': grub, 'etc/modprobe.d/old.conf': 'x\n' });
    cleanup.push(dir);
    const res = await applyPlans(plans(grub), { root: systemRoot(dir), runner: createRecordingRunner() });
    const runDir = path.dirname(res.restoreScript as string);
    writeFileSync(path.join(runDir, 'backups/3.orig'), 'tampered\n');
    const r = spawnSync('dash', [res.restoreScript as string, dir], { env: { ...process.env, NO_COMMANDS: '1' }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('does not match its checksum');
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toContain('amd_iommu=on');
  });

  it('works from a rescue system: ROOT=/mnt-style path with a trailing slash, commands through chroot', async () => {
    const dir = makeRoot({ 'etc/a.conf': 'a\n' });
    cleanup.push(dir);
    mkdirSync(path.join(dir, 'bin'));
    // a tiny "update-grub" inside the root that leaves a trace, run through the real chroot
    writeFileSync(path.join(dir, 'bin/busybox'), readFileSync('/bin/busybox'), { mode: 0o755 });
    symlinkSync('busybox', path.join(dir, 'bin/sh'));
    symlinkSync('busybox', path.join(dir, 'bin/touch'));
    const res = await applyPlans(
      [
        {
          stepId: 'x',
          title: 'x',
          needsReboot: false,
          notes: [],
          changes: [
            { kind: 'file', action: 'modify', path: '/etc/a.conf', before: 'a\n', after: 'b\n', why: 'w' },
            { kind: 'command', argv: ['touch', '/regenerated'], why: 'w', phase: 'bootloader', regenerates: 'bootloader' },
          ],
        },
      ],
      { root: systemRoot(dir), runner: createRecordingRunner() },
    );
    const r = spawnSync('dash', [res.restoreScript as string, `${dir}/`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(dir, 'etc/a.conf'), 'utf8')).toBe('a\n');
    expect(readFileSync(path.join(dir, 'regenerated'), 'utf8')).toBe('');
    rmSync(path.join(dir, 'regenerated'));
  });
});

describe('restore.sh and a vfio-wizard at work', () => {
  const startTicks = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  };
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

  /** a tree with the two sample steps applied: the tree before, the lock's path, and restore.sh under dash */
  async function appliedTree() {
    const grub = 'GRUB_DEFAULT=0\n';
    const dir = makeRoot({ 'etc/default/grub': { content: grub, mode: 0o644, uid: 0, gid: 0 }, 'etc/modprobe.d/old.conf': { content: 'x\n', mode: 0o640, uid: 3, gid: 4 } });
    cleanup.push(dir);
    const before = snapshot(dir);
    const res = await applyPlans(plans(grub), { root: systemRoot(dir), runner: createRecordingRunner() });
    expect(res.status).toBe('applied');
    const sh = () => spawnSync('/usr/bin/dash', [res.restoreScript as string, dir], { env: { PATH: coreutilsOnlyPath(), NO_COMMANDS: '1' }, encoding: 'utf8' });
    return { dir, before, lock: path.join(dir, 'var/lib/vfio-wizard/lock'), sh };
  }

  it('refuses (exit 6, nothing changed) while the lock names a live holder of this boot or its running command, and goes ahead for a dead, reused, or other-boot holder', async () => {
    const { dir, before, lock, sh } = await appliedTree();
    const applied = snapshot(dir);
    // a live process holding it, in its own process group (as the engine's commands run)
    const live = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    await new Promise((r) => live.once('spawn', r));
    const pid = live.pid!;
    const holder = { pid, startTicks: startTicks(pid), bootId, startedAt: 'x', command: 'apply' };
    try {
      for (const [what, info, refused] of [
        ['live holder', holder, 'pid'],
        ['holder stopped, its command still running', { ...holder, pid: 2 ** 22 + 3, child: { pgid: pid, name: 'update-grub' } }, 'process group'],
        ['pid reused', { ...holder, startTicks: '1' }, null],
        ['written under another boot', { ...holder, bootId: '00000000-0000-0000-0000-000000000000' }, null],
      ] as const) {
        writeFileSync(lock, JSON.stringify(info));
        const r = sh();
        if (refused) {
          expect(r.status, `${what}: ${r.stderr}`).toBe(6);
          expect(r.stderr).toContain(`vfio-wizard is at work on this system (${refused} ${pid} holds`);
          expect(r.stderr).toContain('Nothing was changed.');
          expect(snapshot(dir), what).toEqual(applied);
        } else {
          // not held: it goes ahead (the first such run restores the tree, the next finds it restored)
          expect(r.status, `${what}: ${r.stderr}`).toBe(0);
          expect(snapshot(dir), what).toEqual(before);
        }
      }
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  });

  it('a holder that died goes ahead (the lock a kill -9 left)', async () => {
    const { dir, before, lock, sh } = await appliedTree();
    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 5, startTicks: '7', bootId, startedAt: 'x', command: 'apply', child: null }));
    const r = sh();
    expect(r.status, r.stderr).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('restore.sh and SELinux labels', () => {
  it('a file whose original had a label gets a relabel line; under another ROOT it is left to the next boot', async () => {
    const { restoreScript } = await import('../../src/apply/restore-script.js');
    const grub = 'GRUB_DEFAULT=0\n';
    const dir = makeRoot({ 'etc/default/grub': { content: grub, mode: 0o644, uid: 0, gid: 0 }, 'etc/modprobe.d/old.conf': 'x\n' });
    cleanup.push(dir);
    const res = await applyPlans(plans(grub), { root: systemRoot(dir), runner: createRecordingRunner(), commands: 'skip' });
    const runDir = path.join(dir, 'var/lib/vfio-wizard/runs', res.runId as string);
    const journal = JSON.parse(readFileSync(path.join(runDir, 'journal.json'), 'utf8'));
    const entry = journal.steps[1].entries.find((e: { path?: string }) => e.path === '/etc/default/grub');
    entry.original.selinux = 'system_u:object_r:etc_t:s0';
    const script = restoreScript(journal);
    expect(script).toContain("relabel /etc/default/grub system_u:object_r:etc_t:s0");
    writeFileSync(path.join(runDir, 'restore.sh'), script);
    const r = spawnSync('dash', [path.join(runDir, 'restore.sh'), dir], { env: { ...process.env, NO_COMMANDS: '1' }, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("label left to the next boot's relabelling: /etc/default/grub (system_u:object_r:etc_t:s0)");
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(grub);
  });
});
