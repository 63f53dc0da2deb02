import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fsyncSync,
  fchmodSync,
  fchownSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { crashPoint } from './crash-point.js';
import { mapFsError } from './fs-errors.js';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** fsync a directory so a rename or unlink inside it survives a power cut. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const TEMP_MARK = '.vfio-wizard-tmp.';
let tempCounter = 0;

/** Temp files of ours left in `dir` for `base` by a killed process (rollback removes them). */
export function leftoverTemps(dir: string, base: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(`.${base}${TEMP_MARK}`)).map((n) => path.join(dir, n));
}

export interface WriteOptions {
  mode: number;
  uid?: number;
  gid?: number;
  /** crash-point label ("journal", "file 3"); the points are `<label>:temp` and `<label>:rename` */
  crashLabel?: string;
  /** what the write is for, in the disk-full message */
  what?: string;
}

/**
 * Replace `hostPath` atomically: write a temp file in the same directory (O_EXCL, O_NOFOLLOW),
 * set mode and owner on it, fsync, rename over the target, fsync the directory. Readers see the
 * old file or the new one, never a mix. On any failure the temp file is removed and the target
 * is untouched; ENOSPC/EROFS become UserError(noSpace).
 */
export function atomicWrite(hostPath: string, data: Buffer | string, opts: WriteOptions): void {
  const dir = path.dirname(hostPath);
  tempCounter += 1;
  const tmp = path.join(dir, `.${path.basename(hostPath)}${TEMP_MARK}${process.pid}.${tempCounter}`);
  let fd: number | null = null;
  let renamed = false;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (opts.uid !== undefined || opts.gid !== undefined) fchownSync(fd, opts.uid ?? -1, opts.gid ?? -1);
    // chmod after chown: chown clears set-id bits
    fchmodSync(fd, opts.mode & 0o7777);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    if (opts.crashLabel) crashPoint(`${opts.crashLabel}:temp`);
    renameSync(tmp, hostPath);
    renamed = true;
    if (opts.crashLabel) crashPoint(`${opts.crashLabel}:rename`);
    fsyncDir(dir);
  } catch (err) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* already failing; the original error is the one to report */
      }
    }
    if (!renamed) {
      try {
        unlinkSync(tmp);
      } catch {
        /* the temp file may never have been created */
      }
    }
    throw mapFsError(err, opts.what ?? 'writing', hostPath);
  }
}

/** Remove a file and make the removal durable. */
export function durableUnlink(hostPath: string, crashLabel?: string): void {
  try {
    unlinkSync(hostPath);
    if (crashLabel) crashPoint(`${crashLabel}:unlink`);
    fsyncDir(path.dirname(hostPath));
  } catch (err) {
    throw mapFsError(err, 'removing a file', hostPath);
  }
}
