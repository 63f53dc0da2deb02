// The benchmark's "wizard": the real runner and the real OutputPane mounted in Ink, drawing to a
// fake 100x30 terminal that discards what it gets (a real terminal's cost is not ours to
// measure). Runs one command given as JSON argv and prints one JSON line of measurements.
// Bundled by bench/output.mjs like the product bundle (production React, one file).
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { render } from 'ink';
import { OutputPane } from '../components/OutputPane.js';
import { createEventHub, runWithEvents, type CommandEvent } from '../src/run/events.js';
import { createRunner } from '../src/run/runner.js';

class DiscardingTerminal extends Writable {
  isTTY = true;
  columns = 100;
  rows = 30;
  bytes = 0;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void) {
    this.bytes += chunk.length;
    done();
  }
}

const argv = JSON.parse(process.argv[2] ?? '[]') as string[];
const logDir = mkdtempSync(path.join(os.tmpdir(), 'vw-bench-log-'));
const terminal = new DiscardingTerminal();
const hub = createEventHub<CommandEvent>();
let commits = 0;
let frames = 0;

const app = render(<OutputPane feed={hub} keys={false} onCommit={() => void commits++} />, {
  stdout: terminal as unknown as NodeJS.WriteStream,
  exitOnCtrlC: false,
  patchConsole: false,
  onRender: () => void frames++,
});

// The wizard has drawn screens before it runs anything — welcome, readiness, the device browser,
// the plan's diff — so Ink's one-time text-measuring setup (Intl.Segmenter, width tables) is paid
// and its render path (layout, the output grid) has run many frames by then. Twenty frames of
// fifteen lines through the pane stand in for those screens, outside the measurement. The runner
// is not warmed: the measured command is the first this process runs.
hub.emit({ type: 'command-start', id: 'warm', name: 'warm-up', argv: ['true'], at: new Date().toISOString() });
hub.emit({ type: 'command-line', id: 'warm', name: 'warm-up', stream: 'stdout', line: 'warming up ✔ ─ é' });
for (let frame = 0; frame < 20; frame++) {
  for (let i = 0; i < 15; i++) {
    hub.emit({ type: 'command-line', id: 'warm', name: 'warm-up', stream: 'stdout', line: `screen ${frame}, line ${i}: text as a screen of the wizard shows it` });
  }
  await new Promise((r) => setTimeout(r, 90));
}
await new Promise((r) => setTimeout(r, 100));
hub.emit({ type: 'command-end', id: 'warm', name: 'warm-up', status: 'ok', exitCode: 0, signal: null, durationMs: 1, logPath: null, message: null });
await new Promise((r) => setTimeout(r, 100));
const commitsBefore = commits;
const framesBefore = frames;

const cpu0 = process.cpuUsage();
const t0 = performance.now();
// the runner as the wizard makes it (flood-tail), and the command as a step runs it (shown, not parsed)
const result = await runWithEvents(createRunner({ logDir, runId: 'bench', floodTail: true }), hub.emit, argv, { name: 'child', displayOnly: true });
const wallMs = performance.now() - t0;
// let the trailing flush and Ink's throttled frame land before unmounting
await new Promise((r) => setTimeout(r, 150));
const cpu = process.cpuUsage(cpu0);
app.unmount();
rmSync(logDir, { recursive: true, force: true });

process.stdout.write(
  `${JSON.stringify({
    ok: result.ok,
    runDurationMs: result.durationMs,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    commits: commits - commitsBefore,
    frames: frames - framesBefore,
    terminalBytes: terminal.bytes,
  })}\n`,
);
