import type { SystemRoot } from '../host/root.js';
import type { Runner } from '../run/types.js';

/** chroot: run plan commands inside --root with chroot (directly when the root is "/"); skip: only list them. */
export type CommandMode = 'chroot' | 'skip';

/** One stream of progress events; the Ink, plain and JSON renderers all read the same events. */
export type EngineEvent =
  | { type: 'step-start'; stepId: string; title: string }
  | { type: 'change'; stepId: string; seq: number; text: string; state: 'start' | 'done' | 'pending' | 'skipped' }
  /** command: the line is that command's output (renderers that show command events already have it); absent: the engine's own note */
  | { type: 'output'; stepId: string; line: string; command?: string }
  | { type: 'step-end'; stepId: string; state: string; error: string | null }
  | { type: 'rollback-start'; stepId: string; reason: string }
  | { type: 'recovered'; runId: string; stepId: string }
  | { type: 'regenerate'; argv: string[]; state: 'start' | 'done' | 'failed' | 'pending' };

/**
 * How long one command of a step (or of its rollback) may run before it is stopped: an initramfs
 * rebuild for every installed kernel takes minutes, a hung one must not hold the lock forever.
 */
export const COMMAND_TIMEOUT_MS = 30 * 60_000;
/** A quick query the engine makes on the side (a SELinux label). */
export const QUERY_TIMEOUT_MS = 60_000;

export interface EngineOptions {
  root: SystemRoot;
  runner: Runner;
  commands?: CommandMode;
  signal?: AbortSignal;
  onEvent?: (e: EngineEvent) => void;
  /** the effective uid (tests inject a non-root one); default process.geteuid() */
  uid?: number;
}

// update-initramfs, grub-mkconfig and dracut need /proc, /sys and /dev inside the root. They are
// mounted in a private mount namespace that ends with the command, so nothing stays mounted on
// the rescue system, and a root whose /proc is already mounted (arch-chroot style) is left as is.
// The script is a constant; the root and the argv reach it as positional arguments, never as text.
export const CHROOT_SCRIPT = [
  'r=$1; shift',
  'for d in proc sys dev; do',
  '  [ -d "$r/$d" ] && ! mountpoint -q "$r/$d" || continue',
  '  case $d in proc) mount -t proc proc "$r/proc" ;; *) mount --rbind "/$d" "$r/$d" ;; esac || exit 125',
  'done',
  'exec chroot "$r" "$@"',
].join('\n');

/**
 * argv as actually executed: inside the root (chroot, with /proc /sys /dev) when it is not "/".
 * A command about the running host's own services (runsOn 'host': virsh, virt-install) runs as is.
 */
export function hostArgv(root: SystemRoot, argv: string[], runsOn: 'root' | 'host' = 'root'): string[] {
  if (root.live || runsOn === 'host') return argv;
  return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', CHROOT_SCRIPT, 'vfio-wizard-chroot', root.dir, ...argv];
}

export function effectiveUid(opts: { uid?: number }): number {
  return opts.uid ?? (typeof process.geteuid === 'function' ? process.geteuid() : 0);
}
