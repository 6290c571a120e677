import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', '.stack/**', 'tmp/**', '**/*.js', '**/*.mjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:util',
                'type:data-access',
                'type:contracts',
                'type:workflow',
                'type:testing',
                'type:tool',
                'type:test-harness',
              ],
            },
            // The sync pipeline's spec harness (real stack) and the benchmarks that drive it.
            {
              sourceTag: 'type:test-harness',
              onlyDependOnLibsWithTags: ['type:util', 'type:data-access', 'type:contracts', 'type:testing', 'type:tool'],
            },
            {
              sourceTag: 'type:bench',
              onlyDependOnLibsWithTags: [
                'type:util',
                'type:data-access',
                'type:contracts',
                'type:workflow',
                'type:testing',
                'type:tool',
                'type:test-harness',
              ],
            },
            {
              sourceTag: 'type:data-access',
              onlyDependOnLibsWithTags: ['type:util', 'type:data-access', 'type:contracts', 'type:testing', 'type:tool'],
            },
            { sourceTag: 'type:workflow', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:testing', 'type:tool'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:util', 'type:data-access', 'type:contracts', 'type:testing'] },
            // A service's code reaches only its own scope and the shared libs; sync libs stay out of the other services.
            { sourceTag: 'scope:config', onlyDependOnLibsWithTags: ['scope:config', 'scope:shared'] },
            { sourceTag: 'scope:mapping', onlyDependOnLibsWithTags: ['scope:mapping', 'scope:shared'] },
            { sourceTag: 'scope:webhook', onlyDependOnLibsWithTags: ['scope:webhook', 'scope:shared'] },
            { sourceTag: 'scope:sync', onlyDependOnLibsWithTags: ['scope:sync', 'scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // Test utilities and the emulator are allowed by the tag rules above only so specs can use them; production code may not.
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.bench.ts', 'bench/**', 'libs/testing/**', 'apps/*/src/testing/**', 'tools/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@flexsync/testing', message: 'Test utilities are for specs only.' },
            { name: '@flexsync/stripe-emulator', message: 'The Stripe emulator is for specs, benchmarks and the demo only.' },
          ],
        },
      ],
    },
  },
  {
    // Specs may talk to the console-free test harness and use loose typing for fixtures.
    files: ['**/*.spec.ts', '**/*.int-spec.ts', 'libs/testing/**/*.ts', 'tools/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // Temporal workflow code runs in a deterministic sandbox: no Node, no Nest, no I/O.
    files: ['libs/sync/workflows/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'http', 'https', 'net'],
              message: 'Workflow code must stay deterministic: no Node modules.',
            },
            {
              group: ['@nestjs/*', 'typeorm', 'pg', 'kafkajs', 'stripe', '@clickhouse/*'],
              message: 'Workflow code may import only contracts and pure utilities.',
            },
          ],
        },
      ],
    },
  },
];
