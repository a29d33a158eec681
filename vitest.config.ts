import { defineConfig } from 'vitest/config';

// Tests start real servers on ephemeral loopback ports and a real Chromium, so
// they get generous time limits; none of them measures speed (see docs/benchmarks.md).
export default defineConfig({
  test: {
    include: ['apps/*/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    // One retry, for the rare browser-driven test that Playwright leaves hanging on a
    // loaded 2-core machine (a tab close waiting on a closed loopback connection).
    // A real failure fails both times; vitest reports every retried test.
    retry: 1,
  },
});
