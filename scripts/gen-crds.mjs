#!/usr/bin/env node
// Writes agent/deploy/crds/*.yaml from profile/src/crd.ts (build the profile package first).
// `--check` exits 1 when the checked-in files differ, so CI catches a schema change without them.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { allCrds } from '../profile/out/crd.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'agent', 'deploy', 'crds');
const check = process.argv.includes('--check');
let stale = 0;
mkdirSync(dir, { recursive: true });
for (const crd of allCrds) {
  const file = join(dir, `${crd.metadata.name}.yaml`);
  const text = `# Generated from profile/src/schema.ts by scripts/gen-crds.mjs. Do not edit.\n${stringify(crd, { lineWidth: 0 })}`;
  let current = '';
  try { current = readFileSync(file, 'utf8'); } catch { /* missing counts as stale */ }
  if (current === text) continue;
  if (check) { console.error(`${file} is out of date: run node scripts/gen-crds.mjs`); stale++; }
  else { writeFileSync(file, text); console.log(`wrote ${file}`); }
}
process.exit(stale ? 1 : 0);
