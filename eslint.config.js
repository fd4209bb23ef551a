// @ts-check
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import local from './.eslint-plugin-local/code-layering.js';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'stream', 'util', 'events'];

/** The app reaches the sandbox (a local AWS, its own package) only through its client: manager, run file, paths, published constants. */
const sandboxClientOnly = {
  regex: '^(\\.\\./)+sandbox/(?!client/)',
  message: 'The app imports the sandbox only through sandbox/client/.',
};

/** What the sandbox may not import: the app, the UI, and the top-level folders named. */
function sandboxImports(folders) {
  const message = 'The sandbox imports only shared/ and shared/node/.';
  return [
    { group: ['electron', '**/electron/**', '**/renderer/**', 'react', 'react-dom'], message },
    { regex: `^(\\.\\./)+(${folders.join('|')})/`, message },
  ];
}

/** Layers, enforced: shared/ is pure; the renderer reaches the main process only through the contract. */
export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', '.cache/**', 'spark/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='executeJavaScript']", message: 'No code strings into renderers.' },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/node/**'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'shared/ runs in every process: no Node APIs.' },
            {
              group: ['electron', '**/electron/**', '**/renderer/**', 'react', 'react-dom'],
              message: 'shared/ imports neither host nor UI code.',
            },
          ],
        },
      ],
    },
  },
  {
    // shared/node/: the small Node library the app's core and the sandbox both use (as VS Code's base/node).
    files: ['shared/node/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', '**/electron/**', '**/renderer/**', '**/sandbox/**', 'react', 'react-dom'],
              message: 'shared/node/ imports neither the app, the sandbox nor UI code.',
            },
          ],
        },
      ],
    },
  },
  {
    // Layers of the main process, bottom to top; the table is in .eslint-plugin-local/code-layering.js.
    files: ['electron/**/*.ts'],
    plugins: { local },
    rules: { 'local/code-layering': 'error' },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/electron/**', 'electron'],
              message: 'The renderer talks to the main process only through shared/ and the RPC client.',
            },
            { group: nodeBuiltins, message: 'The renderer has no Node APIs.' },
            { group: ['**/shared/node/**'], message: 'shared/node/ is for Node processes only.' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/renderer/**'], message: 'Main-process code never imports the UI.' },
            { group: ['@electron/remote'], message: '@electron/remote defeats context isolation.' },
            sandboxClientOnly,
          ],
        },
      ],
    },
  },
  {
    files: ['electron/core/**/*.ts', 'electron/web/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron'], message: 'The core and the web host run in plain Node; Electron APIs belong in electron/main.' },
            { group: ['**/renderer/**'], message: 'Main-process code never imports the UI.' },
            sandboxClientOnly,
          ],
        },
      ],
    },
  },
  {
    // The sandbox is a local AWS, not part of the app: it builds on shared/ and shared/node/ only (its tests may use the test helpers).
    files: ['sandbox/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: sandboxImports(['bench', 'spark', 'sql']) }] },
  },
  {
    files: ['sandbox/**/*.ts'],
    ignores: ['sandbox/tests/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: sandboxImports(['bench', 'spark', 'sql', 'tests']) }] },
  },
  {
    // The client is what the app bundles: of the emulator it needs only the setup steps (to say whether setup is done).
    files: ['sandbox/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...sandboxImports(['bench', 'spark', 'sql', 'tests']),
            {
              regex: '^\\.\\./(?!\\.\\./|setup/)',
              message: 'sandbox/client/ uses of the emulator only its setup steps; the daemon runs the rest.',
            },
          ],
        },
      ],
    },
  },
);
