import { statSync } from 'node:fs';
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
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    throw new UserError(
      `--root ${dir}: no such directory`,
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
      return live ? `/${rel}` : path.join(abs, rel);
    },
  };
}
