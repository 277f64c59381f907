// Lint, and guard the rings of ../shared/STYLE.md: profile/ knows no platform; the pure cores
// (language-server/src/service, extension/src/fleet, agent/src/core) know no vscode, no LSP
// connection and no HTTP.
import tseslint from 'typescript-eslint';

const platform = ['vscode', 'vscode-languageserver', 'vscode-languageserver/node', 'vscode-languageclient', 'vscode-languageclient/node', '@kubernetes/client-node'];
const nodeBuiltins = ['node:*', 'fs', 'path', 'http', 'https', 'net', 'child_process', 'os'];
const forbid = (names, why) => ({
  'no-restricted-imports': ['error', { patterns: names.map((group) => ({ group: [group], message: why })) }],
});

export default tseslint.config(
  { ignores: ['**/out/**', '**/dist/**', '**/node_modules/**', 'media/out/**', '**/*.d.ts', 'scripts/**', 'test/bed/*.sh'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['profile/src/**/*.ts'], rules: forbid([...platform, ...nodeBuiltins, 'yaml'], 'profile/ is the platform-free model: no vscode, Node or Kubernetes client imports.') },
  { files: ['language-server/src/service/**/*.ts'], rules: forbid([...platform, ...nodeBuiltins], 'The validation service is pure: it runs in the language server, the CLI, the webview and the agent.') },
  { files: ['extension/src/fleet/**/*.ts'], rules: forbid([...platform, ...nodeBuiltins], 'The fleet model is pure: I/O belongs to adapters.') },
  { files: ['agent/src/core/**/*.ts'], rules: forbid([...platform, ...nodeBuiltins], 'agent/src/core is pure planning and status logic: I/O belongs to agent/src/k8s and controller.') },
);
