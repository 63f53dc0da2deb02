// The bottom key line: which keys do what on this screen, packed into as few lines as fit.
import { Text, Box } from 'ink';
import { width } from './text-layout.js';

/** [key, what it does], e.g. ['↑↓', 'move'] */
export type KeyHint = readonly [string, string];

const GAP = '  ';

/** Pack hints into lines no wider than `columns`; a hint never splits across lines. */
export function keyHelpLines(hints: readonly KeyHint[], columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const [key, label] of hints) {
    const item = `${key} ${label}`;
    const candidate = line === '' ? item : `${line}${GAP}${item}`;
    if (width(candidate) <= columns || line === '') {
      line = candidate;
    } else {
      lines.push(line);
      line = item;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

export function KeyHelp({ hints, columns }: { hints: readonly KeyHint[]; columns: number }) {
  return (
    <Box flexDirection="column">
      {keyHelpLines(hints, columns).map((line, i) => (
        <Text key={i} dimColor wrap="truncate-end">
          {line}
        </Text>
      ))}
    </Box>
  );
}
