// ESLint with typescript-eslint's recommended rules; formatting is Prettier's job (.prettierrc.json).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const LAZY_BUILTINS = ['child_process', 'http', 'https'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/fixtures/**', 'src/templates/schema-validators.*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // node:child_process and node:http(s) take 5-25 ms each to load: the product loads them at
  // first use (process.getBuiltinModule), so a run that never needs one never pays for it, and
  // only the module for that outside system does: src/systems/process starts processes,
  // src/systems/{registry,kube} speak HTTP.
  ...[
    { files: ['src/**/*.ts'], allowed: [] },
    { files: ['src/systems/process/**/*.ts'], allowed: ['child_process'] },
    { files: ['src/systems/registry/**/*.ts', 'src/systems/kube/**/*.ts'], allowed: ['http', 'https'] },
  ].map(({ files, allowed }) => ({
    files,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        ...LAZY_BUILTINS.flatMap((name) => [name, `node:${name}`].map((id) => ({ name: id, message: `load node:${name} where it is first used: process.getBuiltinModule('node:${name}')`, allowTypeImports: true }))),
      ],
      'no-restricted-syntax': [
        'error',
        ...LAZY_BUILTINS.filter((name) => !allowed.includes(name)).map((name) => ({
          selector: `CallExpression[callee.property.name='getBuiltinModule'][arguments.0.value='node:${name}']`,
          message: `node:${name} belongs to ${name === 'child_process' ? 'src/systems/process' : 'src/systems/registry or src/systems/kube'}: go through that module`,
        })),
      ],
    },
  })),
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
    // Tests and the simulator read whatever JSON a server or kubectl sends back.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
