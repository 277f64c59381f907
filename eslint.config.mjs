// Lint, and guard the walls and rings of ../shared/STYLE.md:
// - walls: a package is imported only through its named entries (its `exports` map), never by
//   a deep path or a relative path into another package's src/ or out/;
// - rings: profile/ knows no platform; the pure cores (language-server/src/service,
//   plane/src/fleet, agent/src/core) know no vscode, no LSP connection, no Kubernetes client and
//   no Node I/O; the management plane (plane/, cli/) knows no vscode; no product package imports
//   the tests.
import tseslint from 'typescript-eslint';

const platform = ['vscode', 'vscode-languageserver', 'vscode-languageserver/node', 'vscode-languageclient', 'vscode-languageclient/node', '@kubernetes/client-node', 'undici'];
const nodeBuiltins = ['node:*', 'fs', 'path', 'http', 'https', 'http2', 'net', 'child_process', 'os'];
/** The named entries of the packages' `exports` maps: the only ways in. */
const entries = ['@kplane/profile/model', '@kplane/plane/cluster', '@kplane/plane/live-diff', '@kplane/bed/vscode', '@kplane/agent/core', '@kplane/agent/helm', '@kplane/language-server/protocol', '@kplane/language-server/kube-schemas', '@kplane/language-server/helm-charts', '@kplane/language-server/yaml-parse'];
const walls = [
  { group: ['@kplane/*/**', ...entries.map((e) => `!${e}`)], message: 'Import another package through its named entries only (see its package.json "exports").' },
  { group: ['**/src/**', '**/out/**', '!./**', '../*/**/src/**'], message: "Relative imports stay inside their package; use the other package's named entry." },
];
/** Exact module names go to `paths` (a pattern 'vscode' would also match '../vscode/host.js'); globs to `patterns`. */
const rule = (extra = [], why = '') => {
  const globs = extra.filter((name) => name.includes('*'));
  const names = extra.filter((name) => !name.includes('*'));
  return {
    'no-restricted-imports': ['error', {
      paths: names.map((name) => ({ name, message: why })),
      patterns: [...walls, ...(globs.length ? [{ group: globs, message: why }] : [])],
    }],
  };
};

export default tseslint.config(
  { ignores: ['**/out/**', '**/dist/**', '**/node_modules/**', 'media/out/**', '**/*.d.ts', 'scripts/**', 'bed/*.sh', '*/bin/*.js', '**/*.generated.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      ...rule(),
    },
  },
  { files: ['profile/src/**/*.ts'], rules: rule([...platform, ...nodeBuiltins, 'yaml', '@kplane/*'], 'profile/ is the platform-free model: no vscode, Node, Kubernetes client or other kplane package.') },
  { files: ['language-server/src/service/**/*.ts'], rules: rule([...platform, ...nodeBuiltins], 'The validation service is pure: it runs in the language server, the CLI, the webview and the agent.') },
  { files: ['plane/src/fleet/**/*.ts'], rules: rule([...platform, ...nodeBuiltins, '@kplane/kube'], 'The fleet model is pure: cluster I/O belongs to plane/src/cluster.') },
  { files: ['plane/src/cluster/**/*.ts', 'plane/src/hub/**/*.ts', 'cli/src/**/*.ts', 'kube/src/**/*.ts', 'bed/src/**/*.ts'], rules: rule(['vscode', 'vscode-languageclient', '@kplane/extension', '@kplane/test'], 'The management plane, the CLI, the Kubernetes layer and the bed run without VS Code and never import tests.') },
  { files: ['agent/src/core/**/*.ts'], rules: rule([...platform, ...nodeBuiltins, '@kplane/kube'], 'agent/src/core is pure planning and status logic: I/O belongs to @kplane/kube and agent/src/controller.') },
  { files: ['agent/src/**/*.ts', 'media/src/**/*.ts', 'language-server/src/**/*.ts', 'extension/src/**/*.ts'], ignores: ['agent/src/core/**', 'language-server/src/service/**'], rules: rule(['@kplane/test', '@kplane/bed', '@kplane/bed/*'], 'Product code never imports the tests or the bed.') },
);
