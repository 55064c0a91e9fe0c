import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Process kills and database restarts run alone: `npm run test:resilience`.
    exclude: ['test/resilience/**', 'node_modules/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Simulators and bridges bind 127.0.0.1:0, so files can run side by side.
    fileParallelism: true,
  },
});
