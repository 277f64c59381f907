/**
 * The plane writes big profiles compressed (@kplane/profile storedForm.ts) and reads them back
 * expanded: what apply sends (storedObject), the values store's read and write, the fleet model
 * (every view reads profiles from it), and the change a dry-run reports.
 */
import { strict as assert } from 'node:assert';
import { COMPRESS_ABOVE_BYTES, storedSize, type ClusterProfile, type Manifest } from '@kplane/profile';
import { FleetModel, describeChange, storedObject } from '@kplane/plane';
import { kubeProfileStore, valuesApplyBody, type ProfileHttp } from '@kplane/plane/cluster';

const configMaps = (count: number): Manifest[] =>
  Array.from({ length: count }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { text: `line ${i} `.repeat(100) } }));

const profile = (count: number): ClusterProfile => ({
  apiVersion: 'kplane.dev/v1alpha1',
  kind: 'ClusterProfile',
  metadata: { name: 'stack', namespace: 'kplane-system', uid: 'u1', generation: 1, resourceVersion: '7' },
  spec: { version: '1.0.0', variables: [{ name: 'replicas', type: 'integer', default: 1 }], layers: [{ name: 'config', namespace: 'apps', manifests: configMaps(count) }] },
});

const layerKeys = (p: { spec: ClusterProfile['spec'] }) => p.spec.layers.map((l) => Object.keys(l).sort().join(','));

describe('plane: big profiles stored compressed', () => {
  it('apply sends a big profile compressed and a small one plain', () => {
    const big = profile(400);
    assert.ok(storedSize(big as never) > COMPRESS_ABOVE_BYTES);
    assert.deepEqual(layerKeys(storedObject(big)), ['compressedManifests,name,namespace']);
    assert.deepEqual(layerKeys(storedObject(profile(10))), ['manifests,name,namespace']);
  });

  it('a dry-run of the same big profile reports no change, and a changed manifest by its layer', () => {
    const live = storedObject(profile(400));
    assert.deepEqual(describeChange(live, storedObject(profile(400))), { kind: 'unchanged', paths: [] });
    const edited = profile(400);
    edited.spec.layers[0].manifests![3].data = { text: 'changed' };
    const change = describeChange(live, storedObject(edited));
    assert.equal(change.kind, 'update');
    assert.ok(change.paths.every((p) => p.startsWith('spec.layers[config]')) && change.paths.length > 0, change.paths.join(' '));
  });

  it('the values store reads the profile expanded and writes it back compressed', async () => {
    const stored = { ...storedObject(profile(400)), metadata: profile(400).metadata };
    const bodies: unknown[] = [];
    const http = {
      request: async (method: string, _path: string, options: { body?: unknown }) => {
        if (method === 'PATCH') bodies.push(options.body);
        return structuredClone(stored);
      },
    } as unknown as ProfileHttp;
    const store = kubeProfileStore(() => http, 'add it');
    const ref = { context: 'c', namespace: 'kplane-system', name: 'stack' };
    const read = await store.read(ref);
    assert.deepEqual(read.spec.layers[0].manifests, configMaps(400));
    await store.applyValues(read, ref, { replicas: 3 });
    const body = bodies[0] as { spec: ClusterProfile['spec'] };
    assert.deepEqual(layerKeys(body), ['compressedManifests,name,namespace']);
    assert.deepEqual(body.spec.values, { replicas: 3 });
    assert.deepEqual(layerKeys(valuesApplyBody(profile(10), {}) as never), ['manifests,name,namespace']);
  });

  it('the fleet model keeps profiles expanded, and one that does not decode as stored', () => {
    const model = new FleetModel(() => 0);
    model.setClusters([{ id: 'edge' }]);
    model.setProfile('edge', { ...storedObject(profile(400)), metadata: profile(400).metadata });
    assert.deepEqual(model.record('edge')!.profiles.get('kplane-system/stack')!.spec.layers[0].manifests, configMaps(400));
    const broken = { ...profile(1), metadata: { ...profile(1).metadata, name: 'broken' }, spec: { version: '1.0.0', layers: [{ name: 'x', compressedManifests: 'not gzip' }] } };
    model.replaceProfiles('edge', [broken]);
    assert.deepEqual(model.record('edge')!.profiles.get('kplane-system/broken')!.spec.layers, [{ name: 'x', compressedManifests: 'not gzip' }]);
  });
});
