// The initramfs generator configs on the corpus's real files. mkinitcpio and dracut read their
// configs by sourcing them with bash, so bash itself is the oracle for what MODULES /
// force_drivers end up holding.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editBoosterConf } from '../../src/edit/booster-conf.js';
import { DRACUT_DROPIN, planDracutDropin, readDracutSettings } from '../../src/edit/dracut-conf.js';
import { editInitramfsToolsModules, vfioModules } from '../../src/edit/initramfs-tools-modules.js';
import { MKINITCPIO_DROPIN, planMkinitcpio, readMkinitcpioVar } from '../../src/edit/mkinitcpio-conf.js';
import { editModulesLoad } from '../../src/edit/modules-load.js';
import { initramfsContains } from '../../src/isolate/plan-isolate.js';
import { corpusBody } from './corpus.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-initramfs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Source the files in order with bash (as mkinitcpio and dracut do) and print a variable, one word per line. */
function bashValue(texts: string[], expr: string): string[] {
  const files = texts.map((t, i) => {
    const f = path.join(tmp, `conf-${i}-${Math.random().toString(36).slice(2)}`);
    writeFileSync(f, t);
    return f;
  });
  const r = spawnSync('bash', ['-c', `set -e; for f in "$@"; do . "$f"; done; for w in ${expr}; do printf '%s\\n' "$w"; done`, 'bash', ...files], { encoding: 'utf8' });
  if (r.error) throw new Error(`bash could not run: ${r.error.message}`);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

const KERNEL_61 = { major: 6, minor: 1 };
const KERNEL_68 = { major: 6, minor: 8 };

describe('vfio module list per kernel', () => {
  it('vfio_virqfd only before 6.2', () => {
    expect(vfioModules(KERNEL_61)).toEqual(['vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio_virqfd']);
    expect(vfioModules({ major: 6, minor: 2 })).toEqual(['vfio', 'vfio_iommu_type1', 'vfio_pci']);
    expect(vfioModules({ major: 4, minor: 18 })).toContain('vfio_virqfd');
  });
});

describe('initramfs-tools modules file', () => {
  it('hyphenated corpus file: vfio-pci counts as vfio_pci; only the missing vfio is added; stock header untouched', () => {
    const before = corpusBody('initramfs/initramfs-tools-modules-hyphenated-two-lines.txt');
    const e = editInitramfsToolsModules(before, vfioModules(KERNEL_68));
    expect(e.added).toEqual(['vfio']);
    expect(e.text).toBe(`${before}vfio\n`);
    expect(editInitramfsToolsModules(e.text, vfioModules(KERNEL_68)).changed).toBe(false);
  });

  it('relm corpus file: everything present (vfio-virqfd too, on 6.1) → no change; vfio is already above amdgpu', () => {
    const before = corpusBody('initramfs/initramfs-tools-modules-vfio-virtio-amdgpu.txt');
    const e = editInitramfsToolsModules(before, vfioModules(KERNEL_61));
    expect(e.changed).toBe(false);
    expect(e.text).toBe(before);
    expect(e.notes).toEqual([]);
  });

  it('Proxmox paste: the real file is the lines between the shell prompts; nothing is missing there', () => {
    const pasted = corpusBody('initramfs/proxmox-initramfs-tools-modules-pasted-with-prompts.txt').split('\n');
    // decision for this file: line 1 is "root@proxmox:~# cat /etc/initramfs-tools/modules", the last is the bare prompt
    expect(pasted[0]).toMatch(/^root@proxmox:~# cat /);
    const real = `${pasted.slice(1).filter((l) => !l.startsWith('root@proxmox')).join('\n').replace(/\n*$/, '')}\n`;
    expect(real).toBe('vfio\nvfio_iommu_type1\nvfio_pci\nvfio_virqfd\n');
    expect(editInitramfsToolsModules(real, vfioModules(KERNEL_61)).changed).toBe(false);
  });

  it('vfio goes before a display driver already listed, every other line stays', () => {
    const before = '# mine\namdgpu\nvirtio_blk\n';
    const e = editInitramfsToolsModules(before, vfioModules(KERNEL_68));
    expect(e.text).toBe('# mine\nvfio\nvfio_iommu_type1\nvfio_pci\namdgpu\nvirtio_blk\n');
    const late = editInitramfsToolsModules('nouveau\nvfio_pci\n', ['vfio_pci']);
    expect(late.changed).toBe(false);
    expect(late.notes[0]).toMatch(/vfio_pci is listed after nouveau/);
  });

  it('a missing file is created with the modules', () => {
    expect(editInitramfsToolsModules(null, ['vfio', 'vfio_pci']).text).toBe('vfio\nvfio_pci\n');
  });
});

describe('dracut', () => {
  it('reads force_drivers/add_drivers with or without padding and without a final newline', () => {
    const cachy = corpusBody('initramfs/dracut-cachyos-force-drivers-vfio.txt');
    const fedora = corpusBody('initramfs/dracut-fedora-laptop-add-drivers-no-spaces-no-newline.txt');
    expect(fedora.endsWith('\n')).toBe(false);
    expect(readDracutSettings([cachy]).forceDrivers).toEqual(['vfio', 'vfio_iommu_type1', 'vfio_pci']);
    expect(readDracutSettings([fedora])).toEqual({ forceDrivers: [], addDrivers: ['vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio_virqfd'], installItems: [] });
  });

  it('CachyOS already force-loads vfio: our drop-in only adds the modprobe file', () => {
    const files = { '/etc/dracut.conf.d/vfio.conf': corpusBody('initramfs/dracut-cachyos-force-drivers-vfio.txt') };
    const d = planDracutDropin(files, vfioModules(KERNEL_68), ['/etc/modprobe.d/vfio.conf']);
    expect(d.forceDrivers).toEqual([]);
    expect(d.text).toMatch(/^install_items\+=" \/etc\/modprobe\.d\/vfio\.conf "$/m);
    expect(d.text).not.toMatch(/force_drivers/);
  });

  it('Fedora laptop add_drivers only adds: we still force-load; bash sees well-separated words after both files', () => {
    const theirs = corpusBody('initramfs/dracut-fedora-laptop-add-drivers-no-spaces-no-newline.txt');
    const files = { '/etc/dracut.conf.d/vfio.conf': theirs };
    const d = planDracutDropin(files, vfioModules(KERNEL_61), ['/etc/modprobe.d/vfio.conf']);
    expect(d.forceDrivers).toEqual(['vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio_virqfd']);
    // dracut sources 10-vfio.conf before vfio.conf; our padding keeps the words apart
    expect(bashValue([d.text!, `${theirs}\n`], '$force_drivers')).toEqual(['vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio_virqfd']);
    expect(bashValue([d.text!, `${theirs}\n`], '$add_drivers')).toEqual(['vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio_virqfd']);
    expect(bashValue([d.text!], '$install_items')).toEqual(['/etc/modprobe.d/vfio.conf']);
    // second run with our drop-in present: identical
    expect(planDracutDropin({ ...files, [DRACUT_DROPIN]: d.text }, vfioModules(KERNEL_61), ['/etc/modprobe.d/vfio.conf']).text).toBe(d.text);
  });
});

describe('mkinitcpio', () => {
  const ozzy = corpusBody('initramfs/mkinitcpio-ozzyhelix-array-vfio-then-nouveau-files-script.txt');
  const vvorth = corpusBody('initramfs/mkinitcpio-vvorth-arch-old-quoted-modules-xen.txt');

  it('ozzyhelix: vfio already before nouveau, modconf present; on 6.8 the stale vfio_virqfd is removed', () => {
    const on61 = planMkinitcpio(ozzy, vfioModules(KERNEL_61), { dropinDir: false, dropin: null });
    expect(on61.ok && on61.changed).toBe(false);
    expect(on61.ok && on61.modconf).toBe(true);
    const on68 = planMkinitcpio(ozzy, vfioModules(KERNEL_68), { dropinDir: false, dropin: null });
    if (!on68.ok) throw new Error(on68.reason);
    expect(on68.changed).toBe(true);
    expect(bashValue([on68.text], '${MODULES[@]}')).toEqual(['vfio', 'vfio_iommu_type1', 'vfio_pci', 'nouveau']);
    const a = ozzy.split('\n');
    const b = on68.text.split('\n');
    expect(b.length).toBe(a.length);
    expect(b.filter((l, i) => l !== a[i])).toEqual(['MODULES=(vfio vfio_iommu_type1 vfio_pci nouveau)']);
  });

  it('vvorth: the old quoted form stays quoted; the override script joins FILES', () => {
    const r = planMkinitcpio(vvorth, vfioModules(KERNEL_68), { dropinDir: true, dropin: null, files: ['/usr/local/sbin/vfio-wizard-override'] });
    if (!r.ok) throw new Error(r.reason);
    // string form: the drop-in cannot prepend to it safely, so the main file is edited
    expect(r.path).toBe('/etc/mkinitcpio.conf');
    expect(readMkinitcpioVar(r.text, 'MODULES')).toMatchObject({ form: 'string', values: ['vfio', 'vfio_iommu_type1', 'vfio_pci', 'xen-pciback'] });
    expect(bashValue([r.text], '$FILES')).toEqual(['/etc/modprobe.d/nvidia', '/usr/local/sbin/vfio-wizard-override']);
    const again = planMkinitcpio(r.text, vfioModules(KERNEL_68), { dropinDir: true, dropin: null, files: ['/usr/local/sbin/vfio-wizard-override'] });
    expect(again.ok && again.changed).toBe(false);
  });

  it('a KMS module listed first: vfio moves in front of it', () => {
    const r = planMkinitcpio('MODULES=(amdgpu btrfs)\nHOOKS=(base udev autodetect block filesystems)\n', vfioModules(KERNEL_68), { dropinDir: false, dropin: null });
    if (!r.ok) throw new Error(r.reason);
    expect(bashValue([r.text], '${MODULES[@]}')).toEqual(['vfio', 'vfio_iommu_type1', 'vfio_pci', 'amdgpu', 'btrfs']);
    expect(r.modconf).toBe(false);
    expect(r.notes.join(' ')).toMatch(/no modconf/);
  });

  it('with mkinitcpio.conf.d: the drop-in prepends our modules to the array the main file set (bash proves it)', () => {
    const r = planMkinitcpio(ozzy, vfioModules(KERNEL_68), { dropinDir: true, dropin: null, files: ['/usr/local/sbin/vfio-wizard-override'] });
    if (!r.ok) throw new Error(r.reason);
    expect(r.path).toBe(MKINITCPIO_DROPIN);
    expect(bashValue([ozzy, r.text], '${MODULES[@]}')).toEqual(['vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio', 'vfio_iommu_type1', 'vfio_pci', 'vfio_virqfd', 'nouveau']);
    expect(bashValue([ozzy, r.text], '${FILES[@]}')).toEqual(['/usr/bin/vfio-pci-override.sh', '/usr/local/sbin/vfio-wizard-override']);
    const again = planMkinitcpio(ozzy, vfioModules(KERNEL_68), { dropinDir: true, dropin: r.text, files: ['/usr/local/sbin/vfio-wizard-override'] });
    expect(again.ok && again.changed).toBe(false);
    expect(again.ok && again.notes.join(' ')).toMatch(/vfio_virqfd/);
  });
});

describe('booster and modules-load.d', () => {
  it('booster: merges into an existing modules_force_load and keeps other keys', () => {
    const e = editBoosterConf('compression: zstd\nmodules_force_load: nvme\n', vfioModules(KERNEL_68));
    expect(e.text).toBe('compression: zstd\nmodules_force_load: nvme,vfio,vfio_iommu_type1,vfio_pci\n');
    expect(editBoosterConf(e.text, vfioModules(KERNEL_68)).changed).toBe(false);
  });
  it('modules-load.d: one module per line, idempotent', () => {
    const e = editModulesLoad(null, ['vfio-pci']);
    expect(e.text).toMatch(/\nvfio_pci\n$/);
    expect(editModulesLoad(e.text, ['vfio_pci']).changed).toBe(false);
  });
});

describe('checking an image listing', () => {
  const expect_ = { vfioPciModule: true, files: ['/etc/modprobe.d/vfio.conf'] };
  it('lsinitramfs output (paths) with both → ok; without our file → missing', () => {
    const listing = 'usr/lib/modules/6.1.0-56-amd64/kernel/drivers/vfio/pci/vfio-pci.ko\netc/modprobe.d/vfio.conf\netc/modprobe.d/other.conf\n';
    expect(initramfsContains(listing, expect_)).toEqual({ ok: true, missing: [] });
    expect(initramfsContains(listing.replace('etc/modprobe.d/vfio.conf\n', ''), expect_)).toEqual({ ok: false, missing: ['/etc/modprobe.d/vfio.conf'] });
  });
  it('lsinitrd output (ls -l lines, compressed modules)', () => {
    const listing = '-rw-r--r--   1 root root  41236 Jan  1 00:00 usr/lib/modules/6.5.6-300.fc39.x86_64/kernel/drivers/vfio/pci/vfio-pci.ko.xz\n-rw-r--r--   1 root root     58 Jan  1 00:00 etc/modprobe.d/vfio.conf\n';
    expect(initramfsContains(listing, expect_).ok).toBe(true);
    expect(initramfsContains(listing.replace('vfio-pci.ko.xz', 'vfio.ko.xz'), expect_)).toEqual({ ok: false, missing: ['vfio-pci.ko'] });
  });
});
