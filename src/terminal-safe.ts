// Text from the host — a kernel command line, an os-release name, a pci.ids entry, a log line, a
// file shown in a diff — may hold control characters. Written to a terminal as they are, they
// would move the cursor, clear the screen or retitle the window around what the wizard shows.
// The plain output passes every write through `terminalSafe`; the scanner cleans what it reads
// with `hostText` (the terminal UI draws the facts).

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

const FACT_UNSAFE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
const FACT_UNSAFE_G = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Text read from the host (a file's contents, a link target, a directory entry, a pci.ids name)
 * with every control character but TAB and LF replaced by U+FFFD: what the scanner keeps can then
 * be drawn anywhere. Text without any is returned as it is (one regular-expression test).
 */
export function hostText(text: string): string {
  return FACT_UNSAFE.test(text) ? text.replace(FACT_UNSAFE_G, '\uFFFD') : text;
}
