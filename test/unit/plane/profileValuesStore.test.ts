/**
 * The dashboard values editor's store (plane/src/cluster/profileValuesStore.ts): what it asks a
 * cluster's API server for. Recorded from a stand-in for KubeClient.request; the same path against
 * a real cluster runs in test/vscode/suite/dashboard.test.ts.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ClusterProfile } from '@kplane/profile';
import { kubeProfileStore, valuesApplyBody, type ProfileHttp } from '@kplane/plane/cluster';
import { repoRoot } from '../../fixtures/paths.js';

const example = (): ClusterProfile => {
  const p = parse(readFileSync(join(repoRoot, 'examples', 'edge-baseline.profile.yaml'), 'utf8')) as ClusterProfile;
  p.metadata.resourceVersion = '42';
  return p;
};

describe('plane: profile values store', () => {
  it('applies the whole spec with new values, pinned to the resourceVersion it checked', () => {
    const body = valuesApplyBody(example(), { replicas: 5 }) as { metadata: Record<string, unknown>; spec: ClusterProfile['spec'] };
    assert.deepEqual(body.metadata, { name: 'edge-baseline', namespace: 'kplane-system', resourceVersion: '42' });
    assert.deepEqual(body.spec.values, { replicas: 5 });
    assert.equal(body.spec.layers.length, 2, 'leaving layers out would make server-side apply delete them');
  });

  it("reads the profile, and writes values by server-side apply as the plane's field manager, on the ref's cluster", async () => {
    const calls: { context: string; method: string; path: string; options: Record<string, unknown> }[] = [];
    const clientFor = (context: string): ProfileHttp | undefined =>
      context === 'gone'
        ? undefined
        : ({
            request: async (method: string, path: string, options: Record<string, unknown>) => {
              calls.push({ context, method, path, options });
              return example();
            },
          } as unknown as ProfileHttp);
    const store = kubeProfileStore(clientFor, 'add it with "Add Clusters"');
    const ref = { context: 'kplane-1', namespace: 'team a', name: 'edge-baseline' };
    await store.read(ref);
    await store.applyValues(example(), ref, { replicas: 5 });
    const path = '/apis/kplane.dev/v1alpha1/namespaces/team%20a/clusterprofiles/edge-baseline';
    assert.deepEqual(calls.map((c) => [c.context, c.method, c.path]), [['kplane-1', 'GET', path], ['kplane-1', 'PATCH', path]]);
    const patch = calls[1].options;
    assert.equal(patch.contentType, 'application/apply-patch+yaml');
    assert.deepEqual(patch.query, { fieldManager: 'kplane', force: true });
    assert.deepEqual(patch.body, valuesApplyBody(example(), { replicas: 5 }));
    assert.ok(calls.every((c) => typeof c.options.timeoutMs === 'number'), 'every request has a deadline');
    await assert.rejects(store.read({ ...ref, context: 'gone' }), /Context "gone" is not in the fleet: add it with "Add Clusters"\./);
  });
});
