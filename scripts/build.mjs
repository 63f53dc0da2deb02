// One ESM bundle (plus dist/version.cjs for the CommonJS bin's --version), split so that the Ink
// UI is a lazily imported chunk: --help, --version,
// scan --json and check --json never load react or ink.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { bundlePlugins } from './bundle-plugins.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const pkg = JSON.parse(await readFile(here('../package.json'), 'utf8'));

await rm(here('../dist'), { recursive: true, force: true });
await build({
  entryPoints: { cli: here('../src/cli.ts') },
  outdir: here('../dist'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  chunkNames: 'chunks/[name]-[hash]',
  define: {
    'process.env.NODE_ENV': '"production"',
    'process.env.DEV': '"false"',
    __VFIO_WIZARD_VERSION__: JSON.stringify(pkg.version),
  },
  alias: {
    'react-devtools-core': here('./react-devtools-core-stub.js'),
    'is-in-ci': here('./is-in-ci-stub.js'),
  },
  banner: {
    js: "import { createRequire as __vwCreateRequire } from 'node:module'; const require = __vwCreateRequire(import.meta.url);",
  },
  plugins: bundlePlugins,
  logLevel: 'warning',
});
// version.cjs lets the bin (CommonJS) answer --version without loading the CLI, nor even Node's
// ES module loader
await build({
  entryPoints: [here('../src/version.ts')],
  outfile: here('../dist/version.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  define: { __VFIO_WIZARD_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});

