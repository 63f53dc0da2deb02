import { execFileSync } from 'node:child_process';
import { mkdtempSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlan, applyPlans } from '../../src/apply/apply.js';
import { loadRun, listRunIds } from '../../src/apply/journal.js';
import { rollback } from '../../src/apply/rollback.js';
import { ExitCode, UserError } from '../../src/exit-codes.js';
import { systemRoot } from '../../src/host/root.js';
import type { Plan } from '../../src/plan/types.js';
import { createRecordingRunner } from '../../src/run/recording-runner.js';
import { makeRoot, removeRoot, snapshot } from './support/tree.js';
import { hostArgv } from '../../src/apply/engine-types.js';

/** how a command runs inside a root that is not "/" (chroot with /proc /sys /dev, private mounts) */
const inRoot = (dir: string, command: string) => hostArgv(systemRoot(dir), command.split(' ')).join(' ');

const GRUB_BEFORE = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n';
const GRUB_AFTER = 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on iommu=pt"\n';

const cmdlinePlan = (): Plan => ({
  stepId: 'cmdline',
  title: 'Kernel command line',
  needsReboot: true,
  notes: [],
  changes: [
    { kind: 'command', argv: ['update-grub'], why: 'regenerate grub.cfg', phase: 'bootloader', regenerates: 'bootloader' },
    { kind: 'file', action: 'modify', path: '/etc/default/grub', before: GRUB_BEFORE, after: GRUB_AFTER, why: 'enable the IOMMU' },
    { kind: 'command', argv: ['update-initramfs', '-u', '-k', 'all'], why: 'rebuild initramfs', phase: 'initramfs', regenerates: 'initramfs' },
    { kind: 'file', action: 'create', path: '/etc/modprobe.d/vfio.conf', before: null, after: 'options vfio-pci ids=10de:1b80\n', mode: 0o640, why: 'bind vfio-pci' },
    { kind: 'file', action: 'delete', path: '/etc/modprobe.d/old.conf', before: 'blacklist nouveau\n', after: null, why: 'obsolete' },
  ],
});

const roots: string[] = [];
afterEach(() => {
  while (roots.length) removeRoot(roots.pop() as string);
});

function fixture(): string {
  const dir = makeRoot({
    'etc/default/grub': { content: GRUB_BEFORE, mode: 0o644, uid: 0, gid: 0 },
    'etc/modprobe.d/old.conf': { content: 'blacklist nouveau\n', mode: 0o600, uid: 12, gid: 34 },
  });
  roots.push(dir);
  return dir;
}

