import { defineConfig } from 'vitest/config';

/** `npm run test:resilience`: process kills, outages, database restarts. One file at a time: they restart shared services. */
export default defineConfig({
  test: {
    include: ['test/resilience/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
