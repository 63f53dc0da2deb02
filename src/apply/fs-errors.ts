import { ExitCode, UserError } from '../exit-codes.js';

export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** A full file system becomes UserError(noSpace), a read-only one UserError(readOnly), each naming the path; anything else is returned unchanged. */
export function mapFsError(err: unknown, what: string, hostPath: string): unknown {
  const code = errnoCode(err);
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new UserError(
      `no space left on the file system holding ${hostPath} while ${what}`,
      ExitCode.noSpace,
      `Free some space there (df -h ${hostPath.replace(/\/[^/]*$/, '') || '/'}) and run the command again.`,
    );
  }
  if (code === 'EROFS') {
    return new UserError(
      `the file system holding ${hostPath} is read-only (while ${what})`,
      ExitCode.readOnly,
      'Remount it read-write (mount -o remount,rw MOUNTPOINT) and run the command again.',
    );
  }
  return err;
}
