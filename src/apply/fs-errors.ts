import { existsSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../exit-codes.js';

export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** The nearest directory of hostPath that exists (what df and findmnt can be pointed at). */
function existingDir(hostPath: string): string {
  for (let d = path.dirname(hostPath); ; d = path.dirname(d)) {
    if (existsSync(d) || d === path.dirname(d)) return d;
  }
}

/**
 * A full file system becomes UserError(noSpace), a read-only one — or a file or directory that
 * refuses the write although we are root (immutable: chattr +i) — UserError(readOnly), each naming
 * the path; anything else is returned unchanged.
 */
export function mapFsError(err: unknown, what: string, hostPath: string): unknown {
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new UserError(
      `no space left on the file system holding ${hostPath} while ${what}`,
      ExitCode.noSpace,
      `Free some space there (df -h ${existingDir(hostPath)}) and run the command again.`,
    );
  }
  if (code === 'EROFS') {
    const dir = existingDir(hostPath);
    return new UserError(
      `the file system holding ${hostPath} is read-only (while ${what})`,
      ExitCode.readOnly,
      `Remount it read-write (findmnt -T ${dir} names it; then mount -o remount,rw on that mount point) and run the command again.`,
    );
  }
  if (code === 'EPERM' || code === 'EACCES') {
    const dir = existingDir(hostPath);
    return new UserError(
      `${hostPath} (or its directory) refuses to be changed while ${what} (${code})`,
      ExitCode.readOnly,
      `As root this usually means the file or directory is immutable: lsattr -d ${hostPath} ${dir} shows an "i"; chattr -i removes it. Then run the command again.`,
    );
  }
  return err;
}
