// Reading (never editing) the running kernel's command line: the checks only ask "what value
// does the kernel see for this parameter". The kernel treats "-" and "_" alike in parameter
// names and, for the IOMMU switches, the last occurrence wins.
import { sameParamName, tokenizeCmdline } from '../edit/cmdline-tokens.js';

/** The value of the last `name=value` token (name compared with "-" ≡ "_"); null when absent. */
export function lastParam(cmdline: string | null, name: string): string | null {
  if (cmdline === null) return null;
  let value: string | null = null;
  for (const token of tokenizeCmdline(cmdline).tokens) {
    if (token.value !== undefined && sameParamName(token.name, name)) value = token.value;
  }
  return value;
}

/** The comma-separated options of the last `name=` token ("on,igfx_off" → ["on", "igfx_off"]). */
export function paramOptions(cmdline: string | null, name: string): string[] {
  const value = lastParam(cmdline, name);
  return value === null ? [] : value.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);
}
