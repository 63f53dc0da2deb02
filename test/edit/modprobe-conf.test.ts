// The modprobe.d reader/editor on the corpus's real files: every unrelated line stays byte for byte,
// what is already configured is recognised, and a second edit changes nothing.
import { describe, expect, it } from 'vitest';
import { chooseModprobeFile, effectiveSoftdeps, kmodConfigOrder, parseModprobeFile, planModprobeEdits, vfioPciIdsConfigured, VFIO_MODPROBE_FILE, type ModprobeWant } from '../../src/edit/modprobe-conf.js';
import { corpusBody, corpusFiles } from './corpus.js';

const want: ModprobeWant = { ids: ['10de:21c4', '10de:1aeb'], softdeps: ['nouveau', 'snd-hda-intel', 'xhci_pci'], blacklist: [] };

describe('parsing modprobe.d', () => {
  it('joins backslash continuations, skips comments, normalises module names', () => {
    const p = parseModprobeFile('# comment\noptions vfio-pci \\\n  ids=10de:1b80,10de:10f0 \\\n  disable_vga=1\n\nsoftdep snd-hda-intel pre: vfio-pci\n');
    expect(p.statements.map((s) => [s.command, s.module, s.args, s.firstLine, s.lastLine])).toEqual([
      ['options', 'vfio_pci', ['ids=10de:1b80,10de:10f0', 'disable_vga=1'], 1, 3],
      ['softdep', 'snd_hda_intel', ['pre:', 'vfio-pci'], 5, 5],
    ]);
  });

  it('orders files the way kmod does: by base name, /etc hiding /lib of the same name, *.conf only', () => {
    expect(kmodConfigOrder(['/lib/modprobe.d/vfio.conf', '/etc/modprobe.d/vfio.conf', '/lib/modprobe.d/50-x.conf', '/etc/modprobe.d/README', '/etc/modprobe.d/00-a.conf'])).toEqual([
      '/etc/modprobe.d/00-a.conf',
      '/lib/modprobe.d/50-x.conf',
      '/etc/modprobe.d/vfio.conf',
    ]);
  });

  it('our file is /etc/modprobe.d/vfio.conf unless that would hide a vfio.conf a package ships elsewhere', () => {
    expect(chooseModprobeFile([])).toBe(VFIO_MODPROBE_FILE);
    expect(chooseModprobeFile(['/etc/modprobe.d/vfio.conf', '/lib/modprobe.d/vfio.conf'])).toBe(VFIO_MODPROBE_FILE);
    expect(chooseModprobeFile(['/usr/lib/modprobe.d/vfio.conf'])).toBe('/etc/modprobe.d/vfio-wizard.conf');
  });

  it('reads what the corpus files configure', () => {
    const ozzy = corpusBody('modprobe/ozzyhelix-vfio-ids-gpu-usb-cards-many-softdeps-typo.txt');
    const soft = effectiveSoftdeps({ [VFIO_MODPROBE_FILE]: ozzy });
    expect([...soft.keys()]).toEqual(['radeon', 'amdgpu', 'snd_hda_intel', 'nouveau', 'drm', 'nvidia', 'xhci_hdc']);
    expect(soft.get('nouveau')!.pre).toEqual(['vfio_pci']);
    expect(vfioPciIdsConfigured({ [VFIO_MODPROBE_FILE]: ozzy })).toEqual([{ path: VFIO_MODPROBE_FILE, ids: ['10de:1b83', '10de:10f0', '1912:0014', '1b73:1100'] }]);
  });
});

