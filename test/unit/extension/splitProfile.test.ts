import assert from 'node:assert/strict';
import { splitProfile } from '@kplane/plane';
import { PROFILE_SIZE_LIMIT_BYTES, storedSize, validateProfile, type ClusterProfile, type Manifest } from '@kplane/profile';

const crd = (n: number): Manifest =>
  ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets${n}.example.com` },
    spec: { group: 'example.com', scope: 'Namespaced', names: { kind: `Widget${n}`, plural: `widgets${n}` }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', description: 'd'.repeat(40_000) } } }] },
  }) as unknown as Manifest;
const widget = (n: number): Manifest => ({ apiVersion: 'example.com/v1', kind: `Widget${n}`, metadata: { name: `w${n}` } }) as Manifest;
const dashboard = (n: number): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `dash-${n}` }, data: { 'd.json': `{"title":"${n}","ds":"$\${datasource}"}`.padEnd(30_000, ' ') } }) as Manifest;
const deployment = (name: string): Manifest =>
  ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: { replicas: '${replicas}', selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: 'nginx' }] } } } }) as unknown as Manifest;

/** kube-prometheus-shaped: CRDs and their custom resources in the same layers, dashboards, a workload with a scaling policy. */
function stack(): ClusterProfile {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'monitoring', namespace: 'kplane-system' },
    spec: {
      version: '1.0.0',
      dependsOn: ['base'],
      reconcile: { prune: true },
      variables: [{ name: 'replicas', type: 'integer', default: 1 }, { name: 'unused', type: 'string', default: 'x' }],
      layers: [
        { name: 'operator', namespace: 'monitoring', manifests: [...[0, 1, 2, 3].map(crd), deployment('operator')] },
        { name: 'instances', namespace: 'monitoring', dependsOn: ['operator'], manifests: [0, 1, 2, 3].map(widget) },
        { name: 'dashboards', namespace: 'monitoring', dependsOn: ['instances'], manifests: Array.from({ length: 12 }, (_, i) => dashboard(i)) },
        { name: 'only-crds', manifests: [crd(4)] },
        { name: 'after-crds', namespace: 'monitoring', dependsOn: ['only-crds'], manifests: [widget(4)] },
      ],
      scaling: [{ name: 'operator-cpu', target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'operator', namespace: 'monitoring' }, minReplicas: 1, maxReplicas: 3, metric: { type: 'Resource', resource: { name: 'cpu' }, targetAverageUtilization: 50 } } as any],
    },
  };
}

const names = (p: ClusterProfile) => p.spec.layers.flatMap((l) => (l.manifests ?? []).map((m) => `${m.kind}/${m.metadata.name}`));

describe('plane: kplane split', () => {
  it('chains parts under the size limit, CRDs first, every object once and in dependency order', () => {
    const maxBytes = 150_000;
    const result = splitProfile(stack(), { maxBytes });
    assert.ok('profiles' in result, JSON.stringify(result));
    const parts = result.profiles;
    assert.ok(parts.length >= 3, `${parts.length} parts`);
    for (const p of parts) assert.ok(storedSize(p as any) <= maxBytes, `${p.metadata.name}: ${storedSize(p as any)} bytes`);
    // The last part keeps the name: whatever depended on "monitoring" waits for the whole chain.
    assert.deepEqual(parts.map((p) => p.metadata.name), [...parts.slice(0, -1).map((_, i) => `monitoring-${i + 1}`), 'monitoring']);
    assert.deepEqual(parts.map((p) => p.spec.dependsOn), [['base'], ...parts.slice(0, -1).map((p) => [p.metadata.name])]);
    const all = parts.flatMap(names);
    assert.deepEqual([...all].sort(), names(stack()).sort());
    // Every CRD comes before the first object of another kind, and before every custom resource.
    const firstOther = all.findIndex((n) => !n.startsWith('CustomResourceDefinition/'));
    assert.equal(all.filter((n, i) => n.startsWith('CustomResourceDefinition/') && i > firstOther).length, 0);
    assert.equal(parts[0].spec.layers[0].name, 'crds');
    assert.equal(parts[0].spec.layers[0].wait, true);
  });

  it('leaves every part a valid profile: layer dependencies inside the part, variables it uses, scaling with its target', () => {
    const result = splitProfile(stack(), { maxBytes: 150_000 });
    assert.ok('profiles' in result);
    for (const p of result.profiles) {
      const present = new Set(p.spec.layers.map((l) => l.name));
      for (const l of p.spec.layers) for (const d of l.dependsOn ?? []) assert.ok(present.has(d), `${p.metadata.name}: layer ${l.name} depends on ${d}, not in this part`);
      const errors = validateProfile(p).filter((f) => f.severity === 'error');
      assert.deepEqual(errors, [], `${p.metadata.name}: ${JSON.stringify(errors)}`);
      assert.ok(!(p.spec.variables ?? []).some((v) => v.name === 'unused'), 'a variable no object uses was copied');
    }
    const withOperator = result.profiles.find((p) => names(p).includes('Deployment/operator'))!;
    assert.deepEqual(withOperator.spec.variables?.map((v) => v.name), ['replicas']);
    assert.equal(withOperator.spec.scaling?.length, 1);
    assert.equal(result.profiles.filter((p) => p.spec.scaling).length, 1);
    // The layer that held only a CRD is gone; what depended on it depends on the CRD layer (or on the part before).
    assert.ok(!result.profiles.some((p) => p.spec.layers.some((l) => l.name === 'only-crds')));
  });

  it('keeps a profile that fits as one part, and names an object too large for any part', () => {
    const small = splitProfile(stack());
    assert.ok('profiles' in small);
    assert.equal(small.profiles.length, 1);
    assert.equal(small.profiles[0].metadata.name, 'monitoring');
    assert.ok(storedSize(small.profiles[0] as any) <= PROFILE_SIZE_LIMIT_BYTES);
    const tooBig = splitProfile(stack(), { maxBytes: 20_000 });
    assert.ok('error' in tooBig);
    assert.match(tooBig.error, /CustomResourceDefinition widgets0\.example\.com in layer "crds" is \d+ bytes, more than one profile may hold/);
  });

  it('refuses layers that depend on each other in a cycle', () => {
    const p = stack();
    p.spec.layers[0].dependsOn = ['dashboards'];
    const result = splitProfile(p, { maxBytes: 150_000 });
    assert.ok('error' in result);
    assert.match(result.error, /cycle \(.*operator.*\)/);
  });
});
