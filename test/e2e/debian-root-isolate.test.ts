// The isolation step on a real Debian 12 system (debootstrap, cached) whose sysfs is a fixture
// with a 4-function NVIDIA card: the built bin writes modprobe.d and initramfs-tools config with
// --root, the real update-initramfs rebuilds the image inside the root, the step lists the image
// and confirms vfio-pci and our config are inside. The image is then unpacked by the test itself
// (unmkinitramfs) as an independent oracle; rollback rebuilds it without our files.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { FOUR_FUNCTION_NVIDIA } from '../../src/demo/synthetic-hosts.js';
import { bin, unpackInitramfs } from './harness/root-tools.js';
import { copyDebianRoot, ensureDebianRoot, debianKernel, type DebianRootCopy } from './harness/debian-root.js';

// a fresh machine builds the cached root first (minutes), outside any one test's time limit
beforeAll(() => void ensureDebianRoot(), 1_800_000);

let copy: DebianRootCopy | null = null;
afterEach(() => {
  copy?.cleanup();
  copy = null;
});

describe('isolate step on a real Debian root with the real update-initramfs', () => {
  it('binds by ID through modprobe.d and the initramfs; the image holds them; rollback takes them out again', () => {
    copy = copyDebianRoot();
    const dir = copy.dir;
    const kver = debianKernel(dir);
    // only the machine's hardware view (sys, proc) comes from the fixture; /etc and /boot are Debian's
    materializeRoot({ ...FOUR_FUNCTION_NVIDIA, kernelRelease: kver, osRelease: undefined, files: {}, modulesBuiltin: undefined, modulesDep: undefined }, dir);

    const before = unpackInitramfs(dir, kver);
    try {
      expect(existsSync(path.join(before.dir, 'etc/modprobe.d/vfio.conf'))).toBe(false); // negative control
    } finally {
      before.cleanup();
    }

    const nvidia = bin(['--root', dir, 'scan', '--json']);
    const facts = JSON.parse(nvidia.out);
    const vga = facts.devices.find((d: { vendor: string; class: string }) => d.vendor === '10de' && d.class.startsWith('0300'));
    expect(vga).toBeDefined();

    const applied = bin(['--root', dir, 'apply', '--step', 'isolate', '--device', vga.address, '--yes', '--json']);
    expect(applied.code, applied.err).toBe(0);
    const doc = JSON.parse(applied.out);
    expect(doc.result.status).toBe('applied');
    expect(doc.verification).toMatchObject({ ok: true });
    expect(doc.details.devices).toHaveLength(4);

    const img = unpackInitramfs(dir, kver);
    try {
        const conf = readFileSync(path.join(img.dir, 'etc/modprobe.d/vfio.conf'), 'utf8');
      expect(conf).toBe(readFileSync(path.join(dir, 'etc/modprobe.d/vfio.conf'), 'utf8'));
      expect(conf).toMatch(/^softdep nouveau pre: vfio-pci$/m);
      expect(conf).toMatch(/^options vfio-pci ids=10de:/m);
      // initramfs-tools force-loads what /etc/initramfs-tools/modules lists
      // one module per line, followed by its arguments (none here)
      const forced = readFileSync(path.join(img.dir, 'conf/modules'), 'utf8').split('\n').map((l) => l.trim());
      expect(forced).toEqual(expect.arrayContaining(['vfio', 'vfio_iommu_type1', 'vfio_pci']));
      const ko = spawnSync('find', [img.dir, '-name', 'vfio-pci.ko*'], { encoding: 'utf8' }).stdout.trim();
      expect(ko).not.toBe('');
    } finally {
      img.cleanup();
    }

    const rb = bin(['--root', dir, 'rollback', '--yes']);
    expect(rb.code, rb.err + rb.out).toBe(0);
    expect(existsSync(path.join(dir, 'etc/modprobe.d/vfio.conf'))).toBe(false);
    const after = unpackInitramfs(dir, kver);
    try {
      expect(existsSync(path.join(after.dir, 'etc/modprobe.d/vfio.conf'))).toBe(false);
      const forcedAfter = path.join(after.dir, 'conf/modules'); // written only when something is listed
      expect(existsSync(forcedAfter) ? readFileSync(forcedAfter, 'utf8') : '').not.toMatch(/^vfio_pci\s*$/m);
    } finally {
      after.cleanup();
    }
  });
});
