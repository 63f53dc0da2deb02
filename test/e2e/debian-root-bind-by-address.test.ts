// Binding by address on a real Debian 12 system (debootstrap, cached): the fixture sysfs holds two
// identical RTX 2080 Ti cards (10de:1e07 + audio/USB/UCSI, same IDs on both) and only the second
// one goes to the guest, so `options vfio-pci ids=` would take both. The built bin must write the
// driver_override script, the `install vfio-pci` line that runs it and the initramfs-tools hook
// that copies it; the real update-initramfs (run by the wizard inside the root) must put them in
// the image. Independent oracles: the root's own unmkinitramfs, the root's kmod (modprobe
// --show-depends), dash -n, and the script itself run inside the root against the fixture sysfs.
// Rollback must take everything out of /etc and out of the rebuilt image.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { TWO_IDENTICAL_GPUS } from '../../src/demo/synthetic-hosts.js';
import { bin, treeSnapshot, unpackInitramfs } from './harness/root-tools.js';
import { copyDebianRoot, debianKernel, ensureDebianRoot, type DebianRootCopy } from './harness/debian-root.js';

const SCRIPT = 'usr/local/sbin/vfio-wizard-override';
const HOOK = 'etc/initramfs-tools/hooks/vfio-wizard-override';
const CONF = 'etc/modprobe.d/vfio.conf';
const HOST_CARD = ['0000:3b:00.0', '0000:3b:00.1', '0000:3b:00.2', '0000:3b:00.3'];
const GUEST_CARD = ['0000:af:00.0', '0000:af:00.1', '0000:af:00.2', '0000:af:00.3'];

// building the cached root on a cold cache takes minutes: do it outside the test's own timeout
beforeAll(() => void ensureDebianRoot(), 1_800_000);

let copy: DebianRootCopy | null = null;
afterEach(() => {
  copy?.cleanup();
  copy = null;
});

