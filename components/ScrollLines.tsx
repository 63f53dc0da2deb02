// A block of pre-fitted lines taller than its space, scrolled by the reducer (PgUp/PgDn, ↑↓).
// The screen alone knows how many lines fit, so it reports how far the block can scroll.
import { useEffect } from 'react';
import { Lines, plain, type Line } from './Lines.js';

/** The visible slice and the position line, within `height` rows. */
export function scrollWindow(lines: readonly Line[], height: number, scroll: number): { visible: Line[]; max: number } {
  if (lines.length <= height) return { visible: [...lines], max: 0 };
  const room = Math.max(1, height - 1);
  const max = Math.max(0, lines.length - room);
  const start = Math.min(Math.max(0, scroll), max);
  const end = Math.min(lines.length, start + room);
  const where = plain(`lines ${start + 1}–${end} of ${lines.length} · PgUp/PgDn ↑↓ scroll`, { dim: true });
  return { visible: [...lines.slice(start, end), where], max };
}

export function ScrollLines({
  lines,
  height,
  scroll,
  onOverflow,
}: {
  lines: readonly Line[];
  height: number;
  scroll: number;
  onOverflow: (max: number) => void;
}) {
  const { visible, max } = scrollWindow(lines, height, scroll);
  useEffect(() => onOverflow(max), [max, onOverflow]);
  return <Lines lines={visible} />;
}
