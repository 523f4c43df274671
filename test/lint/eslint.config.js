// ESLint for `npm test` (flat config, typescript-eslint with type information). Run from the project
// root: `eslint --config test/lint/eslint.config.js .` (file patterns are relative to the working folder).
// The rules are the ones that keep a promise from going unwatched: a floating promise is an opposition
// whose failure nobody sees.
import { fileURLToPath } from 'node:url'
import tseslint from 'typescript-eslint'

const root = fileURLToPath(new URL('../..', import.meta.url))

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.tap/**', 'tmp/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // tap's t.test() returns a promise tap itself tracks: a test file need not await it.
        allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
)
