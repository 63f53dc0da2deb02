// Runs every bench/*.mjs except this one, one after another (they must not compete for the
// two cores). `npm run bench` builds first, then calls this. Exit 0: every goal met; 3: every
// bench ran and some goal was missed (each bench lists its misses); 1: a bench could not run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const dir = path.dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(dir)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .sort();
const failed = [];
const missed = [];
for (const file of benches) {
  console.log(`\n=== bench/${file}`);
  const r = spawnSync(process.execPath, [path.join(dir, file)], { stdio: 'inherit' });
  // 3: the bench ran and missed a goal; anything else non-zero: it could not measure
  if (r.status === 3) missed.push(file);
  else if (r.status !== 0) {
    failed.push(file);
    console.log(`bench/${file} failed (${r.status ?? r.signal})`);
  }
}
console.log(
  `\n${benches.length - failed.length} of ${benches.length} benchmarks ran` +
    (missed.length > 0 ? `; goals missed in: ${missed.map((f) => `bench/${f}`).join(', ')}` : '; every goal met') +
    (failed.length > 0 ? `; could not run: ${failed.map((f) => `bench/${f}`).join(', ')}` : ''),
);
process.exit(failed.length > 0 ? 1 : missed.length > 0 ? 3 : 0);
