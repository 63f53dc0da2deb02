// Safe, synchronous readers for sysfs/procfs/fixture files. Reading the live /sys can fail in
// odd ways (EIO from a device in D3, EACCES for non-root, EINVAL from a driver's show()); every
// failure becomes null plus a note, never an exception. Absent files (ENOENT/ENOTDIR) are normal
// and produce no note. One shared buffer keeps the per-file cost to open+read+close.
import { closeSync, constants, fstatSync, openSync, readdirSync, readlinkSync, readSync, statSync } from 'node:fs';
import { hostText } from '../terminal-safe.js';

const BUF = Buffer.allocUnsafe(64 * 1024);

const quiet = (code: string | undefined) => code === 'ENOENT' || code === 'ENOTDIR';
const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

export class SysReader {
  readonly notes: string[] = [];

  /** root directory shown in notes is stripped so notes read like system paths */
  constructor(private readonly strip: string = '') {}

  private note(what: string, p: string, e: unknown): void {
    const shown = this.strip && p.startsWith(this.strip) ? p.slice(this.strip.length) || '/' : p;
    this.notes.push(`${what} ${shown}: ${codeOf(e) ?? (e instanceof Error ? e.message : String(e))}`);
  }

  /**
   * A sysfs attribute: the kernel hands over the whole value in one read, so one read into the
   * shared buffer is enough (values never approach its size).
   */
  text(p: string): string | null {
    return this.read(p, false);
  }

  /** A regular or /proc file: read until end of file (seq_file reads may return short). */
  file(p: string): string | null {
    return this.read(p, true);
  }

  /**
   * A regular file's bytes, read until end of file: for big files searched as bytes (pci.ids),
   * where decoding the whole text would cost more than the search.
   */
  fileBytes(p: string): Buffer | null {
    return this.withFile(p, (fd) => this.rest(fd, Buffer.alloc(0)));
  }

  /**
   * `work` on the open file: null with a note when it cannot be opened (absent files quietly) or
   * read; always closed.
   */
  private withFile<T>(p: string, work: (fd: number) => T): T | null {
    let fd: number;
    try {
      fd = openSync(p, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (e) {
      if (!quiet(codeOf(e))) this.note('cannot open', p, e);
      return null;
    }
    try {
      return work(fd);
    } catch (e) {
      this.note('cannot read', p, e);
      return null;
    } finally {
      closeSync(fd);
    }
  }

  /** what is left of fd after `head`: one read into a buffer of the file's size, then until EOF */
  private rest(fd: number, head: Buffer): Buffer {
    // /proc and sysfs files report size 0 or a page; a regular file is read whole in one go
    const size = fstatSync(fd).size;
    const chunks: Buffer[] = head.length > 0 ? [head] : [];
    let total = head.length;
    for (let want = Math.max(size - head.length + 1, 64 * 1024); ; ) {
      const chunk = Buffer.allocUnsafe(want);
      const m = readSync(fd, chunk, 0, chunk.length, null);
      if (m <= 0) break;
      chunks.push(chunk.subarray(0, m));
      total += m;
      want = 256 * 1024;
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  }

  private read(p: string, untilEof: boolean): string | null {
    // control characters become U+FFFD here, where every file the scanner reads passes: nothing
    // it keeps can move the cursor or retitle the window of the screen that draws it
    return this.withFile(p, (fd) => {
      const n = readSync(fd, BUF, 0, BUF.length, null);
      if (n === 0 || (!untilEof && n < BUF.length)) return hostText(BUF.toString('utf8', 0, n));
      return hostText(this.rest(fd, Buffer.from(BUF.subarray(0, n))).toString('utf8'));
    });
  }

  /**
   * For files that are often absent: a cheap existence test first, because a failed open
   * throws, and building that exception costs more than the stat.
   */
  optionalText(p: string): string | null {
    return this.exists(p) ? this.file(p) : null;
  }

  optionalList(p: string): string[] | null {
    return this.exists(p) ? this.list(p) : null;
  }

  /** Raw bytes (efivars); null when absent or unreadable. */
  bytes(p: string, max = 4096): Uint8Array | null {
    return this.withFile(p, (fd) => {
      const b = Buffer.alloc(max);
      return b.subarray(0, readSync(fd, b, 0, max, null));
    });
  }

  /** Directory entries; null when absent or unreadable. */
  list(p: string): string[] | null {
    try {
      return readdirSync(p).map(hostText);
    } catch (e) {
      if (!quiet(codeOf(e))) this.note('cannot list', p, e);
      return null;
    }
  }

  /** Symlink target as stored; null when absent, not a link, or unreadable. */
  link(p: string): string | null {
    try {
      return hostText(readlinkSync(p));
    } catch (e) {
      const c = codeOf(e);
      if (!quiet(c) && c !== 'EINVAL') this.note('cannot read link', p, e);
      return null;
    }
  }

  exists(p: string): boolean {
    try {
      return statSync(p, { throwIfNoEntry: false }) !== undefined;
    } catch {
      return false;
    }
  }

  isDir(p: string): boolean {
    try {
      return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
    } catch {
      return false;
    }
  }
}

/** Last path component of a link target ("../../../bus/pci/drivers/nvidia" → "nvidia"). */
export const baseName = (p: string): string => {
  const t = p.endsWith('/') ? p.slice(0, -1) : p;
  return t.slice(t.lastIndexOf('/') + 1);
};
