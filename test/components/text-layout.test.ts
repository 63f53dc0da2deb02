import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { capLines, truncate, viewport, width, wrapText } from '../../components/text-layout.js';

describe('text layout', () => {
  it('wraps on words, indents continuation lines and breaks words longer than a line', () => {
    expect(wrapText('Fix: add intel_iommu=on to the kernel command line', 20, '     ')).toEqual([
      'Fix: add',
      '     intel_iommu=on',
      '     to the kernel',
      '     command line',
    ]);
    expect(wrapText('0123456789abcdef', 6)).toEqual(['012345', '6789ab', 'cdef']);
    expect(wrapText('a\n\nb', 10)).toEqual(['a', '', 'b']);
  });

  it('never produces a line wider than asked, and loses no word', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z✔…]{1,30}$/), { maxLength: 40 }), fc.integer({ min: 8, max: 100 }), (words, max) => {
        const lines = wrapText(words.join(' '), max, '  ');
        expect(lines.every((l) => width(l) <= max)).toBe(true);
        expect(lines.join('').replace(/\s/g, '')).toBe(words.join(''));
      }),
    );
  });

  it('truncates with an ellipsis, counting code points', () => {
    expect(truncate('✔ passed', 5)).toBe('✔ pa…');
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('x', 0)).toBe('');
  });

  it('keeps the cursor inside the viewport', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 50 }), fc.nat(), (total, height, c) => {
        const cursor = total === 0 ? 0 : c % total;
        const { start, end } = viewport(total, cursor, height);
        expect(end - start).toBe(Math.min(total, height));
        if (total > 0) expect(cursor >= start && cursor < end).toBe(true);
      }),
    );
  });

  it('caps a block with a "more" line', () => {
    expect(capLines(['a', 'b', 'c'], 2, (n) => `+${n}`)).toEqual(['a', '+2']);
    expect(capLines(['a', 'b'], 2, (n) => `+${n}`)).toEqual(['a', 'b']);
  });
});
