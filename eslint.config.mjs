import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'libs/client/dist/**', 'coverage/**', 'bench/results/**', 'apps/bus/public/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Libs are imported only through their index (`@itinera/<lib>`), never by deep path.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@itinera/*/*'], message: 'import a lib only through its index: @itinera/<lib>' }] }],
    },
  },
  {
    // duplex/ is the session logic every duplex transport shares: it reaches into none of them.
    files: ['libs/adapters/src/duplex/**/*.ts'],
    ignores: ['libs/adapters/src/duplex/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@itinera/*/*'], message: 'import a lib only through its index: @itinera/<lib>' },
            {
              group: ['../ws/*', '../tcp/*', '../dual-http/*', '../http/*', '../queue/*'],
              message: 'duplex/ is shared by every duplex transport and imports none of them; move what both need into duplex/',
            },
          ],
        },
      ],
    },
  },
  {
    // The runtime starts on-ramps from ALL_ON_RAMPS and closes send adapters through their lifecycle: it names no transport.
    files: ['libs/runtime/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['@itinera/*/*'], message: 'import a lib only through its index: @itinera/<lib>' }],
          paths: [
            {
              name: '@itinera/adapters',
              importNames: [
                'attachWebSocketDuplex',
                'registerPollingDuplex',
                'registerHttpOnRamp',
                'startDualHttp',
                'dualHttpOnRamp',
                'startTcpDuplex',
                'TCP_ON_RAMP',
                'HTTP_ON_RAMP',
                'WS_ON_RAMP',
                'POLL_ON_RAMP',
                'QUEUE_ON_RAMP',
                'closeWsSendPool',
              ],
              message: 'the runtime runs every on-ramp from ALL_ON_RAMPS and every send adapter through its start/close; add a transport to the list instead',
            },
          ],
        },
      ],
    },
  },
  {
    // The console's browser code is bundled for the page: no server lib, no Node built-in.
    files: ['libs/console/src/ui/**/*.ts'],
    rules: {
      // Types only from the server libs (erased from the bundle), so the page reads the
      // records the API answers with as declared once, in core.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@itinera/*'], allowTypeImports: true, message: 'the console UI runs in the browser: import types only from server libs' },
            { group: ['node:*'], message: 'the console UI runs in the browser: no Node built-ins' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        window: 'readonly',
        document: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
