// The bundle's string-width (scripts/string-width-fast.ts) must answer exactly what string-width
// answers: every code point of its fast class is checked against string-width and the grapheme
// segmenter, and random strings mixing that class with wide, joining, combining and escape text
// are compared whole.
import fc from 'fast-check';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import fastStringWidth, { NARROW_TEXT } from '../../scripts/string-width-fast.js';

const segmenter = new Intl.Segmenter();

/** Code points of the class that are not one column wide alone, or that join a neighbour into one grapheme. */
function wrongInClass(cls: RegExp): string[] {
  const wrong: string[] = [];
  for (let cp = 0; cp <= 0xffff; cp++) {
    const c = String.fromCharCode(cp);
    if (!cls.test(c)) continue;
    const alone = stringWidth(c) === 1;
    const ownGrapheme = [...segmenter.segment(`a${c}${c}a`)].length === 4;
    if (!alone || !ownGrapheme) wrong.push(`U+${cp.toString(16).padStart(4, '0')}`);
  }
  return wrong;
}

describe('the fast string-width', () => {
  it('every code point of the fast class is one column and a grapheme of its own, as string-width sees it', () => {
    expect(wrongInClass(NARROW_TEXT)).toEqual([]);
    // the check is real: a watch (wide emoji), a combining accent and a zero-width joiner are caught
    expect(wrongInClass(/^[a\u231a\u0301\u200d]*$/)).toEqual(['U+0301', 'U+200d', 'U+231a']);
  });

  it('answers what string-width answers for random text: the UI\'s own characters, colours, wide, joining and combining ones', () => {
    const pieces = fc.constantFrom(
      'a', 'Z', ' ', '·', '…', '—', '→', '✔', '✘', '⏎', '▶', '─', '≤', 'é', '»',
      '\u001b[31m', '\u001b[1m', '\u001b[39m', '\u001b[0m', '\u009b32m', '\u001b', '\u009b', '[', '31', 'm', ';', ']8;;', '\u0007',
      '中', '한', '\u1100\u1161', '👍', '👍🏽', '👨\u200d👩\u200d👧', '🇩🇪', '\u0301', '\u200d', '\ufe0f', '\u00ad', '\t', '\u231a', '\u2194\ufe0f',
    );
    // options as callers might pass them, booleans or not (string-width reads them by truthiness and defaults)
    const option = fc.constantFrom(undefined, true, false, null, 0, 1, '');
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 30 }), option, option, (parts, ambiguousIsNarrow, countAnsiEscapeCodes) => {
        const s = parts.join('');
        expect(fastStringWidth(s)).toBe(stringWidth(s));
        const options = { ambiguousIsNarrow, countAnsiEscapeCodes } as unknown as Parameters<typeof stringWidth>[1];
        expect(fastStringWidth(s, options)).toBe(stringWidth(s, options));
      }),
      { numRuns: 5000 },
    );
  });

  it('null options: string-width refuses them (TypeError), and so does the fast path, for any text', () => {
    for (const s of ['abc', '· ✔', '中']) {
      const bad = null as unknown as Parameters<typeof stringWidth>[1];
      expect(() => stringWidth(s, bad)).toThrow(TypeError);
      expect(() => fastStringWidth(s, bad)).toThrow(TypeError);
    }
  });

  it('the lines the wizard draws take the fast path', () => {
    for (const line of ['vfio-wizard · 1/7 Welcome', '⏎ start  d demo  q quit', '  ✔ CPU virtualization — VT-x (vmx) is on', '\u001b[2m… 3 more lines\u001b[22m']) {
      expect(NARROW_TEXT.test(line.replace(/\u001b\[[0-9;]*m/g, '')), line).toBe(true);
      expect(fastStringWidth(line)).toBe(stringWidth(line));
    }
  });
});
