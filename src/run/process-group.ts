// Whether a command's process group still runs: the runner waits on it after a cancel, and the
// lock treats a group left running by a killed vfio-wizard as still holding the system.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Whether the process group still has a running member. kill(-pgid, 0) alone is not enough:
 * it also succeeds for zombies, which linger until init reaps them (seconds on some hosts).
 * This reads the live process table, which is the machine the commands run on whatever --root is.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ..." — comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}
