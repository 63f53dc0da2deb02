// Benchmark: start-up. `--version` against bare `node -e 0` (goal ≤ 1.2x), and the first frame of
// the terminal UI against a minimal Ink "hello" bundle (goal ≤ 1.2x). The hello is bundled with
// the project's esbuild settings, once with Ink as published (the goal's baseline) and once also
// with the bundle's plugins (scripts/bundle-plugins.mjs: yoga without fetch, string-width's fast
// path), which shows the wizard's own start-up cost beside Ink's. The UIs run in a real pty
// (script(1)); each is timed from spawn until its first frame is on the screen, then sent `q`.
//   npm run build && node bench/startup.mjs [--runs N]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundlePlugins } from '../scripts/bundle-plugins.mjs';

const project = fileURLToPath(new URL('..', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
if (!existsSync(path.join(project, 'dist/cli.js'))) {
  console.error('dist/cli.js is missing: run `npm run build` first.');
  process.exit(2);
}
for (const tool of ['hyperfine', 'script']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`${tool} is missing (Debian packages hyperfine, bsdutils).`);
    process.exit(2);
  }
}

const work = mkdtempSync(path.join(os.tmpdir(), 'vw-bench-start-'));
try {
  // the baseline UI: one Ink frame waiting for q, bundled with the project's own esbuild settings
  const hello = path.join(work, 'hello.jsx');
  writeFileSync(
    hello,
    `import React from 'react';
import { render, Text, useInput, useApp } from 'ink';
function Hello() {
  const { exit } = useApp();
  useInput((input) => { if (input === 'q') exit(); });
  return <Text color="green">hello</Text>;
}
render(<Hello />);
`,
  );
  const helloBuild = (outfile, plugins) => build({
    entryPoints: [hello],
    outfile,
    plugins,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: true,
    nodePaths: [path.join(project, 'node_modules')],
    define: { 'process.env.NODE_ENV': '"production"', 'process.env.DEV': '"false"' },
    alias: { 'react-devtools-core': path.join(project, 'scripts/react-devtools-core-stub.js') },
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  await helloBuild(path.join(work, 'hello.js'), []);
  await helloBuild(path.join(work, 'hello-plugins.js'), bundlePlugins);
  const q = (s) => `'${s.replaceAll("'", "'\\''")}'`;
  const bin = path.join(project, 'bin/vfio-wizard.js');
  const json = path.join(work, 'times.json');
  const r = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', json, 'node -e 0', `node ${q(bin)} --version`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error('hyperfine failed');
  const [bare, version] = JSON.parse(readFileSync(json, 'utf8')).results.map((x) => x.mean * 1000);

  // time to first frame in a real pty (script(1)): from spawn until the app's first words appear
  const firstFrame = (cmd, marker) =>
    new Promise((resolve, reject) => {
      const start = performance.now();
      const child = spawn('script', ['-qec', `stty cols 100 rows 40; ${cmd}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'ignore'] });
      let seen = '';
      let at = null;
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.stdout.on('data', (d) => {
        seen += d.toString('latin1');
        if (at === null && seen.includes(marker)) {
          at = performance.now() - start;
          child.stdin.write('q');
        }
      });
      child.on('exit', () => {
        clearTimeout(timer);
        if (at === null) reject(new Error(`no frame with "${marker}" from: ${cmd}`));
        else resolve(at);
      });
    });
  const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  // the wizard on an already materialised root: its first frame without the demo's set-up
  const sample = path.join(work, 'sample');
  spawnSync(process.execPath, ['--import', 'tsx', '-e', `import('./src/demo/materialize.ts').then(async (m) => m.materializeRoot((await import('./src/demo/sample-workstation.ts')).SAMPLE_WORKSTATION, ${JSON.stringify(sample)}))`], { cwd: project, stdio: 'inherit' });
  const uis = [
    [`node ${q(path.join(work, 'hello.js'))}`, 'hello'],
    [`node ${q(path.join(work, 'hello-plugins.js'))}`, 'hello'],
    [`node ${q(bin)} --demo`, 'DEMO'],
    [`node ${q(bin)} --root ${q(sample)}`, 'vfio-wizard'],
    // the first frame says "Scanning this host…"; the welcome screen follows once the scan is done
    [`node ${q(bin)} --root ${q(sample)}`, 'Press Enter to start'],
  ];
  // round-robin, two warm-up rounds: this machine's speed drifts, and each ratio compares runs of the same minutes
  const times = uis.map(() => []);
  for (let i = 0; i < RUNS + 2; i++) {
    for (const [k, [cmd, marker]] of uis.entries()) {
      const t = await firstFrame(cmd, marker);
      if (i >= 2) times[k].push(t);
    }
  }
  const [helloFrame, helloPluginsFrame, wizardFrame, rootFrame, welcomeFrame] = times.map(median);

  console.log(`start-up (${RUNS} runs; hyperfine means, first-frame medians)`);
  console.log(`  node -e 0                                  ${bare.toFixed(1)} ms`);
  console.log(`  vfio-wizard --version                      ${version.toFixed(1)} ms`);
  console.log(`  ink hello: first frame in a pty            ${helloFrame.toFixed(1)} ms`);
  console.log(`  the same with the bundle's plugins         ${helloPluginsFrame.toFixed(1)} ms`);
  console.log(`  vfio-wizard --demo: first frame in a pty   ${wizardFrame.toFixed(1)} ms (its sample root is written after it)`);
  console.log(`  vfio-wizard --root: first frame in a pty   ${rootFrame.toFixed(1)} ms`);
  console.log(`  … its welcome screen (host scanned)        ${welcomeFrame.toFixed(1)} ms`);
  const mark = (r) => (r <= 1.2 ? 'ok  ' : 'MISS');
  console.log('ratios (goal ≤ 1.2):');
  console.log(`  ${mark(version / bare)} --version / node -e 0                      ${(version / bare).toFixed(2)}`);
  console.log(`  ${mark(rootFrame / helloFrame)} wizard first frame / ink hello first frame ${(rootFrame / helloFrame).toFixed(2)}   (--demo: ${(wizardFrame / helloFrame).toFixed(2)})`);
  console.log(`       (against the hello with the bundle's plugins: ${(rootFrame / helloPluginsFrame).toFixed(2)}, the wizard's own cost beside Ink's;`);
  console.log(`        the welcome screen: ${(welcomeFrame / helloFrame).toFixed(2)} and ${(welcomeFrame / helloPluginsFrame).toFixed(2)})`);
  // exit 3: ran, but missed a goal (bench/run.mjs reports it)
  if (version / bare > 1.2 || rootFrame / helloFrame > 1.2) process.exitCode = 3;
} finally {
  rmSync(work, { recursive: true, force: true });
}
