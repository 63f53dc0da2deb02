#!/usr/bin/env node
// Tiny shim: everything else lives in the bundle. Keep this file free of imports that
// would load before the colour decision below (ESM imports are hoisted).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 5)) {
  process.stderr.write(`vfio-wizard needs Node.js 20.5 or newer; this is ${process.version}.\n`);
  process.exit(2);
}
// Ink's chalk ignores NO_COLOR; map it before anything colour-aware is imported.
if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
if (process.argv.includes('--no-color') && process.env.FORCE_COLOR === undefined) process.env.FORCE_COLOR = '0';
// A reader that goes away (`vfio-wizard scan --json | head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('../dist/cli.js');
  process.exitCode = await main(args);
}
