import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SysReader } from '../../src/host/sysfs-read.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vw-sysread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SysReader whole-file reads', () => {
  // sizes around the 64 KiB first read and the 256 KiB follow-up reads
  const sizes = [0, 1, 65535, 65536, 65537, 300_000, 1_400_000];
  it.each(sizes)('file() and fileBytes() return all %i bytes of a regular file', (size) => {
    const p = path.join(dir, `f${size}`);
    // multi-byte characters across the read boundaries must survive decoding
    const unit = 'pci é ✔ 10de\n';
    const text = unit.repeat(Math.ceil(size / Buffer.byteLength(unit)) + 1);
    const bytes = Buffer.from(text).subarray(0, size);
    writeFileSync(p, bytes);
    const r = new SysReader();
    expect(r.fileBytes(p)?.equals(bytes)).toBe(true);
    expect(r.file(p)).toBe(bytes.toString('utf8'));
    expect(r.notes).toEqual([]);
  });

  it('reads a /proc file, whose size is reported as 0, to its end', () => {
    const r = new SysReader();
    const mine = r.file('/proc/self/maps');
    // the maps of this process change between two reads; the first lines (the executable) do not
    expect(mine?.split('\n')[0]).toBe(readFileSync('/proc/self/maps', 'utf8').split('\n')[0]);
    expect((mine ?? '').length).toBeGreaterThan(1000);
    expect(r.fileBytes('/proc/self/cmdline')?.equals(readFileSync('/proc/self/cmdline'))).toBe(true);
  });

  it('an absent file is null without a note; a directory is null with one', () => {
    const r = new SysReader(dir);
    expect(r.fileBytes(path.join(dir, 'absent'))).toBeNull();
    expect(r.notes).toEqual([]);
    expect(r.fileBytes(dir)).toBeNull();
    expect(r.file(dir)).toBeNull();
    expect(r.notes).toEqual(['cannot read /: EISDIR', 'cannot read /: EISDIR']);
  });
});
