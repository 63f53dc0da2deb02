// Thousands of generated /etc/default/grub files: the editor's result must be what sh computes,
// hold every original token plus the new ones once, change only the last assignment's value,
// be a no-op when run again, and roll back to the original bytes.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { addParams, tokenizeCmdline } from '../../src/edit/cmdline-tokens.js';
import { editGrubDefault, readGrubVar } from '../../src/edit/grub-default-file.js';
import { GEN_KEY, grubFileArb, type GeneratedGrubFile } from './grub-file-arbitrary.js';
import { requireSh, shSyntaxOk, sourceWithSh } from './sh-oracle.js';
import { expectAddedOnceOrConflict } from './token-checks.js';

const kernelView = (line: string) => {
  const { tokens, separator } = tokenizeCmdline(line);
  return { tokens: tokens.map((t) => t.text), init: separator ? tokenizeCmdline(line.slice(separator.end)).tokens.map((t) => t.text) : null };
};
const PARAMS = ['intel_iommu=on', 'iommu=pt', 'vfio-pci.ids=10de:1b81,10de:10f0', 'kvm.ignore_msrs=1'];
const edit = (text: string) => editGrubDefault(text, { key: GEN_KEY, add: PARAMS, replaceConflicts: false });

beforeAll(() => requireSh());

// Rollback by arguments gives back the original value (checked through sh-equivalent reading)
// and the original bytes outside the value word; inside it, quotes the addition had to create
// may stay: the wrapping pair of a plain unquoted value (`KEY=quiet` → `"quiet"`) or an empty
// `""` when the value is empty again. The wizard's real rollback restores the backed-up bytes.
function expectRollbackBytes(file: GeneratedGrubFile, rolledBack: string): void {
  const head = file.text.slice(0, file.valueStart);
  const tail = file.text.slice(file.valueEnd);
  expect(rolledBack.startsWith(head)).toBe(true);
  expect(rolledBack.endsWith(tail)).toBe(true);
  const word = file.text.slice(file.valueStart, file.valueEnd);
  const now = rolledBack.slice(head.length, rolledBack.length - tail.length);
  if (now === word) return;
  const plain = /^[A-Za-z0-9_.,:=/+@%^-]*$/.test(word);
  expect(plain ? now === `"${word}"` : now.replaceAll('""', '') === word.replaceAll('""', ''), `${JSON.stringify(word)} → ${JSON.stringify(now)}`).toBe(true);
}

describe('generated GRUB default files', () => {
  it('pure properties hold (2000 cases): reading, value-only change, no-op rerun, rollback', () => {
    fc.assert(
      fc.property(grubFileArb, (file) => {
        const read = readGrubVar(file.text, GEN_KEY);
        expect(read).toEqual({ ok: true, value: file.valueStart === -1 ? null : file.expected });
        const result = edit(file.text);
        if (!result.ok) throw new Error(result.reason);
        // Same kernel command line as the pure planner's (spacing may differ where the insertion
        // point had to move past a variable's trailing whitespace).
        expect(kernelView(result.after)).toEqual(kernelView(addParams(file.expected, PARAMS, { replaceConflicts: false }).line));
        expectAddedOnceOrConflict(file.expected, result.after, PARAMS, result.conflicts);
        if (result.change) {
          if (file.valueStart === -1) {
            expect(result.appendedLine).toBe(true);
            expect(result.text.startsWith(file.text)).toBe(true);
          } else {
            expect(result.change.start).toBeGreaterThanOrEqual(file.valueStart);
            expect(result.change.oldEnd).toBeLessThanOrEqual(file.valueEnd);
          }
        }
        const again = edit(result.text);
        expect(again.ok && again.text).toBe(result.text);
        expect(again.ok && again.changed).toBe(false);
        const rollback = editGrubDefault(result.text, { key: GEN_KEY, add: [], remove: result.added, replaceConflicts: false });
        if (!rollback.ok) throw new Error(rollback.reason);
        expect(rollback.after).toBe(file.expected);
        if (!result.appendedLine) expectRollbackBytes(file, rollback.text);
      }),
      { numRuns: Number(process.env.VFIO_WIZARD_FC_RUNS ?? 2000) },
    );
  });

  it('sh agrees on 1000 generated files and their edits (one sh process)', () => {
    const files: GeneratedGrubFile[] = fc.sample(grubFileArb, { numRuns: 1000, seed: 20261122 });
    const results = files.map((file) => {
      const result = edit(file.text);
      if (!result.ok) throw new Error(`${JSON.stringify(file.text)}: ${result.reason}`);
      return result;
    });
    const outcomes = sourceWithSh(files.flatMap((file, i) => [{ main: file.text }, { main: results[i]!.text }]));
    files.forEach((file, i) => {
      const before = outcomes[2 * i]!;
      const after = outcomes[2 * i + 1]!;
      const where = JSON.stringify(file.text);
      expect(before.ok, `${where}: ${before.stderr}`).toBe(true);
      expect(after.ok, `${where}: ${after.stderr}`).toBe(true);
      expect(before.linuxDefault ?? '', `generator's own expectation for ${where}`).toBe(file.expected);
      expect(after.linuxDefault, where).toBe(results[i]!.after);
      expect(after.linux, `GRUB_CMDLINE_LINUX untouched in ${where}`).toBe(before.linux);
      expect(before.linux).toBe(file.expectedLinux);
    });
  });

  it('negative control: breaking a generated file makes both sh -n and the editor refuse it', () => {
    const files = fc.sample(grubFileArb.filter((f) => f.valueStart !== -1), { numRuns: 60, seed: 7 });
    let checked = 0;
    for (const file of files) {
      // An unterminated double quote opened where the last value starts.
      const broken = `${file.text.slice(0, file.valueStart)}"${file.text.slice(file.valueStart)}`;
      if (shSyntaxOk(broken)) continue; // the new quote happened to pair with a later one
      checked++;
      const result = edit(broken);
      expect(result.ok, JSON.stringify(broken)).toBe(false);
    }
    expect(checked).toBeGreaterThan(20);
  });
});
