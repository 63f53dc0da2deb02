// The kernel command line step on a real Debian 12 system (debootstrap, cached) that boots
// systemd-boot entries written by the real kernel-install (systemd 252, layout=bls, ESP at /efi):
// the built bin detects systemd-boot from the root's own files, edits /etc/kernel/cmdline with
// --root, runs kernel-install inside the root (chroot, private mount namespace) with the kernel
// image Debian really has, and checks the entry kernel-install wrote. The test reads that entry
// itself as the oracle; rollback regenerates it without the parameter. Only sys/proc are a fixture.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { IOMMU_OFF_IN_FIRMWARE } from '../../src/demo/synthetic-hosts.js';
import { bin } from './harness/root-tools.js';
import { CHROOT_ENV, copyDebianRoot, debianKernel, ensureDebianRoot, withSystemMounts, type DebianRootCopy } from './harness/debian-root.js';

// a fresh machine builds the cached root first (minutes), outside any one test's time limit
beforeAll(() => void ensureDebianRoot(), 1_800_000);

let copy: DebianRootCopy | null = null;
afterEach(() => {
  copy?.cleanup();
  copy = null;
});

const MACHINE_ID = '0123456789abcdef0123456789abcdef';
const CMDLINE = 'root=UUID=x ro quiet\n';


