// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

import { boundaries } from './eslint.architecture.js';

const typescriptFiles = ['**/*.{ts,tsx,mts,cts}'];
// Build and tool configs, and the type declarations of the root scripts, sit
// outside every tsconfig; type-aware rules would only fail to find a program
// for them, and they gain little from it.
const configFiles = ['**/*.config.*', 'scripts/*.d.mts'];

export default defineConfig(
  globalIgnores([
    '**/dist/',
    '**/coverage/',
    '**/.vite/',
    '**/data/',
    '**/test-results/',
    '**/playwright-report/',
  ]),

  js.configs.recommended,

  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },

  {
    files: typescriptFiles,
    extends: [tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: {
        // Each file is checked against the nearest tsconfig.json that
        // includes it, so every package lints under its own compiler options.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      // Numbers in template literals are ordinary (ports, sizes, counts).
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // It asks for `x!` where `x as T` is written, which no-non-null-assertion
      // (strict) then forbids: the two contradict each other.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // An empty string meaning "unset" (env vars, form fields) is intended
      // where `||` or `s ? s : d` is written; `??` would change behaviour.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],
      // `onClick={() => setOpen(false)}`, and `case 'join': return this.join(m)`
      // in a void dispatcher, are clear; forbidding them adds braces only.
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true },
      ],
    },
  },

  {
    files: ['**/*.test.{ts,tsx}', '**/test/**/*.{ts,tsx}', '**/bench/**/*.ts'],
    rules: {
      // Tests assert on values they just built; `!` after an expect is honest there.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Tests build malformed frames and clean up globals by deleting keys.
      '@typescript-eslint/no-dynamic-delete': 'off',
    },
  },

  {
    files: ['packages/protocol/**/*.ts'],
    rules: {
      // The protocol validates names, which must not contain control
      // characters: its regular expressions match them on purpose.
      'no-control-regex': 'off',
    },
  },

  {
    files: configFiles,
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },

  {
    files: ['apps/web/**/*.{ts,tsx}'],
    ignores: configFiles,
    extends: [reactHooks.configs.flat.recommended],
    languageOptions: { globals: globals.browser },
    rules: {
      // With --max-warnings 0 a warning fails CI anyway; say so plainly.
      'react-hooks/exhaustive-deps': 'error',
    },
  },

  // The architecture's import rules (eslint.architecture.js).
  ...boundaries,
);
