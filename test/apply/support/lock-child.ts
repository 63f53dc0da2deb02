// Takes the engine's lock on ROOT, records "start PID" and "end PID" around a short hold in LOG,
// and releases it; prints "locked" when another holder is alive. For the lock race test.
import { appendFileSync } from 'node:fs';
import { acquireLock } from '../../../src/apply/lock.js';
import { UserError } from '../../../src/exit-codes.js';
import { systemRoot } from '../../../src/host/root.js';

const [root, log, holdMs] = process.argv.slice(2) as [string, string, string];
try {
  const lock = acquireLock(systemRoot(root), 'race');
  appendFileSync(log, `start ${process.pid}\n`);
  await new Promise((r) => setTimeout(r, Number(holdMs)));
  appendFileSync(log, `end ${process.pid}\n`);
  lock.release();
  process.stdout.write('held\n');
} catch (err) {
  process.stdout.write(err instanceof UserError ? 'locked\n' : `error ${String(err)}\n`);
}