describe('editing the corpus files', () => {
  for (const file of corpusFiles('modprobe')) {
    it(`${file}: as our vfio.conf, unrelated lines stay, a second edit is a no-op`, () => {
      const before = corpusBody(file);
      const first = planModprobeEdits({ [VFIO_MODPROBE_FILE]: before }, want);
      const after = first.changes[VFIO_MODPROBE_FILE];
      expect(after).toBeDefined();
      const orig = parseModprobeFile(before);
      const out = parseModprobeFile(after!);
      const touched = new Set<number>();
      for (const s of orig.statements) {
        const ours = (s.command === 'options' && s.module === 'vfio_pci' && s.args.some((a) => a.startsWith('ids='))) || (s.command === 'softdep' && ['nouveau', 'snd_hda_intel', 'xhci_pci'].includes(s.module));
        if (ours) for (let i = s.firstLine; i <= s.lastLine; i++) touched.add(i);
      }
      orig.lines.forEach((line, i) => {
        if (!touched.has(i)) expect(out.lines[i], `line ${i + 1}`).toBe(line);
      });
      expect(out.lines.length).toBeGreaterThanOrEqual(orig.lines.length);
      const second = planModprobeEdits({ [VFIO_MODPROBE_FILE]: after! }, want);
      expect(second.changes).toEqual({});
    });
  }

  it('fedora laptop: the ids line is extended, the separate disable_vga line is left alone', () => {
    const before = corpusBody('modprobe/fedora-laptop-vfio-ids-split-options-lines.txt');
    const r = planModprobeEdits({ [VFIO_MODPROBE_FILE]: before }, { ids: ['10de:1c8c', '10de:10f1'], softdeps: [], blacklist: [] });
    expect(r.changes[VFIO_MODPROBE_FILE]).toBe('options vfio-pci ids=10de:1c8c,10de:10f1\noptions vfio-pci disable_vga=1\n');
  });

  it('ozzyhelix: softdeps that already name vfio-pci are kept, the missing ones appended, the typo line untouched', () => {
    const before = corpusBody('modprobe/ozzyhelix-vfio-ids-gpu-usb-cards-many-softdeps-typo.txt');
    const r = planModprobeEdits({ [VFIO_MODPROBE_FILE]: before }, { ids: ['10de:1b83'], softdeps: ['nouveau', 'snd_hda_intel', 'xhci_pci'], blacklist: [] });
    expect(r.changes[VFIO_MODPROBE_FILE]).toBe(`${before}softdep xhci_pci pre: vfio-pci\n`);
  });

  it('ubuntu 01-vfio-pci.conf next to our file: its ids= is reported as a conflict, not overwritten', () => {
    const theirs = '/etc/modprobe.d/01-vfio-pci.conf';
    const before = corpusBody('modprobe/ubuntu1804-01-vfio-pci-softdeps-nouveau-nvidiafb-hda.txt');
    const r = planModprobeEdits({ [theirs]: before }, { ids: ['10de:21c4'], softdeps: ['nouveau', 'snd_hda_intel'], blacklist: [] });
    expect(r.changes[theirs]).toBeUndefined();
    expect(r.conflicts).toHaveLength(1);
    expect(r.conflicts[0]).toMatch(/01-vfio-pci\.conf also sets vfio-pci ids=10de:1c03,10de:10f1/);
    // its softdeps already load vfio-pci first: ours does not repeat them
    expect(r.changes[VFIO_MODPROBE_FILE]).not.toMatch(/softdep/);
  });

  it('a file without a final newline keeps its last line intact when we append', () => {
    const r = planModprobeEdits({ [VFIO_MODPROBE_FILE]: 'options kvm_amd npt=0' }, { ids: ['1ed2:0000'], softdeps: [], blacklist: [] });
    expect(r.changes[VFIO_MODPROBE_FILE]).toBe('options kvm_amd npt=0\noptions vfio-pci ids=1ed2:0000\n');
  });

  it('a softdep split over continuation lines in another file is rewritten in place, the file keeps its line count', () => {
    const other = '/etc/modprobe.d/00-gpu.conf';
    const text = '# gpu\nsoftdep amdgpu \\\n  pre: foo\noptions amdgpu si_support=1\n';
    const r = planModprobeEdits({ [other]: text }, { ids: [], softdeps: ['amdgpu'], blacklist: [] });
    const out = r.changes[other]!;
    expect(out.split('\n')).toHaveLength(text.split('\n').length);
    expect(out.split('\n')[1]).toBe('softdep amdgpu pre: vfio-pci foo');
    expect(out.split('\n')[3]).toBe('options amdgpu si_support=1');
    expect(effectiveSoftdeps({ [other]: out }).get('amdgpu')!.pre).toEqual(['vfio_pci', 'foo']);
  });
});
