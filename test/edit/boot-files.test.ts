// The other homes of the kernel command line, on the corpus captures: /etc/kernel/cmdline
// (Proxmox), systemd-boot / BLS entries (Arch, Rocky, Fedora, a Pop!_OS fragment), kernelstub's
// JSON (Pop!_OS), refind_linux.conf. Each: no-op edit → identical bytes; add → params once,
// nothing else changed; again → no-op; remove what was added → original bytes.
import { describe, expect, it } from 'vitest';
import type { CmdlineFileEditResult } from '../../src/edit/cmdline-edit-result.js';
import { editKernelCmdlineFile, readKernelCmdlineFile } from '../../src/edit/kernel-cmdline-file.js';
import { editKernelstubConfig, readKernelstubOptions } from '../../src/edit/kernelstub-config.js';
import { editLoaderEntry, readLoaderEntryOptions } from '../../src/edit/loader-entry.js';
import { REFIND_VFIO_TITLE, editRefindLinuxConf, readRefindEntries } from '../../src/edit/refind-linux-conf.js';
import { corpusBody } from './corpus.js';
import { fragmentOptionsLine } from './grub-corpus.js';
import { expectAddedOnce, expectAddedOnceOrConflict } from './token-checks.js';

const PARAMS = ['intel_iommu=on', 'iommu=pt', 'vfio-pci.ids=10de:1b81,10de:10f0', 'kvm.ignore_msrs=1'];
const ok = (r: CmdlineFileEditResult) => {
  if (!r.ok) throw new Error(r.reason);
  return r;
};

type Editor = (text: string, request: { add: readonly string[]; remove?: readonly string[]; replaceConflicts: boolean }) => CmdlineFileEditResult;

function roundTrip(label: string, text: string, edit: Editor, read: (t: string) => string): void {
  const noop = ok(edit(text, { add: [], replaceConflicts: false }));
  expect(noop.text, `${label}: no-op edit keeps the bytes`).toBe(text);
  expect(noop.changed).toBe(false);
  const before = read(text);
  const added = ok(edit(text, { add: PARAMS, replaceConflicts: false }));
  expectAddedOnceOrConflict(before, read(added.text), PARAMS, added.conflicts);
  // Only lines holding the command line changed.
  const a = text.split('\n');
  const b = added.text.split('\n');
  const changed = b.filter((line, i) => line !== a[i]);
  expect(changed.length, label).toBeLessThanOrEqual(1);
  const again = ok(edit(added.text, { add: PARAMS, replaceConflicts: false }));
  expect(again.text, `${label}: second run is a no-op`).toBe(added.text);
  const back = ok(edit(added.text, { add: [], remove: added.added, replaceConflicts: false }));
  expect(back.text, `${label}: removing what was added restores the bytes`).toBe(text);
}

describe('/etc/kernel/cmdline (Proxmox captures)', () => {
  // Both files are the whole /etc/kernel/cmdline: one line with its final newline.
  for (const file of ['bootloader/proxmox-etc-kernel-cmdline-zfs-isolcpus.txt', 'bootloader/proxmox-etc-kernel-cmdline-btrfs-root-uuid.txt']) {
    it(file, () => {
      const text = corpusBody(file);
      roundTrip(file, text, editKernelCmdlineFile, (t) => readKernelCmdlineFile(t)!);
      const r = ok(editKernelCmdlineFile(text, { add: PARAMS, replaceConflicts: false }));
      expect(r.alreadyPresent).toEqual(['intel_iommu=on', 'iommu=pt']);
      expect(r.text.endsWith(' vfio-pci.ids=10de:1b81,10de:10f0 kvm.ignore_msrs=1\n')).toBe(true);
    });
  }
  it('the EFISTUB cmdline (vvorth) with its trailing space and existing vfio-pci.ids', () => {
    // One line with a trailing space and no newline after it in the capture; used as a one-line file.
    const text = corpusBody('bootloader/vvorth-arch-efistub-cmdline-vfio-hugepages.txt');
    roundTrip('vvorth', text, editKernelCmdlineFile, (t) => readKernelCmdlineFile(t)!);
    const r = ok(editKernelCmdlineFile(text, { add: ['vfio-pci.ids=10de:1c82,10de:1b81'], replaceConflicts: false }));
    expect(readKernelCmdlineFile(r.text)).toContain('vfio-pci.ids=10de:1c82,10de:0fb9,1022:145a,1022:145c,1022:1456,10de:1b81 ');
  });
  it('refuses a file with two command lines', () => {
    expect(editKernelCmdlineFile('a\nb\n', { add: PARAMS, replaceConflicts: false }).ok).toBe(false);
  });
});

