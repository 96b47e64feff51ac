import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['operator/**/*.test.ts', 'authz-server/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
