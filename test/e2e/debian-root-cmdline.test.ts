// The kernel command line step on a real Debian 12 system (debootstrap, cached): the built bin
// applies it with --root, runs the real update-grub inside the root (chroot, /proc /sys /dev in a
// private mount namespace), checks the generated grub.cfg itself; rollback and restore.sh (dash,
// no Node) each give back the original configuration. Nothing stays mounted afterwards.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bin } from './harness/root-tools.js';
import { copyDebianRoot, ensureDebianRoot, type DebianRootCopy } from './harness/debian-root.js';

// a fresh machine builds the cached root first (minutes), outside any one test's time limit
beforeAll(() => void ensureDebianRoot(), 1_800_000);

let copy: DebianRootCopy | null = null;
afterEach(() => {
  copy?.cleanup();
  copy = null;
});


const kernelLines = (cfg: string) => cfg.split('\n').filter((l) => /^\s*linux\s/.test(l));
const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));

describe('cmdline step on a real Debian root with the real update-grub', () => {
  it('applies, verifies the generated grub.cfg, rolls back to the original config', () => {
    copy = copyDebianRoot();
    const dir = copy.dir;
    const cfgPath = path.join(dir, 'boot/grub/grub.cfg');
    const first = bin(['--root', dir, 'apply', '--step', 'cmdline', '--param', 'intel_iommu=on', '--yes']);
    expect(first.code, first.err + first.out).toBe(0);
    expect(first.out).toMatch(/verified: every new parameter is in the generated boot configuration/);
    // the regeneration's own output, live, each line prefixed by the command's name; the log named
    expect(first.out).toMatch(/^update-grub: Generating grub configuration file/m);
    expect(first.out).toMatch(/^update-grub: done in /m);
    const log = /^Log of the commands: (\S+)$/m.exec(first.out)?.[1];
    expect(log).toBeDefined();
    expect(log!.startsWith(path.join(dir, 'var/log/vfio-wizard/'))).toBe(true);
    expect(readFileSync(log!, 'utf8')).toMatch(/start update-grub[\s\S]*Generating grub configuration file/);
    const cfg = readFileSync(cfgPath, 'utf8');
    const normal = kernelLines(cfg).filter((l) => !/\bsingle\b/.test(l));
    const recovery = kernelLines(cfg).filter((l) => /\bsingle\b/.test(l));
    expect(normal.length).toBeGreaterThan(0);
    for (const l of normal) expect(l.split(/\s+/).filter((t) => t === 'intel_iommu=on')).toHaveLength(1);
    for (const l of recovery) expect(l).not.toContain('intel_iommu=on');
    expect(readdirSync(path.join(dir, 'etc/default/grub.d'))).toContain('zz-vfio-wizard.cfg');
    expect(mountsUnder(dir)).toEqual([]);

    const second = bin(['--root', dir, 'apply', '--step', 'cmdline', '--param', 'intel_iommu=on', '--yes']);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/Nothing to change/);

    const rb = bin(['--root', dir, 'rollback', '--yes']);
    expect(rb.code, rb.err + rb.out).toBe(0);
    expect(rb.out).toMatch(/^update-grub: done in /m);
    expect(rb.out).toMatch(/^Log of the commands: \S+\.log$/m);
    const restored = readFileSync(cfgPath, 'utf8');
    for (const l of kernelLines(restored)) expect(l).not.toContain('intel_iommu=on');
    expect(readdirSync(path.join(dir, 'etc/default/grub.d'))).not.toContain('zz-vfio-wizard.cfg');
    expect(mountsUnder(dir)).toEqual([]);
  });

  it('restore.sh undoes the step from a rescue shell (dash, no Node), with the root mounted elsewhere', () => {
    copy = copyDebianRoot();
    const dir = copy.dir;
    const applied = bin(['--root', dir, 'apply', '--step', 'cmdline', '--param', 'intel_iommu=on', '--yes']);
    expect(applied.code, applied.err).toBe(0);
    const script = /sh (\S+restore\.sh)/.exec(applied.out)?.[1];
    expect(script).toBeDefined();
    // the script's root is an argument: the disk may be mounted anywhere in the rescue system
    const r = spawnSync('dash', [script!, dir], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readdirSync(path.join(dir, 'etc/default/grub.d'))).not.toContain('zz-vfio-wizard.cfg');
    const status = bin(['--root', dir, 'status']);
    expect(status.out).toMatch(/restored|rolled-back/);
  });

  it('a trial boot adds a one-time entry with the parameters and leaves the default entry as it was', () => {
    copy = copyDebianRoot();
    const dir = copy.dir;
    const cfgPath = path.join(dir, 'boot/grub/grub.cfg');
    // the trial copies the generated default entry, so there must be a generated config first
    const refused = bin(['--root', dir, 'apply', '--step', 'cmdline-trial', '--param', 'intel_iommu=on', '--yes']);
    expect(refused.code).toBe(9);
    expect(refused.out).toMatch(/does not exist yet: run update-grub once/);
    const gen = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t proc proc "$1/proc" && mount --rbind /dev "$1/dev" && mount --rbind /sys "$1/sys" && chroot "$1" update-grub', 'sh', dir], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const before = readFileSync(cfgPath, 'utf8');

    const trial = bin(['--root', dir, 'apply', '--step', 'cmdline-trial', '--param', 'intel_iommu=on', '--yes']);
    expect(trial.code, trial.err + trial.out).toBe(0);
    expect(trial.out).toMatch(/verified: the trial entry/);
    const cfg = readFileSync(cfgPath, 'utf8');
    const entries = cfg.split('\n').filter((l) => /^menuentry /.test(l));
    expect(entries[0]).not.toMatch(/vfio-wizard/); // the default (first) entry is still the original
    const trialBlock = cfg.slice(cfg.indexOf("menuentry 'vfio-wizard trial:"));
    expect(kernelLines(trialBlock)[0]).toMatch(/ intel_iommu=on$/);
    for (const l of kernelLines(cfg.slice(0, cfg.indexOf("menuentry 'vfio-wizard trial:")))) expect(l).not.toContain('intel_iommu=on');
    const env = spawnSync('chroot', [dir, 'grub-editenv', 'list'], { encoding: 'utf8' });
    expect(env.stdout).toMatch(/^next_entry=vfio-wizard-trial$/m);

    const rb = bin(['--root', dir, 'rollback', '--step', 'cmdline-trial', '--yes']);
    expect(rb.code, rb.err + rb.out).toBe(0);
    expect(readFileSync(cfgPath, 'utf8')).toBe(before);
    expect(spawnSync('chroot', [dir, 'grub-editenv', 'list'], { encoding: 'utf8' }).stdout).not.toMatch(/next_entry=vfio/);
    expect(mountsUnder(dir)).toEqual([]);
  });
});
