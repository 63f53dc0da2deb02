import { defineConfig } from 'vitest/config';

// Real Debian roots (debootstrap, cached) and real Linux kernels under QEMU (TCG) with an
// emulated IOMMU. One at a time: they share caches and must not compete for the two cores.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
