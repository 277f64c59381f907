#!/usr/bin/env node
// `kplane-language-server --stdio`: the kplane language server for any LSP client (Neovim,
// Helix, Emacs eglot, ...). The server itself is one CommonJS bundle (scripts/bundle.mjs), so
// plain node runs it without node_modules.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/server.cjs', import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write(`kplane-language-server: ${bundle} is missing: run npm run build in the kplane repository.\n`);
  process.exit(2);
}
await import(bundle);
