import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration tests start servers on 127.0.0.1; two workers match the two cores CI has.
    maxWorkers: 2,
  },
});
