import { defineConfig } from 'vitest/config';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const __dirname = dirname(fileURLToPath(import.meta.url));

const lib = (name: string) => resolve(__dirname, `libs/${name}/src/index.ts`);

export default defineConfig({
  resolve: {
    alias: {
      '@itinera/core': lib('core'),
      '@itinera/engine': lib('engine'),
      '@itinera/steps': lib('steps'),
      '@itinera/adapters': lib('adapters'),
      '@itinera/transport': lib('transport'),
      '@itinera/sessions': lib('sessions'),
      '@itinera/observability': lib('observability'),
      '@itinera/client': lib('client'),
      '@itinera/runtime': lib('runtime'),
      '@itinera/console': lib('console'),
      '@itinera/testing': resolve(__dirname, 'test/support/index.ts'),
    },
  },
  test: {
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.test.ts', 'apps/**/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/support/global-setup.ts'],
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
