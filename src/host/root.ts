import { lstatSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { ExitCode, UserError } from '../exit-codes.js';

/**
 * The system the program works on: "/" or a directory holding a mounted system, an offline
 * image or a fixture tree. Every path the program reads or writes goes through `at()`.
 */
export interface SystemRoot {
  /** absolute directory */
  readonly dir: string;
  /** true when dir is "/" (the running system: /proc and /sys are live) */
  readonly live: boolean;
  /** an absolute system path ("/etc/default/grub") resolved under the root */
  at(systemPath: string): string;
}

/** The system path of a host path under the root ("/mnt/var/log/x" → "/var/log/x"); null when it lies outside. */
export function pathInRoot(root: SystemRoot, hostPath: string): string | null {
  if (root.live) return hostPath;
  const rel = path.relative(root.dir, hostPath);
  return rel.startsWith('..') || path.isAbsolute(rel) ? null : `/${rel}`;
}

export function systemRoot(dir: string): SystemRoot {
  // `--root=` (or --root "") would otherwise resolve to the current directory, silently
  if (dir.trim() === '') throw new UserError('--root was given an empty directory name', ExitCode.usage, 'Pass the directory where the system is mounted (for example --root /mnt), or leave --root out to use this machine.');
  const abs = path.resolve(dir);
  let isDir: boolean | null = null;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = null;
  }
  if (isDir !== true) {
    throw new UserError(
      isDir === false ? `--root ${dir}: not a directory` : `--root ${dir}: no such directory`,
      ExitCode.badInput,
      'Pass the directory where the system is mounted (for example --root /mnt), or leave --root out to use this machine.',
    );
  }
  const live = abs === '/';
  return {
    dir: abs,
    live,
    at(systemPath: string) {
      const rel = systemPath.replace(/^\/+/, '');
      if (live) return `/${rel}`;
      const joined = path.join(abs, rel);
      // "..": a path from a journal, a device name or a file under the root must never lead out of it
      if (joined !== abs && !joined.startsWith(abs.endsWith('/') ? abs : `${abs}/`)) {
        throw new UserError(`${systemPath} leads outside ${abs}`, ExitCode.badInput, 'Paths under --root stay under it; this one came from a file there and was refused.');
      }
      return joined;
    },
  };
}

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
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      // no exception for a missing part (the usual case when probing for a file): they are costly
      st = lstatSync(root.at(next), { throwIfNoEntry: false });
    } catch {
      st = undefined; // ENOTDIR and the like: as missing
    }
    if (st === undefined) {
      // does not exist (yet): the rest is taken literally
      resolved = path.posix.join(next, ...pending);
      pending = [];
      break;
    }
    const isLink = st.isSymbolicLink();
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

/**
 * The host path to read a system file at, as the system under the root sees it: on "/" the path
 * itself; under --root, links resolved inside the root (an image's /etc/os-release →
 * /usr/lib/os-release must not read this machine's). For /etc, /usr, /boot and /var files — sysfs
 * and /proc links are relative and need none of this.
 */
export function readPath(root: SystemRoot, systemPath: string): string {
  if (root.live) return root.at(systemPath);
  try {
    // a scan probes many files in a few directories (/etc, /boot, /usr/bin …): each directory is
    // resolved once, then only the file's own name is looked at
    let dirs = resolvedDirs.get(root);
    if (!dirs) resolvedDirs.set(root, (dirs = new Map()));
    const dir = path.posix.dirname(systemPath);
    let rdir = dirs.get(dir);
    if (rdir === undefined) dirs.set(dir, (rdir = resolveSystemPath(root, dir)));
    const file = path.posix.join(rdir, path.posix.basename(systemPath));
    const st = lstatSync(root.at(file), { throwIfNoEntry: false });
    return root.at(st?.isSymbolicLink() ? resolveSystemPath(root, file) : file);
  } catch {
    // a link loop: reading the path as it is fails with ELOOP, which the reader notes
    return root.at(systemPath);
  }
}

/** Directories resolved under each root (readPath); a root's tree is read, never rearranged, while it is scanned. */
const resolvedDirs = new WeakMap<SystemRoot, Map<string, string>>();
