import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': 'off',
    },
  },
  {
    // core/, cloud/ and render/ never print: results flow back to the CLI layer.
    files: ['src/core/**', 'src/cloud/**', 'src/render/**'],
    rules: { 'no-console': 'error' },
  },
  {
    // The sandbox emulates the cloud independently of the code it tests: it shares only the
    // neutral signing module (src/signing), never core/, cloud/ or cli/.
    files: ['src/sandbox/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/**', '**/cloud/**', '**/cli/**', '**/main.js'],
              message: 'src/sandbox imports nothing from core/, cloud/ or cli/ (see README).',
            },
          ],
        },
      ],
    },
  },
  // Layer boundaries: core is pure domain logic, render only formats, cloud adapts the SDKs.
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/**', '**/cloud/**', '**/render/**', '**/sandbox/**'],
              message: 'core/ imports nothing from cli/, cloud/, render/ or sandbox/.',
            },
            { group: ['node:*', '@huaweicloud/*'], message: 'core/ does no I/O.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/render/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/**', '**/cloud/**', '**/sandbox/**'],
              message: 'render/ imports nothing from cli/, cloud/ or sandbox/.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/cloud/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/**', '**/sandbox/**'],
              message: 'cloud/ imports nothing from cli/ or sandbox/.',
            },
          ],
        },
      ],
    },
  },
);
