// esbuild plugins for the bundle (scripts/build.mjs); the benches build their Ink programs with
// them too, so they measure what users run.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Ink's string-width (8.x, through Ink, widest-line and cli-truncate) goes through a fast path for
 * the UI's own characters (scripts/string-width-fast.ts). The wrapper itself, and wrap-ansi with
 * its own string-width 7.x, get the real one.
 */
export const fastStringWidth = {
  name: 'fast-string-width',
  setup(b) {
    const wrapper = here('./string-width-fast.ts');
    b.onResolve({ filter: /^string-width$/ }, (args) => {
      if (args.importer === wrapper || args.importer.includes('/node_modules/wrap-ansi/')) return undefined;
      return { path: wrapper };
    });
  },
};

/**
 * yoga-layout (Ink's layout engine) is an Emscripten build with its wasm inline as a data: URL.
 * Its loader takes Node 18+'s global fetch for a browser's and fetches that URL: loading Node's
 * fetch (undici) and streaming the URL through it costs about 40 ms of every start of the
 * terminal UI here. Without fetch the same loader decodes the base64 itself (its path for
 * runtimes without fetch) and hands the bytes to WebAssembly.instantiate. The two tests of
 * `typeof fetch` are answered "not a function" at build time; a yoga-layout whose loader reads
 * otherwise fails the build, so an upgrade cannot drop this silently.
 * test/components/wizard-startup-terminal.test.ts checks that the UI chunk loads without undici.
 */
export const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const test = '"function"!=typeof fetch';
      const found = source.split(test).length - 1;
      if (found !== 2) {
        throw new Error(`${args.path}: expected the wasm loader to test \`typeof fetch\` twice, found ${found}; update scripts/bundle-plugins.mjs for this yoga-layout`);
      }
      return { contents: source.replaceAll(test, '!0'), loader: 'js' };
    });
  },
};

export const bundlePlugins = [fastStringWidth, yogaWithoutFetch];
