import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tiers 1–3 and 5 (unit, fixture roots, host oracles, tmux). Tests on real Debian roots and QEMU
// guests (test/e2e) have their own config (vitest.e2e.config.ts): they run one at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Ink's is-in-ci is replaced in the bundle too (scripts/build.mjs): the UI under test draws
    // frames whatever CI says, as the shipped wizard does.
    // Ink is inlined so that the alias reaches its import.
    alias: { 'is-in-ci': fileURLToPath(new URL('./scripts/is-in-ci-stub.js', import.meta.url)) },
    server: { deps: { inline: ['ink'] } },
  },
});
