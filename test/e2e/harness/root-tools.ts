// What the Debian-root e2e tests share: the built bin run against a root, the root's own
// unmkinitramfs, and a byte-for-byte snapshot of a tree.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import path from 'node:path';
import { binPath } from '../../support/tmux.js';

/** The built bin (dist/ must exist: npm test builds first), CI set so it never draws the UI. */
export function bin(args: string[]): { code: number | null; out: string; err: string } {
  if (!existsSync(path.join(path.dirname(binPath), '..', 'dist', 'cli.js'))) throw new Error('run `npm run build` first (npm test does)');
  const r = spawnSync(process.execPath, [binPath, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Unpacks the image with the root's own unmkinitramfs; returns the directory of the main archive. */
export function unpackInitramfs(root: string, kver: string): { dir: string; cleanup(): void } {
  const inside = mkdtempSync(path.join(root, 'tmp', 'vw-unpack-'));
  const r = spawnSync('chroot', [root, 'unmkinitramfs', `/boot/initrd.img-${kver}`, `/tmp/${path.basename(inside)}`], {
    encoding: 'utf8',
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  if (r.status !== 0) throw new Error(`unmkinitramfs failed: ${r.stderr}`);
  // with early (microcode) archives in front, the main one lands in main/
  const main = existsSync(path.join(inside, 'main')) ? path.join(inside, 'main') : inside;
  return { dir: main, cleanup: () => rmSync(inside, { recursive: true, force: true }) };
}

export const sha256File = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Every entry under `dir`: type, mode, and content hash or link target — for a byte-for-byte comparison. */
export function treeSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const p = path.join(dir, r);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[r] = `dir ${mode}`;
        walk(r);
      } else out[r] = `file ${mode} ${sha256File(p)}`;
    }
  };
  walk('');
  return out;
}
