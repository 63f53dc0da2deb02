// Distribution identity from os-release (etc/os-release, else usr/lib/os-release).
import type { DistroFacts } from './types.js';
import { readPath, type SystemRoot } from './root.js';
import type { SysReader } from './sysfs-read.js';

/** os-release is a shell-like KEY=value file; values may be single- or double-quoted. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let v = line.slice(eq + 1).trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1);
      if (line[eq + 1] === '"') v = v.replace(/\\(["\\$`])/g, '$1');
    }
    out[line.slice(0, eq)] = v;
  }
  return out;
}

export function scanDistro(root: SystemRoot, r: SysReader): DistroFacts {
  const text = r.file(readPath(root, '/etc/os-release')) ?? r.file(readPath(root, '/usr/lib/os-release'));
  if (text === null) {
    r.notes.push('no os-release (etc/os-release, usr/lib/os-release): distribution unknown');
    return { id: null, idLike: [], versionId: null, prettyName: null };
  }
  const kv = parseOsRelease(text);
  return {
    id: kv.ID ?? null,
    idLike: (kv.ID_LIKE ?? '').split(/\s+/).filter(Boolean),
    versionId: kv.VERSION_ID ?? null,
    prettyName: kv.PRETTY_NAME ?? null,
  };
}
