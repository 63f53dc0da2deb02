import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  collapseCarriageReturns,
  createLineSplitter,
  displaySafe,
  stripAnsi,
  toDisplayLine,
} from '../../src/run/line-splitter.js';

const enc = (s: string) => new TextEncoder().encode(s);

function splitAll(bytes: Uint8Array, cuts: number[], max?: number): string[] {
  const s = createLineSplitter(max);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(...s.push(bytes.subarray(prev, p)));
    prev = p;
  }
  out.push(...s.end());
  return out;
}

describe('createLineSplitter', () => {
  it('splits on \\n and keeps an unterminated last line', () => {
    expect(splitAll(enc('a\nb\n\nc'), [])).toEqual(['a', 'b', '', 'c']);
    expect(splitAll(enc('a\n'), [])).toEqual(['a']);
  });

  it('collapses carriage-return progress to its last state, also across chunks', () => {
    const text = 'get 10%\rget 50%\rget 100%\r\ndone\r\nx\r';
    expect(splitAll(enc(text), [])).toEqual(['get 100%', 'done', 'x']);
    // "\r" and "\n" in different chunks is still a CRLF
    for (let cut = 0; cut <= text.length; cut++) expect(splitAll(enc(text), [cut])).toEqual(['get 100%', 'done', 'x']);
  });

  it('gives the same lines however the bytes are chunked (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 12 }), (bytes, cuts) => {
        expect(splitAll(bytes, cuts, 40)).toEqual(splitAll(bytes, [], 40));
      }),
    );
  });

  it('reproduces valid text without carriage returns exactly (property)', () => {
    const line = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ''));
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 8 }), (lines, cuts) => {
        expect(splitAll(enc(`${lines.join('\n')}\n`), cuts)).toEqual(lines);
      }),
    );
  });

  it('never throws on invalid UTF-8 and marks bad bytes with U+FFFD', () => {
    const bytes = Uint8Array.from([0x6f, 0x6b, 0xff, 0xfe, 0x0a, 0xe2, 0x82, 0x0a, 0xc3, 0xa9, 0x0a]);
    expect(splitAll(bytes, [])).toEqual(['ok\uFFFD\uFFFD', '\uFFFD', 'é']);
    // a multi-byte character cut in the middle of a chunk boundary is still decoded
    expect(splitAll(enc('é€😀\n'), [1, 3, 5, 7])).toEqual(['é€😀']);
  });

  it('caps line length, so output without newlines cannot grow memory (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (bytes) => {
        for (const l of splitAll(bytes, [], 16)) expect(l.length).toBeLessThanOrEqual(16);
      }),
    );
    const s = createLineSplitter(1000);
    const blob = new Uint8Array(64 * 1024).fill(0x41);
    let emitted = 0;
    for (let i = 0; i < 100; i++) emitted += s.push(blob).length;
    expect(emitted).toBeGreaterThanOrEqual(6000);
    expect(s.pending().length).toBeLessThanOrEqual(1000);
  });

  it('says "plain" only when its lines need no display cleaning (property)', () => {
    const text = fc.array(fc.constantFrom('a', 'é', ' ', '\n', '\r', '\t', '\u001B[31m', '\u0007', '\u009B'), { maxLength: 40 }).map((a) => a.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 5 }), (t, cuts) => {
        const bytes = enc(t);
        const s = createLineSplitter();
        let prev = 0;
        for (const p of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
          const lines = s.push(bytes.subarray(prev, p));
          prev = p;
          if (s.plain) for (const l of lines) expect(toDisplayLine(l)).toBe(l);
        }
      }),
    );
    const s = createLineSplitter();
    s.push(enc('ok\n'));
    expect(s.plain).toBe(true);
    s.push(enc('\u001B[1mbold\n'));
    expect(s.plain).toBe(false);
  });

  it('keeps an endless progress bar small and shows its current state', () => {
    const s = createLineSplitter();
    for (let i = 0; i <= 100_000; i++) expect(s.push(enc(`\rcopying ${i % 101}%`))).toEqual([]);
    expect(s.pending()).toBe('copying 10%');
    expect(s.push(enc('\r\n'))).toEqual(['copying 10%']);
    expect(s.pending()).toBe('');
  });
});

describe('collapseCarriageReturns', () => {
  it('keeps the last non-empty segment', () => {
    expect(collapseCarriageReturns('plain')).toBe('plain');
    expect(collapseCarriageReturns('a\rb')).toBe('b');
    expect(collapseCarriageReturns('a\r')).toBe('a');
    expect(collapseCarriageReturns('\r\r')).toBe('');
  });
});

describe('stripAnsi / toDisplayLine', () => {
  it('removes colours, cursor moves, OSC titles and hyperlinks', () => {
    expect(stripAnsi('\u001B[1;31merror\u001B[0m: x')).toBe('error: x');
    expect(stripAnsi('\u001B[2K\u001B[1Gline')).toBe('line');
    expect(stripAnsi('\u001B]0;title\u0007text')).toBe('text');
    expect(stripAnsi('\u001B]8;;http://x\u001B\\link\u001B]8;;\u001B\\')).toBe('link');
    expect(stripAnsi('\u001B(Bplain')).toBe('plain');
  });

  it('leaves text without escapes untouched, tabs included (parsers need them)', () => {
    expect(stripAnsi('a\tb')).toBe('a\tb');
  });

  it('turns control characters into U+FFFD and tabs into spaces for display', () => {
    expect(toDisplayLine('\u001B[32mok\u001B[0m\u0007\u0000x')).toBe('ok\uFFFD\uFFFDx');
    expect(toDisplayLine('ab\tc')).toBe('ab      c');
    expect(toDisplayLine('cut short \u001B')).toBe('cut short \uFFFD');
  });

  it('never leaves a character that moves the cursor (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(displaySafe(stripAnsi(s))).not.toMatch(/[\u0000-\u001F\u007F-\u009F]/);
      }),
    );
  });
});
