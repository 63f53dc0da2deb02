import type { SystemRoot } from '../host/root.js';
import type { Runner } from '../run/types.js';

/** chroot: run plan commands inside --root with chroot (directly when the root is "/"); skip: only list them. */
export type CommandMode = 'chroot' | 'skip';

/** One stream of progress events; the Ink, plain and JSON renderers all read the same events. */
export type EngineEvent =
  | { type: 'step-start'; stepId: string; title: string }
  | { type: 'change'; stepId: string; seq: number; text: string; state: 'start' | 'done' | 'pending' | 'skipped' }
  | { type: 'output'; stepId: string; line: string }
  | { type: 'step-end'; stepId: string; state: string; error: string | null }
  | { type: 'rollback-start'; stepId: string; reason: string }
  | { type: 'recovered'; runId: string; stepId: string }
  | { type: 'regenerate'; argv: string[]; state: 'start' | 'done' | 'failed' | 'pending' };

export interface EngineOptions {
  root: SystemRoot;
  runner: Runner;
  commands?: CommandMode;
  signal?: AbortSignal;
  onEvent?: (e: EngineEvent) => void;
  /** the effective uid (tests inject a non-root one); default process.geteuid() */
  uid?: number;
}

/** argv as actually executed: through chroot when working on a root other than "/". */
export function hostArgv(root: SystemRoot, argv: string[]): string[] {
  return root.live ? argv : ['chroot', root.dir, ...argv];
}

export function effectiveUid(opts: { uid?: number }): number {
  return opts.uid ?? (typeof process.geteuid === 'function' ? process.geteuid() : 0);
}
