#!/usr/bin/env node
// The README's test command runs this: build, typecheck, then the test tiers one after another,
// printing how long each took. Any failure stops the run with a non-zero exit.
import { spawnSync } from 'node:child_process';

const tiers = [
  ['build (esbuild bundle)', ['npm', 'run', '--silent', 'build']],
  ['typecheck (tsc --noEmit)', ['npm', 'run', '--silent', 'typecheck']],
  ['tiers 1-3, 5: unit, property, fixture roots, real-tool oracles, tmux', ['npx', 'vitest', 'run']],
  ['tier 4: Debian roots (debootstrap) and QEMU guests with emulated IOMMUs', ['npx', 'vitest', 'run', '--config', 'vitest.e2e.config.ts']],
];
const times = [];
const runStart = Date.now();
for (const [name, argv] of tiers) {
  console.log(`\n=== ${name}`);
  const start = Date.now();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' });
  const secs = ((Date.now() - start) / 1000).toFixed(1);
  times.push(`${secs.padStart(7)} s  ${name}`);
  if (r.status !== 0) {
    console.log(`\n=== FAILED: ${name} (exit ${r.status ?? r.signal}) after ${secs} s`);
    console.log(times.join('\n'));
    process.exit(r.status ?? 1);
  }
}
console.log(`\n=== time per tier\n${times.join('\n')}`);
// TESTING.md's budget for the whole run on 2 cores: a slower run is a finding, said loudly
const total = (Date.now() - runStart) / 1000;
const BUDGET_S = 45 * 60;
console.log(`${total.toFixed(1).padStart(7)} s  in all (budget ${BUDGET_S / 60} min)`);
if (total > BUDGET_S) console.log(`=== WARNING: the test run took ${(total / 60).toFixed(1)} min, over the ${BUDGET_S / 60}-minute budget`);
