#!/usr/bin/env node
// Writes docs/diagnostics.md from profile/src/validation/codes.ts (build the profile package first).
// `--check` exits 1 when the checked-in file differs; test/unit/profile/findingCodes.test.ts checks it too.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diagnosticsDoc } from '../profile/out/validation/codesDoc.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'diagnostics.md');
const text = diagnosticsDoc();
let current = '';
try { current = readFileSync(file, 'utf8'); } catch { /* missing counts as stale */ }
if (current === text) process.exit(0);
if (process.argv.includes('--check')) {
  console.error(`${file} is out of date: run node scripts/gen-diagnostics-doc.mjs`);
  process.exit(1);
}
writeFileSync(file, text);
console.log(`wrote ${file}`);
