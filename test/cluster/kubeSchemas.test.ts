/**
 * The checked-in built-in Kubernetes API (language-server/src/data/kubeSchemas.generated.ts and
 * profile/src/builtinScopes.generated.ts) is what the bed's real kube-apiserver serves: regenerate
 * with `node scripts/gen-kube-schemas.mjs` when the bed's Kubernetes release changes.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readKubeApi, renderKubeApiFiles, repoRoot, startCluster, type TestCluster } from '@kplane/bed';

describe('built-in Kubernetes schemas (cluster)', function () {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ name: 'kube-schemas' });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('the checked-in files are exactly what the bed API server serves', async () => {
    const snapshot = await readKubeApi(cluster);
    assert.ok(snapshot.data.groupVersions['apps/v1']?.Deployment, 'discovery lists apps/v1 Deployment');
    assert.ok(!Object.keys(snapshot.data.groupVersions).some((gv) => gv.startsWith('kplane.dev/')), "the bed's own CRDs are not built in");
    const files = renderKubeApiFiles(snapshot);
    const read = (rel: string) => readFileSync(join(repoRoot(), rel), 'utf8');
    assert.ok(read('language-server/src/data/kubeSchemas.generated.ts') === files.schemasModule, 'kubeSchemas.generated.ts is stale: run node scripts/gen-kube-schemas.mjs');
    assert.ok(read('profile/src/builtinScopes.generated.ts') === files.scopesModule, 'builtinScopes.generated.ts is stale: run node scripts/gen-kube-schemas.mjs');
  });
});
