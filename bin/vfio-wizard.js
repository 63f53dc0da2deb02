#!/usr/bin/env node
// Tiny shim: everything else lives in the bundle. It is CommonJS (bin/package.json), so that
// `--version` answers without starting Node's ES module loader (about 15 ms here); the CLI
// itself is the ESM bundle, imported below. Nothing colour-aware may load before the colour
// decision below; node:fs and node:tty are Node's own.
'use strict';
// first, before any require: older Nodes know no "node:" prefix
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 5)) {
  process.stderr.write(`vfio-wizard needs Node.js 20.5 or newer; this is ${process.version}.\n`);
  process.exit(2);
}
const { closeSync, openSync } = require('node:fs');
const { isatty } = require('node:tty');
// Ink's chalk ignores NO_COLOR; map it before anything colour-aware is imported.
if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
if (process.argv.includes('--no-color') && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
// A reader that goes away (`vfio-wizard scan --json | head`: EPIPE) or a terminal that hung up
// (an SSH session dropped: EIO) is not an error of ours, and must not end the process: a step
// in the middle of its work still has to finish or roll back, record it and free the lock.
// From then on that stream's output is dropped; the exit code is the work's own.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
    stream.write = (_chunk, encoding, callback) => {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => done());
      return true;
    };
  });
}
// Node restores the terminal's settings at exit and aborts (SIGABRT) when the terminal hung up
// meanwhile (isatty fails with EIO then); pointing those descriptors at /dev/null first makes it
// leave them alone, so the exit code stays ours.
const startedOnTty = [0, 1, 2].map((fd) => isatty(fd));
process.on('exit', () => {
  const hungUp = [0, 1, 2].filter((fd) => startedOnTty[fd] && !isatty(fd));
  for (const fd of hungUp) {
    try {
      closeSync(fd);
      // the lowest free descriptor: fd itself again, now /dev/null
      if (openSync('/dev/null', 'r+') !== fd) break;
    } catch {
      /* leave it to Node */
    }
  }
});
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../dist/version.cjs').VERSION}\n`);
} else {
  // a rejection here is a bug of ours: Node reports it and exits 1, as for any uncaught error
  let settled = false;
  import('../dist/cli.js')
    .then(({ main }) => main(args))
    .then((code) => {
      settled = true;
      process.exitCode = code;
    });
  // the event loop emptied while the CLI was still at work (a bug of ours): never exit 0 then,
  // but 13, as Node does for an unsettled top-level await
  process.on('exit', () => {
    if (!settled && process.exitCode === undefined) process.exitCode = 13;
  });
}