function chroot(root: string, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('chroot', [root, ...argv], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Every `options vfio-pci … ids=` line in the modprobe.d files under `base`. */
function idsLines(base: string): string[] {
  const d = path.join(base, 'etc/modprobe.d');
  if (!existsSync(d)) return [];
  return readdirSync(d).flatMap((f) =>
    readFileSync(path.join(d, f), 'utf8')
      .split('\n')
      .filter((l) => /\bids=/.test(l) && !/^\s*#/.test(l))
      .map((l) => `${f}: ${l}`),
  );
}

const sysDev = (root: string, addr: string, attr: string) => path.join(root, 'sys/bus/pci/devices', addr, attr);

describe('isolate step by address on a real Debian root (two identical cards)', () => {
  it('writes the driver_override script and its hook, the real update-initramfs puts them in the image, no ids=; rollback takes them out', () => {
    copy = copyDebianRoot();
    const dir = copy.dir;
    const kver = debianKernel(dir);
    // only the hardware view (sys, proc) comes from the fixture; /etc, /boot and the kernel are Debian's
    materializeRoot({ ...TWO_IDENTICAL_GPUS, kernelRelease: kver, osRelease: undefined, files: {}, modulesBuiltin: undefined, modulesDep: undefined }, dir);
    // the kernel gives every PCI function a driver_override attribute that reads "(null)"
    for (const a of [...HOST_CARD, ...GUEST_CARD]) writeFileSync(sysDev(dir, a, 'driver_override'), '(null)\n');

    const etcBefore = treeSnapshot(path.join(dir, 'etc'));
    const before = unpackInitramfs(dir, kver);
    try {
      // negative control: a stock image has neither our script nor our modprobe file
      expect(existsSync(path.join(before.dir, SCRIPT))).toBe(false);
      expect(existsSync(path.join(before.dir, CONF))).toBe(false);
    } finally {
      before.cleanup();
    }

    const facts = JSON.parse(bin(['--root', dir, 'scan', '--json']).out);
    expect(facts.boot.initramfs.id).toBe('initramfs-tools');
    expect(facts.kernel.vfioPci).toBe('module'); // Debian's kernel: the `install vfio-pci` line is the hook
    const same = facts.devices.filter((d: { vendor: string; device: string }) => d.vendor === '10de' && d.device === '1e07').map((d: { address: string }) => d.address);
    expect(same).toEqual(['0000:3b:00.0', '0000:af:00.0']);

    // the plan says why: the IDs are shared, so by address
    const planned = bin(['--root', dir, 'plan', '--step', 'isolate', '--device', '0000:af:00.0', '--json']);
    expect(planned.code, planned.err).toBe(0);
    const plan = JSON.parse(planned.out);
    expect(plan.kind).toBe('plan');
    expect(plan.details.bindBy).toBe('address');
    expect(plan.details.devices).toEqual(GUEST_CARD);
    expect(plan.details.identicalIds.map((i: { id: string }) => i.id).sort()).toEqual(['10de:10f7', '10de:1ad6', '10de:1ad7', '10de:1e07']);
    expect(plan.details.verification.expect.files).toEqual(['/etc/modprobe.d/vfio.conf', '/usr/local/sbin/vfio-wizard-override']);

    const applied = bin(['--root', dir, 'apply', '--step', 'isolate', '--device', '0000:af:00.0', '--yes', '--json']);
    expect(applied.code, applied.err + applied.out).toBe(0);
    const doc = JSON.parse(applied.out);
    expect(doc.result.status).toBe('applied');
    expect(doc.details.bindBy).toBe('address');
    expect(doc.details.devices).toEqual(GUEST_CARD);
    expect(doc.verification).toMatchObject({ ok: true });

    // what the wizard wrote in the root
    const script = readFileSync(path.join(dir, SCRIPT), 'utf8');
    expect(statSync(path.join(dir, SCRIPT)).mode & 0o111).not.toBe(0);
    expect(statSync(path.join(dir, HOOK)).mode & 0o111).not.toBe(0);
    for (const a of GUEST_CARD) expect(script).toContain(`${a}=0x10de:`);
    for (const a of HOST_CARD) expect(script).not.toContain(a);
    const conf = readFileSync(path.join(dir, CONF), 'utf8');
    expect(conf).toMatch(/^install vfio-pci \/usr\/local\/sbin\/vfio-wizard-override; \/sbin\/modprobe --ignore-install vfio-pci$/m);
    expect(idsLines(dir)).toEqual([]);

    // syntax: the root's own dash (the /bin/sh of Debian, which runs it at boot)
    for (const f of [SCRIPT, HOOK]) {
      const n = chroot(dir, ['dash', '-n', `/${f}`]);
      expect(n.code, `${f}: ${n.err}`).toBe(0);
    }

    // the root's kmod reads our file: vfio-pci goes through the script, and the host drivers the
    // root's modules.alias matches for the card load vfio-pci (and so the script) before themselves
    const vfio = chroot(dir, ['modprobe', '-S', kver, '--show-depends', 'vfio-pci']);
    expect(vfio.code, vfio.err).toBe(0);
    expect(vfio.out).toMatch(/^install \/usr\/local\/sbin\/vfio-wizard-override; \/sbin\/modprobe --ignore-install vfio-pci/m);
    const softdeps: string[] = doc.details.softdeps.map((s: { module: string }) => s.module);
    // the fixture's drivers include the out-of-tree nvidia ones, which this root does not have
    const modulesDep = readFileSync(path.join(dir, 'lib/modules', kver, 'modules.dep'), 'utf8');
    const inTree = softdeps.filter((m) => new RegExp(`/${m.replace(/[-_]/g, '[-_]')}\\.ko(?:\\.\\w+)?:`).test(modulesDep));
    expect(inTree).toEqual(expect.arrayContaining(['nouveau', 'snd_hda_intel', 'xhci_pci']));
    for (const m of inTree) {
      const sd = chroot(dir, ['modprobe', '-S', kver, '--show-depends', m]);
      expect(sd.code, `${m}: ${sd.err}`).toBe(0);
      const hook = sd.out.indexOf('vfio-wizard-override');
      const own = sd.out.search(new RegExp(`/${m.replace(/[-_]/g, '[-_]')}\\.ko`));
      expect(hook, `${m}:\n${sd.out}`).toBeGreaterThanOrEqual(0);
      expect(own, `${m}:\n${sd.out}`).toBeGreaterThan(hook);
    }

    // the image the wizard's own update-initramfs run built
    const img = unpackInitramfs(dir, kver);
    try {
      const inImage = readFileSync(path.join(img.dir, SCRIPT), 'utf8');
      expect(inImage).toBe(script);
      expect(statSync(path.join(img.dir, SCRIPT)).mode & 0o111).not.toBe(0);
      expect(readFileSync(path.join(img.dir, CONF), 'utf8')).toBe(conf);
      expect(idsLines(img.dir)).toEqual([]);
      const forced = readFileSync(path.join(img.dir, 'conf/modules'), 'utf8').split('\n').map((l) => l.trim());
      expect(forced).toEqual(expect.arrayContaining(['vfio', 'vfio_iommu_type1', 'vfio_pci']));
      const ko = spawnSync('find', [img.dir, '-name', 'vfio-pci.ko*'], { encoding: 'utf8' }).stdout.trim();
      expect(ko).not.toBe('');
      // inside the image, with the image's own tools: its kmod runs the script when vfio-pci loads,
      // and the script works with the image's own /bin/sh, cat and readlink (a copy of the fixture sysfs)
      const imgVfio = chroot(img.dir, ['/sbin/modprobe', '-S', kver, '--show-depends', 'vfio-pci']);
      expect(imgVfio.code, imgVfio.err).toBe(0);
      expect(imgVfio.out).toMatch(/^install \/usr\/local\/sbin\/vfio-wizard-override; \/sbin\/modprobe --ignore-install vfio-pci/m);
      const cp = spawnSync('cp', ['-a', `${dir}/sys/.`, path.join(img.dir, 'sys')], { encoding: 'utf8' });
      expect(cp.status, cp.stderr).toBe(0);
      // the image's init creates /dev and mounts devtmpfs on it before any module loads; unpacked, there is none
      mkdirSync(path.join(img.dir, 'dev'), { recursive: true });
      const mknod = spawnSync('mknod', ['-m', '666', path.join(img.dir, 'dev/null'), 'c', '1', '3'], { encoding: 'utf8' });
      expect(mknod.status, mknod.stderr).toBe(0);
      const inImg = chroot(img.dir, [`/${SCRIPT}`]);
      expect(inImg.code, inImg.err).toBe(0);
      expect(inImg.err).toBe('');
      for (const a of GUEST_CARD) expect(readFileSync(sysDev(img.dir, a, 'driver_override'), 'utf8'), a).toBe('vfio-pci\n');
      for (const a of HOST_CARD) expect(readFileSync(sysDev(img.dir, a, 'driver_override'), 'utf8'), a).toBe('(null)\n');
    } finally {
      img.cleanup();
    }

    // the script itself, inside the root, against the fixture sysfs (the chroot's /sys, as at boot)
    // first a control: a different card now at af:00.3 (the IDs do not match) is left alone
    const devFile = sysDev(dir, '0000:af:00.3', 'device');
    const realDevice = readFileSync(devFile, 'utf8');
    writeFileSync(devFile, '0x1234\n');
    let ran = chroot(dir, [`/${SCRIPT}`]);
    expect(ran.code, ran.err).toBe(0);
    expect(ran.err).toBe('');
    expect(readFileSync(sysDev(dir, '0000:af:00.3', 'driver_override'), 'utf8')).toBe('(null)\n');
    for (const a of GUEST_CARD.slice(0, 3)) expect(readFileSync(sysDev(dir, a, 'driver_override'), 'utf8'), a).toBe('vfio-pci\n');
    writeFileSync(devFile, realDevice);
    ran = chroot(dir, [`/${SCRIPT}`]);
    expect(ran.code, ran.err).toBe(0);
    for (const a of GUEST_CARD) expect(readFileSync(sysDev(dir, a, 'driver_override'), 'utf8'), a).toBe('vfio-pci\n');
    for (const a of HOST_CARD) expect(readFileSync(sysDev(dir, a, 'driver_override'), 'utf8'), a).toBe('(null)\n');
    // each guest function was unbound from its current driver (which the host card shares) and probed
    for (const [i, drv] of ['nvidia', 'snd_hda_intel', 'xhci_hcd', 'nvidia-gpu'].entries()) {
      expect(readFileSync(path.join(dir, 'sys/bus/pci/drivers', drv, 'unbind'), 'utf8')).toBe(`${GUEST_CARD[i]}\n`);
    }
    expect(readFileSync(path.join(dir, 'sys/bus/pci/drivers_probe'), 'utf8')).toBe('0000:af:00.3\n');

    const rb = bin(['--root', dir, 'rollback', '--step', 'isolate', '--yes', '--json']);
    expect(rb.code, rb.err + rb.out).toBe(0);
    expect(JSON.parse(rb.out).status).toBe('rolled-back');
    expect(existsSync(path.join(dir, SCRIPT))).toBe(false);
    expect(treeSnapshot(path.join(dir, 'etc'))).toEqual(etcBefore);
    const after = unpackInitramfs(dir, kver);
    try {
      expect(existsSync(path.join(after.dir, SCRIPT))).toBe(false);
      expect(existsSync(path.join(after.dir, CONF))).toBe(false);
      const forcedAfter = path.join(after.dir, 'conf/modules'); // written only when something is listed
      expect(existsSync(forcedAfter) ? readFileSync(forcedAfter, 'utf8') : '').not.toMatch(/^vfio_pci\s*$/m);
    } finally {
      after.cleanup();
    }
  }, 1_800_000);
});
