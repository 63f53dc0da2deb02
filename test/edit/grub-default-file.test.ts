import { beforeAll, describe, expect, it } from 'vitest';
import { addParams, tokenizeCmdline } from '../../src/edit/cmdline-tokens.js';
import { editGrubDefault, readGrubVar, type GrubCmdlineKey } from '../../src/edit/grub-default-file.js';
import { corpusFiles } from './corpus.js';
import { grubCorpus } from './grub-corpus.js';
import { requireSh, shSyntaxOk, sourceWithSh } from './sh-oracle.js';
import { expectAddedOnce } from './token-checks.js';

const KEYS: GrubCmdlineKey[] = ['GRUB_CMDLINE_LINUX_DEFAULT', 'GRUB_CMDLINE_LINUX'];
const PARAMS = ['intel_iommu=on', 'iommu=pt', 'vfio-pci.ids=10de:1b81,10de:10f0', 'kvm.ignore_msrs=1'];
const shValue = (o: { linuxDefault: string | undefined; linux: string | undefined }, key: GrubCmdlineKey): string =>
  (key === 'GRUB_CMDLINE_LINUX' ? o.linux : o.linuxDefault) ?? '';
const otherKey = (key: GrubCmdlineKey): GrubCmdlineKey => (key === 'GRUB_CMDLINE_LINUX' ? 'GRUB_CMDLINE_LINUX_DEFAULT' : 'GRUB_CMDLINE_LINUX');

beforeAll(() => requireSh());

describe('editGrubDefault on every corpus /etc/default/grub, checked by sourcing with sh', () => {
  const samples = grubCorpus();
  const cases = samples.flatMap((sample) => KEYS.map((key) => ({ sample, key })));

  it('covers every file of the grub corpus', () => {
    for (const file of corpusFiles('grub')) expect(samples.some((s) => s.label.startsWith(file)), file).toBe(true);
    expect(samples.filter((s) => s.label.includes('fragments-per-distro'))).toHaveLength(5);
  });

  it('adds the params once, keeps every other byte, is a no-op the second time, and rolls back', () => {
    const edits = cases.map(({ sample, key }) => {
      const result = editGrubDefault(sample.text, { key, add: PARAMS, replaceConflicts: false });
      if (!result.ok) throw new Error(`${sample.label} ${key}: refused: ${result.reason}`);
      return { sample, key, result };
    });
    const outcomes = sourceWithSh(edits.flatMap(({ sample, result }) => [{ main: sample.text }, { main: result.text }]));

    edits.forEach(({ sample, key, result }, index) => {
      const before = outcomes[2 * index]!;
      const after = outcomes[2 * index + 1]!;
      const where = `${sample.label} ${key}`;
      expect(before.ok, `${where}: original sources cleanly (${before.stderr})`).toBe(true);
      expect(after.ok, `${where}: edited file sources cleanly (${after.stderr})`).toBe(true);

      // sh agrees with the editor's own reading, and the tokens are right.
      expect(result.before, where).toBe(shValue(before, key));
      expect(shValue(after, key), where).toBe(result.after);
      expect(shValue(after, key), where).toBe(addParams(shValue(before, key), PARAMS, { replaceConflicts: false }).line);
      expectAddedOnce(shValue(before, key), shValue(after, key), PARAMS);
      expect(shValue(after, otherKey(key)), `${where}: the other key is untouched`).toBe(shValue(before, otherKey(key)));

      // Only the value's bytes changed (or one line was appended at the end).
      const change = result.change!;
      if (result.appendedLine) {
        expect(result.text.startsWith(sample.text), where).toBe(true);
        expect(result.text.slice(sample.text.length)).toMatch(new RegExp(`^\\n?${key}="[^"\\n]*"\\n$`));
      } else {
        const assignment = [...sample.text.matchAll(new RegExp(`^(?:export[ \\t]+)?${key}=("[^"]*"|'[^']*'|[^\\s#]*)`, 'gm'))].at(-1)!;
        const valueStart = assignment.index + assignment[0].length - assignment[1]!.length;
        expect(change.start, where).toBeGreaterThanOrEqual(valueStart);
        expect(change.oldEnd, where).toBeLessThanOrEqual(assignment.index + assignment[0].length);
      }
      expect(sample.text.slice(0, change.start) + result.text.slice(change.start, change.newEnd) + sample.text.slice(change.oldEnd)).toBe(result.text);

      const again = editGrubDefault(result.text, { key, add: PARAMS, replaceConflicts: false });
      expect(again.ok && !again.changed && again.text === result.text, `${where}: second run is a no-op`).toBe(true);
      expect(again.ok && again.added, where).toEqual([]);

      const rollback = editGrubDefault(result.text, { key, add: [], remove: result.added, replaceConflicts: false });
      if (!rollback.ok) throw new Error(`${where}: rollback refused: ${rollback.reason}`);
      if (result.appendedLine) expect(rollback.after, where).toBe('');
      else expect(rollback.text, `${where}: rollback by arguments gives back the original bytes`).toBe(sample.text);
    });
  });

  it('reports the corpus conflicts (amd_iommu=on present, intel_iommu=off wanted) and replaces them only with consent', () => {
    const arch = samples.find((s) => s.label.includes('arch-ozzyhelix'))!;
    const refused = editGrubDefault(arch.text, { key: 'GRUB_CMDLINE_LINUX_DEFAULT', add: ['amd_iommu=off'], replaceConflicts: false });
    expect(refused.ok && refused.changed).toBe(false);
    expect(refused.ok && refused.conflicts).toEqual([{ wanted: 'amd_iommu=off', existing: ['amd_iommu=on'], replaced: false }]);
    const replaced = editGrubDefault(arch.text, { key: 'GRUB_CMDLINE_LINUX_DEFAULT', add: ['amd_iommu=off'], replaceConflicts: true });
    if (!replaced.ok) throw new Error(replaced.reason);
    const [sh] = sourceWithSh([{ main: replaced.text }]);
    expect(sh!.linuxDefault).toBe(refused.ok ? refused.before.replace('amd_iommu=on', 'amd_iommu=off') : '');
    expect(replaced.text.split('\n').filter((l, i) => l !== arch.text.split('\n')[i])).toHaveLength(1);
  });
});

