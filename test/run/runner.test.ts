// The real runner against real processes (sh, printf, sleep, yes, head). No timing assertions:
// sleeps only order events in the child, never measure us.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRunner } from '../../src/run/runner.js';
import { createCancellation } from '../../src/run/cancellation.js';
import { formatFailure } from '../../src/run/format-result.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vw-runner-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const newRunner = (extra: Partial<Parameters<typeof createRunner>[0]> = {}) =>
  createRunner({ logDir: path.join(dir, 'var/log/vfio-wizard'), runId: `t${Math.random().toString(36).slice(2)}`, ...extra });

/** Running means: exists and is not a zombie (zombies linger until init reaps them). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX] /s.test(stat);
  } catch {
    return false;
  }
}

async function waitForFile(p: string): Promise<string> {
  for (let i = 0; i < 500; i++) {
    if (existsSync(p)) {
      const s = readFileSync(p, 'utf8').trim();
      if (s !== '') return s;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${p} never appeared`);
}

describe('createRunner', () => {
  it('delivers stdout and stderr interleaved in arrival order, and keeps stdout apart for parsers', async () => {
    const seen: string[] = [];
    const r = await newRunner().run(
      ['sh', '-c', 'printf "o1\\n"; sleep 0.1; printf "e1\\n" >&2; sleep 0.1; printf "o2\\n"; sleep 0.1; printf "e2\\n" >&2'],
      { onLine: (line, stream) => seen.push(`${stream}:${line}`) },
    );
    expect(seen).toEqual(['stdout:o1', 'stderr:e1', 'stdout:o2', 'stderr:e2']);
    expect(r.output).toBe('o1\ne1\no2\ne2');
    expect(r.stdout).toBe('o1\no2');
    expect(r.tail).toEqual(['o1', 'e1', 'o2', 'e2']);
    expect(r.ok).toBe(true);
  });

  it('reports exit codes; a failure message names command, code, last lines and log', async () => {
    const runner = newRunner();
    const ok = await runner.run(['true']);
    expect([ok.exitCode, ok.ok, ok.signal, ok.spawnError]).toEqual([0, true, null, null]);

    const bad = await runner.run(['sh', '-c', 'echo "grub.cfg: syntax error" >&2; exit 3'], { name: 'update-grub' });
    expect([bad.exitCode, bad.ok, bad.canceled, bad.timedOut]).toEqual([3, false, false, false]);
    const msg = formatFailure(bad);
    expect(msg).toContain('update-grub failed with exit code 3');
    expect(msg).toContain("command: sh -c 'echo");
    expect(msg).toContain('grub.cfg: syntax error');
    expect(msg).toContain(`full log: ${runner.logPath}`);
  });

  it('writes every run to <logDir>/<runId>.log: argv, start, end, exit code and the raw output', async () => {
    const runner = newRunner({ runId: 'log-check' });
    await runner.run(['sh', '-c', 'printf "\\033[31mred\\033[0m\\n"; printf "50%%\\r100%%\\n"; exit 4'], { name: 'colours' });
    expect(runner.logPath).toBe(path.join(dir, 'var/log/vfio-wizard/log-check.log'));
    const log = readFileSync(runner.logPath as string, 'utf8');
    expect(log).toMatch(/^=== \d{4}-\d\d-\d\dT[\d:.]+Z start colours\n/);
    expect(log).toContain('argv: ["sh","-c",');
    expect(log).toContain('\u001B[31mred\u001B[0m\n'); // ANSI kept in the log
    expect(log).toContain('50%\r100%\n'); // carriage returns kept too
    expect(log).toMatch(/=== [\d\-T:.]+Z end colours: exit 4, \d+ ms\n/);
    // the pane-side view is clean
    const again = await runner.run(['sh', '-c', 'printf "\\033[31mred\\033[0m\\n"']);
    expect(again.tail).toEqual(['red']);
    expect(readFileSync(runner.logPath as string, 'utf8').match(/ start /g)).toHaveLength(2); // appended
  });

  it('runs parsed commands with LC_ALL=C, adds env, and never gives the child our stdin', async () => {
    const runner = newRunner();
    const r = await runner.run(['sh', '-c', 'echo "$LC_ALL $EXTRA"; cat; echo "cat rc=$?"'], { env: { EXTRA: 'yes' } });
    expect(r.tail).toEqual(['C yes', 'cat rc=0']);
    const unparsed = await runner.run(['sh', '-c', 'echo "${LC_ALL:-unset}"'], { parsed: false, env: { LC_ALL: 'en_US.UTF-8' } });
    expect(unparsed.tail).toEqual(['en_US.UTF-8']);
  });

  it('collapses carriage-return progress and shows invalid UTF-8 and binary bytes safely', async () => {
    const runner = newRunner();
    const r = await runner.run(['sh', '-c', 'printf "copy 10%%\\rcopy 60%%\\rcopy 100%%\\n"; printf "\\377\\376ok\\n"; printf "a\\000b\\007c\\n"']);
    expect(r.tail).toEqual(['copy 100%', '\uFFFD\uFFFDok', 'a\uFFFDb\uFFFDc']);
    const raw = readFileSync(runner.logPath as string);
    expect(raw.includes(Buffer.from([0xff, 0xfe, 0x6f, 0x6b]))).toBe(true); // raw bytes in the log
  });

  it('reports the unfinished line as it changes (progress redrawn with \\r), then the finished line', async () => {
    const runner = newRunner();
    const seen: string[] = [];
    const r = await runner.run(['sh', '-c', 'printf "copy 10%%\\r"; sleep 0.2; printf "copy 60%%\\r"; sleep 0.2; printf "copy \\033[1m100%%\\033[0m\\n"; sleep 0.2; printf "waiting... "; sleep 0.2; echo done'], {
      onLine: (l) => void seen.push(`line ${l}`),
      onPartial: (t) => void seen.push(`partial ${t}`),
    });
    expect(r.ok).toBe(true);
    // every state once, in order; each finished line clears it; ANSI stripped as in lines
    expect(seen).toEqual(['partial copy 10%', 'partial copy 60%', 'line copy 100%', 'partial ', 'partial waiting... ', 'line waiting... done', 'partial ']);
  });

  it('kills the command on timeout (SIGTERM to its group)', async () => {
    const r = await newRunner().run(['sh', '-c', 'echo started; sleep 30'], { timeoutMs: 300 });
    expect([r.timedOut, r.canceled, r.exitCode, r.signal, r.ok]).toEqual([true, false, null, 'SIGTERM', false]);
    expect(formatFailure(r, { timeoutMs: 300 })).toContain('timed out after 300 ms and was stopped (SIGTERM)');
    expect(r.tail).toEqual(['started']);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    // trap "" makes SIGTERM ignored, and ignored signals are inherited by sleep too.
    const r = await newRunner().run(['sh', '-c', 'trap "" TERM; echo started; sleep 30'], { timeoutMs: 200, killGraceMs: 300 });
    expect([r.timedOut, r.signal]).toEqual([true, 'SIGKILL']);
  });

  it('cancels a process group: a child and its grandchild both end', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    const c = createCancellation();
    const runner = newRunner();
    const done = runner.run(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; echo ready; wait`], {
      signal: c.signal,
      forceSignal: c.forceSignal,
      killGraceMs: 60_000,
      onLine: (l) => {
        if (l === 'ready') c.request();
      },
    });
    const grandchild = Number(await waitForFile(pidFile));
    expect(grandchild).toBeGreaterThan(0);
    const r = await done;
    expect([r.canceled, r.signal, r.exitCode, r.ok]).toEqual([true, 'SIGTERM', null, false]);
    expect(isRunning(grandchild)).toBe(false);
    expect(readFileSync(runner.logPath as string, 'utf8')).toContain('cancel requested: SIGTERM to process group');
  });

  it('a second cancel request sends SIGKILL at once', async () => {
    const c = createCancellation();
    const pidFile = path.join(dir, 'stubborn.pid');
    const done = newRunner().run(['sh', '-c', `trap "" TERM; sleep 30 & echo $! > ${pidFile}; echo ready; wait`], {
      signal: c.signal,
      forceSignal: c.forceSignal,
      killGraceMs: 60_000, // only the second request can end it in time
      onLine: (l) => {
        if (l === 'ready') {
          expect(c.request()).toBe('terminating');
          setTimeout(() => expect(c.request()).toBe('killing'), 100);
        }
      },
    });
    const grandchild = Number(await waitForFile(pidFile));
    const r = await done;
    expect([r.canceled, r.signal]).toEqual([true, 'SIGKILL']);
    expect(isRunning(grandchild)).toBe(false);
  });

  it('a Ctrl+C nobody handles ends the running command too, and still ends this process', async () => {
    // A process that runs a command outside any step (as `check` runs virt-host-validate) and gets
    // SIGINT. The command leads its own process group, so the signal reaches only that process.
    const script = path.join(dir, 'sigint-outside.mts');
    const pidFile = path.join(dir, 'outside.pid');
    writeFileSync(
      script,
      `import { createRunner } from ${JSON.stringify(path.resolve('src/run/runner.ts'))};\n` +
        `const runner = createRunner({ logDir: null });\n` +
        `await runner.run(['sh', '-c', 'echo $$ > ${pidFile}; echo ready; exec sleep 30'], {\n` +
        `  onLine: (l) => { if (l === 'ready') process.kill(process.pid, 'SIGINT'); },\n` +
        `});\n` +
        `console.log('the command outlived the signal');\n`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: path.resolve('.'), encoding: 'utf8', timeout: 60_000 });
    // it still dies of SIGINT (exit status 130 in a shell), as a process without the guard would
    expect([r.signal, r.stdout]).toEqual(['SIGINT', '']);
    const leader = Number(readFileSync(pidFile, 'utf8').trim());
    expect(leader).toBeGreaterThan(0);
    // the command's group was sent SIGTERM before that: wait for it to go (sleep ends at once)
    for (let i = 0; i < 500 && isRunning(leader); i++) await new Promise((res) => setTimeout(res, 10));
    expect(isRunning(leader)).toBe(false);
  });

  it('leaves a signal alone that somebody else handles, and takes its guards away after the command', async () => {
    const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') };
    const handled = () => {};
    process.on('SIGTERM', handled);
    const during: Record<string, number> = {};
    try {
      await newRunner().run(['sh', '-c', 'echo ready'], {
        onLine: () => {
          during.SIGINT = process.listenerCount('SIGINT');
          during.SIGTERM = process.listenerCount('SIGTERM');
        },
      });
    } finally {
      process.removeListener('SIGTERM', handled);
    }
    // a guard for SIGINT only where nothing listened; SIGTERM has our listener, so no guard
    expect(during).toEqual({ SIGINT: before.SIGINT === 0 ? 1 : before.SIGINT, SIGTERM: before.SIGTERM + 1 });
    expect({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM'), exit: process.listenerCount('exit') }).toEqual(before);
  });

  it('a cancel (or timeout) after the command exited keeps its own outcome; only what it left running is stopped', async () => {
    const c = createCancellation();
    const pidFile = path.join(dir, 'left-behind.pid');
    const leaderFile = path.join(dir, 'leader.pid');
    const done = newRunner().run(['sh', '-c', `echo $$ > ${leaderFile}; sleep 30 & echo $! > ${pidFile}; echo done; exit 0`], { signal: c.signal, forceSignal: c.forceSignal, timeoutMs: 60_000 });
    const background = Number(await waitForFile(pidFile));
    const leader = Number(await waitForFile(leaderFile));
    // the leader exits right after "done" and is reaped by this process (its exit seen by the
    // runner in the same callback); the background sleep still holds the pipes
    for (let i = 0; i < 500 && existsSync(`/proc/${leader}`); i++) await new Promise((res) => setTimeout(res, 10));
    expect(existsSync(`/proc/${leader}`)).toBe(false);
    c.request();
    const r = await done;
    expect([r.exitCode, r.canceled, r.ok]).toEqual([0, false, true]);
    for (let i = 0; i < 500 && isRunning(background); i++) await new Promise((res) => setTimeout(res, 10));
    expect(isRunning(background)).toBe(false);
  });

  it('does not start a command that was canceled before it ran', async () => {
    const c = createCancellation();
    c.request();
    const marker = path.join(dir, 'never');
    const r = await newRunner().run(['sh', '-c', `touch ${marker}`], { signal: c.signal });
    expect([r.canceled, r.exitCode]).toEqual([true, null]);
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps memory bounded on huge output; the log still has all of it', async () => {
    const runner = newRunner({ maxOutputChars: 100_000, tailLines: 5 });
    let lines = 0;
    const r = await runner.run(['sh', '-c', 'yes "a line of output" | head -n 500000'], { onLine: () => void lines++ });
    expect(lines).toBe(500_000);
    expect(r.ok).toBe(true);
    expect(r.truncated).toBe(true);
    expect(r.output.length).toBeLessThanOrEqual(100_000);
    expect(r.stdout.length).toBeLessThanOrEqual(100_000);
    expect(r.tail).toEqual(Array(5).fill('a line of output'));
    const log = readFileSync(runner.logPath as string, 'utf8');
    expect(log.split('a line of output\n').length - 1).toBe(500_000);
  });

  it('stops waiting for output held open by a background process after the command exits', async () => {
    const pidFile = path.join(dir, 'daemon.pid');
    const r = await newRunner({ lingerMs: 200 }).run(['sh', '-c', `sleep 30 & echo $! > ${pidFile}; echo started`]);
    expect([r.exitCode, r.ok, r.tail]).toEqual([0, true, ['started']]);
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
  });

  it('reports a command that does not exist clearly, without throwing', async () => {
    const runner = newRunner();
    const r = await runner.run(['vfio-wizard-no-such-command', '--flag'], { name: 'missing' });
    expect([r.exitCode, r.signal, r.ok]).toEqual([null, null, false]);
    expect(r.spawnError).toBe('vfio-wizard-no-such-command: command not found (ENOENT)');
    const msg = formatFailure(r);
    expect(msg).toContain('missing could not be started: vfio-wizard-no-such-command: command not found (ENOENT)');
    expect(msg).toContain('Is the package that provides "vfio-wizard-no-such-command" installed');
    expect(readFileSync(runner.logPath as string, 'utf8')).toContain('end missing: could not start');
  });

  it('tells apart a file that is not executable, a missing working directory, and a command killed by a signal', async () => {
    const runner = newRunner();
    const script = path.join(dir, 'not-executable.sh');
    await runner.run(['sh', '-c', `printf '#!/bin/sh\\necho hi\\n' > ${script}; chmod 644 ${script}`]);
    const noExec = await runner.run([script]);
    expect(noExec.spawnError).toBe(`${script}: permission denied (EACCES)`);
    const noCwd = await runner.run(['true'], { cwd: path.join(dir, 'missing-dir') });
    expect(noCwd.spawnError).toBe(`working directory ${path.join(dir, 'missing-dir')} does not exist (ENOENT)`);
    expect(formatFailure(noCwd)).not.toContain('Is the package');
    const killed = await runner.run(['sh', '-c', 'echo before; kill -KILL $$']);
    expect([killed.exitCode, killed.signal, killed.canceled, killed.ok]).toEqual([null, 'SIGKILL', false, false]);
    expect(formatFailure(killed)).toContain('sh was killed by SIGKILL.');
  });

  it('still runs when the log directory cannot be created, and says there is no log', async () => {
    const blocker = path.join(dir, 'a-file');
    await newRunner({ logDir: null }).run(['sh', '-c', `: > ${blocker}`]);
    const r = await createRunner({ logDir: path.join(blocker, 'sub') }).run(['echo', 'hi']);
    expect([r.ok, r.logPath]).toEqual([true, null]);
    expect(formatFailure({ ...r, ok: false, exitCode: 1 })).toContain('(no log file was written)');
  });

  it('rejects an empty argv and surfaces an onLine error after the command ends', async () => {
    const runner = newRunner();
    await expect(runner.run([])).rejects.toThrow(/non-empty argv/);
    await expect(
      runner.run(['echo', 'x'], {
        onLine: () => {
          throw new Error('listener broke');
        },
      }),
    ).rejects.toThrow('listener broke');
  });
});

// The terminal UI's runner (floodTail): a command that is only shown writes straight into a file
// of the runner's, read as it grows, so a screen that cannot keep up never slows it down; under
// a flood only the newest lines are handed on, after one line that says how many were skipped.
describe('createRunner with floodTail', () => {
  it('under a flood: a skip line, then the newest lines; the log keeps every byte in order; nothing is left beside the log', async () => {
    // cat writes the 14 MB as fast as the kernel takes it: far more than FLOOD_BYTES between two
    // reads however loaded the machine is (a shell loop could be slowed below it)
    const text = path.join(dir, 'flood.txt');
    writeFileSync(text, `${Array.from({ length: 200_000 }, (_, i) => `line ${i} of the flood, long enough to count`).join('\n')}\nlast line\n`);
    const runner = newRunner({ floodTail: true });
    const lines: string[] = [];
    // the count each skip line stands for, as the runner hands it on (the pane adds these up)
    const standsFor = new Map<number, number>();
    const r = await runner.run(['cat', text], {
      displayOnly: true,
      onLine: (l, _stream, skipped) => {
        if (skipped !== undefined) standsFor.set(lines.length, skipped);
        lines.push(l);
      },
    });
    expect(r.ok).toBe(true);
    expect(lines.length).toBeLessThan(200_000);
    const skips = lines.filter((l) => /^… \d+ lines? not shown here \(too fast to draw; the log has every one\)$/.test(l));
    expect(skips.length).toBeGreaterThan(0);
    // exactly the skip lines carry a count, and it is the one they show
    expect([...standsFor.keys()].map((i) => lines[i])).toEqual(skips);
    expect([...standsFor.values()]).toEqual(skips.map((l) => Number(/\d+/.exec(l)![0])));
    expect(lines.at(-1)).toBe('last line');
    expect(r.tail.at(-1)).toBe('last line');
    expect(r.truncated).toBe(true);
    // the skip counts add up: shown + skipped = every line the command printed
    const skipped = skips.reduce((n, l) => n + Number(/\d+/.exec(l)![0]), 0);
    expect(lines.length - skips.length + skipped).toBe(200_001);
    const log = readFileSync(r.logPath!, 'utf8');
    const out = log.slice(log.indexOf('--- output'), log.lastIndexOf('=== '));
    const printed = out.split('\n').slice(1, -1);
    expect(printed).toHaveLength(200_001);
    expect(printed[0]).toBe('line 0 of the flood, long enough to count');
    expect(printed[123_456]).toBe('line 123456 of the flood, long enough to count');
    expect(printed.at(-1)).toBe('last line');
    const mine = path.basename(r.logPath!);
    expect(readdirSync(path.dirname(r.logPath!)).filter((f) => f.startsWith(mine))).toEqual([mine]);
  }, 60_000);

  it('a backlog of 256 MB (the event loop was busy while the command wrote it) is taken in steps: memory stays bounded, the log has every byte', () => {
    // In a process of its own, so that its peak RSS is this run's. The command writes everything
    // and leaves a marker; the process waits for the marker synchronously before the runner's first
    // read, so all 256 MB are waiting in the file at once.
    const script = path.join(dir, 'backlog.mts');
    const marker = path.join(dir, 'backlog.done');
    const logDir = path.join(dir, 'backlog-log');
    writeFileSync(
      script,
      `import { existsSync } from 'node:fs';\n` +
        `import { createRunner } from ${JSON.stringify(path.resolve('src/run/runner.ts'))};\n` +
        `const before = process.memoryUsage().rss;\n` +
        `const runner = createRunner({ logDir: ${JSON.stringify(logDir)}, runId: 'backlog', floodTail: true });\n` +
        `let lines = 0;\n` +
        `const done = runner.run(['sh', '-c', 'yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopq | head -c 268435456; echo > ${marker}'], { displayOnly: true, onLine: () => { lines += 1; } });\n` +
        `while (!existsSync(${JSON.stringify(marker)})) { /* the command is writing */ }\n` +
        `const r = await done;\n` +
        `console.log(JSON.stringify({ ok: r.ok, lines, grewMiB: Math.round((process.resourceUsage().maxRSS * 1024 - before) / 2 ** 20), log: r.logPath }));\n`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: path.resolve('.'), encoding: 'utf8', timeout: 120_000 });
    expect(child.status, child.stderr).toBe(0);
    const res = JSON.parse(child.stdout) as { ok: boolean; lines: number; grewMiB: number; log: string };
    expect(res.ok).toBe(true);
    expect(res.lines).toBeGreaterThan(0);
    // read all at once, the whole backlog sat in memory (about 256 MiB more); in steps, a few dozen
    expect(res.grewMiB, JSON.stringify(res)).toBeLessThan(96);
    const log = readFileSync(res.log);
    const start = log.indexOf('--- output (') ;
    const body = log.subarray(log.indexOf(10, start) + 1, log.lastIndexOf('=== '));
    expect(body.length).toBe(268_435_456); // every byte
    rmSync(logDir, { recursive: true, force: true });
  }, 150_000);

  it('a background process that writes after the command exited: its lines still come (the file is read while its group lives)', async () => {
    const runner = newRunner({ floodTail: true });
    const lines: string[] = [];
    const r = await runner.run(['sh', '-c', '(sleep 0.5; echo late) & echo early'], { displayOnly: true, onLine: (l) => void lines.push(l) });
    expect(r.ok).toBe(true);
    expect(lines).toEqual(['early', 'late']);
    expect(readFileSync(r.logPath!, 'utf8')).toMatch(/early\nlate\n=== /);
  });

  it('output without a final newline: the log says so on a line of its own, before the footer (flood-tail and pipes alike)', async () => {
    for (const [runner, displayOnly, marker] of [
      [newRunner({ floodTail: true }), true, '--- (the output did not end with a newline)'],
      [newRunner(), false, '--- (stdout did not end with a newline)'],
    ] as const) {
      const r = await runner.run(['printf', 'first\\nno newline'], { displayOnly });
      expect(readFileSync(r.logPath!, 'utf8')).toMatch(new RegExp(`first\\nno newline\\n${marker.replace(/[()]/g, '\\$&')}\\n=== `));
    }
  });

  it('a calm command: every line, stdout and stderr in the order they were written', async () => {
    const runner = newRunner({ floodTail: true });
    const lines: string[] = [];
    const r = await runner.run(['sh', '-c', 'echo one; echo two >&2; sleep 0.1; printf "three\\r3%%\\rTHREE\\n"; echo four >&2'], { displayOnly: true, onLine: (l) => void lines.push(l) });
    expect(r.ok).toBe(true);
    expect(lines).toEqual(['one', 'two', 'THREE', 'four']);
    expect(r.output).toBe('one\ntwo\nTHREE\nfour');
    expect(readFileSync(r.logPath!, 'utf8')).toContain('one\ntwo\nthree\r3%\rTHREE\nfour\n');
  });

  it('a command that truncates its own output (`> /dev/stdout`) does not break the reading', async () => {
    const runner = newRunner({ floodTail: true });
    const lines: string[] = [];
    const r = await runner.run(['sh', '-c', 'echo before; sleep 0.2; echo after > /dev/stdout; echo end'], { displayOnly: true, onLine: (l) => void lines.push(l) });
    expect(r.ok).toBe(true);
    // The reopened output starts the file anew while the shell's own descriptor goes on at its old
    // offset: what the reopening wrote may be overwritten or missed (a NUL fills the hole, shown as
    // U+FFFD when it is read); the runner neither fails nor hangs, and the end still comes.
    expect(lines[0]).toBe('before');
    expect(lines.at(-1)).toMatch(/^\uFFFD*end$/);
  });

  it('without a log, for a command whose output is parsed, or with the log on a nearly full disk: the pipes as before (stdout kept apart)', async () => {
    // a 16 MiB tmpfs: below the room a flood-tail file needs, where the command's own writes could fail
    const small = mkdtempSync(path.join(os.tmpdir(), 'vw-runner-small-'));
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', small], { encoding: 'utf8' });
    if (mounted.status !== 0) throw new Error(`mount tmpfs failed (${mounted.stderr.trim()}): this test needs root`);
    try {
      for (const [runner, displayOnly] of [
        [createRunner({ logDir: null, floodTail: true }), true],
        [newRunner({ floodTail: true }), false],
        [createRunner({ logDir: path.join(small, 'log'), runId: 'small', floodTail: true }), true],
      ] as const) {
        const lines: [string, string][] = [];
        const r = await runner.run(['sh', '-c', 'echo out; echo err >&2'], { displayOnly, onLine: (l, s) => void lines.push([l, s]) });
        expect(r.stdout).toBe('out');
        expect(lines).toEqual([
          ['out', 'stdout'],
          ['err', 'stderr'],
        ]);
      }
    } finally {
      spawnSync('umount', [small]);
      rmSync(small, { recursive: true, force: true });
    }
  });
});
