/**
 * The decoded specs of compressed profiles are the reconciler's own (agent/src/controller/steps/context.ts,
 * ExpandedSpecs): one entry a profile, replaced when its uid or generation changes, dropped when it is
 * deleted. They used to sit in a module-level map, shared by every reconciler of the process.
 */
import assert from 'node:assert/strict';
import { ProfileReconciler } from '@kplane/agent';
import { compressManifests, type ClusterProfile } from '@kplane/profile';
import { reconcilerDeps } from './reconcilerDeps.js';

const NS = 'kplane-system';
const KEY = `${NS}/big`;

function stored(generation: number, uid = 'u1', data = 'one'): ClusterProfile {
  const manifests = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: data } }];
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'big', namespace: NS, uid, generation, resourceVersion: String(generation) },
    spec: { version: '1.0.0', layers: [{ name: 'l', namespace: 'app', compressedManifests: compressManifests(manifests) }] },
  } as unknown as ClusterProfile;
}

/** A reconciler over a cache the test fills; every request to the API fails, which ends a run after it read its profile. */
function harness() {
  const cache = new Map<string, unknown>();
  const refuse = async () => {
    throw new Error('no API in this test');
  };
  const reconciler = new ProfileReconciler(
    reconcilerDeps({
      api: { request: refuse, getOrUndefined: refuse, apply: refuse } as never,
      discovery: { resource: refuse, isClusterScoped: () => false, prime: async () => undefined } as never,
      profileCache: () => cache as never,
      informerFor: refuse as never,
    }),
  );
  const run = () => reconciler.reconcile(KEY).catch(() => undefined);
  return { cache, reconciler, run };
}

const configMapData = (spec: ClusterProfile['spec']) => (spec.layers?.[0]?.manifests?.[0] as { data?: { a?: string } } | undefined)?.data?.a;

describe('agent: decoded specs are kept by the reconciler, one a profile', () => {
  it('drops the entry of a profile that is deleted', async () => {
    const h = harness();
    h.cache.set(KEY, stored(1));
    await h.run();
    assert.equal(h.reconciler.specs.size, 1, 'the compressed profile was not decoded and kept');
    h.cache.delete(KEY);
    await h.run();
    assert.equal(h.reconciler.specs.size, 0, 'the decoded spec of a deleted profile was kept');
  });

  it('decodes once per generation, and again when the generation or uid changes', () => {
    const { reconciler } = harness();
    const first = reconciler.specs.get(KEY, stored(1));
    assert.equal(configMapData(first.spec), 'one');
    assert.equal(reconciler.specs.get(KEY, stored(1)).spec, first.spec, 'decoded again for the same generation');
    const next = reconciler.specs.get(KEY, stored(2, 'u1', 'two'));
    assert.equal(configMapData(next.spec), 'two');
    const recreated = reconciler.specs.get(KEY, stored(2, 'u2', 'three'));
    assert.equal(configMapData(recreated.spec), 'three');
    assert.equal(reconciler.specs.size, 1);
  });

  it('keeps nothing for a profile without compressed layers, and nothing in one reconciler for another', () => {
    const a = harness();
    const b = harness();
    a.reconciler.specs.get(KEY, stored(1));
    const plain = { ...stored(1), spec: { version: '1.0.0', layers: [{ name: 'l', manifests: [] }] } } as unknown as ClusterProfile;
    b.reconciler.specs.get(KEY, plain);
    assert.equal(a.reconciler.specs.size, 1);
    assert.equal(b.reconciler.specs.size, 0);
  });
});