describe('editGrubDefault: quoting styles and shell forms', () => {
  const key = 'GRUB_CMDLINE_LINUX_DEFAULT' as const;
  const cases: { name: string; text: string; add: string[]; expected: string }[] = [
    { name: 'double quotes', text: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\n', add: ['iommu=pt'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet splash iommu=pt"\n' },
    { name: 'single quotes keep their style', text: "GRUB_CMDLINE_LINUX_DEFAULT='quiet'\n", add: ['iommu=pt'], expected: "GRUB_CMDLINE_LINUX_DEFAULT='quiet iommu=pt'\n" },
    { name: 'unquoted plain word gets double quotes for the space', text: 'GRUB_CMDLINE_LINUX_DEFAULT=quiet\n', add: ['iommu=pt'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet iommu=pt"\n' },
    { name: 'empty unquoted value stays unquoted for one token', text: 'GRUB_CMDLINE_LINUX_DEFAULT= # was quiet\n', add: ['iommu=pt'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT=iommu=pt # was quiet\n' },
    { name: 'escaped unquoted space gets a quoted segment', text: 'GRUB_CMDLINE_LINUX_DEFAULT=quiet\\ splash\n', add: ['iommu=pt'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT=quiet\\ splash" iommu=pt"\n' },
    { name: 'trailing comment with quotes is kept', text: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet" # "old" \'x\' $y\n', add: ['iommu=pt'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet iommu=pt" # "old" \'x\' $y\n' },
    { name: 'the last of several assignments is edited; the commented one is not', text: '#GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX_DEFAULT="a"\nGRUB_CMDLINE_LINUX_DEFAULT="b"\n', add: ['iommu=pt'], expected: '#GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX_DEFAULT="a"\nGRUB_CMDLINE_LINUX_DEFAULT="b iommu=pt"\n' },
    { name: 'self-reference appends after it', text: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT splash"\n', add: ['iommu=pt', 'quiet'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT splash iommu=pt"\n' },
    { name: 'a known variable reference', text: 'X="a b"\nGRUB_CMDLINE_LINUX_DEFAULT=${X}\n', add: ['iommu=pt'], expected: 'X="a b"\nGRUB_CMDLINE_LINUX_DEFAULT=${X}" iommu=pt"\n' },
    { name: 'export prefix', text: 'export GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n', add: ['iommu=pt'], expected: 'export GRUB_CMDLINE_LINUX_DEFAULT="quiet iommu=pt"\n' },
    { name: 'missing key on a file without final newline', text: 'GRUB_TIMEOUT=5', add: ['iommu=pt'], expected: 'GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX_DEFAULT="iommu=pt"\n' },
    { name: 'params go before -- (init args untouched)', text: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet -- single"\n', add: ['iommu=pt'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet iommu=pt -- single"\n' },
    { name: 'quotes and dollars in a param are escaped for double quotes', text: 'GRUB_CMDLINE_LINUX_DEFAULT=""\n', add: ['p="a b"', 'q=$x'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT="p=\\"a b\\" q=\\$x"\n' },
    { name: 'single quote inside single-quoted value', text: "GRUB_CMDLINE_LINUX_DEFAULT='quiet'\n", add: ["q='x'"], expected: "GRUB_CMDLINE_LINUX_DEFAULT='quiet q='\\''x'\\'''\n" },
    { name: 'multi-line double-quoted value', text: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet\nsplash"\n', add: ['iommu=pt'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet\nsplash iommu=pt"\n' },
    { name: 'vfio-pci.ids merges into the existing list', text: 'GRUB_CMDLINE_LINUX_DEFAULT="vfio_pci.ids=10de:1b81 quiet"\n', add: ['vfio-pci.ids=10de:10f0,10de:1b81'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT="vfio_pci.ids=10de:1b81,10de:10f0 quiet"\n' },
    { name: '- and _ are equal in names', text: 'GRUB_CMDLINE_LINUX_DEFAULT="vfio_iommu_type1.allow-unsafe-interrupts=1"\n', add: ['vfio-iommu-type1.allow_unsafe_interrupts=1'], expected: 'GRUB_CMDLINE_LINUX_DEFAULT="vfio_iommu_type1.allow-unsafe-interrupts=1"\n' },
  ];
  it.each(cases)('$name', ({ text, add, expected }) => {
    const result = editGrubDefault(text, { key, add, replaceConflicts: false });
    if (!result.ok) throw new Error(result.reason);
    expect(result.text).toBe(expected);
  });
  it('sh reads every expected text as the editor says', () => {
    const outcomes = sourceWithSh(cases.map((c) => ({ main: c.expected })));
    cases.forEach((c, index) => {
      expect(outcomes[index]!.ok, c.name).toBe(true);
      const read = readGrubVar(c.expected, key);
      expect(read.ok && read.value, c.name).toBe(outcomes[index]!.linuxDefault);
    });
  });
});

describe('editGrubDefault refuses what it cannot understand (negative controls)', () => {
  const broken = [
    'GRUB_CMDLINE_LINUX_DEFAULT="quiet\n',
    "GRUB_CMDLINE_LINUX_DEFAULT='quiet\nGRUB_TIMEOUT=5\n",
    'GRUB_DISTRIBUTOR=`lsb_release -i -s\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n',
    'GRUB_DISTRIBUTOR="$(sed s/x/y/ /etc/os-release"\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n',
    'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT"\n',
    'GRUB_CMDLINE_LINUX_DEFAULT=(quiet)\n',
    'if true; then\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n',
  ];
  it.each(broken)('refuses a file sh -n also rejects: %j', (text) => {
    expect(shSyntaxOk(text), 'sh -n agrees the file is broken').toBe(false);
    const result = editGrubDefault(text, { key: 'GRUB_CMDLINE_LINUX_DEFAULT', add: ['iommu=pt'], replaceConflicts: false });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(/nothing was changed/);
  });

  const unreadable = [
    { text: 'GRUB_CMDLINE_LINUX_DEFAULT="$(cat /etc/cmdline)"\n', why: /computed/ },
    { text: 'GRUB_CMDLINE_LINUX_DEFAULT="quiet `echo x`"\n', why: /computed/ },
    { text: 'GRUB_CMDLINE_LINUX_DEFAULT="$EXTRA quiet"\n', why: /\$EXTRA/ },
    { text: 'GRUB_CMDLINE_LINUX_DEFAULT="${X:-quiet}"\n', why: /computed/ },
    { text: '. /etc/default/grub.local\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n', why: /shell code/ },
    { text: 'if [ -e /x ]; then\n  GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nfi\n', why: /shell code/ },
  ];
  it.each(unreadable)('refuses valid shell it cannot model: $text', ({ text, why }) => {
    expect(shSyntaxOk(text), 'sh -n accepts it').toBe(true);
    const result = editGrubDefault(text, { key: 'GRUB_CMDLINE_LINUX_DEFAULT', add: ['iommu=pt'], replaceConflicts: false });
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(why);
  });

  it('an unmodelled change would be caught: a computed value in another key is fine', () => {
    const text = 'GRUB_DISTRIBUTOR=`lsb_release -i -s 2> /dev/null || echo Debian`\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\n';
    const result = editGrubDefault(text, { key: 'GRUB_CMDLINE_LINUX_DEFAULT', add: ['iommu=pt'], replaceConflicts: false });
    expect(result.ok && result.after).toBe('quiet iommu=pt');
    expect(tokenizeCmdline(result.ok ? result.after : '').tokens).toHaveLength(2);
  });
});
