// Generated /etc/default/grub files with generated drop-ins of other packages in
// /etc/default/grub.d (appending to the key, replacing it, or leaving it alone; names sorting
// before and after ours): whenever the step places its parameters in a drop-in, sh sourcing the
// files in grub-mkconfig's order must end with exactly what adding them to the effective value
// gives — each parameter once, every earlier token kept — and without our drop-in, the original.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { addParams, tokenizeCmdline } from '../../src/edit/cmdline-tokens.js';
import { planGrubCmdline } from '../../src/edit/grub-dropin.js';
import { GEN_KEY, grubFileArb } from './grub-file-arbitrary.js';
import { requireSh, sourceWithSh } from './sh-oracle.js';

const DEBIAN = { id: 'debian', idLike: [] };
const PARAMS = ['intel_iommu=on', 'iommu=pt'];

beforeAll(() => requireSh());

const tokArb = fc.constantFrom('console=ttyS0', 'console=tty1', 'nomodeset', 'quiet', 'iommu=pt', 'intel_iommu=on', 'intel-iommu=on', 'net.ifnames=0', 'mitigations=off');
const dropinArb = fc.record({
  name: fc.constantFrom('00-early.cfg', '10-local.cfg', '50-cloudimg-settings.cfg', 'init-select.cfg', 'zz-late.cfg', '99-zz.cfg'),
  mode: fc.constantFrom('append', 'replace', 'other'),
  tokens: fc.array(tokArb, { minLength: 0, maxLength: 3 }),
  quote: fc.constantFrom('"', "'"),
}).map(({ name, mode, tokens, quote }) => {
  const list = tokens.join(' ');
  const text =
    mode === 'append'
      ? `${GEN_KEY}="$${GEN_KEY} ${list}"\n`
      : mode === 'replace'
        ? `${GEN_KEY}=${quote}${list}${quote}\n`
        : `GRUB_TIMEOUT=${tokens.length}\n`;
  return { name, text };
});
const caseArb = fc.tuple(grubFileArb, fc.uniqueArray(dropinArb, { selector: (d) => d.name, maxLength: 3 }));

const kernelTokens = (line: string | undefined) => tokenizeCmdline(line ?? '').tokens.map((t) => t.text);

describe('generated main files with generated drop-ins', () => {
  it('sh agrees with the planned drop-in on 600 cases (one sh process)', () => {
    const cases = fc.sample(caseArb, { numRuns: 600, seed: 20261205 });
    const plans = cases.map(([file, dropins]) => planGrubCmdline({ distro: DEBIAN, key: GEN_KEY, mainText: file.text, dropins, add: PARAMS, replaceConflicts: false }));
    const placed = cases.flatMap(([file, dropins], i) => {
      const p = plans[i]!;
      return p.kind === 'dropin' && p.content !== null ? [{ file, dropins, plan: p }] : [];
    });
    // the generator must reach the interesting path often, or this test proves little
    expect(placed.length).toBeGreaterThan(300);
    const outcomes = sourceWithSh(placed.flatMap(({ file, dropins, plan }) => [
      { main: file.text, dropins },
      { main: file.text, dropins: [...dropins, { name: plan.name, text: plan.content! }] },
    ]));
    placed.forEach(({ file, dropins }, i) => {
      const before = outcomes[2 * i]!;
      const after = outcomes[2 * i + 1]!;
      const label = JSON.stringify({ main: file.text, dropins });
      expect(before.ok, label).toBe(true);
      expect(after.ok, label).toBe(true);
      expect(kernelTokens(after.linuxDefault), label).toEqual(kernelTokens(addParams(before.linuxDefault ?? '', PARAMS, { replaceConflicts: false }).line));
      for (const p of PARAMS) {
        const name = p.split('=')[0]!.replaceAll('-', '_');
        expect(kernelTokens(after.linuxDefault).filter((t) => t.split('=')[0]!.replaceAll('-', '_') === name).length, `${p} ${label}`).toBeGreaterThanOrEqual(1);
      }
      // GRUB_CMDLINE_LINUX is never touched
      expect(after.linux, label).toBe(before.linux);
    });
  });

  it('a value holding "--" (init arguments follow) is edited in place, never appended to by a drop-in', () => {
    const main = `${GEN_KEY}="quiet -- single"\n`;
    expect(planGrubCmdline({ distro: DEBIAN, key: GEN_KEY, mainText: main, dropins: [], add: PARAMS, replaceConflicts: false })).toMatchObject({ kind: 'direct', reason: expect.stringContaining('"--"') });
    // the "--" set by another package's drop-in: only a hand edit of that file can fix it
    const other = [{ name: '50-x.cfg', text: `${GEN_KEY}="$${GEN_KEY} -- emergency"\n` }];
    expect(planGrubCmdline({ distro: DEBIAN, key: GEN_KEY, mainText: `${GEN_KEY}="quiet"\n`, dropins: other, add: PARAMS, replaceConflicts: false })).toMatchObject({ kind: 'refuse' });
  });
});