describe('systemd-boot / BLS loader entries', () => {
  const entries: { label: string; text: string }[] = [
    { label: 'arch systemd-boot entry', text: corpusBody('bootloader/systemd-boot-entry-arch-zen-amd-ucode-rw-and-ro.txt') },
    // The capture starts with the `cat` prompt line; the entry is what follows.
    { label: 'rocky 9.4 BLS entry', text: corpusBody('bootloader/rocky94-bls-entry-trailing-space-no-rhgb.txt').split('\n').slice(1).join('\n') },
    // The options line ends in a pager's `>` as posted; kept, it is just a token here.
    { label: 'fedora 37 BLS entry', text: corpusBody('bootloader/fedora37-bls-entry-btrfs-subvol-truncated-options.txt') },
    { label: 'pop!_os options fragment', text: `${fragmentOptionsLine()}\n` },
  ];
  it.each(entries)('$label round-trips', ({ label, text }) => {
    expect(text.startsWith('root@')).toBe(false);
    roundTrip(label, text, editLoaderEntry, readLoaderEntryOptions);
  });
  it('keeps the Rocky trailing space and every non-options line', () => {
    const text = entries[1]!.text;
    const r = ok(editLoaderEntry(text, { add: ['iommu=pt'], replaceConflicts: false }));
    expect(r.text).toBe(text.replace('rd.lvm.lv=rl_bogon/swap \n', 'rd.lvm.lv=rl_bogon/swap iommu=pt \n'));
  });
  it('several options lines are one command line; a conflict on the first line is replaced there', () => {
    const text = 'title T\noptions root=/dev/sda1 intel_iommu=off\noptions quiet\n';
    expect(readLoaderEntryOptions(text)).toBe('root=/dev/sda1 intel_iommu=off quiet');
    const kept = ok(editLoaderEntry(text, { add: ['intel_iommu=on', 'iommu=pt'], replaceConflicts: false }));
    expect(kept.text).toBe('title T\noptions root=/dev/sda1 intel_iommu=off\noptions quiet iommu=pt\n');
    const replaced = ok(editLoaderEntry(text, { add: ['intel_iommu=on', 'iommu=pt'], replaceConflicts: true }));
    expect(replaced.text).toBe('title T\noptions root=/dev/sda1 intel_iommu=on\noptions quiet iommu=pt\n');
  });
  it('an entry without options gets one', () => {
    const r = ok(editLoaderEntry('title T\nlinux /vmlinuz', { add: ['iommu=pt'], replaceConflicts: false }));
    expect(r.text).toBe('title T\nlinux /vmlinuz\noptions iommu=pt\n');
    expect(ok(editLoaderEntry('options\n', { add: ['iommu=pt'], replaceConflicts: false })).text).toBe('options iommu=pt\n');
  });
});

describe('kernelstub configuration (Pop!_OS capture)', () => {
  const text = corpusBody('bootloader/popos-kernelstub-configuration-json.txt');
  it('reads user.kernel_options', () => {
    expect(readKernelstubOptions(text)).toEqual({ ok: true, options: ['loglevel=7', 'resume=UUID=c117c9f9-83e4-48cb-b425-451d605fb21b', 'systemd.show_status=true'] });
  });
  it('no-op keeps bytes; add keeps kernelstub\'s own formatting; removal restores the bytes', () => {
    const noop = editKernelstubConfig(text, { add: [], replaceConflicts: false });
    expect(noop.ok && noop.text).toBe(text);
    const added = editKernelstubConfig(text, { add: PARAMS, replaceConflicts: false });
    if (!added.ok) throw new Error(added.reason);
    expect(added.reformatted).toBe(false);
    expect(added.text).toContain('      "systemd.show_status=true",\n      "intel_iommu=on",\n');
    expectAddedOnce(['loglevel=7', 'resume=UUID=c117c9f9-83e4-48cb-b425-451d605fb21b', 'systemd.show_status=true'].join(' '), added.options.join(' '), PARAMS);
    const again = editKernelstubConfig(added.text, { add: PARAMS, replaceConflicts: false });
    expect(again.ok && again.text).toBe(added.text);
    const back = editKernelstubConfig(added.text, { add: [], remove: added.added, replaceConflicts: false });
    expect(back.ok && back.text).toBe(text);
  });
  it('refuses a configuration without a user section', () => {
    expect(editKernelstubConfig('{"default": {}}', { add: PARAMS, replaceConflicts: false }).ok).toBe(false);
    expect(editKernelstubConfig('{', { add: PARAMS, replaceConflicts: false }).ok).toBe(false);
  });
});

describe('refind_linux.conf', () => {
  // Built from the vvorth EFISTUB command line (the kernel image path is rEFInd's job, so it is
  // left out of the options, as rEFInd users write it).
  const cmdline = corpusBody('bootloader/vvorth-arch-efistub-cmdline-vfio-hugepages.txt').replace(/^\\vmlinuz-linux /, '').trim();
  const text = `"Boot with standard options"  "${cmdline}"\n"Boot to single-user mode"    "${cmdline} single"\n`;
  it('puts a VFIO line first and keeps the original right after it as the fallback', () => {
    const r = ok(editRefindLinuxConf(text, { add: PARAMS, replaceConflicts: false }));
    const entries = readRefindEntries(r.text)!;
    expect(entries.map((e) => e.title)).toEqual([REFIND_VFIO_TITLE, 'Boot with standard options', 'Boot to single-user mode']);
    expect(r.text.endsWith(text)).toBe(true);
    expectAddedOnceOrConflict(cmdline, entries[0]!.options, PARAMS, r.conflicts);
    const again = ok(editRefindLinuxConf(r.text, { add: PARAMS, replaceConflicts: false }));
    expect(again.text).toBe(r.text);
    const more = ok(editRefindLinuxConf(r.text, { add: ['kvm.ignore_msrs=1', 'video=efifb:off'], replaceConflicts: false }));
    expect(readRefindEntries(more.text)!.length).toBe(3);
  });
  it('refuses what it cannot parse', () => {
    expect(editRefindLinuxConf('"title only"\n', { add: PARAMS, replaceConflicts: false }).ok).toBe(false);
    expect(editRefindLinuxConf('# only a comment\n', { add: PARAMS, replaceConflicts: false }).ok).toBe(false);
  });
});
