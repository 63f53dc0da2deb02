// Fixture roots for the engine tests: real directories under the OS temp dir, real modes and owners.
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FileSpec {
  content: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

/** A symbolic link (target as stored: relative to the link's directory, or absolute). */
export interface LinkSpec {
  link: string;
}

export function makeRoot(files: Record<string, FileSpec | LinkSpec | string>, prefix = 'vfio-engine-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  // every real system has /var/lib; the engine keeps its journal under it
  mkdirSync(path.join(dir, 'var/lib'), { recursive: true });
  writeTree(dir, files);
  return dir;
}

export function writeTree(dir: string, files: Record<string, FileSpec | LinkSpec | string>): void {
  for (const [rel, spec] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    if (typeof spec !== 'string' && 'link' in spec) {
      symlinkSync(spec.link, p);
      continue;
    }
    const f = typeof spec === 'string' ? { content: spec } : spec;
    writeFileSync(p, f.content);
    // chown first: it clears set-id bits
    if (f.uid !== undefined || f.gid !== undefined) chownSync(p, f.uid ?? 0, f.gid ?? 0);
    chmodSync(p, f.mode ?? 0o644);
  }
}

export interface Node {
  type: 'file' | 'dir' | 'link';
  mode: number;
  uid: number;
  gid: number;
  content?: string;
  target?: string;
}

/** Everything about a tree that rollback must restore: bytes, type, mode, owner, link targets. */
export function snapshot(dir: string, exclude: string[] = ['var/lib/vfio-wizard']): Record<string, Node> {
  const out: Record<string, Node> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (exclude.includes(r)) continue;
      const p = path.join(dir, r);
      const st = lstatSync(p);
      const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      if (st.isSymbolicLink()) out[r] = { type: 'link', ...base, target: readlinkSync(p) };
      else if (st.isDirectory()) {
        out[r] = { type: 'dir', ...base };
        walk(r);
      } else out[r] = { type: 'file', ...base, content: readFileSync(p).toString('base64') };
    }
  };
  walk('');
  return out;
}

/** A real static busybox in the root, so commands run for real through chroot. */
export function addBusybox(dir: string, applets: string[] = ['sh', 'sleep', 'true', 'false', 'echo', 'cat', 'touch', 'rm']): void {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(dir, 'bin/busybox'));
  chmodSync(path.join(dir, 'bin/busybox'), 0o755);
  for (const a of applets) symlinkSync('busybox', path.join(dir, 'bin', a));
}

export function removeRoot(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
