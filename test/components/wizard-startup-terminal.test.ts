// Tier 5: what the built bin loads around its first frames, in a real pty (tmux). A resolve hook
// logs every module the process loads, and the first write that carries the wizard's header
// (the "Scanning this host…" frame) and the first that carries its welcome screen are logged
// into the same file, so the order is the process's own:
// - the first frame comes before the host is scanned, the welcome screen after;
// - the change path's engine (steps, apply, rollback, the runner: the wizard-services chunk) is
//   loaded only after the welcome screen, and then without being asked (a change screen needs it);
// - the UI chunk instantiates Ink's yoga without Node's fetch (undici), which costs about 40 ms
//   of every start when yoga-layout's loader is left to fetch its inline wasm.
// Needs `npm run build` first (the test script does it).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { binPath, projectDir, startTmux, useTmux } from '../support/tmux.js';

const { sessions, dirs } = useTmux();

/** A preload that logs each resolved module, the first frame and the first welcome screen to $VW_LOG. */
function loadLogger(dir: string): string {
  const hooks = path.join(dir, 'hooks.mjs');
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.VW_LOG, 'module ' + r.url + '\\n'); return r; }\n`);
  const preload = path.join(dir, 'preload.mjs');
  writeFileSync(
    preload,
    `import { register } from 'node:module';\nimport { appendFileSync } from 'node:fs';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n` +
      `const write = process.stdout.write.bind(process.stdout);\nlet seen = false;\nlet welcome = false;\n` +
      `process.stdout.write = (chunk, ...rest) => { const s = String(chunk);\n` +
      `  if (!seen && s.includes('vfio-wizard')) { seen = true; appendFileSync(process.env.VW_LOG, 'FRAME ' + s.includes('Scanning this host') + '\\n'); }\n` +
      `  if (!welcome && s.includes('Welcome to vfio-wizard')) { welcome = true; appendFileSync(process.env.VW_LOG, 'WELCOME\\n'); }\n` +
      `  return write(chunk, ...rest); };\n` +
      `process.on('exit', () => appendFileSync(process.env.VW_LOG, 'undici ' + process.moduleLoadList.some((m) => m.includes('undici')) + '\\n'));\n`,
  );
  return preload;
}

describe('the terminal UI starting up', () => {
  it('draws its first frame before the scan and the welcome screen before it loads the change path, loads that right after, and never loads undici', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'vw-startup-'));
    dirs.push(tmp);
    const root = path.join(tmp, 'root');
    materializeRoot(SAMPLE_WORKSTATION, root);
    const log = path.join(tmp, 'loaded.log');
    writeFileSync(log, '');
    const t = startTmux(['node', '--import', loadLogger(tmp), binPath, '--root', root, '--commands', 'skip'], { columns: 100, rows: 40, env: { VW_LOG: log } });
    sessions.push(t);
    await t.waitFor('Press Enter to start');
    // the engine arrives without a key pressed
    const deadline = Date.now() + 15_000;
    while (!readFileSync(log, 'utf8').includes('/chunks/wizard-services-') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    t.keys('q');
    expect(await t.waitForExit()).toBe(0);
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const frame = lines.indexOf('FRAME true');
    const welcome = lines.indexOf('WELCOME');
    const engine = lines.findIndex((l) => /\/chunks\/wizard-services-[^/]*\.js$/.test(l));
    const ui = lines.findIndex((l) => /\/chunks\/tui-[^/]*\.js$/.test(l));
    expect(ui, 'the UI chunk was loaded').toBeGreaterThanOrEqual(0);
    expect(frame, 'the first frame says it is scanning').toBeGreaterThan(ui);
    expect(welcome, 'the welcome screen came after it').toBeGreaterThan(frame);
    expect(engine, 'the engine chunk was loaded after the welcome screen').toBeGreaterThan(welcome);
    expect(lines.at(-1)).toBe('undici false');
  });

  it('--demo with a temporary directory that is not there: the UI hands the terminal back and the error is said, exit 5', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'vw-startup-'));
    dirs.push(tmp);
    const gone = path.join(tmp, 'gone');
    const t = startTmux(['node', binPath, '--demo'], { columns: 100, rows: 30, env: { TMPDIR: gone } });
    sessions.push(t);
    expect(await t.waitForExit()).toBe(5);
    const screen = t.screen();
    expect(screen).toContain(`vfio-wizard: the temporary directory ${gone} does not exist`);
    expect(screen).toContain('Point TMPDIR at a writable directory');
    expect(screen).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it("control: the log sees undici where it is loaded — yoga-layout as published fetches its wasm through it", () => {
    const probe = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('yoga-layout'); process.stdout.write(String(process.moduleLoadList.some((m) => m.includes('undici'))));"], { cwd: projectDir, encoding: 'utf8' });
    expect(probe.stdout, probe.stderr).toBe('true');
    // and the bundle's UI chunk alone does not
    const chunks = path.join(projectDir, 'dist', 'chunks');
    const tui = readdirSync(chunks).filter((f) => /^tui-.*\.js$/.test(f));
    expect(tui).toHaveLength(1);
    const bundled = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(path.join(chunks, tui[0]!)).href)}); process.stdout.write(String(process.moduleLoadList.some((m) => m.includes('undici'))));`], { encoding: 'utf8' });
    expect(bundled.stdout, bundled.stderr).toBe('false');
  });
});
