// Turns a child's raw output bytes into lines a person (or a parser) can use: streaming UTF-8
// decoding that never throws (invalid bytes become U+FFFD), "\r" progress lines collapsed to
// their last state, ANSI escapes stripped, and a cap on line length so that output without
// newlines (binary data, endless progress bars) cannot grow memory without bound.

/** Longer lines are cut into pieces of this many characters. */
export const MAX_LINE_CHARS = 16 * 1024;

export interface LineSplitter {
  /** feed a chunk; returns the lines it completed (without "\n", CR-collapsed, ANSI kept) */
  push(chunk: Uint8Array): string[];
  /** end of stream: returns the last unterminated line, if any */
  end(): string[];
  /** what the unfinished line shows right now (a progress bar's current state), ANSI kept */
  pending(): string;
  /**
   * true when the lines from the last push/end hold no escape, control character or tab, so
   * they are already display-safe (lets the runner skip per-line cleaning on ordinary output)
   */
  readonly plain: boolean;
}

/**
 * The visible state of a line that may contain carriage returns: the last non-empty segment
 * ("10%\r20%\r" shows "20%"; "done\r\n" shows "done"). A terminal would overlay segments; taking
 * the last one matches what progress bars intend, since they redraw the whole line.
 */
export function collapseCarriageReturns(line: string): string {
  if (!line.includes('\r')) return line;
  const segments = line.split('\r');
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i] as string;
    if (s !== '') return s;
  }
  return '';
}

/** Reduce an unfinished line to what can still matter, so repeated "\r" updates stay small. */
function compactPending(p: string): string {
  const lastCr = p.lastIndexOf('\r');
  if (lastCr === -1) return p;
  const tail = p.slice(lastCr + 1);
  // A non-empty final segment decides the line whatever comes later; an empty one keeps the
  // previous visible state plus the "\r" (it may be the first half of "\r\n").
  if (tail !== '') return tail;
  return `${collapseCarriageReturns(p.slice(0, lastCr))}\r`;
}

// Anything toDisplayLine would change, "\r" aside (collapsed before a line is emitted).
const NOT_PLAIN = /[\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export function createLineSplitter(maxLineChars = MAX_LINE_CHARS): LineSplitter {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  let pending = '';
  let plain = true;

  const take = (text: string): string[] => {
    const lines: string[] = [];
    let buf = pending + text;
    plain = !NOT_PLAIN.test(buf);
    let start = 0;
    for (;;) {
      const nl = buf.indexOf('\n', start);
      if (nl === -1) break;
      let line = buf.slice(start, nl);
      start = nl + 1;
      line = collapseCarriageReturns(line);
      while (line.length > maxLineChars) {
        lines.push(line.slice(0, maxLineChars));
        line = line.slice(maxLineChars);
      }
      lines.push(line);
    }
    buf = compactPending(buf.slice(start));
    while (buf.length > maxLineChars) {
      const visible = collapseCarriageReturns(buf);
      lines.push(visible.slice(0, maxLineChars));
      buf = visible.slice(maxLineChars);
    }
    pending = buf;
    return lines;
  };

  return {
    push(chunk) {
      return take(decoder.decode(chunk, { stream: true }));
    },
    end() {
      const lines = take(decoder.decode());
      if (pending !== '') {
        const last = collapseCarriageReturns(pending);
        pending = '';
        if (last !== '') lines.push(last);
      }
      return lines;
    },
    pending() {
      return collapseCarriageReturns(pending);
    },
    get plain() {
      return plain;
    },
  };
}

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-character escapes, and the 8-bit
// CSI (U+009B). Written from ECMA-48's grammar.
const ANSI_RE =
  /\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|\u001B\[[0-?]*[ -/]*[@-~]|\u009B[0-?]*[ -/]*[@-~]|\u001B[PX^_][^\u001B]*(?:\u001B\\)?|\u001B[ -/]*[0-~]/g;

/** Remove ANSI escape sequences (colours, cursor movement, titles); other text is kept. */
export function stripAnsi(text: string): string {
  return text.includes('\u001B') || text.includes('\u009B') ? text.replace(ANSI_RE, '') : text;
}

// Everything that would move the cursor or confuse width computation: C0 controls except
// TAB, DEL, C1 controls, and lone escape bytes left after stripping.
const CONTROL_RE = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/g;
const NEEDS_DISPLAY_FIX = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * A line safe to draw in a terminal cell grid: ANSI stripped, tabs expanded to 8-column stops,
 * other control characters shown as U+FFFD. Used for the pane, plain output and `onLine`.
 */
export function toDisplayLine(line: string): string {
  return displaySafe(stripAnsi(line));
}

/** `toDisplayLine` for a line whose ANSI escapes are already stripped. */
export function displaySafe(stripped: string): string {
  let s = stripped;
  if (!NEEDS_DISPLAY_FIX.test(s)) return s;
  s = s.replace(CONTROL_RE, '\uFFFD');
  if (!s.includes('\t')) return s;
  let out = '';
  // Stops are counted in UTF-16 units: exact for the ASCII that tab-aligned tool output uses.
  for (const ch of s) {
    if (ch === '\t') out += ' '.repeat(8 - (out.length % 8));
    else out += ch;
  }
  return out;
}
