import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addParams, hasParam, removeParams, tokenizeCmdline } from '../../src/edit/cmdline-tokens.js';
import { corpusBody, corpusFiles } from './corpus.js';
import { expectAddedOnce, words } from './token-checks.js';

describe('tokenizeCmdline', () => {
  it('splits on whitespace, keeps quoted spaces, stops kernel params at --', () => {
    const { tokens, separator } = tokenizeCmdline(' quiet  param="a b"\tx=1 -- single  init=x ');
    expect(tokens.map((t) => t.text)).toEqual(['quiet', 'param="a b"', 'x=1']);
    expect(tokens[1]).toMatchObject({ name: 'param', value: 'a b' });
    expect(separator).toMatchObject({ start: 24, end: 26 });
  });
  it('a --- token (Debian installer) is not the separator', () => {
    const body = corpusBody('cmdline-dmesg/debian11-installer-proc-cmdline-triple-dash.txt');
    // The capture is prefixed with "/proc/cmdline: " by the author; the command line follows it.
    const line = body.replace(/^\/proc\/cmdline: /, '').trimEnd();
    expect(tokenizeCmdline(line).separator).toBeNull();
    expect(words(line).at(-1)).toBe('---');
  });
});

describe('addParams', () => {
  it('appends after the last token, keeping spacing (trailing space too)', () => {
    expect(addParams('quiet  splash ', ['iommu=pt'], { replaceConflicts: false }).line).toBe('quiet  splash iommu=pt ');
    expect(addParams('', ['iommu=pt', 'x'], { replaceConflicts: false }).line).toBe('iommu=pt x');
    expect(addParams('a -- b', ['iommu=pt'], { replaceConflicts: false }).line).toBe('a iommu=pt -- b');
    expect(addParams('-- b', ['iommu=pt'], { replaceConflicts: false }).line).toBe('iommu=pt -- b');
  });
  it('treats - and _ as equal in names, never in values', () => {
    const r = addParams('vfio_iommu_type1.allow-unsafe-interrupts=1 x=a-b', ['vfio-iommu-type1.allow_unsafe_interrupts=1', 'x=a_b'], { replaceConflicts: false });
    expect(r.alreadyPresent).toEqual(['vfio-iommu-type1.allow_unsafe_interrupts=1']);
    expect(r.conflicts).toEqual([{ wanted: 'x=a_b', existing: ['x=a-b'], replaced: false }]);
    expect(r.line).toBe('vfio_iommu_type1.allow-unsafe-interrupts=1 x=a-b');
  });
  it('replaces a conflicting value only with consent, leaving the name once', () => {
    const line = 'quiet intel_iommu=off splash intel-iommu=igfx_off';
    expect(addParams(line, ['intel_iommu=on'], { replaceConflicts: false }).line).toBe(line);
    const r = addParams(line, ['intel_iommu=on'], { replaceConflicts: true });
    expect(r.line).toBe('quiet splash intel_iommu=on');
    expect(r.conflicts[0]).toMatchObject({ existing: ['intel_iommu=off', 'intel-iommu=igfx_off'], replaced: true });
  });
  it('merges vfio-pci.ids lists (the kernel keeps only the last such token)', () => {
    const r = addParams('vfio-pci.ids=10de:1b81,10DE:10F0 quiet', ['vfio_pci.ids=10de:10f0,1002:67df'], { replaceConflicts: false });
    expect(r.line).toBe('vfio-pci.ids=10de:1b81,10DE:10F0,1002:67df quiet');
    expect(r.added).toEqual(['vfio_pci.ids=1002:67df']);
    expect(hasParam(r.line, 'vfio-pci.ids=1002:67df,10de:1b81')).toBe(true);
    expect(removeParams(r.line, r.added).line).toBe('vfio-pci.ids=10de:1b81,10DE:10F0 quiet');
  });
  it('on every corpus command line: adds once, second run no-op, removal restores the line', () => {
    const lines: string[] = [];
    for (const file of corpusFiles('cmdline-dmesg')) {
      const body = corpusBody(file);
      if (!/proc-cmdline/.test(file)) continue;
      // Some captures start with the `# cat /proc/cmdline` prompt line or a "/proc/cmdline: " label.
      const line = body.split('\n').filter((l) => l !== '' && !l.startsWith('# cat'))[0]!.replace(/^\/proc\/cmdline: /, '');
      lines.push(line);
    }
    expect(lines.length).toBe(4);
    const params = ['intel_iommu=on', 'iommu=pt', 'vfio-pci.ids=10de:1b81', 'kvm.ignore_msrs=1'];
    for (const line of lines) {
      const r = addParams(line, params, { replaceConflicts: false });
      expectAddedOnce(line, r.line, params);
      expect(addParams(r.line, params, { replaceConflicts: false }).line).toBe(r.line);
      expect(removeParams(r.line, r.added).line).toBe(line);
    }
  });
});

const nameArb = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,6}$/);
const tokenArb = fc.oneof(nameArb, fc.tuple(nameArb, fc.stringMatching(/^[a-z0-9,:=._-]{0,6}$/)).map(([n, v]) => `${n}=${v}`));
const lineArb = fc.tuple(fc.array(fc.tuple(tokenArb, fc.constantFrom(' ', '  ', '\t')), { maxLength: 8 }), fc.boolean()).map(([pairs, init]) =>
  pairs.map(([t, s]) => t + s).join('') + (init ? '-- init args' : ''));

describe('addParams properties', () => {
  it('keeps every token in order, adds each wanted param once, is idempotent, and removal undoes it', () => {
    fc.assert(
      fc.property(lineArb, fc.uniqueArray(tokenArb, { maxLength: 4, selector: (t) => t.split('=')[0]!.replaceAll('-', '_') }), (line, params) => {
        const r = addParams(line, params, { replaceConflicts: false });
        const conflicted = r.conflicts.map((c) => c.wanted);
        const clean = params.filter((p) => !conflicted.includes(p));
        expectAddedOnce(line, r.line, clean);
        const again = addParams(r.line, params, { replaceConflicts: false });
        expect(again.line).toBe(r.line);
        expect(again.added).toEqual([]);
        expect(removeParams(r.line, r.added).line).toBe(line);
        expect(r.line.slice(r.line.indexOf('-- init args') === -1 ? r.line.length : r.line.indexOf('-- init args'))).toBe(line.includes('-- init args') ? '-- init args' : '');
      }),
      { numRuns: 3000 },
    );
  });
  it('with consent, every wanted param ends up present and its name occurs once', () => {
    fc.assert(
      fc.property(lineArb, fc.uniqueArray(tokenArb, { maxLength: 4, selector: (t) => t.split('=')[0]!.replaceAll('-', '_') }), (line, params) => {
        const r = addParams(line, params, { replaceConflicts: true });
        for (const p of params) {
          expect(hasParam(r.line, p)).toBe(true);
          if (r.conflicts.some((c) => c.wanted === p)) {
            const name = p.split('=')[0]!.replaceAll('-', '_');
            expect(words(r.line).filter((t) => t.split('=')[0]!.replaceAll('-', '_') === name)).toHaveLength(1);
          }
        }
        expect(addParams(r.line, params, { replaceConflicts: true }).line).toBe(r.line);
      }),
      { numRuns: 3000 },
    );
  });
});