/** Runs argv inside the root with /proc /sys /dev mounted (withSystemMounts always unmounts). */
function inRoot(dir: string, argv: string[]) {
  const r = withSystemMounts(dir, () => spawnSync('chroot', [dir, ...argv], { encoding: 'utf8', env: CHROOT_ENV, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 }));
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/**
 * The copied root made a systemd-boot system managed by kernel-install: systemd (ships
 * kernel-install 252 on Debian 12), a fixed machine id, layout=bls, an ESP at /efi with
 * loader/loader.conf and loader/entries (kernel-install takes the first of /efi /boot /boot/efi
 * holding loader/entries as BOOT_ROOT) and /etc/kernel/cmdline. No grub.cfg is generated in the
 * cached root, so the wizard's detection sees systemd-boot from loader.conf, without --loader.
 */
function makeKernelInstallSystem(dir: string): void {
  if (!existsSync(path.join(dir, 'usr/bin/kernel-install'))) {
    const apt = inRoot(dir, ['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'systemd']);
    if (apt.code !== 0) throw new Error(`apt-get install systemd failed (${apt.code}):\n${apt.err.slice(-3000)}`);
  }
  if (!existsSync(path.join(dir, 'usr/bin/kernel-install'))) throw new Error('systemd is installed but /usr/bin/kernel-install is missing');
  // systemd's postinst generates a random one: a fixed id names the entry the test reads
  writeFileSync(path.join(dir, 'etc/machine-id'), `${MACHINE_ID}\n`);
  mkdirSync(path.join(dir, 'etc/kernel'), { recursive: true });
  writeFileSync(path.join(dir, 'etc/kernel/install.conf'), 'layout=bls\n');
  writeFileSync(path.join(dir, 'etc/kernel/cmdline'), CMDLINE);
  mkdirSync(path.join(dir, 'efi/loader/entries'), { recursive: true });
  writeFileSync(path.join(dir, 'efi/loader/loader.conf'), 'timeout 3\n');
}

/** The tokens of the `options` line of a loader entry (there must be exactly one such line). */
function optionsTokens(entry: string): string[] {
  const lines = entry.split('\n').filter((l) => /^options\s/.test(l));
  expect(lines, entry).toHaveLength(1);
  return lines[0]!.replace(/^options\s+/, '').trim().split(/\s+/);
}

const mountsUnder = (dir: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4]?.startsWith(dir));

describe('cmdline step on a real Debian root with systemd-boot and the real kernel-install', () => {
  it('edits /etc/kernel/cmdline, kernel-install rewrites the entry with the parameter, rollback rewrites it without', () => {
    copy = copyDebianRoot();
    const dir = copy.dir;
    const kver = debianKernel(dir);
    makeKernelInstallSystem(dir);
    // only the machine's hardware view (sys, proc) comes from the fixture: Intel, IOMMU off, so
    // intel_iommu=on is decided; /etc, /boot and /efi are Debian's and kernel-install's
    materializeRoot({ ...IOMMU_OFF_IN_FIRMWARE, kernelRelease: kver, osRelease: undefined, files: {}, modulesBuiltin: undefined, modulesDep: undefined }, dir);
    expect(existsSync(path.join(dir, 'boot/grub/grub.cfg'))).toBe(false);

    // Debian keeps the image in /boot, not in the module directory
    const image = `/boot/vmlinuz-${kver}`;
    expect(existsSync(path.join(dir, image))).toBe(true);
    expect(existsSync(path.join(dir, 'usr/lib/modules', kver, 'vmlinuz'))).toBe(false);

    // negative control: the entry the real kernel-install generates from the original command line
    const gen = inRoot(dir, ['kernel-install', 'add', kver, image]);
    expect(gen.code, gen.err + gen.out).toBe(0);
    const entryRel = `/efi/loader/entries/${MACHINE_ID}-${kver}.conf`;
    const entryPath = path.join(dir, entryRel);
    const entryBefore = readFileSync(entryPath, 'utf8');
    const optionsBefore = optionsTokens(entryBefore);
    expect(optionsBefore).toEqual(expect.arrayContaining(['root=UUID=x', 'ro', 'quiet']));
    expect(optionsBefore).not.toContain('intel_iommu=on');
    const cmdlineBefore = readFileSync(path.join(dir, 'etc/kernel/cmdline'));
    expect(mountsUnder(dir)).toEqual([]);

    const applied = bin(['--root', dir, 'apply', '--step', 'cmdline', '--yes', '--json']);
    expect(applied.code, applied.err + applied.out).toBe(0);
    const doc = JSON.parse(applied.out);
    expect(doc.details.loader).toBe('systemd-boot');
    expect(doc.details.loaderEvidence).toEqual(expect.arrayContaining([expect.stringContaining('/efi/loader/loader.conf')]));
    expect(doc.details.tokens).toEqual(['intel_iommu=on']);
    expect(doc.result.status).toBe('applied');
    // --json: the command ran as events in the document (start, its lines, end), its log named
    const kiEvents = doc.events.filter((e: { name: string }) => e.name === 'kernel-install');
    expect(kiEvents[0]).toMatchObject({ type: 'command-start' });
    expect(kiEvents.at(-1)).toMatchObject({ type: 'command-end', status: 'ok', exitCode: 0, logPath: doc.logPath });
    expect(existsSync(doc.logPath)).toBe(true);
    expect(doc.verification).toMatchObject({ ok: true });
    expect(doc.verification.details).toEqual(expect.arrayContaining([{ where: entryRel, missing: [] }]));
    // kernel-install was given the kernel image that really exists in the root
    expect(doc.plan.commands).toEqual([['kernel-install', 'add', kver, image]]);
    const fileChanges = doc.plan.changes.filter((c: { kind: string }) => c.kind === 'file');
    expect(fileChanges.map((c: { path: string; action: string }) => `${c.action} ${c.path}`)).toEqual(['modify /etc/kernel/cmdline']);

    const cmdlineTokens = readFileSync(path.join(dir, 'etc/kernel/cmdline'), 'utf8').trim().split(/\s+/);
    expect(cmdlineTokens.filter((t) => t === 'intel_iommu=on')).toHaveLength(1);
    expect(cmdlineTokens).toEqual(expect.arrayContaining(['root=UUID=x', 'ro', 'quiet']));

    // the oracle: what the real kernel-install wrote, read by the test itself
    const entryAfter = readFileSync(entryPath, 'utf8');
    const optionsAfter = optionsTokens(entryAfter);
    expect(optionsAfter.filter((t) => t === 'intel_iommu=on')).toHaveLength(1);
    expect(optionsAfter).toEqual(expect.arrayContaining(optionsBefore));
    // the kernel the entry boots is the image the plan named, copied by kernel-install
    const linux = /^linux\s+(\S+)$/m.exec(entryAfter)?.[1];
    expect(linux).toBe(`/efi/${MACHINE_ID}/${kver}/linux`);
    expect(readFileSync(path.join(dir, linux!)).equals(readFileSync(path.join(dir, image)))).toBe(true);
    expect(mountsUnder(dir)).toEqual([]);

    const rb = bin(['--root', dir, 'rollback', '--yes', '--json']);
    expect(rb.code, rb.err + rb.out).toBe(0);
    const rdoc = JSON.parse(rb.out);
    expect(rdoc.status).toBe('rolled-back');
    expect(rdoc.events.filter((e: { type: string; name: string }) => e.type === 'command-end' && e.name === 'kernel-install')).toEqual([expect.objectContaining({ status: 'ok' })]);
    expect(rdoc.checks).toEqual([expect.objectContaining({ stepId: 'cmdline', ok: true })]);
    expect(readFileSync(path.join(dir, 'etc/kernel/cmdline')).equals(cmdlineBefore)).toBe(true);
    // regenerated by kernel-install from the restored file: the parameter is gone again
    const entryRestored = readFileSync(entryPath, 'utf8');
    expect(optionsTokens(entryRestored)).not.toContain('intel_iommu=on');
    expect(optionsTokens(entryRestored)).toEqual(optionsBefore);
    expect(mountsUnder(dir)).toEqual([]);
  });
});
