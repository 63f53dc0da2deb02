import { defineConfig } from 'vitest/config';

// Tiers 1–3 and 5 (unit, fixture roots, host oracles, tmux). The QEMU guest tier has its own
// config (vitest.e2e.config.ts) because its guests must not compete for the two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    exclude: ['test/e2e/guest/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
