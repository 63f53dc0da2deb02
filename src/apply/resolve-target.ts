import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../exit-codes.js';
import type { SystemRoot } from '../host/root.js';

/**
 * Resolve symlinks in a system path the way the system itself would see them: absolute link
 * targets start again at the root (not at this machine's "/"), ".." stops at the root. Parts
 * that do not exist yet are kept as written (a file about to be created). Returns a system
 * path, so the journal stays valid when the same disk is later mounted elsewhere (--root /mnt).
 */
export function resolveSystemPath(root: SystemRoot, systemPath: string): string {
  let pending = systemPath.split('/').filter((s) => s !== '');
  let resolved = '/';
  let links = 0;
  while (pending.length > 0) {
    const seg = pending.shift() as string;
    if (seg === '.') continue;
    if (seg === '..') {
      resolved = path.posix.dirname(resolved);
      continue;
    }
    const next = path.posix.join(resolved, seg);
    let isLink = false;
    try {
      isLink = lstatSync(root.at(next)).isSymbolicLink();
    } catch {
      // does not exist (yet): the rest is taken literally
      resolved = path.posix.join(next, ...pending);
      pending = [];
      break;
    }
    if (!isLink) {
      resolved = next;
      continue;
    }
    links += 1;
    if (links > 40) {
      throw new UserError(`too many symbolic links under ${systemPath}`, ExitCode.badInput, 'Check the links with ls -l; one of them loops.');
    }
    const target = readlinkSync(root.at(next));
    pending = [...target.split('/').filter((s) => s !== ''), ...pending];
    if (target.startsWith('/')) resolved = '/';
  }
  return resolved;
}
