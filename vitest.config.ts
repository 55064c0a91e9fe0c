import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Simulators and bridges bind 127.0.0.1:0, so files can run side by side.
    fileParallelism: true,
  },
});
