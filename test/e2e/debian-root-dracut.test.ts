// The isolation step on a real Debian 12 system whose initramfs generator is dracut (debootstrap,
// cached; initramfs-tools never installed): the fixture sysfs holds a 4-function NVIDIA card, the
// wizard must detect dracut on its own, write its dracut.conf.d drop-in and modprobe.d file, and
// rebuild the image with the real dracut inside the root. The test lists the image with the root's
// own lsinitrd as an independent oracle; rollback rebuilds it without our files.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { FOUR_FUNCTION_NVIDIA } from '../../src/demo/synthetic-hosts.js';
import { bin, sha256File, treeSnapshot } from './harness/root-tools.js';
import { debianKernel, withSystemMounts, type DebianRootCopy } from './harness/debian-root.js';
import { copyDracutRoot, ensureDracutRoot } from './harness/debian-dracut-root.js';

const CONF = 'etc/modprobe.d/vfio.conf';
const DROPIN = 'etc/dracut.conf.d/10-vfio.conf';
/** where dracut writes force_drivers as rd.driver.pre= for the image's own command line */
const FORCE = 'etc/cmdline.d/20-force_drivers.conf';
const CARD = ['0000:01:00.0', '0000:01:00.1', '0000:01:00.2', '0000:01:00.3'];

// building the cached root on a cold cache takes minutes: do it outside the test's own timeout
beforeAll(() => void ensureDracutRoot(), 1_800_000);

let copy: DebianRootCopy | null = null;
afterEach(() => {
  copy?.cleanup();
  copy = null;
});


/** The root's own lsinitrd (inside the chroot, with /proc /sys /dev); throws when it fails. */
function lsinitrd(root: string, args: string[]): string {
  return withSystemMounts(root, () => {
    const r = spawnSync('chroot', [root, 'lsinitrd', ...args], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`lsinitrd ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  });
}

/** The paths in an lsinitrd listing (last column, without the leading "./" or "/"). */
function paths(listing: string): string[] {
  return listing
    .split('\n')
    .filter((l) => /^[-dlcbps][rwxsStT-]{9}/.test(l))
    .map((l) => (l.includes(' -> ') ? l.slice(0, l.indexOf(' -> ')) : l).trim().split(/\s+/).pop()!.replace(/^\.?\//, ''));
}

const sha = sha256File;
const vfioKo = (p: string) => /(?:^|\/)vfio-pci\.ko(?:\.(?:xz|zst|gz))?$/.test(p);

describe('isolate step on a real Debian root with dracut', () => {
  it('detects dracut, rebuilds the image with it: vfio-pci and our modprobe file are inside; rollback takes them out again', () => {
    copy = copyDracutRoot();
    const dir = copy.dir;
    const kver = debianKernel(dir);
    const image = `/boot/initrd.img-${kver}`;
    // only the hardware view (sys, proc) comes from the fixture; /etc, /boot and the kernel are Debian's
    materializeRoot({ ...FOUR_FUNCTION_NVIDIA, kernelRelease: kver, osRelease: undefined, files: {}, modulesBuiltin: undefined, modulesDep: undefined }, dir);

    const etcBefore = treeSnapshot(path.join(dir, 'etc'));
    const imageBefore = sha(path.join(dir, image));
    // negative control: the stock image has neither vfio-pci nor our configuration
    const stock = paths(lsinitrd(dir, [image]));
    expect(stock.length).toBeGreaterThan(100);
    expect(stock).toContain('usr/lib/modprobe.d/aliases.conf'); // the parser reads this listing
    expect(stock).not.toContain(CONF);
    expect(stock.some(vfioKo)).toBe(false);
    expect(stock).not.toContain(FORCE);

    const facts = JSON.parse(bin(['--root', dir, 'scan', '--json']).out);
    expect(facts.boot.initramfs.id).toBe('dracut');
    expect(facts.kernel.vfioPci).toBe('module');
    expect(existsSync(path.join(dir, 'usr/sbin/update-initramfs'))).toBe(false);

    const applied = bin(['--root', dir, 'apply', '--step', 'isolate', '--device', '0000:01:00.0', '--yes', '--json']);
    expect(applied.code, applied.err + applied.out).toBe(0);
    const doc = JSON.parse(applied.out);
    expect(doc.result.status).toBe('applied');
    expect(doc.details.bindBy).toBe('id');
    expect(doc.details.devices).toEqual(CARD);
    expect(doc.details.verification).toMatchObject({ generator: 'dracut', argv: ['lsinitrd', '--kver', kver] });
    expect(doc.verification).toMatchObject({ ok: true });
    const commands = doc.plan.changes.filter((c: { kind: string }) => c.kind === 'command').map((c: { argv: string[] }) => c.argv.join(' '));
    expect(commands).toContain('dracut --regenerate-all --force');

    // what the wizard wrote in the root
    const conf = readFileSync(path.join(dir, CONF), 'utf8');
    expect(conf).toMatch(/^softdep nouveau pre: vfio-pci$/m);
    expect(conf).toMatch(/^options vfio-pci ids=10de:21c4,10de:1aeb,10de:1aec,10de:1aed$/m);
    const dropin = readFileSync(path.join(dir, DROPIN), 'utf8');
    expect(dropin).toMatch(/^force_drivers\+=" [^"]*\bvfio_pci\b[^"]* "$/m);
    expect(dropin).toMatch(/^install_items\+=" \/etc\/modprobe\.d\/vfio\.conf "$/m);

    // the image the wizard's own dracut run rebuilt, seen by the root's lsinitrd
    const imageApplied = sha(path.join(dir, image));
    expect(imageApplied).not.toBe(imageBefore);
    const listing = lsinitrd(dir, [image]);
    const built = paths(listing);
    expect(built).toContain(CONF);
    expect(built.filter(vfioKo)).toHaveLength(1);
    // built by `dracut --regenerate-all`, which runs dracut --kver for each kernel (the stock image says "-q --force")
    expect(listing).toMatch(new RegExp(`^Arguments: +--kver '${kver.replace(/\./g, '\\.')}' --force\\s*$`, 'm'));
    expect(lsinitrd(dir, ['-f', CONF, image])).toBe(conf);
    // force_drivers: dracut loads them first thing, from the image's own command line
    expect(built).toContain(FORCE);
    expect(lsinitrd(dir, ['-f', FORCE, image]).split('\n')).toEqual(expect.arrayContaining(['rd.driver.pre=vfio', 'rd.driver.pre=vfio_iommu_type1', 'rd.driver.pre=vfio_pci']));

    const rb = bin(['--root', dir, 'rollback', '--step', 'isolate', '--yes', '--json']);
    expect(rb.code, rb.err + rb.out).toBe(0);
    expect(JSON.parse(rb.out).status).toBe('rolled-back');
    expect(treeSnapshot(path.join(dir, 'etc'))).toEqual(etcBefore);
    const after = lsinitrd(dir, [image]);
    const afterPaths = paths(after);
    expect(afterPaths).not.toContain(CONF);
    expect(afterPaths.some(vfioKo)).toBe(false);
    expect(afterPaths).not.toContain(FORCE);
    // rebuilt by the rollback's own dracut --regenerate-all run, not put back from a saved copy
    expect(sha(path.join(dir, image))).not.toBe(imageApplied);
    expect(after).toMatch(new RegExp(`^Arguments: +--kver '${kver.replace(/\./g, '\\.')}' --force\\s*$`, 'm'));
    expect(existsSync(path.join(dir, DROPIN))).toBe(false);
    expect(existsSync(path.join(dir, CONF))).toBe(false);
  }, 1_800_000);
});
