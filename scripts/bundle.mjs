#!/usr/bin/env node
// esbuild bundles for what runs outside plain Node ESM: the extension and language server
// (CommonJS, loaded by the VS Code extension host; the server also as a stand-alone executable), the webview (browser), and the VS Code-host
// test suite. An entry whose source does not exist yet is skipped.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const node = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: !production, minify: production, external: ['vscode'], logLevel: 'warning' };

/**
 * The VS Code-host suite is one bundle, so its test files cannot be found on disk at run time.
 * This plugin serves test/vscode/suite/index.ts the virtual module 'kplane:vscode-suite-files':
 * one lazy `require` per `*.test.ts` under test/vscode/suite (declared in suiteFiles.d.ts).
 */
const suiteDir = join(root, 'test', 'vscode', 'suite');
const suiteFiles = {
  name: 'kplane-vscode-suite-files',
  setup(b) {
    b.onResolve({ filter: /^kplane:vscode-suite-files$/ }, (args) => ({ path: args.path, namespace: 'kplane-suite' }));
    b.onLoad({ filter: /.*/, namespace: 'kplane-suite' }, () => {
      const files = readdirSync(suiteDir, { recursive: true })
        .map((file) => String(file).split('\\').join('/'))
        .filter((file) => file.endsWith('.test.ts'))
        .sort();
      const list = files.map((file) => `{ file: ${JSON.stringify(file)}, load: () => require(${JSON.stringify(`./${file}`)}) }`);
      return { contents: `export const suiteFiles = [\n${list.join(',\n')}\n];\n`, resolveDir: suiteDir, loader: 'js', watchDirs: [suiteDir] };
    });
  },
};

/**
 * monaco-yaml's helpers import 'monaco-editor/esm/vs/…', a path monaco-editor 0.57's exports map
 * no longer serves ('./*' maps to './esm/vs/*.js'); point such imports at the file itself.
 */
const monacoEsmPaths = {
  name: 'kplane-monaco-esm-paths',
  setup(b) {
    b.onResolve({ filter: /^monaco-editor\/esm\/vs\// }, (args) => ({ path: join(root, 'node_modules', args.path) }));
  },
};
const browser = { bundle: true, platform: 'browser', format: 'iife', target: 'es2022', sourcemap: !production, minify: production, logLevel: 'warning', plugins: [monacoEsmPaths] };

const entries = [
  // The extension's cluster side (Kubernetes client, commands) is its own bundle, loaded on first
  // use: activation stays fast (extension/src/runtime.ts).
  // import('./runtime.js') becomes require(): the extension host hooks require, not the ESM loader.
  { in: 'extension/src/extension.ts', out: 'dist/extension.js', ...node, external: ['vscode', './runtime.js'], supported: { 'dynamic-import': false } },
  { in: 'extension/src/runtime.ts', out: 'dist/runtime.js', ...node },
  // The Profiles view parses workspace files in this worker thread, off the host's main thread.
  { in: 'extension/src/views/profileScanWorker.ts', out: 'dist/profileScanWorker.js', ...node },
  { in: 'language-server/src/server.ts', out: 'dist/server.js', ...node },
  // The same server as the `kplane-language-server` executable (language-server/bin/), for any
  // LSP client: self-contained, so plain `node` runs it without node_modules.
  { in: 'language-server/src/server.ts', out: 'language-server/dist/server.cjs', ...node },
  // mocha stays external: the bundle in dist/test/ resolves it from the repository's node_modules.
  { in: 'test/vscode/suite/index.ts', out: 'dist/test/suite.js', ...node, external: ['vscode', 'mocha'], plugins: [suiteFiles] },
  // The dashboard webview and Monaco's two workers, bundled locally (no CDN); the panel loads them
  // from dist/media/ only (localResourceRoots).
  { in: 'media/src/dashboard.ts', out: 'dist/media/dashboard.js', ...browser, loader: { '.ttf': 'file' } },
  { in: 'node_modules/monaco-editor/esm/vs/editor/editor.worker.js', out: 'dist/media/editor.worker.js', ...browser },
  { in: 'node_modules/monaco-yaml/yaml.worker.js', out: 'dist/media/yaml.worker.js', ...browser },
];

for (const { in: entry, out, ...options } of entries) {
  if (!existsSync(join(root, entry))) continue;
  await build({ entryPoints: [join(root, entry)], outfile: join(root, out), ...options });
}
