// npm run bench — the live output pane under load (issue 4).
//  1. a child printing 200,000 lines as fast as it can, through the runner with the pane mounted,
//     against the same child writing to /dev/null: wall time ratio (goal ≤ 1.3x), peak RSS of
//     the wizard process (goal ≤ 150 MB), React renders of the pane per second (goal ≤ 30);
//  2. a child printing 3,000 lines at ~1 ms intervals: CPU of the UI process, renders per second.
// The UI side is bundled here with esbuild the way scripts/build.mjs bundles the product.
import { build } from 'esbuild';
import { bundlePlugins } from '../scripts/bundle-plugins.mjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const FAST_CHILD = `
const n = 200000; let buf = '';
for (let i = 1; i <= n; i++) {
  buf += 'line ' + i + ' of ' + n + ': the quick brown fox jumps over the lazy dog\\n';
  if (buf.length > 65536) { process.stdout.write(buf); buf = ''; }
}
process.stdout.write(buf);`;
const SLOW_CHILD = `
let i = 0;
const t = setInterval(() => { process.stdout.write('slow line ' + (++i) + '\\n'); if (i === 3000) clearInterval(t); }, 1);`;

const outDir = mkdtempSync(path.join(os.tmpdir(), 'vw-bench-'));
await build({
  entryPoints: { app: here('./output-app.tsx') },
  outdir: outDir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  define: { 'process.env.NODE_ENV': '"production"', 'process.env.DEV': '"false"' },
  alias: { 'react-devtools-core': here('../scripts/react-devtools-core-stub.js') },
  // as the bundle is built: Ink's yoga without fetch, string-width's fast path
  plugins: bundlePlugins,
  banner: { js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);" },
  logLevel: 'warning',
});
const app = path.join(outDir, 'app.js');

// Ink renders to a "terminal" only when not in CI (is-in-ci): measure the interactive path.
const env = { ...process.env };
delete env.CI;
delete env.CONTINUOUS_INTEGRATION;

function wait(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d) => (out += d));
    // stderr is collected (Ink restores the cursor there on exit) and shown only on failure
    child.stderr?.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}${err}`))));
  });
}

async function baseline(script) {
  const devNull = openSync('/dev/null', 'w');
  const t0 = performance.now();
  await wait(spawn(process.execPath, ['-e', script], { stdio: ['ignore', devNull, 'inherit'] }));
  closeSync(devNull);
  return performance.now() - t0;
}

// The floor for any consumer: the same child writing into a pipe that a do-nothing reader drains.
async function pipeFloor(script) {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout.on('data', () => {});
  await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  return performance.now() - t0;
}

async function withPane(script) {
  const out = await wait(spawn(process.execPath, [app, JSON.stringify([process.execPath, '-e', script])], { stdio: ['ignore', 'pipe', 'pipe'], env }));
  const m = JSON.parse(out.trim().split('\n').pop());
  if (!m.ok) throw new Error(`the child failed under the runner: ${out}`);
  return m;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const verdict = (ok) => (ok === undefined ? '    ' : ok ? 'ok  ' : 'MISS');
const missed = [];
const row = (name, value, goal, ok) => {
  if (ok === false) missed.push(`${name} ${value} (${goal})`);
  console.log(`  ${verdict(ok)} ${name.padEnd(38)} ${value.padEnd(14)} ${goal}`);
};

try {
  console.log(`output pane benchmark (median of ${RUNS} runs; 100x30 terminal; ${os.cpus().length} cpus; load ${os.loadavg()[0].toFixed(1)})`);

  const base = [];
  const floor = [];
  const fast = [];
  for (let i = 0; i < RUNS; i++) {
    base.push(await baseline(FAST_CHILD));
    floor.push(await pipeFloor(FAST_CHILD));
    fast.push(await withPane(FAST_CHILD));
  }
  const baseMs = median(base);
  const floorMs = median(floor);
  const paneMs = median(fast.map((m) => m.runDurationMs));
  const rss = Math.max(...fast.map((m) => m.maxRssMB));
  const fastRate = median(fast.map((m) => m.commits / (m.wallMs / 1000)));
  const fastFrames = median(fast.map((m) => m.frames / (m.wallMs / 1000)));
  console.log('\n200,000 lines as fast as possible');
  row('child alone, stdout to /dev/null', `${baseMs.toFixed(0)} ms`, '');
  row('child into a do-nothing pipe reader', `${floorMs.toFixed(0)} ms`, `${(floorMs / baseMs).toFixed(2)}x /dev/null: the pipe's own cost`);
  row('child through runner + pane', `${paneMs.toFixed(0)} ms`, '');
  row('ratio to /dev/null', `${(paneMs / baseMs).toFixed(2)}x`, 'goal ≤ 1.3x', paneMs / baseMs <= 1.3);
  row('ratio to the pipe floor', `${(paneMs / floorMs).toFixed(2)}x`, '');
  row('peak RSS of the wizard process', `${rss.toFixed(0)} MB`, 'goal ≤ 150 MB', rss <= 150);
  row('pane renders per second', `${fastRate.toFixed(1)}`, 'goal ≤ 30', fastRate <= 30);
  row('Ink frames per second', `${fastFrames.toFixed(1)}`, '(Ink maxFps 30)', fastFrames <= 31);
  row('UI process CPU', `${median(fast.map((m) => m.cpuMs)).toFixed(0)} ms`, '');

  const slow = [];
  for (let i = 0; i < RUNS; i++) slow.push(await withPane(SLOW_CHILD));
  const slowWall = median(slow.map((m) => m.wallMs));
  const slowCpu = median(slow.map((m) => m.cpuMs));
  const slowRate = median(slow.map((m) => m.commits / (m.wallMs / 1000)));
  console.log('\n3,000 lines at ~1 ms intervals');
  row('duration', `${slowWall.toFixed(0)} ms`, '');
  row('UI process CPU', `${slowCpu.toFixed(0)} ms`, `${((slowCpu / slowWall) * 100).toFixed(0)}% of one core`);
  row('pane renders per second', `${slowRate.toFixed(1)}`, 'goal ≤ 30', slowRate <= 30);
  row('peak RSS', `${Math.max(...slow.map((m) => m.maxRssMB)).toFixed(0)} MB`, 'goal ≤ 150 MB', Math.max(...slow.map((m) => m.maxRssMB)) <= 150);
  if (missed.length > 0) {
    console.log(`\nmissed ${missed.length} goal${missed.length === 1 ? '' : 's'}:\n${missed.map((m) => `  ${m}`).join('\n')}`);
    if (floorMs / baseMs > 1.3) {
      console.log(`  (a reader that does nothing with the lines already takes ${(floorMs / baseMs).toFixed(2)}x the /dev/null time on this machine: the pipe alone is over 1.3x)`);
    }
    // exit 3: ran, but missed a goal (bench/run.mjs reports it)
    process.exitCode = 3;
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
