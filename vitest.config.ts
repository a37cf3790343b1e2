import { defineConfig } from 'vitest/config';

// No test may lean on vitest's 5 s default: on a 2-core CI runner with neighbours, a test that
// takes 1 s idle can take 6 s. Every test gets a generous limit here; the few that run many cases
// (property tests, the scale comparisons) set their own, larger one.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The test files share each worker's module cache instead of loading cdk8s, constructs, zod
    // and the library again per file: a third of the suite's time went to those imports. Nothing
    // in the library keeps state across calls, and the tests that change the process (the working
    // directory, in test/support/cli.ts) restore it.
    isolate: false,
  },
});
