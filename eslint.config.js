// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

/** Layers depend one way: engine ← scenario ← worker ← store ← ui (the CLI is a host like the worker). */
const layer = (/** @type {string[]} */ forbidden, /** @type {string} */ why) => ({
  patterns: forbidden.map((group) => ({ group: [group], message: why, allowTypeImports: false })),
});

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'test-results', 'playwright-report', 'bench-results'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'react', message: 'The engine is pure: no React.' },
            { name: 'react-dom', message: 'The engine is pure: no React.' },
            { name: 'zustand', message: 'The engine is pure: no stores.' },
            { name: 'node:fs', message: 'The engine does no I/O; hosts (CLI, worker) do.' },
            { name: 'fs', message: 'The engine does no I/O; hosts (CLI, worker) do.' },
          ],
          ...layer(
            [
              '@xyflow/*',
              '**/scenario/**',
              '**/worker/**',
              '**/store/**',
              '**/ui/**',
              '**/cli/**',
              'node:*',
            ],
            'The engine imports nothing from the layers above it, nor Node/DOM APIs.',
          ),
        },
      ],
      'no-restricted-globals': [
        'error',
        ...[
          'window',
          'document',
          'self',
          'navigator',
          'postMessage',
          'localStorage',
          'fetch',
          'process',
          'setTimeout',
          'setInterval',
          'performance',
        ].map((name) => ({
          name,
          message: 'The engine is pure and deterministic: no host globals.',
        })),
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Use the seeded rng in src/engine/sim/rng.ts.',
        },
        { object: 'Date', property: 'now', message: 'Use simulated time.' },
        { object: 'performance', property: 'now', message: 'Use simulated time.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date']", message: 'Use simulated time.' },
      ],
    },
  },
  {
    files: ['src/scenario/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        layer(
          [
            '**/worker/**',
            '**/store/**',
            '**/ui/**',
            '**/cli/**',
            'react',
            'react-dom',
            'zustand',
            '@xyflow/*',
          ],
          'scenario sits under worker, store and ui.',
        ),
      ],
    },
  },
  {
    files: ['src/worker/**/*.ts'],
    languageOptions: { globals: { ...globals.worker } },
    rules: {
      'no-restricted-imports': [
        'error',
        layer(
          ['**/store/**', '**/ui/**', '**/cli/**', 'react', 'react-dom', 'zustand', '@xyflow/*'],
          'The worker hosts the engine; it knows nothing of the UI.',
        ),
      ],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/ui/**', '**/cli/**'], message: 'Stores sit under the UI.' },
            {
              group: ['**/engine/**'],
              message: 'Stores talk to the engine through the worker client only.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/ui/**/*.{ts,tsx}', 'src/main.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/engine/**', '**/scenario/**'],
              message: 'The UI renders what the worker returns; it computes no networking.',
              allowTypeImports: true,
            },
            { group: ['**/cli/**'], message: 'The CLI is a Node host.' },
          ],
        },
      ],
    },
  },
  {
    files: ['e2e/**/*.ts'],
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
  },
);
