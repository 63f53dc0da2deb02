// The kernel command line step on a real Debian 12 system (debootstrap, cached): the built bin
// applies it with --root, runs the real update-grub inside the root (chroot, /proc /sys /dev in a
// private mount namespace), checks the generated grub.cfg itself; rollback and restore.sh (dash,
// no Node) each give back the original configuration. Nothing stays mounted afterwards.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { binPath } from '../support/tmux.js';
import { copyDebianRoot, type DebianRootCopy } from './harness/debian-root.js';

let copy: DebianRootCopy | null = null;
afterEach(() => {
  copy?.cleanup();
  copy = null;
});

function bin(args: string[]) {
  if (!existsSync(path.join(path.dirname(binPath), '..', 'dist', 'cli.js'))) throw new Error('run `npm run build` first (npm test does)');
  const r = spawnSync(process.execPath, [binPath, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

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
});
