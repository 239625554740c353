// ESLint with typescript-eslint's recommended rules; formatting is Prettier's job (.prettierrc.json).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

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
  {
    // Each of these takes 5-25 ms to load; the product loads them at first use instead
    // (process.getBuiltinModule), so a run that never needs one never pays for it.
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        ...['http', 'https', 'child_process'].flatMap((name) => [name, `node:${name}`].map((id) => ({ name: id, message: `load node:${name} where it is first used: process.getBuiltinModule('node:${name}')`, allowTypeImports: true }))),
      ],
    },
  },
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
