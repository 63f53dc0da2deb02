import { describe, expect, it } from 'vitest';
import { cleanFacts, terminalSafe } from '../../src/terminal-safe.js';

describe('terminalSafe', () => {
  it('keeps text, TAB and LF; every other control character becomes U+FFFD', () => {
    expect(terminalSafe('plain\ttext\nnext line ü ✓')).toBe('plain\ttext\nnext line ü ✓');
    expect(terminalSafe('a\u001b[2Jb\u001b]0;t\u0007c\u009b2Jd\re\u007ff\u0000')).toBe('a\uFFFD[2Jb\uFFFD]0;t\uFFFDc\uFFFD2Jd\uFFFDe\uFFFDf\uFFFD');
  });

  it('on a terminal keeps SGR colour (check colours its labels) and nothing else', () => {
    expect(terminalSafe('\u001b[32mPASS\u001b[0m \u001b[2J', true)).toBe('\u001b[32mPASS\u001b[0m \uFFFD[2J');
    expect(terminalSafe('\u001b[32mPASS\u001b[0m', false)).toBe('\uFFFD[32mPASS\uFFFD[0m');
  });
});

describe('cleanFacts', () => {
  it('cleans every string in nested objects and arrays in place, LF and TAB included (a fact is one line)', () => {
    const facts = { a: 'x\u001b[31my', list: ['ok', 'tab\there', { deep: 'line\nbreak' }], n: 3, nothing: null, flag: true };
    const same = cleanFacts(facts);
    expect(same).toBe(facts);
    expect(facts).toEqual({ a: 'x\uFFFD[31my', list: ['ok', 'tab\uFFFDhere', { deep: 'line\uFFFDbreak' }], n: 3, nothing: null, flag: true });
  });
});
