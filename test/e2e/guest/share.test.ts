// Guest scenario 5: sharing a device on a real kernel. The kernel's sample mdev driver (mtty, built
// against this kernel's headers) is a real mediated-device parent: the wizard creates mdevs with
// mdevctl and through sysfs, QEMU opens one with vfio-pci,sysfsdev=, and rollback removes them.
// QEMU's NVMe controller with SR-IOV gets two virtual functions — each in its own IOMMU group —
// and rollback takes them away. What the kernel shows is read by plain shell inside the guest.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootGuest, ensureKernel, projectDir, type GuestResult } from '../harness/guest.js';
import { ensureMtty } from '../harness/mtty.js';
import { ExitCode } from '../../../src/exit-codes.js';

let g: GuestResult;
beforeAll(() => {
  if (!existsSync(path.join(projectDir, 'dist/cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  const mtty = readFileSync(ensureMtty(ensureKernel()));
  g = bootGuest({
    iommu: 'intel',
    append: 'intel_iommu=on',
    script: readFileSync(path.join(projectDir, 'test/e2e/guest/share.sh'), 'utf8'),
    files: { 'project-dir': projectDir, 'mtty.ko': mtty },
    qemuExtra: ['-device', 'nvme-subsys,id=subsys0', '-device', 'nvme,serial=vfiowizard,subsys=subsys0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=4'],
    timeoutMs: 900_000,
  });
  if (g.rc !== 0) throw new Error(`guest did not finish cleanly (rc ${g.rc}); serial tail:\n${g.serial.slice(-3000)}`);
});
afterAll(() => g?.cleanup());

const read = (name: string) => g.read(name).trim();
const words = (name: string) => read(name).split(/\s+/).filter(Boolean);

describe('mediated devices on the kernel\'s mtty', () => {
  it('mtty is an mdev parent, and the wizard sees its types', () => {
    expect(read('insmod.rc'), read('insmod.err')).toBe('0');
    expect(words('mdev-bus.txt')).toContain('mtty');
    expect(words('mtty-types.txt')).toEqual(expect.arrayContaining(['mtty-1', 'mtty-2']));
    const share = JSON.parse(g.read('share-before.json'));
    const mtty = share.parents.find((p: { name: string }) => p.name === 'mtty');
    expect(mtty.pci).toBe(false);
    expect(mtty.types.map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining(['mtty-1', 'mtty-2']));
  });

  it('with mdevctl: one mdev of type mtty-2 exists and is defined; QEMU opens it through vfio; rollback removes both', () => {
    expect(read('mdev-apply.rc'), read('mdev-apply.err')).toBe('0');
    const doc = JSON.parse(g.read('mdev-apply.json'));
    expect(doc.result.status).toBe('applied');
    expect(doc.verification.ok).toBe(true);
    const uuid = read('uuid.txt');
    expect(doc.details.uuids).toEqual([uuid]);
    expect(words('mdevs-after-apply.txt')).toEqual([uuid]);
    expect(read('mdev-type.txt')).toBe('mtty-2');
    expect(words('mdevctl-defined.txt')).toEqual([uuid]);
    expect(g.read('mdevctl-list.json')).toContain(uuid);
    expect(read('vm-export.rc'), read('vm-qemu.err')).toBe('0');
    expect(g.read('vm-qemu.sh')).toContain(`vfio-pci,sysfsdev=/sys/bus/mdev/devices/${uuid}`);
    // mtty's PCI identity (4348:3253) on QEMU's bus: the mdev was opened and realized as a vfio-pci device
    expect(read('qemu.rc'), g.read('qemu.txt')).toBe('0');
    expect(g.read('qemu.txt')).toMatch(/Device 4348:3253/i);
    expect(read('mdev-rollback.rc'), read('mdev-rollback.out')).toBe('0');
    expect(read('mdevs-after-rollback.txt')).toBe('');
    expect(read('mdevctl-after-rollback.txt')).toBe('');
  });

  it('without mdevctl: two instances through sysfs, removed by rollback; asking for too many is refused', () => {
    expect(read('sysfs-apply.rc'), read('sysfs-apply.out')).toBe('0');
    expect(read('sysfs-apply.out')).toMatch(/verified: 2 mdevs of type mtty-1 on mtty \(until the next reboot\)/);
    expect(words('mdevs-sysfs.txt')).toHaveLength(2);
    expect(read('sysfs-rollback.rc'), read('sysfs-rollback.out')).toBe('0');
    expect(read('mdevs-sysfs-after.txt')).toBe('');
    expect(read('too-many.rc')).toBe(String(ExitCode.cannotApply));
    expect(read('too-many.out')).toMatch(/instances? available, 99 asked for/);
  });
});

describe('SR-IOV on QEMU\'s NVMe controller', () => {
  it('two virtual functions appear, each in an IOMMU group of its own, kept by a udev rule; rollback removes them', () => {
    expect(read('totalvfs.txt')).toBe('2');
    expect(read('sriov-apply.rc'), read('sriov-apply.err')).toBe('0');
    const doc = JSON.parse(g.read('sriov-apply.json'));
    expect(doc.verification.ok).toBe(true);
    expect(read('numvfs-after-apply.txt')).toBe('2');
    expect(words('vfs.txt')).toHaveLength(2);
    const groups = words('vf-groups.txt');
    expect(new Set(groups).size).toBe(2);
    // the rule works at boot: with the VFs gone, the real udevd's replay of "add" brings them back
    expect(read('numvfs-before-replay.txt')).toBe('0');
    expect(read('numvfs-after-replay.txt'), read('udevd.out')).toBe('2');
    expect(read('udev-rule.txt')).toContain(`ACTION=="add|bind", SUBSYSTEM=="pci", KERNEL=="${read('pf.txt')}", DRIVER=="?*", ATTR{sriov_numvfs}="2"`);
    expect(read('sriov-rollback.rc'), read('sriov-rollback.out')).toBe('0');
    expect(read('numvfs-after-rollback.txt')).toBe('0');
    expect(read('udev-after-rollback.txt')).toMatch(/No such file/);
    expect(read('sriov-too-many.rc')).toBe(String(ExitCode.cannotApply));
  });
});
