import { defineConfig } from 'vitest/config';

// Tier 4: real Linux kernels under QEMU (TCG) with an emulated IOMMU. One guest at a time.
export default defineConfig({
  test: {
    include: ['test/e2e/guest/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
