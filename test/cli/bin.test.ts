// The built bin as a user runs it: --version, --help, unknown options and commands (exit 2 with a
// message that says what was wrong), and the promise that --help, --version, scan --json and
// check --json never load the terminal UI (Ink lives in its own chunk, loaded only for the TUI):
// a module-resolution hook records every module the process loads.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeRoot } from '../../src/demo/materialize.js';
import { SAMPLE_WORKSTATION } from '../../src/demo/sample-workstation.js';
import { binPath } from '../support/tmux.js';

const pkg = JSON.parse(readFileSync(path.join(path.dirname(binPath), '..', 'package.json'), 'utf8')) as { version: string };
let tmp: string;
let root: string;
let hook: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'vw-bin-'));
  root = path.join(tmp, 'root');
  materializeRoot(SAMPLE_WORKSTATION, root);
  // registers a resolve hook that appends every resolved URL to $VW_LOADED
  const hooks = path.join(tmp, 'hooks.mjs');
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.VW_LOADED, r.url + '\\n'); return r; }\n`);
  hook = path.join(tmp, 'register.mjs');
  writeFileSync(hook, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Strings only Ink (its DOM node names, Yoga) and React 19 (its element symbol) put into a bundle. */
const INK_MARKERS = ['ink-box', 'ink-text', 'yoga', 'react.transitional.element'];
const dist = path.join(path.dirname(binPath), '..', 'dist');

function bin(args: string[], loaded?: string) {
  const r = spawnSync(process.execPath, [...(loaded ? ['--import', hook] : []), binPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', ...(loaded ? { VW_LOADED: loaded } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the bin', () => {
  it('--version prints the package version; --help the commands and examples; both exit 0', () => {
    expect(bin(['--version'])).toMatchObject({ code: 0, out: `${pkg.version}\n` });
    const help = bin(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['scan', 'check', 'plan', 'apply', 'status', 'rollback', 'finish', 'vm', 'verify', 'share']) expect(help.out).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
    expect(help.out).toContain('Examples:');
  });

  it('a reader that is gone before the output comes (`scan --json | true`: EPIPE) is no error: no stack trace, the exit is the command\'s own', () => {
    // bash's pipefail gives the bin's own status; `true` has closed the pipe long before Node writes
    const r = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" --root "$2" scan --json | true', process.execPath, binPath, root], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('an unknown option or command exits 2 and says which', () => {
    const opt = bin(['scan', '--bogus']);
    expect(opt.code).toBe(2);
    expect(opt.err).toBe("vfio-wizard: unknown option '--bogus'\n  vfio-wizard --help lists the commands and options. Nothing was changed.\n");
    // a command's own help lists the options that work everywhere
    const scanHelp = bin(['scan', '--help']);
    expect(scanHelp.code).toBe(0);
    expect(scanHelp.out).toMatch(/^Global Options:\n[\s\S]*^ +--root <dir>[\s\S]*^ +--json /m);
    const file = bin(['--root', '/etc/passwd', 'scan']);
    expect([file.code, file.err.split('\n')[0]]).toEqual([5, 'vfio-wizard: --root /etc/passwd: not a directory']);
    const cmd = bin(['frobnicate']);
    expect(cmd.code).toBe(2);
    expect(cmd.err).toContain("unknown command 'frobnicate'. The commands are: scan, check");
  });

  it('--demo with a temporary directory that is not there: exit 5, says which and what to do, no stack trace', () => {
    const r = spawnSync(process.execPath, [binPath, '--demo'], { encoding: 'utf8', env: { ...process.env, CI: 'true', TMPDIR: path.join(tmp, 'gone') }, stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.status).toBe(5);
    expect(r.stderr).toBe(
      `vfio-wizard: the temporary directory ${path.join(tmp, 'gone')} does not exist\n  Point TMPDIR at a writable directory with a few MB free (e.g. TMPDIR=/var/tmp vfio-wizard --demo). Nothing was changed.\n`,
    );
  });

  it('--version loads nothing of the bundle but dist/version.cjs: no ES module of dist/ (the bin is CommonJS)', () => {
    const log = path.join(tmp, 'required-version.txt');
    writeFileSync(log, '');
    // CommonJS loads, as Module._load resolves them; the ESM hook logs into the same file
    const cjsHook = path.join(tmp, 'require-log.cjs');
    writeFileSync(cjsHook, `const M = require('node:module'); const fs = require('node:fs'); const load = M._load;\nM._load = function (request, parent, isMain) { try { fs.appendFileSync(process.env.VW_LOADED, 'require ' + M._resolveFilename(request, parent, isMain) + '\\n'); } catch {} return load.apply(this, arguments); };\n`);
    const r = spawnSync(process.execPath, ['--require', cjsHook, '--import', hook, binPath, '--version'], { encoding: 'utf8', env: { ...process.env, CI: 'true', VW_LOADED: log } });
    expect(r.stdout).toBe(`${pkg.version}\n`);
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    // the only file of ours besides the bin: dist/version.cjs; no ESM file of dist/ was resolved
    expect(lines.filter((l) => l.includes(`${path.sep}dist${path.sep}`) || l.includes('/dist/'))).toEqual([`require ${path.join(dist, 'version.cjs')}`]);
    // control: the same hooks see the CLI's ESM bundle when a command runs
    writeFileSync(log, '');
    spawnSync(process.execPath, ['--require', cjsHook, '--import', hook, binPath, '--help'], { encoding: 'utf8', env: { ...process.env, CI: 'true', VW_LOADED: log } });
    expect(readFileSync(log, 'utf8')).toContain(pathToFileURL(path.join(dist, 'cli.js')).href);
  });

  it('the shim: the exit code is main\'s; a main that never settles (the event loop empties first) exits 13, never 0', () => {
    const fake = path.join(tmp, 'fake-install');
    for (const d of ['bin', 'dist']) mkdirSync(path.join(fake, d), { recursive: true });
    for (const f of ['vfio-wizard.js', 'package.json']) copyFileSync(path.join(path.dirname(binPath), f), path.join(fake, 'bin', f));
    const run = (main: string) => {
      writeFileSync(path.join(fake, 'dist', 'cli.js'), `export function main() { ${main} }\n`);
      return spawnSync(process.execPath, [path.join(fake, 'bin', 'vfio-wizard.js'), 'scan'], { encoding: 'utf8' }).status;
    };
    expect(run('return new Promise(() => {});')).toBe(13);
    expect(run('return Promise.resolve(3);')).toBe(3);
    expect(run('return Promise.resolve(0);')).toBe(0);
  });

  it('--demo on a full or a read-only TMPDIR (real tmpfs): exit 7 or 10, and no half-written sample is left behind', () => {
    const mounts: string[] = [];
    try {
      for (const [name, opts, code, says] of [
        ['full', 'size=256k', 7, 'no space left in'],
        ['ro', 'size=4m,ro', 10, 'is read-only'],
      ] as const) {
        const dir = path.join(tmp, `tmpdir-${name}`);
        mkdirSync(dir);
        const m = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { encoding: 'utf8' });
        expect(m.status, `mount needs root: ${m.stderr}`).toBe(0);
        mounts.push(dir);
        const r = spawnSync(process.execPath, [binPath, '--demo'], { encoding: 'utf8', env: { ...process.env, CI: 'true', TMPDIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
        expect(r.status, r.stderr).toBe(code);
        expect(r.stderr).toContain(says);
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
        expect(readdirSync(dir)).toEqual([]);
      }
    } finally {
      for (const d of mounts) spawnSync('umount', ['-l', d]);
    }
  });

  it('--help, scan --json and check --json never load the UI chunk or Ink', () => {
    const cases = [['--help'], ['--root', root, 'scan', '--json'], ['--root', root, 'check', '--json']];
    for (const args of cases) {
      const log = path.join(tmp, `loaded-${cases.indexOf(args)}.txt`);
      writeFileSync(log, '');
      const r = bin(args, log);
      expect(r.code === 0 || r.code === 3, `${args.join(' ')}: ${r.err}`).toBe(true);
      const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      expect(urls.length, args.join(' ')).toBeGreaterThan(0);
      expect(urls.filter((u) => /\/chunks\/tui-|\/node_modules\/(ink|react)\//.test(u)), args.join(' ')).toEqual([]);
      // by content, whatever chunk esbuild put things in: no loaded file carries Ink or React
      const files = urls.filter((u) => u.startsWith('file:') && u.includes('/dist/')).map((u) => fileURLToPath(u));
      expect(files.length, args.join(' ')).toBeGreaterThan(0);
      for (const f of files) expect(INK_MARKERS.filter((m) => readFileSync(f, 'utf8').includes(m)), `${args.join(' ')}: ${f}`).toEqual([]);
    }
    // the markers are real: the UI chunk (what the terminal UI loads) carries every one of them
    const tui = readdirSync(path.join(dist, 'chunks')).filter((f) => /^tui-.*\.js$/.test(f));
    expect(tui).toHaveLength(1);
    const tuiText = readFileSync(path.join(dist, 'chunks', tui[0]!), 'utf8');
    for (const m of INK_MARKERS) expect(tuiText, m).toContain(m);
    // control: the hook does see the UI chunk when the wizard starts (plain mode, no terminal)
    const log = path.join(tmp, 'loaded-wizard.txt');
    writeFileSync(log, '');
    bin(['--root', root, '--commands', 'skip'], log);
    const wizard = readFileSync(log, 'utf8');
    expect(wizard).toMatch(/\/chunks\/wizard-/);
  });

  it('the packed package installs and runs on its own (the bundle needs no dependencies); packing builds it first', () => {
    const project = path.join(path.dirname(binPath), '..');
    const scripts = (JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.prepack).toMatch(/scripts\/build\.mjs/);
    // --ignore-scripts: dist/ is already built by the test command, and other tests are using it
    const packDir = path.join(tmp, 'pack');
    const inst = path.join(tmp, 'inst');
    for (const d of [packDir, inst]) spawnSync('mkdir', ['-p', d]);
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir, '--json'], { cwd: project, encoding: 'utf8' });
    expect(pack.status, pack.stderr).toBe(0);
    const filename = (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename;
    writeFileSync(path.join(inst, 'package.json'), '{"name":"inst","version":"1.0.0","private":true}\n');
    const install = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(packDir, filename)], { cwd: inst, encoding: 'utf8' });
    expect(install.status, install.stderr).toBe(0);
    const installed = path.join(inst, 'node_modules', '.bin', 'vfio-wizard');
    const v = spawnSync(installed, ['--version'], { encoding: 'utf8' });
    expect(v.stdout).toBe(`${pkg.version}\n`);
    const scan = spawnSync(installed, ['--root', root, 'scan', '--json'], { encoding: 'utf8' });
    expect(scan.status, scan.stderr).toBe(0);
    expect(JSON.parse(scan.stdout).devices.length).toBeGreaterThan(0);
  });

  it("the wizard without a terminal, on the running system: libvirt's host check runs and streams, and its row has a result; on a fixture root it does not run", () => {
    const live = bin([]);
    expect(live.code).toBe(0);
    expect(live.out).toMatch(/^Running libvirt's host check \(virt-host-validate qemu\):\nvirt-host-validate: +QEMU: Checking/m);
    expect(live.out).toMatch(/virt-host-validate — \d+ of \d+ QEMU checks passed/);
    const fixture = bin(['--root', root]);
    expect(fixture.out).not.toContain("Running libvirt's host check");
    expect(fixture.out).toMatch(/virt-host-validate — not run/);
  });

  it('text from the host never reaches the terminal with its control characters: scan, check, the diff of a plan and the wizard without a terminal', () => {
    const hostile = path.join(tmp, 'hostile');
    materializeRoot(SAMPLE_WORKSTATION, hostile);
    // a colour, a screen clear, a window title (OSC … BEL), an 8-bit CSI and a carriage return
    const bad = '\u001b[31mRED\u001b[2J\u001b]0;pwned\u0007\u009b2J\rX';
    const edit = (rel: string, f: (t: string) => string) => {
      const p = path.join(hostile, rel);
      writeFileSync(p, f(readFileSync(p, 'utf8')));
    };
    edit('proc/cmdline', (t) => `${t.trim()} ${bad}\n`);
    edit('etc/os-release', (t) => t.replace(/^PRETTY_NAME=.*$/m, `PRETTY_NAME="Deb${bad}ian"`));
    // a comment at the end of a file the isolate step appends to, so its diff shows it
    edit('etc/initramfs-tools/modules', (t) => `${t}# ${bad}\n`);
    const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
    const runs = {
      scan: bin(['--root', hostile, 'scan']),
      check: bin(['--root', hostile, 'check']),
      plan: bin(['--root', hostile, 'plan', '--step', 'isolate', '--device', '01:00']),
      wizard: bin(['--root', hostile]),
    };
    for (const [name, r] of Object.entries(runs)) {
      expect(r.out.length, `${name}: ${r.err}`).toBeGreaterThan(0);
      expect(CONTROL.test(r.out), `${name} stdout: ${JSON.stringify(r.out.match(/.{0,30}[\u0000-\u0008\u000B-\u001F\u007F-\u009F].{0,30}/)?.[0])}`).toBe(false);
      expect(CONTROL.test(r.err), `${name} stderr`).toBe(false);
    }
    // what was there is still visible, marked: the user sees that the file holds something odd
    expect(runs.scan.out).toContain('\uFFFD[31mRED');
    expect(runs.plan.out).toContain('\uFFFD]0;pwned\uFFFD');
  });
});

