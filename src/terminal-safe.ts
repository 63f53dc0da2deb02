// Text from the host — a kernel command line, an os-release name, a pci.ids entry, a log line, a
// file shown in a diff — may hold control characters. Written to a terminal as they are, they
// would move the cursor, clear the screen or retitle the window around what the wizard shows.
// The plain output passes every write through `terminalSafe`; the scanner cleans the facts it
// reads with `cleanFacts` (the terminal UI draws those).

// C0 except TAB and LF, DEL, C1 (U+0080–U+009F: 8-bit CSI, OSC …)
const UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
const UNSAFE_G = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
// …and the one escape sequence the plain output writes itself: SGR colour (check's labels)
const UNSAFE_OR_SGR = /\u001B\[[0-9;]*m|[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Every control character but TAB and LF shown as U+FFFD. With `keepColour` (a terminal, where
 * check colours its labels) SGR colour sequences are kept: at worst a file's text recolours a line.
 */
export function terminalSafe(text: string, keepColour = false): string {
  if (!UNSAFE.test(text)) return text;
  return keepColour ? text.replace(UNSAFE_OR_SGR, (m) => (m.length > 1 ? m : '\uFFFD')) : text.replace(UNSAFE_G, '\uFFFD');
}

const FACT_UNSAFE = /[\u0000-\u001F\u007F-\u009F]/;
const FACT_UNSAFE_G = /[\u0000-\u001F\u007F-\u009F]/g;

/**
 * Every string in a JSON-able value with its control characters (LF and TAB too: a fact is one
 * line) replaced by U+FFFD, in place. Strings without any are left as they are.
 */
export function cleanFacts<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return FACT_UNSAFE.test(v) ? v.replace(FACT_UNSAFE_G, '\uFFFD') : v;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i]);
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = walk(o[k]);
    }
    return v;
  };
  return walk(value) as T;
}
