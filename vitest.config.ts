import { defineConfig } from 'vitest/config';

// No test may lean on vitest's 5 s default: on a 2-core CI runner with neighbours, a test that
// takes 1 s idle can take 6 s. Every test gets a generous limit here; the few that run many cases
// (property tests, the scale comparisons) set their own, larger one.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
