#!/usr/bin/env node
// esbuild bundles for what runs outside plain Node ESM: the extension and language server
// (CommonJS, loaded by the VS Code extension host), the webview (browser), and the VS Code-host
// test suite. An entry whose source does not exist yet is skipped.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const node = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: !production, minify: production, external: ['vscode'], logLevel: 'warning' };

const entries = [
  { in: 'extension/src/extension.ts', out: 'dist/extension.js', ...node },
  { in: 'language-server/src/server.ts', out: 'dist/server.js', ...node },
  { in: 'test/vscode/suite/index.ts', out: 'dist/test/suite.js', ...node, external: ['vscode', 'mocha'] },
];

for (const { in: entry, out, ...options } of entries) {
  if (!existsSync(join(root, entry))) continue;
  await build({ entryPoints: [join(root, entry)], outfile: join(root, out), ...options });
}
