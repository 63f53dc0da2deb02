import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addParams } from '../../src/edit/cmdline-tokens.js';
import { grubDropinName, planGrubCmdline, readOwnDropinTokens, renderGrubDropin, sourcedDropins } from '../../src/edit/grub-dropin.js';
import { corpusBody } from './corpus.js';
import { grubCorpus } from './grub-corpus.js';
import { requireSh, shGlobOrder, sourceWithSh } from './sh-oracle.js';
import { expectAddedOnce } from './token-checks.js';

const DEBIAN = { id: 'debian', idLike: [] };
const UBUNTU = { id: 'ubuntu', idLike: ['debian'] };
const MINT = { id: 'linuxmint', idLike: ['ubuntu', 'debian'] };
const ARCH = { id: 'arch', idLike: [] };
const PARAMS = ['intel_iommu=on', 'iommu=pt'];
const KEY = 'GRUB_CMDLINE_LINUX_DEFAULT' as const;

beforeAll(() => requireSh());

// The Mint capture shows update-grub sourcing /etc/default/grub, then 50_linuxmint.cfg, then
// init-select.cfg; the names are read from it rather than typed in.
function mintDropinNames(): string[] {
  const body = corpusBody('bootloader/mint-update-grub-sources-grub-d-dropins.txt');
  return [...body.matchAll(/Sourcing file `\/etc\/default\/grub\.d\/([^']+)'/g)].map((m) => m[1]!);
}

function bashGlobOrder(names: string[]): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-wizard-bash-glob-'));
  try {
    for (const name of names) fs.writeFileSync(path.join(dir, name), '');
    const run = spawnSync('bash', ['-c', 'for x in *.cfg; do printf "%s\\n" "$x"; done'], { cwd: dir, env: { LC_ALL: 'C.UTF-8' }, encoding: 'utf8' });
    if (run.error) throw run.error;
    return run.stdout.split('\n').filter((l) => l !== '');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('grubDropinName', () => {
  const layouts: { existing: string[]; expected: string }[] = [
    { existing: [], expected: '99-vfio-wizard.cfg' },
    { existing: ['50-cloudimg-settings.cfg'], expected: '99-vfio-wizard.cfg' },
    { existing: mintDropinNames(), expected: 'zz-vfio-wizard.cfg' },
    { existing: ['init-select.cfg', 'zz-local.cfg'], expected: 'zz-vfio-wizard.cfg' },
    { existing: ['init-select.cfg', 'zz-zoo.cfg'], expected: 'zzz-vfio-wizard.cfg' },
    { existing: ['99-zzz.cfg', 'README'], expected: 'zz-vfio-wizard.cfg' },
    { existing: ['99-vfio-wizard.cfg', '10_a.cfg'], expected: '99-vfio-wizard.cfg' },
  ];
  it('reads the Mint drop-in names from the corpus capture, in sh glob order', () => {
    const names = mintDropinNames();
    expect(names).toEqual(['50_linuxmint.cfg', 'init-select.cfg']);
    expect(shGlobOrder(names)).toEqual(names);
    expect(sourcedDropins([...names].reverse())).toEqual(names);
  });
  it.each(layouts)('after $existing → $expected, last in dash and bash glob order', ({ existing, expected }) => {
    const named = grubDropinName(existing);
    expect(named).toEqual({ ok: true, name: expected });
    const all = [...new Set([...existing, expected])];
    expect(shGlobOrder(all).at(-1)).toBe(expected);
    expect(bashGlobOrder(all).at(-1)).toBe(expected);
    expect(sourcedDropins(all)).toEqual(shGlobOrder(all));
  });
});

// The sourcing block of the installed grub-mkconfig itself (grub2-common), run against a temp
// sysconfdir: the real order in which update-grub reads /etc/default/grub and grub.d/*.cfg.
function realGrubMkconfigSourcing(files: { main: string; dropins: { name: string; text: string }[] }): string {
  const tool = '/usr/sbin/grub-mkconfig';
  if (!fs.existsSync(tool)) throw new Error(`${tool} is missing: install grub2-common (listed in .ci/run)`);
  const block = /if test -f \$\{sysconfdir\}\/default\/grub ; then[\s\S]*?\ndone\n/.exec(fs.readFileSync(tool, 'utf8'));
  if (!block) throw new Error(`${tool} no longer has the sourcing block this test extracts`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfio-wizard-mkconfig-'));
  try {
    fs.mkdirSync(path.join(dir, 'default', 'grub.d'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'default', 'grub'), files.main);
    for (const d of files.dropins) fs.writeFileSync(path.join(dir, 'default', 'grub.d', d.name), d.text);
    const script = `sysconfdir='${dir}'\n${block[0]}printf '%s' "$GRUB_CMDLINE_LINUX_DEFAULT"\n`;
    const run = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
    if (run.error) throw run.error;
    expect(run.stderr).toBe('');
    return run.stdout;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('with the sourcing code of the installed grub-mkconfig', () => {
  it('our drop-in, named after Mint\'s and a cloud image\'s, is applied last', () => {
    const main = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n';
    const others = [
      { name: '50-cloudimg-settings.cfg', text: 'GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"\n' },
      ...mintDropinNames().map((name) => ({ name, text: name.startsWith('50') ? 'GRUB_DISTRIBUTOR="Linux Mint"\n' : '# nothing\n' })),
    ];
    const plan = planGrubCmdline({ distro: MINT, key: KEY, mainText: main, dropins: others, add: PARAMS, replaceConflicts: false });
    if (plan.kind !== 'dropin' || plan.content === null) throw new Error(`expected a drop-in, got ${plan.kind}`);
    expect(realGrubMkconfigSourcing({ main, dropins: others })).toBe('console=tty1 console=ttyS0');
    expect(realGrubMkconfigSourcing({ main, dropins: [...others, { name: plan.name, text: plan.content }] })).toBe('console=tty1 console=ttyS0 intel_iommu=on iommu=pt');
    // Negative control: the same drop-in under a name that sorts too early loses to the cloud image.
    expect(realGrubMkconfigSourcing({ main, dropins: [...others, { name: '10-vfio-wizard.cfg', text: plan.content }] })).toBe('console=tty1 console=ttyS0');
  });
});

describe('renderGrubDropin', () => {
  it('appends to the earlier value and reads back', () => {
    const text = renderGrubDropin(KEY, ['intel_iommu=on', 'p=$x"y']);
    expect(text.split('\n').at(-2)).toBe('GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} intel_iommu=on p=\\$x\\"y"');
    expect(readOwnDropinTokens(text, KEY)).toEqual(['intel_iommu=on', 'p=$x"y']);
    const [sh] = sourceWithSh([{ main: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n', dropins: [{ name: '99-vfio-wizard.cfg', text }] }]);
    expect(sh!.linuxDefault).toBe('quiet intel_iommu=on p=$x"y');
  });
  it('a hand-edited drop-in is not taken for ours', () => {
    expect(readOwnDropinTokens('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n', KEY)).toBeNull();
  });
});

describe('planGrubCmdline', () => {
  it('Ubuntu cloud image: our drop-in sorts after 50-cloudimg-settings.cfg, which overrides the main file', () => {
    const main = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n';
    const cloud = { name: '50-cloudimg-settings.cfg', text: '# Cloud Image specific Grub settings\nGRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0"\nGRUB_TERMINAL=console\n' };
    const plan = planGrubCmdline({ distro: UBUNTU, key: KEY, mainText: main, dropins: [cloud], add: PARAMS, replaceConflicts: false });
    expect(plan).toMatchObject({ kind: 'dropin', name: '99-vfio-wizard.cfg', remove: [], unchanged: false, added: PARAMS });
    if (plan.kind !== 'dropin') throw new Error('expected a drop-in');
    const ours = { name: plan.name, text: plan.content! };
    const [before, after] = sourceWithSh([{ main, dropins: [cloud] }, { main, dropins: [cloud, ours] }]);
    expect(after!.ok).toBe(true);
    expect(after!.linuxDefault).toBe(`${before!.linuxDefault} intel_iommu=on iommu=pt`);

    const again = planGrubCmdline({ distro: UBUNTU, key: KEY, mainText: main, dropins: [cloud, ours], add: PARAMS, replaceConflicts: false });
    expect(again).toMatchObject({ kind: 'dropin', name: plan.name, content: plan.content, unchanged: true, added: [], alreadyPresent: PARAMS });

    const more = planGrubCmdline({ distro: UBUNTU, key: KEY, mainText: main, dropins: [cloud, ours], add: ['kvm.ignore_msrs=1'], replaceConflicts: false });
    if (more.kind !== 'dropin') throw new Error('expected a drop-in');
    expect(readOwnDropinTokens(more.content!, KEY)).toEqual([...PARAMS, 'kvm.ignore_msrs=1']);
    expect(more.added).toEqual(['kvm.ignore_msrs=1']);
  });

  it('every full corpus grub file on Debian: the drop-in adds the params once, sourced in order by sh', () => {
    const samples = grubCorpus().filter((s) => !s.label.includes('fragments-per-distro'));
    const plans = samples.map((s) => {
      const plan = planGrubCmdline({ distro: DEBIAN, key: KEY, mainText: s.text, dropins: [{ name: 'init-select.cfg', text: '# does nothing\n' }], add: PARAMS, replaceConflicts: false });
      if (plan.kind !== 'dropin') throw new Error(`${s.label}: ${plan.kind}: ${plan.reason}`);
      return plan;
    });
    const outcomes = sourceWithSh(samples.flatMap((s, i) => [
      { main: s.text, dropins: [{ name: 'init-select.cfg', text: '# does nothing\n' }] },
      { main: s.text, dropins: [{ name: 'init-select.cfg', text: '# does nothing\n' }, ...(plans[i]!.content ? [{ name: plans[i]!.name, text: plans[i]!.content! }] : [])] },
    ]));
    samples.forEach((s, i) => {
      const before = outcomes[2 * i]!;
      const after = outcomes[2 * i + 1]!;
      expect(after.ok, `${s.label}: ${after.stderr}`).toBe(true);
      expect(plans[i]!.name).toBe('zz-vfio-wizard.cfg');
      expectAddedOnce(before.linuxDefault ?? '', after.linuxDefault ?? '', PARAMS);
      expect(after.linux).toBe(before.linux);
      // Rollback is deleting the drop-in: the main file was never touched.
    });
  });

  it('a conflict to replace, or a vfio-pci.ids list to merge, needs the main file edited', () => {
    const main = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=off vfio-pci.ids=10de:1b81"\n';
    const conflict = planGrubCmdline({ distro: DEBIAN, key: KEY, mainText: main, dropins: [], add: ['intel_iommu=on'], replaceConflicts: true });
    expect(conflict).toMatchObject({ kind: 'direct' });
    const noConsent = planGrubCmdline({ distro: DEBIAN, key: KEY, mainText: main, dropins: [], add: ['intel_iommu=on'], replaceConflicts: false });
    expect(noConsent).toMatchObject({ kind: 'dropin', content: null, unchanged: true, conflicts: [{ wanted: 'intel_iommu=on', existing: ['intel_iommu=off'], replaced: false }] });
    const merge = planGrubCmdline({ distro: DEBIAN, key: KEY, mainText: main, dropins: [], add: ['vfio-pci.ids=10de:10f0'], replaceConflicts: false });
    expect(merge).toMatchObject({ kind: 'direct' });
    expect(addParams('quiet vfio-pci.ids=10de:1b81', ['vfio-pci.ids=10de:10f0'], { replaceConflicts: false }).line).toBe('quiet vfio-pci.ids=10de:1b81,10de:10f0');
  });

  it('refuses when another drop-in holds the token that must change', () => {
    const plan = planGrubCmdline({ distro: DEBIAN, key: KEY, mainText: '', dropins: [{ name: '50-local.cfg', text: 'GRUB_CMDLINE_LINUX_DEFAULT="intel_iommu=off"\n' }], add: ['intel_iommu=on'], replaceConflicts: true });
    expect(plan).toMatchObject({ kind: 'refuse' });
  });

  it('non-Debian GRUB (Arch, Fedora) does not read grub.d: edit the main file', () => {
    expect(planGrubCmdline({ distro: ARCH, key: KEY, mainText: '', dropins: [], add: PARAMS, replaceConflicts: false })).toMatchObject({ kind: 'direct' });
    expect(planGrubCmdline({ distro: { id: 'fedora', idLike: [] }, key: KEY, mainText: '', dropins: [], add: PARAMS, replaceConflicts: false })).toMatchObject({ kind: 'direct' });
    expect(planGrubCmdline({ distro: MINT, key: KEY, mainText: '', dropins: [], add: PARAMS, replaceConflicts: false })).toMatchObject({ kind: 'dropin' });
  });

  it('a main file it cannot read is refused, and a renamed own drop-in is moved', () => {
    expect(planGrubCmdline({ distro: DEBIAN, key: KEY, mainText: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet\n', dropins: [], add: PARAMS, replaceConflicts: false })).toMatchObject({ kind: 'refuse' });
    const old = { name: '99-vfio-wizard.cfg', text: renderGrubDropin(KEY, PARAMS) };
    const plan = planGrubCmdline({ distro: DEBIAN, key: KEY, mainText: '', dropins: [old, { name: 'init-select.cfg', text: '' }], add: PARAMS, replaceConflicts: false });
    expect(plan).toMatchObject({ kind: 'dropin', name: 'zz-vfio-wizard.cfg', remove: ['99-vfio-wizard.cfg'], unchanged: false, added: [], alreadyPresent: PARAMS });
  });
});
