import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        // Everything but the tests against a real kube-apiserver.
        extends: true,
        test: {
          name: 'unit',
          include: ['lib/**/*.test.ts', 'operator/**/*.test.ts', 'authz-server/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/k8s/**'],
        },
      },
      {
        // Against one real etcd + kube-apiserver (test/controlplane), started once by the global setup.
        extends: true,
        test: {
          name: 'k8s',
          include: ['test/k8s/**/*.test.ts'],
          globalSetup: ['test/controlplane/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
