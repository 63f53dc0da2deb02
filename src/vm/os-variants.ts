// The OS variants libosinfo knows, for the form's choice and to catch a typo before virt-install
// does: `osinfo-query os` when libosinfo-bin is installed, else `virt-install --osinfo list`
// (virt-install 4.x). null when neither answers: "generic" is then the only safe choice.
import type { Runner } from '../run/types.js';

/** osinfo-query's table ("Short ID | Name | …") or virt-install's list ("debian11, debianbullseye") → ids. */
export function parseOsVariants(text: string): string[] {
  const ids = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^-+\+/.test(line) || /^Short ID\b/.test(line)) continue;
    const first = line.includes('|') ? line.split('|')[0]!.trim() : line;
    for (const id of first.split(',').map((s) => s.trim())) if (/^[a-z0-9][a-z0-9.+_-]*$/i.test(id)) ids.add(id);
  }
  return [...ids];
}

export async function listOsVariants(runner: Runner): Promise<string[] | null> {
  const q = await runner.run(['osinfo-query', '--fields=short-id', 'os'], { name: 'osinfo-query', timeoutMs: 30_000 });
  if (q.ok) return parseOsVariants(q.stdout);
  const v = await runner.run(['virt-install', '--osinfo', 'list'], { name: 'virt-install', timeoutMs: 30_000 });
  return v.ok ? parseOsVariants(v.stdout) : null;
}

/** A few known ids that start like the unknown one, for the message. */
export function similarVariants(known: readonly string[], wanted: string): string[] {
  const stem = wanted.toLowerCase().replace(/[\d.]+$/, '');
  return known.filter((k) => stem !== '' && k.toLowerCase().startsWith(stem)).slice(0, 6);
}
