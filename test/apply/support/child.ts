// Bundles apply-child.ts once per test file (esbuild) so each crash iteration starts a plain
// `node` in ~0.1 s instead of going through tsx.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Plan } from '../../../src/plan/types.js';

export async function buildChild(entry = 'apply-child.ts'): Promise<string> {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'vfio-child-')), entry.replace(/\.ts$/, '.mjs'));
  await build({
    entryPoints: [path.join(import.meta.dirname, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'silent',
  });
  return out;
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ChildInput {
  op: 'apply' | 'rollback-all';
  root: string;
  plans: Plan[];
  commands?: 'chroot' | 'skip';
  realRunner?: boolean;
}

export function runChildSync(script: string, input: ChildInput, env: Record<string, string> = {}): ChildRun {
  const r = spawnSync(process.execPath, [script, JSON.stringify({ commands: 'chroot', realRunner: false, ...input })], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Start the child and hand back the process (for SIGINT / lock tests). */
export function startChild(script: string, input: ChildInput) {
  const child = spawn(process.execPath, [script, JSON.stringify({ commands: 'chroot', realRunner: false, ...input })], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  const done = new Promise<ChildRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}
