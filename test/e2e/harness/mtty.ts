// A real mediated-device parent for the guest tier: the kernel's sample driver mtty
// (samples/vfio-mdev/mtty.c, an emulated serial card that offers mdev types), built out of tree
// against the guest kernel's own headers. Debian's packages are downloaded with apt (never
// installed on this machine), unpacked under the e2e cache, and the module is cached next to
// them, rebuilt when the kernel changes.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir, type GuestKernel } from './guest.js';

function run(argv: string[], opts: { cwd?: string; timeoutMs?: number } = {}): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: opts.cwd, encoding: 'utf8', timeout: opts.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`mtty cannot be built: ${argv.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`mtty cannot be built: "${argv.join(' ')}" exited ${r.status}\n${r.stderr.slice(-3000)}${r.stdout.slice(-2000)}`);
  return r.stdout;
}

/** The Debian version of the guest kernel's package (6.1.192-3 for linux-image-6.1.0-57-amd64). */
function packageVersion(kver: string): string {
  const v = /^Version:\s*(\S+)/m.exec(run(['apt-cache', 'show', `linux-image-${kver}`]))?.[1];
  if (!v) throw new Error(`mtty cannot be built: no version for linux-image-${kver}`);
  return v;
}

/** mtty.ko for the guest kernel (built once per kernel). */
export function ensureMtty(k: GuestKernel): string {
  const dir = path.join(cacheDir, `mtty-${k.kver}`);
  const ko = path.join(dir, 'mtty.ko');
  if (existsSync(ko)) return ko;
  rmSync(dir, { recursive: true, force: true });
  const dl = path.join(dir, 'download');
  const tree = path.join(dir, 'tree');
  const build = path.join(dir, 'build');
  for (const d of [dl, tree, build]) mkdirSync(d, { recursive: true });
  const version = packageVersion(k.kver);
  const series = /^(\d+\.\d+)/.exec(version)?.[1] ?? '6.1';
  const common = k.kver.replace(/-amd64$/, '-common');
  run(['apt-get', 'download', `linux-headers-${k.kver}=${version}`, `linux-headers-${common}=${version}`, `linux-kbuild-${series}=${version}`, `linux-source-${series}=${version}`], { cwd: dl });
  for (const deb of readdirSync(dl).filter((f) => f.endsWith('.deb') && !f.startsWith('linux-source'))) run(['dpkg-deb', '-x', path.join(dl, deb), tree]);
  // only mtty.c is needed from the source tarball inside linux-source
  const src = readdirSync(dl).find((f) => f.startsWith('linux-source'));
  if (!src) throw new Error('mtty cannot be built: linux-source was not downloaded');
  run(['sh', '-c', `dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/src/linux-source-${series}.tar.xz | tar -xJ -C "$2" --strip-components=3 linux-source-${series}/samples/vfio-mdev/mtty.c`, 'sh', path.join(dl, src), build], { timeoutMs: 900_000 });
  // the headers' Makefile includes the common tree by its installed path: point it at ours
  const mk = path.join(tree, 'usr/src', `linux-headers-${k.kver}`, 'Makefile');
  writeFileSync(mk, readFileSync(mk, 'utf8').replace('include /usr/src/', `include ${tree}/usr/src/`));
  writeFileSync(path.join(build, 'Kbuild'), 'obj-m := mtty.o\n');
  run(['make', '-C', path.join(tree, 'usr/src', `linux-headers-${k.kver}`), `M=${build}`, 'modules'], { timeoutMs: 600_000 });
  copyFileSync(path.join(build, 'mtty.ko'), `${ko}.tmp`);
  run(['mv', `${ko}.tmp`, ko]);
  rmSync(dl, { recursive: true, force: true });
  return ko;
}
