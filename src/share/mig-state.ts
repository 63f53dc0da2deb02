// MIG mode per GPU, as nvidia-smi reports it: asked only on the running system and only when
// nvidia-smi is installed (it talks to the driver; a root mounted elsewhere has no driver to ask).
import { existsSync } from 'node:fs';
import type { SystemRoot } from '../host/root.js';
import { parseNvidiaSmiMig, type ShareFacts } from './share-facts.js';

/** `signal`: stop asking (the wizard was quit while it started); the answer is then "none known". */
export async function migState(root: SystemRoot, signal?: AbortSignal): Promise<ShareFacts['mig']> {
  if (!root.live || !['/usr/bin/nvidia-smi', '/bin/nvidia-smi'].some((p) => existsSync(p))) return [];
  // loaded only here: the wizard's start-up does not pay for the runner on hosts without nvidia-smi
  const { createRunner } = await import('../run/runner.js');
  const r = await createRunner({ logDir: null }).run(['nvidia-smi', '--query-gpu=pci.bus_id,mig.mode.current', '--format=csv,noheader'], { name: 'nvidia-smi', timeoutMs: 30_000, env: { LC_ALL: 'C' }, ...(signal ? { signal } : {}) });
  return r.ok ? parseNvidiaSmiMig(r.stdout) : [];
}
