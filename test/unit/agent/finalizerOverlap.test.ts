/**
 * A profile's first run writes its finalizer while it renders and checks policy (reads only), and
 * writes nothing else until the finalizer is stored (agent/src/controller/profileReconciler.ts):
 * the finalizer patch of a 1.4 MB part of a split stack (the API server rewrites the whole profile)
 * used to stand before all the rest of the part's first run. The API here is a recording fake.
 */
import assert from 'node:assert/strict';
import { ProfileReconciler } from '@kplane/agent';
import type { ClusterProfile } from '@kplane/profile';
import { reconcilerDeps } from './reconcilerDeps.js';

const NS = 'kplane-system';
const KEY = `${NS}/web`;
const profile = {
  apiVersion: 'kplane.dev/v1alpha1',
  kind: 'ClusterProfile',
  metadata: { name: 'web', namespace: NS, uid: 'u1', generation: 1, resourceVersion: '10' },
  spec: { version: '1.0.0', reconcile: { mode: 'enforce', prune: true, interval: '10m' }, layers: [{ name: 'l', namespace: 'app', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } }] }] },
} as unknown as ClusterProfile;

function harness(finalizerFails = false) {
  const log: string[] = [];
  let releaseFinalizer!: () => void;
  const finalizerStored = new Promise<void>((resolve) => (releaseFinalizer = resolve));
  const isFinalizerPatch = (method: string, path: string) => method === 'PATCH' && path.endsWith('/clusterprofiles/web');
  const api = {
    async request(method: string, path: string, options: { body?: any } = {}) {
      log.push(`${method} ${path}`);
      if (isFinalizerPatch(method, path)) {
        await finalizerStored;
        log.push('finalizer stored');
        if (finalizerFails) throw Object.assign(new Error('409 Conflict'), { status: 409 });
        return { ...profile, metadata: { ...profile.metadata, resourceVersion: '11', finalizers: options.body.metadata.finalizers } };
      }
      if (method === 'PATCH' && path.endsWith('/status')) return { metadata: { ...profile.metadata, resourceVersion: '12' } };
      if (method === 'PATCH') return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'app', resourceVersion: '1', uid: 'c1' }, data: { a: '1' } };
      throw new Error(`unexpected ${method} ${path}`);
    },
    async getOrUndefined(path: string) {
      log.push(`GET ${path}`);
      return undefined;
    },
    apply(path: string, body: unknown) {
      return this.request('PATCH', path, { body });
    },
  };
  const configMaps = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
  const store = new Map();
  const reconciler = new ProfileReconciler(
    reconcilerDeps({
      api: api as never,
      discovery: { resource: async () => configMaps, isClusterScoped: () => false, prime: async () => undefined } as never,
      profileCache: () => new Map([[KEY, profile as never]]),
      informerFor: async () => ({ store, observe: () => undefined }) as never,
    }),
  );
  return { log, releaseFinalizer, run: () => reconciler.reconcile(KEY) };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
const isWrite = (line: string) => /^(PATCH|POST|PUT|DELETE) /.test(line);

describe('agent: the finalizer is written beside the first reads of a run, and before any other write', () => {
  it('renders and checks policy while the finalizer patch is in flight, then writes the inventory, the object and the status', async () => {
    const h = harness();
    const done = h.run();
    await settle();
    assert.equal(h.log[0], `PATCH /apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles/web`);
    assert.ok(h.log.includes(`GET /api/v1/namespaces/${NS}/configmaps/kplane-inventory-web`), `no read while the finalizer was in flight: ${h.log.join(', ')}`);
    assert.deepEqual(h.log.filter(isWrite), [h.log[0]], 'something was written before the finalizer was stored');
    h.releaseFinalizer();
    await done;
    const stored = h.log.indexOf('finalizer stored');
    const writes = h.log.slice(stored).filter(isWrite);
    assert.deepEqual(writes, [
      `PATCH /api/v1/namespaces/${NS}/configmaps/kplane-inventory-web`,
      'PATCH /api/v1/namespaces/app/configmaps/c',
      `PATCH /apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles/web/status`,
    ]);
  });

  it('a finalizer patch that fails ends the run with nothing else written', async () => {
    const h = harness(true);
    const done = h.run();
    await settle();
    h.releaseFinalizer();
    await assert.rejects(done, /409/);
    assert.deepEqual(h.log.filter(isWrite), [`PATCH /apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles/web`]);
  });
});
