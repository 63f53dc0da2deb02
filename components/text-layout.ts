// Text fitting for the screens. The screens count their own lines (rather than letting Ink wrap)
// because the whole frame must stay shorter than the terminal: Ink clears the screen on every
// frame once the live area is as tall as the terminal. Widths count code points; everything we
// draw (pci.ids names, sysfs values, our symbols) is single-width.

export const width = (s: string): number => [...s].length;

/** Cut to `max` columns, marking the cut with "…". */
export function truncate(s: string, max: number): string {
  if (max <= 0) return '';
  const chars = [...s];
  if (chars.length <= max) return s;
  return max === 1 ? '…' : `${chars.slice(0, max - 1).join('')}…`;
}

/** Greedy word wrap; words longer than a line are broken. `indent` prefixes continuation lines. */
export function wrapText(text: string, max: number, indent = ''): string[] {
  const usable = Math.max(1, max);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    let continuation = false;
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      let rest = [...word];
      while (rest.length > 0) {
        const lead = line === '' ? (continuation ? indent : '') : `${line} `;
        if (width(lead) + rest.length <= usable) {
          line = lead + rest.join('');
          rest = [];
        } else if (line !== '') {
          lines.push(line);
          line = '';
          continuation = true;
        } else {
          const room = Math.max(1, usable - width(lead));
          lines.push(lead + rest.slice(0, room).join(''));
          rest = rest.slice(room);
          continuation = true;
        }
      }
    }
    lines.push(line);
  }
  return lines;
}

/** The part of a list to draw so that `cursor` stays visible, centred where possible. */
export function viewport(total: number, cursor: number, height: number): { start: number; end: number } {
  if (height <= 0) return { start: 0, end: 0 };
  if (total <= height) return { start: 0, end: total };
  const start = Math.max(0, Math.min(total - height, cursor - Math.floor(height / 2)));
  return { start, end: start + height };
}

/** Cap a block of lines at `height`, replacing the tail with a "… n more" line when cut. */
export function capLines<T>(lines: T[], height: number, more: (hidden: number) => T): T[] {
  if (lines.length <= height) return lines;
  if (height <= 0) return [];
  const kept = lines.slice(0, height - 1);
  return [...kept, more(lines.length - kept.length)];
}
