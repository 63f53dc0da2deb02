import { describe, expect, it } from 'vitest';
import { hostText, terminalSafe } from '../../src/terminal-safe.js';

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

describe('hostText', () => {
  it('keeps TAB and LF (files have lines), replaces every other control character, and returns clean text as it is', () => {
    const clean = 'quiet splash\tx\nnext';
    expect(hostText(clean)).toBe(clean);
    expect(hostText('a\u001b]0;t\u0007b\rc\u009bd\u007f')).toBe('a\uFFFD]0;t\uFFFDb\uFFFDc\uFFFDd\uFFFD');
  });
});
