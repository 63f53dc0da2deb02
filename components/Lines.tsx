// A block of pre-fitted lines, each made of styled segments. Screens build their lines as data
// (so they can count and cap them against the terminal height) and draw them through this.
import { Box, Text } from 'ink';
import { viewport, wrapText } from './text-layout.js';
import { displaySafe } from '../src/run/line-splitter.js';

export interface Segment {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}
export type Line = Segment[];

export const plain = (text: string, style: Omit<Segment, 'text'> = {}): Line => [{ text, ...style }];

/** Wrap a paragraph into lines of one style. */
export const wrapped = (text: string, columns: number, style: Omit<Segment, 'text'> = {}, indent = ''): Line[] =>
  wrapText(text, columns, indent).map((t) => plain(t, style));

export function Lines({ lines }: { lines: readonly Line[] }) {
  return (
    <Box flexDirection="column">
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line.every((s) => s.text === '')
            ? ' '
            : line.map((s, j) => (
                <Text key={j} color={s.color} bold={s.bold} dimColor={s.dim} inverse={s.inverse}>
                  {/* a file's text in a diff may hold control characters: never let one reach the terminal */}
                  {displaySafe(s.text)}
                </Text>
              ))}
        </Text>
      ))}
    </Box>
  );
}

/** Lines taller than `height` scroll so the cursor's line (and two below it: its explanation) stays in view. */
export function CursorLines({ lines, cursorLine, height }: { lines: readonly Line[]; cursorLine: number; height: number }) {
  if (lines.length <= height) return <Lines lines={lines} />;
  const { start, end } = viewport(lines.length, Math.min(lines.length - 1, cursorLine + 2), height);
  return <Lines lines={lines.slice(start, end)} />;
}
