// Unified diffs and argv lists as screen lines: + green, - red, hunks cyan; long lines wrap
// (a kernel command line must be read whole, never cut) with a marked continuation.
import { plain, type Line } from './Lines.js';
import { wrapText } from './text-layout.js';

function diffColour(line: string): string | undefined {
  if (line.startsWith('+++') || line.startsWith('---')) return undefined;
  if (line.startsWith('+')) return 'green';
  if (line.startsWith('-')) return 'red';
  if (line.startsWith('@@')) return 'cyan';
  return undefined;
}

export function diffLines(diff: string, columns: number, indent = '  '): Line[] {
  const out: Line[] = [];
  for (const raw of diff.replace(/\n$/, '').split('\n')) {
    const colour = diffColour(raw);
    const bold = raw.startsWith('+++') || raw.startsWith('---');
    // wrap by characters (diff lines keep their spacing); continuations are marked and indented
    const style = { ...(colour ? { color: colour } : {}), ...(bold ? { bold } : {}) };
    const chars = [...`${indent}${raw}`];
    const width = Math.max(8, columns);
    out.push(plain(chars.slice(0, width).join(''), style));
    const lead = `${indent} ↪ `;
    const room = Math.max(4, width - [...lead].length);
    for (let i = width; i < chars.length; i += room) out.push(plain(`${lead}${chars.slice(i, i + room).join('')}`, style));
  }
  return out;
}

/** A paragraph wrapped to the width, every line behind `indent`, one style. */
export const para = (text: string, columns: number, style: Omit<Line[number], 'text'> = {}, indent = ''): Line[] =>
  wrapText(text, Math.max(1, columns - [...indent].length)).map((t) => plain(`${indent}${t}`, style));
