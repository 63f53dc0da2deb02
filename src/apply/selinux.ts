import { existsSync } from 'node:fs';
import type { SystemRoot } from '../host/root.js';
import type { Runner } from '../run/types.js';
import { QUERY_TIMEOUT_MS } from './engine-types.js';

// Node cannot read extended attributes, and an atomic rename gives the file a new inode with the
// directory's default label. So the label is handled only where SELinux is actually enforcing a
// policy on the running system (root "/" with /sys/fs/selinux/enforce): read with `stat -c %C`,
// put back with `chcon`, new files get `restorecon`. Elsewhere (no SELinux, or --root on an
// image, where relabelling happens at the image's next boot) the label is recorded as null.

export function selinuxActive(root: SystemRoot): boolean {
  return root.live && existsSync('/sys/fs/selinux/enforce');
}

export async function readLabel(root: SystemRoot, runner: Runner, hostPath: string): Promise<string | null> {
  if (!selinuxActive(root)) return null;
  const r = await runner.run(['stat', '-c', '%C', hostPath], { name: 'stat', timeoutMs: QUERY_TIMEOUT_MS });
  const label = r.ok ? r.output.trim() : '';
  return label !== '' && label !== '?' ? label : null;
}

/**
 * Give a freshly renamed file its label: the recorded one, or the policy default for a new file.
 * Returns what went wrong (a file with the wrong label can be unreadable to the services that need
 * it), or null.
 */
export async function relabel(root: SystemRoot, runner: Runner, hostPath: string, label: string | null): Promise<string | null> {
  if (!selinuxActive(root)) return null;
  const argv = label ? ['chcon', label, hostPath] : ['restorecon', hostPath];
  const r = await runner.run(argv, { name: argv[0]!, timeoutMs: QUERY_TIMEOUT_MS });
  return r.ok ? null : `${argv.join(' ')} failed (${r.tail.at(-1) ?? `exit ${r.exitCode ?? r.spawnError}`}): ${hostPath} may carry the wrong SELinux label`;
}
