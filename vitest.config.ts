import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests must never touch the real home directory or a real cloud.
    env: { NO_COLOR: '1' },
    pool: 'forks',
  },
});
