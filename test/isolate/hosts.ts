// Fixture hosts for the isolation tests: every corpus machine and the synthetic ones, materialized
// into a temp dir and scanned by the real scanner, so the selection logic sees what a scan gives.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CORPUS_DIR, loadCorpusSpecs } from '../../scripts/corpus-to-fixtures.js';
import { materializeRoot } from '../../src/demo/materialize.js';
import type { RootSpec } from '../../src/demo/root-spec.js';
import { SYNTHETIC_HOSTS } from '../../src/demo/synthetic-hosts.js';
import { systemRoot } from '../../src/host/root.js';
import { scanHost } from '../../src/host/scan.js';
import type { HostFacts } from '../../src/host/types.js';

export interface ScannedHosts {
  get(id: string): HostFacts;
  ids(): string[];
  cleanup(): void;
}

export function scanFixtureHosts(): ScannedHosts {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vfio-isolate-'));
  const specs: RootSpec[] = [...loadCorpusSpecs(DEFAULT_CORPUS_DIR).map((h) => h.spec), ...SYNTHETIC_HOSTS];
  const scanned = new Map<string, HostFacts>();
  for (const s of specs) {
    const dir = path.join(tmp, s.id);
    materializeRoot(s, dir);
    scanned.set(s.id, scanHost(systemRoot(dir)));
  }
  return {
    get(id) {
      const f = scanned.get(id);
      if (!f) throw new Error(`no fixture host ${id} (have: ${[...scanned.keys()].join(', ')})`);
      return f;
    },
    ids: () => [...scanned.keys()],
    cleanup: () => rmSync(tmp, { recursive: true, force: true }),
  };
}
