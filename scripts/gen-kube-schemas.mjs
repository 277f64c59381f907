#!/usr/bin/env node
// Writes the built-in Kubernetes API the validator checks manifests against, read from a real
// kube-apiserver of the test bed (build first: npm run build):
//   language-server/src/data/kubeSchemas.generated.ts  discovery + trimmed OpenAPI v3, brotli, base64
//   profile/src/builtinScopes.generated.ts             cluster-scoped kinds (discovery)
// `--check` exits 1 when the checked-in files differ (test/cluster/kubeSchemas.test.ts does the same).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKubeApi, renderKubeApiFiles, repoRoot, startCluster } from '../bed/out/index.js';

export const KUBE_SCHEMA_FILES = {
  schemasModule: join('language-server', 'src', 'data', 'kubeSchemas.generated.ts'),
  scopesModule: join('profile', 'src', 'builtinScopes.generated.ts'),
};

const check = process.argv.includes('--check');
const cluster = await startCluster({ name: 'kube-schemas', log: (line) => console.error(line) });
let stale = 0;
try {
  const files = renderKubeApiFiles(await readKubeApi(cluster));
  console.error(`built-in API: ${files.rawBytes} bytes of JSON, ${files.compressedBytes} compressed`);
  for (const [key, rel] of Object.entries(KUBE_SCHEMA_FILES)) {
    const file = join(repoRoot(), rel);
    let current = '';
    try { current = readFileSync(file, 'utf8'); } catch { /* missing counts as stale */ }
    if (current === files[key]) continue;
    if (check) { console.error(`${rel} is out of date: run node scripts/gen-kube-schemas.mjs`); stale++; }
    else { writeFileSync(file, files[key]); console.error(`wrote ${rel}`); }
  }
} finally {
  await cluster.stop();
}
process.exit(stale ? 1 : 0);
