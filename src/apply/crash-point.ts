import { appendFileSync } from 'node:fs';

// Crash-test hook. Every durable write the engine makes (journal record, backup, temp file,
// rename, unlink) passes a named point. With VFIO_WIZARD_CRASH_LIST=FILE each point's name is
// appended to FILE, so a test learns how many points there are from the engine itself; with
// VFIO_WIZARD_CRASH_AT=N the process SIGKILLs itself at the N-th point (1-based). Without
// either variable this costs one counter increment.
let counter = 0;

export function crashPoint(name: string): void {
  counter += 1;
  const list = process.env.VFIO_WIZARD_CRASH_LIST;
  if (list) appendFileSync(list, `${counter}\t${name}\n`);
  if (process.env.VFIO_WIZARD_CRASH_AT === String(counter)) process.kill(process.pid, 'SIGKILL');
}