describe('applyPlan / rollback on a fixture root', () => {
  it('applies in the order files → initramfs → bootloader, journals, then rolls back byte-identically', async () => {
    const dir = fixture();
    const root = systemRoot(dir);
    const before = snapshot(dir);
    const runner = createRecordingRunner();
    const res = await applyPlan(cmdlinePlan(), { root, runner });
    expect(res.status).toBe('applied');
    expect(res.exitCode).toBe(ExitCode.ok);
    expect(res.needsReboot).toBe(true);
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(GRUB_AFTER);
    expect(statSync(path.join(dir, 'etc/modprobe.d/vfio.conf')).mode & 0o777).toBe(0o640);
    expect(existsSync(path.join(dir, 'etc/modprobe.d/old.conf'))).toBe(false);
    // commands run inside the root through chroot, initramfs before the boot loader
    expect(runner.commandLines()).toEqual([inRoot(dir, 'update-initramfs -u -k all'), inRoot(dir, 'update-grub')]);

    const run = loadRun(root, res.runId as string);
    expect(run.journal.format).toBe('vfio-wizard-journal');
    expect(run.journal.version).toBe(1);
    const kinds = run.journal.steps[0]!.entries.map((e) => `${e.kind}:${e.state}`);
    expect(kinds).toEqual(['file:done', 'file:done', 'file:done', 'command:done', 'command:done']);
    expect(readdirSync(run.dir).sort()).toEqual(['README.txt', 'backups', 'journal.json', 'restore.sh']);

    const rb = await rollback({ all: true }, { root, runner });
    expect(rb.status).toBe('rolled-back');
    expect(snapshot(dir)).toEqual(before);
    // the regeneration commands ran again so the restored files take effect
    expect(runner.commandLines().slice(2)).toEqual([inRoot(dir, 'update-initramfs -u -k all'), inRoot(dir, 'update-grub')]);
    expect(loadRun(root, res.runId as string).journal.steps[0]!.state).toBe('rolled-back');
    // rolling back again finds nothing
    expect((await rollback({ all: true }, { root, runner })).status).toBe('nothing');
  });

  it('a failing command rolls the current step back; earlier steps stay applied and undoable', async () => {
    const dir = fixture();
    const root = systemRoot(dir);
    const runner = createRecordingRunner([{ match: /update-grub/, exitCode: 1, lines: ['grub-mkconfig: syntax error in /etc/default/grub'] }]);
    const first: Plan = {
      stepId: 'isolate',
      title: 'vfio-pci options',
      needsReboot: true,
      notes: [],
      changes: [{ kind: 'file', action: 'create', path: '/etc/modprobe.d/vfio.conf', before: null, after: 'x\n', why: 'w' }],
    };
    const second: Plan = {
      stepId: 'cmdline',
      title: 'cmdline',
      needsReboot: true,
      notes: [],
      changes: [
        { kind: 'file', action: 'modify', path: '/etc/default/grub', before: GRUB_BEFORE, after: GRUB_AFTER, why: 'w' },
        { kind: 'command', argv: ['update-grub'], why: 'w', phase: 'bootloader', regenerates: 'bootloader' },
      ],
    };
    const res = await applyPlans([first, second], { root, runner });
    expect(res.status).toBe('rolled-back');
    expect(res.exitCode).toBe(ExitCode.failed);
    expect(res.message).toContain('update-grub exited with status 1');
    expect(res.message).toContain('syntax error');
    expect(res.message).toContain('steps before it stay applied');
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe(GRUB_BEFORE);
    expect(readFileSync(path.join(dir, 'etc/modprobe.d/vfio.conf'), 'utf8')).toBe('x\n');
    expect(res.steps.map((s) => `${s.id}:${s.state}`)).toEqual(['isolate:applied', 'cmdline:rolled-back']);
    // the failed update-grub left grub.cfg untouched, so it is not re-run
    expect(runner.commandLines()).toEqual([inRoot(dir, 'update-grub')]);
    const rb = await rollback({ stepId: 'isolate' }, { root, runner: createRecordingRunner() });
    expect(rb.status).toBe('rolled-back');
    expect(existsSync(path.join(dir, 'etc/modprobe.d/vfio.conf'))).toBe(false);
  });

  it('--commands skip lists the commands as pending instead of running them', async () => {
    const dir = fixture();
    const runner = createRecordingRunner();
    const res = await applyPlan(cmdlinePlan(), { root: systemRoot(dir), runner, commands: 'skip' });
    expect(res.status).toBe('applied');
    expect(runner.calls).toHaveLength(0);
    expect(res.pendingCommands).toEqual([['update-initramfs', '-u', '-k', 'all'], ['update-grub']]);
    expect(res.message).toContain('update-initramfs -u -k all; update-grub');
  });

  it('writes through a symlinked target deliberately and keeps the link', async () => {
    const dir = fixture();
    mkdirSync(path.join(dir, 'usr/share/grub'), { recursive: true });
    writeFileSync(path.join(dir, 'usr/share/grub/default'), GRUB_BEFORE);
    removeRoot(path.join(dir, 'etc/default/grub'));
    // an absolute link: it points at /usr/share/grub/default of the ROOT, not of this machine
    symlinkSync('/usr/share/grub/default', path.join(dir, 'etc/default/grub'));
    const before = snapshot(dir);
    const root = systemRoot(dir);
    const res = await applyPlan(cmdlinePlan(), { root, runner: createRecordingRunner() });
    expect(res.status).toBe('applied');
    expect(lstatSync(path.join(dir, 'etc/default/grub')).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(dir, 'usr/share/grub/default'), 'utf8')).toBe(GRUB_AFTER);
    const entry = loadRun(root, res.runId as string).journal.steps[0]!.entries[0]!;
    expect(entry).toMatchObject({ path: '/etc/default/grub', target: '/usr/share/grub/default' });
    await rollback({ all: true }, { root, runner: createRecordingRunner() });
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a symlink planted in the journal directory and changes nothing', async () => {
    const dir = fixture();
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'vfio-elsewhere-'));
    roots.push(elsewhere);
    mkdirSync(path.join(dir, 'var/lib'), { recursive: true });
    symlinkSync(elsewhere, path.join(dir, 'var/lib/vfio-wizard'));
    const before = snapshot(dir, []);
    const err = await applyPlan(cmdlinePlan(), { root: systemRoot(dir), runner: createRecordingRunner() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(ExitCode.journalCorrupt);
    expect((err as UserError).message).toContain('symbolic link');
    expect(snapshot(dir, [])).toEqual(before);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses a symlink planted as the backups directory of a run: a forced rollback writes nothing through it', async () => {
    const dir = fixture();
    const root = systemRoot(dir);
    const onlyGrub: Plan = { ...cmdlinePlan(), changes: cmdlinePlan().changes.filter((c) => c.kind === 'file' && c.path === '/etc/default/grub') };
    const res = await applyPlan(onlyGrub, { root, runner: createRecordingRunner() });
    const runDir = path.join(dir, 'var/lib/vfio-wizard/runs', res.runId as string);
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'vfio-elsewhere-'));
    roots.push(elsewhere);
    for (const f of readdirSync(path.join(runDir, 'backups'))) writeFileSync(path.join(elsewhere, f), readFileSync(path.join(runDir, 'backups', f)));
    rmSync(path.join(runDir, 'backups'), { recursive: true });
    symlinkSync(elsewhere, path.join(runDir, 'backups'));
    const planted = readdirSync(elsewhere).sort();
    // the file changed since: --force would keep the current version next to the backups
    writeFileSync(path.join(dir, 'etc/default/grub'), 'edited by hand\n');
    const r = await rollback({ all: true }, { root, runner: createRecordingRunner(), force: true }).catch((e: unknown) => e);
    const text = r instanceof UserError ? `${r.message}` : JSON.stringify(r);
    expect(text).toContain('symbolic link');
    expect(readdirSync(elsewhere).sort()).toEqual(planted);
    expect(readFileSync(path.join(dir, 'etc/default/grub'), 'utf8')).toBe('edited by hand\n');
  });

  it('refuses a stale plan (the file changed since planning) before touching anything', async () => {
    const dir = fixture();
    writeFileSync(path.join(dir, 'etc/default/grub'), 'GRUB_DEFAULT=saved\n');
    const before = snapshot(dir);
    const err = await applyPlan(cmdlinePlan(), { root: systemRoot(dir), runner: createRecordingRunner() }).catch((e: unknown) => e);
    expect((err as UserError).exitCode).toBe(ExitCode.checkFailed);
    expect((err as UserError).message).toContain('/etc/default/grub changed since the plan was made');
    expect(snapshot(dir)).toEqual(before);
  });

  it('without root: apply says how to re-run, --dry-run works and writes nothing', async () => {
    const dir = fixture();
    const before = snapshot(dir, []);
    const err = await applyPlan(cmdlinePlan(), { root: systemRoot(dir), runner: createRecordingRunner(), uid: 1000, rerunHint: 'sudo vfio-wizard apply' }).catch(
      (e: unknown) => e,
    );
    expect((err as UserError).exitCode).toBe(ExitCode.needsRoot);
    expect((err as UserError).remedy).toBe('Run it again as root: sudo vfio-wizard apply');
    const runner = createRecordingRunner();
    const dry = await applyPlan(cmdlinePlan(), { root: systemRoot(dir), runner, uid: 1000, dryRun: true });
    expect(dry.status).toBe('dry-run');
    expect(dry.pendingCommands).toEqual([['update-initramfs', '-u', '-k', 'all'], ['update-grub']]);
    // the recording runner got each command exactly as apply would run it: inside the root
    expect(runner.calls.map((c) => c.argv.slice(-4).join(' '))).toEqual(['update-initramfs -u -k all', expect.stringMatching(/ update-grub$/)]);
    expect(runner.calls.every((c) => c.argv[0] === 'unshare' && c.argv.includes(dir))).toBe(true);
    expect(snapshot(dir, [])).toEqual(before);
    const rbErr = await rollback({ all: true }, { root: systemRoot(dir), runner, uid: 1000 }).catch((e: unknown) => e);
    expect((rbErr as UserError).exitCode).toBe(ExitCode.needsRoot);
  });

  it('sysfs writes journal the value found and rollback writes it back', async () => {
    const dir = makeRoot({ 'sys/bus/pci/devices/0000:01:00.0/driver_override': '(null)\n', 'etc/hostname': 'h\n' });
    roots.push(dir);
    const root = systemRoot(dir);
    const before = snapshot(dir);
    const plan: Plan = {
      stepId: 'bind',
      title: 'bind',
      needsReboot: false,
      notes: [],
      changes: [{ kind: 'sysfs', path: '/sys/bus/pci/devices/0000:01:00.0/driver_override', value: 'vfio-pci', previous: null, why: 'w' }],
    };
    const res = await applyPlan(plan, { root, runner: createRecordingRunner() });
    expect(readFileSync(path.join(dir, 'sys/bus/pci/devices/0000:01:00.0/driver_override'), 'utf8')).toBe('vfio-pci');
    const entry = loadRun(root, res.runId as string).journal.steps[0]!.entries[0]!;
    expect(entry).toMatchObject({ kind: 'sysfs', previous: '(null)' });
    await rollback({ all: true }, { root, runner: createRecordingRunner() });
    // sysfs reads back without the newline the kernel adds; our fixture file gets the bare value
    expect(readFileSync(path.join(dir, 'sys/bus/pci/devices/0000:01:00.0/driver_override'), 'utf8')).toBe('(null)');
    expect(Object.keys(snapshot(dir))).toEqual(Object.keys(before));
  });

  it('runs a command undo on rollback and records runs in time order', async () => {
    const dir = fixture();
    const root = systemRoot(dir);
    const runner = createRecordingRunner();
    const plan: Plan = {
      stepId: 'vm',
      title: 'define VM',
      needsReboot: false,
      notes: [],
      changes: [{ kind: 'command', argv: ['virsh', 'define', '/tmp/x.xml'], why: 'w', phase: 'other', undo: { argv: ['virsh', 'undefine', 'win'], why: 'w' } }],
    };
    await applyPlan(plan, { root, runner });
    await applyPlan(cmdlinePlan(), { root, runner });
    expect(listRunIds(root)).toHaveLength(2);
    const rb = await rollback({ all: true }, { root, runner });
    expect(rb.steps.map((s) => s.stepId)).toEqual(['cmdline', 'vm']);
    expect(runner.commandLines()).toContain(inRoot(dir, 'virsh undefine win'));
  });

  it('the journal holds system paths only: rollback works with the disk mounted somewhere else (--root /mnt)', async () => {
    const dir = fixture();
    const before = snapshot(dir);
    const res = await applyPlan(cmdlinePlan(), { root: systemRoot(dir), runner: createRecordingRunner() });
    // ranAs records what actually ran (chroot DIR …); every path the rollback uses is a system path
    const journal = readFileSync(path.join(dir, 'var/lib/vfio-wizard/runs', res.runId as string, 'journal.json'), 'utf8');
    const withoutRanAs = JSON.stringify(JSON.parse(journal), (key, value) => (key === 'ranAs' ? undefined : value));
    expect(withoutRanAs).not.toContain(dir);
    expect(journal).toContain(dir); // ranAs itself names the root it ran in
    const mnt = mkdtempSync(path.join(os.tmpdir(), 'vfio-mnt-'));
    roots.push(mnt);
    execFileSync('cp', ['-a', `${dir}/.`, mnt]);
    const runner = createRecordingRunner();
    const rb = await rollback({ all: true }, { root: systemRoot(mnt), runner });
    expect(rb.status).toBe('rolled-back');
    expect(snapshot(mnt)).toEqual(before);
    expect(runner.commandLines()).toEqual([inRoot(mnt, 'update-initramfs -u -k all'), inRoot(mnt, 'update-grub')]);
  });
});

