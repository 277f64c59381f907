import { strict as assert } from 'node:assert';
import type { ClusterProfile } from '@kplane/profile';
import { describeChange, desiredObject, diffPaths, unifiedDiff } from '@kplane/plane';

const base: ClusterProfile = {
  apiVersion: 'kplane.dev/v1alpha1',
  kind: 'ClusterProfile',
  metadata: { name: 'web', namespace: 'kplane-system', generation: 3, resourceVersion: '42', managedFields: [] },
  spec: {
    version: '1.3.0',
    values: { replicas: 2 },
    layers: [
      { name: 'base', manifests: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } }] },
      { name: 'app', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: '1' } }] },
    ],
  },
  status: { appliedVersion: '1.3.0' },
};

describe('profile changes', () => {
  it('writes only identity and spec: status and server fields never go out', () => {
    const object = desiredObject(base);
    assert.deepEqual(Object.keys(object), ['apiVersion', 'kind', 'metadata', 'spec']);
    assert.deepEqual(object.metadata, { name: 'web', namespace: 'kplane-system' });
  });

  it('names what an apply would change, down to the layer by name', () => {
    const after = structuredClone(base);
    after.spec.version = '1.4.0';
    after.spec.values = { replicas: 3 };
    (after.spec.layers[1].manifests![0] as unknown as { data: Record<string, string> }).data.a = '2';
    const change = describeChange(base, after);
    assert.equal(change.kind, 'update');
    assert.equal(change.version, '1.3.0 → 1.4.0');
    assert.deepEqual(change.paths, ['spec.layers[app].manifests', 'spec.values.replicas', 'spec.version']);
    assert.deepEqual(describeChange(base, structuredClone(base)), { kind: 'unchanged', paths: [] });
    assert.equal(describeChange(undefined, base).kind, 'create');
  });

  it('diffs named lists by name, not by position', () => {
    const reordered = [...base.spec.layers].reverse();
    assert.deepEqual(diffPaths(base.spec.layers, reordered, 'spec.layers'), ['spec.layers (order)']);
  });

  it('renders a unified diff that patch(1) would accept', () => {
    const before = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n';
    const after = 'a\nb\nC\nd\ne\nf\ng\nh\ni\nj\nk\n';
    assert.equal(
      unifiedDiff(before, after, { before: 'live', after: 'file' }, 1),
      ['--- live', '+++ file', '@@ -2,3 +2,3 @@', ' b', '-c', '+C', ' d', '@@ -10,1 +10,2 @@', ' j', '+k', ''].join('\n'),
    );
    assert.equal(unifiedDiff('same', 'same', { before: 'a', after: 'b' }), '');
  });
});
