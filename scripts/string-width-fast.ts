// string-width, with a fast path for text the terminal UI is made of. string-width answers
// printable ASCII at once, but one "·" or "✔" sends the whole string through Intl.Segmenter and
// three Unicode-property regexes (the RGI emoji one alone takes about 10 ms to compile on first
// use), and Ink measures every line of every frame with it. Here a string made only of the code
// points below has its length as width, which is exactly what string-width answers for it:
// each of them is one column wide on its own (ambiguous ones count as narrow, string-width's
// default) and none extends, joins or prepends to a neighbour, so every one is a grapheme of its
// own. test/components/string-width-fast.test.ts checks this for every code point in the class
// and for random strings; anything else goes to string-width itself. scripts/bundle-plugins.mjs routes
// Ink's, widest-line's and cli-truncate's imports of string-width here.
import stringWidth, { type Options } from 'string-width';
// the one string-width itself strips escape sequences with
import stripAnsi from 'strip-ansi';

// ASCII printable; Latin-1 without the soft hyphen; Latin Extended-A/B; General Punctuation's
// dashes, quotes, bullets and ellipsis; arrows; ≤ ≥ ≡ −; ⏎; box drawing, blocks, squares, ▶;
// check marks and crosses.
export const NARROW_TEXT =
  /^[\u0020-\u007e\u00a0-\u00ac\u00ae-\u024f\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2212\u2261\u2264\u2265\u23ce\u2500-\u25a1\u25b6\u2713\u2714\u2717\u2718]*$/;

export default function fastStringWidth(input: string, options?: Options): number {
  // only where string-width counts ambiguous characters as narrow and strips escape sequences,
  // read as it reads its options: a destructuring default, so only undefined means narrow by
  // default and any other falsy value (false, null, 0) means wide
  const narrow = options?.ambiguousIsNarrow === undefined ? true : Boolean(options.ambiguousIsNarrow);
  if (typeof input !== 'string' || options === null || !narrow || options?.countAnsiEscapeCodes) return stringWidth(input, options);
  // Ink measures its lines with their colours in: escape sequences have no width (string-width
  // strips them once, with the same strip-ansi)
  const text = input.includes('\u001B') || input.includes('\u009B') ? stripAnsi(input) : input;
  // the input itself otherwise: stripping twice is not stripping once
  return NARROW_TEXT.test(text) ? text.length : stringWidth(input, options);
}
