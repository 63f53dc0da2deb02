// The kernel log, read without running any command. On the live system /dev/kmsg is read
// non-blocking (each read returns one record; EAGAIN means the end of the buffer); otherwise,
// or when that fails, <root>/var/log/dmesg (written at boot by some distributions).
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { readPath, type SystemRoot } from './root.js';
import type { SysReader } from './sysfs-read.js';

export interface KernelLog {
  source: string;
  lines: string[];
}

/** at most this many records are read from /dev/kmsg (the ring buffer is bounded anyway) */
const MAX_RECORDS = 50_000;

function readKmsg(r: SysReader): string[] | null {
  let fd: number;
  try {
    fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    r.notes.push(`cannot open /dev/kmsg: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return null;
  }
  const lines: string[] = [];
  const buf = Buffer.allocUnsafe(8192);
  try {
    for (let i = 0; i < MAX_RECORDS; i++) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') break;
        // EPIPE: the record we were about to read was overwritten; keep going
        if (code === 'EPIPE') continue;
        r.notes.push(`cannot read /dev/kmsg: ${code ?? String(e)}`);
        return lines.length > 0 ? lines : null;
      }
      if (n <= 0) break;
      // "prio,seq,usec,flags;message\n continuation…": keep the message in dmesg's shape
      const rec = buf.toString('utf8', 0, n);
      const semi = rec.indexOf(';');
      if (semi < 0) continue;
      const nl = rec.indexOf('\n');
      const head = rec.slice(0, semi);
      const usec = Number(head.split(',')[2] ?? 0);
      const msg = rec.slice(semi + 1, nl < 0 ? rec.length : nl);
      const ts = (usec / 1e6).toFixed(6).padStart(12, ' ');
      lines.push(`[${ts}] ${msg}`);
    }
  } finally {
    closeSync(fd);
  }
  return lines;
}

export function readKernelLog(root: SystemRoot, r: SysReader): KernelLog | null {
  if (root.live) {
    const lines = readKmsg(r);
    if (lines !== null && lines.length > 0) return { source: '/dev/kmsg', lines };
  }
  const text = r.file(readPath(root, '/var/log/dmesg'));
  if (text !== null) return { source: '/var/log/dmesg', lines: text.split('\n') };
  r.notes.push('no readable kernel log (/dev/kmsg or /var/log/dmesg): interrupt remapping is unknown');
  return null;
}
