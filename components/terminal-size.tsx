// Terminal size that follows resizes (Ink 6.8 has no useWindowSize). Falls back to 80x24 when the
// stream does not say, as ink-testing-library's stdout gives no rows.
import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface TerminalSize {
  columns: number;
  rows: number;
}

const sizeOf = (s: { columns?: number; rows?: number }): TerminalSize => ({
  columns: s.columns || 80,
  rows: s.rows || 24,
});

export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
