// Independent checks on command lines before and after an edit: the properties issue 5 asks for,
// written without the editor's own planning code.
import { expect } from 'vitest';
import { hasParam, normalizeParamName, tokenizeCmdline } from '../../src/edit/cmdline-tokens.js';

const words = (line: string): string[] => tokenizeCmdline(line).tokens.map((t) => t.text);
const nameOf = (token: string): string => normalizeParamName(token.split('=')[0]!.replaceAll('"', ''));

/**
 * After adding `params` (no conflicts involved): every original token is still there, in order
 * (a merged vfio-pci.ids list may have grown at its end); each param is present; no parameter
 * name occurs more often than before, except once for a name that was absent.
 */
export function expectAddedOnce(before: string, after: string, params: readonly string[]): void {
  const b = words(before);
  const a = words(after);
  let cursor = 0;
  for (const token of b) {
    const found = a.findIndex((t, i) => i >= cursor && (t === token || (nameOf(t) === 'vfio_pci.ids' && nameOf(token) === 'vfio_pci.ids' && t.startsWith(token))));
    expect(found, `original token ${token} kept in order in ${JSON.stringify(after)}`).toBeGreaterThanOrEqual(0);
    cursor = found + 1;
  }
  for (const param of params) {
    expect(hasParam(after, param), `${param} present in ${JSON.stringify(after)}`).toBe(true);
    const name = nameOf(param);
    const countBefore = b.filter((t) => nameOf(t) === name).length;
    const countAfter = a.filter((t) => nameOf(t) === name).length;
    expect(countAfter, `${name} count in ${JSON.stringify(after)}`).toBe(Math.max(countBefore, 1));
  }
  expect(a.length - b.length).toBe(params.filter((p) => !b.some((t) => nameOf(t) === nameOf(p))).length);
}

export { words };

/**
 * Like expectAddedOnce, for edits without consent to replace: a param reported as conflicting
 * must really meet a same-name token with another value, and is then left out.
 */
export function expectAddedOnceOrConflict(before: string, after: string, params: readonly string[], conflicts: readonly { wanted: string }[]): void {
  const b = words(before);
  const conflicted = conflicts.map((c) => c.wanted);
  for (const wanted of conflicted) {
    const [name, ...rest] = wanted.split('=');
    const value = rest.length > 0 ? rest.join('=') : undefined;
    const same = b.filter((t) => nameOf(t) === normalizeParamName(name!));
    expect(same.length, `conflict for ${wanted} has a same-name token in ${JSON.stringify(before)}`).toBeGreaterThan(0);
    expect(same.some((t) => (t.includes('=') ? t.slice(t.indexOf('=') + 1) : undefined) === value)).toBe(false);
  }
  expectAddedOnce(before, after, params.filter((p) => !conflicted.includes(p)));
}