describe('two steps that changed the same file', () => {
  const step = (id: string, before: string | null, after: string): Plan => ({
    stepId: id,
    title: id,
    needsReboot: false,
    notes: [],
    changes: [{ kind: 'file', action: before === null ? 'create' : 'modify', path: '/etc/x.conf', before, after, why: 'test' }],
  });

  it('rollback --all undoes them as a chain, newest first, back to the very first original', async () => {
    const dir = makeRoot({ 'etc/x.conf': { content: 'A\n', mode: 0o644, uid: 0, gid: 0 } });
    roots.push(dir);
    const root = systemRoot(dir);
    const original = snapshot(dir);
    expect((await applyPlan(step('first', 'A\n', 'B\n'), { root, runner: createRecordingRunner() })).status).toBe('applied');
    expect((await applyPlan(step('second', 'B\n', 'C\n'), { root, runner: createRecordingRunner() })).status).toBe('applied');
    const r = await rollback({ all: true }, { root, runner: createRecordingRunner() });
    expect([r.status, r.drift]).toEqual(['rolled-back', []]);
    expect(snapshot(dir)).toEqual(original);
  });

  it('an edit after the newer step still blocks everything, and names only that file once', async () => {
    const dir = makeRoot({ 'etc/x.conf': { content: 'A\n', mode: 0o644, uid: 0, gid: 0 } });
    roots.push(dir);
    const root = systemRoot(dir);
    await applyPlan(step('first', 'A\n', 'B\n'), { root, runner: createRecordingRunner() });
    await applyPlan(step('second', 'B\n', 'C\n'), { root, runner: createRecordingRunner() });
    writeFileSync(path.join(dir, 'etc/x.conf'), 'C\nmine\n');
    const r = await rollback({ all: true }, { root, runner: createRecordingRunner() });
    expect(r.status).toBe('blocked');
    expect(r.drift.map((d) => [d.stepId, d.path])).toEqual([['second', '/etc/x.conf']]);
    expect(readFileSync(path.join(dir, 'etc/x.conf'), 'utf8')).toBe('C\nmine\n');
  });
});
