// Reading (never editing) the running kernel's command line: the checks only ask "what value
// does the kernel see for this parameter". The kernel treats "-" and "_" alike in parameter
// names and, for the IOMMU switches, the last occurrence wins.

/** Split /proc/cmdline into tokens, keeping double-quoted values ("a b") together. */
export function cmdlineTokens(cmdline: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  let quoted = false;
  let inToken = false;
  for (const ch of cmdline) {
    if (ch === '"') {
      quoted = !quoted;
      inToken = true;
    } else if (!quoted && /\s/.test(ch)) {
      if (inToken) tokens.push(cur);
      cur = '';
      inToken = false;
    } else {
      cur += ch;
      inToken = true;
    }
  }
  if (inToken) tokens.push(cur);
  return tokens;
}

const canonicalName = (name: string): string => name.replace(/-/g, '_');

/** The value of the last `name=value` token (name compared with "-" ≡ "_"); null when absent. */
export function lastParam(cmdline: string | null, name: string): string | null {
  if (cmdline === null) return null;
  const want = canonicalName(name);
  let value: string | null = null;
  for (const token of cmdlineTokens(cmdline)) {
    const eq = token.indexOf('=');
    if (eq < 0) continue;
    if (canonicalName(token.slice(0, eq)) === want) value = token.slice(eq + 1);
  }
  return value;
}

/** The comma-separated options of the last `name=` token ("on,igfx_off" → ["on", "igfx_off"]). */
export function paramOptions(cmdline: string | null, name: string): string[] {
  const value = lastParam(cmdline, name);
  return value === null ? [] : value.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);
}
