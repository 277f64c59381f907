import assert from 'node:assert/strict';
import { COMPRESSED_PART_MARGIN, splitProfile, storedObject } from '@kplane/plane';
import {
  LAYER_DECODED_LIMIT_BYTES,
  PROFILE_SIZE_LIMIT_BYTES,
  storedSize,
  storedSizeAsWritten,
  validateProfile,
  type ClusterProfile,
  type Manifest,
} from '@kplane/profile';
import { bigProfile, noise } from '../../fixtures/bigProfiles.js';

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

  describe('packs by the size the plane stores (compressed above 256 KiB), not the plain size', () => {
    /** Grafana-dashboard-like JSON: what gzip shrinks well. */
    const panels = (i: number, length: number) =>
      Array.from({ length: 40 }, (_, j) => `{"type":"timeseries","id":${i * 40 + j},"title":"panel ${j}","targets":[{"expr":"rate(x[5m])"}]}`).join(',').slice(0, length);
    const ids = (parts: ClusterProfile[]) => parts.flatMap((p) => p.spec.layers.flatMap((l) => (l.manifests ?? []).map((m) => m.metadata.name)));
    const plainParts = (p: ClusterProfile) => Math.ceil(storedSize(p as any) / PROFILE_SIZE_LIMIT_BYTES);

    it('a profile too large even compressed: fewer parts than by plain size, each stored compressed under the limit with the margin', () => {
      // 4.1 MB plain, 1.54 MB stored: packed by plain size this made 3 parts.
      const p = bigProfile(900, (i) => noise(1500, i) + panels(i, 2500)) as unknown as ClusterProfile;
      // PROFILE_TOO_LARGE (profile/src/validation/sizeCheck.ts) judges this size.
      assert.ok(storedSizeAsWritten(p as any).bytes > PROFILE_SIZE_LIMIT_BYTES);
      assert.equal(plainParts(p), 3);
      const result = splitProfile(p);
      assert.ok('profiles' in result, JSON.stringify(result));
      assert.equal(result.profiles.length, 2);
      for (const part of result.profiles) {
        const written = storedSizeAsWritten(part as any);
        assert.ok(written.compressed, `${part.metadata.name}: ${JSON.stringify(written)}`);
        assert.ok(written.bytes <= PROFILE_SIZE_LIMIT_BYTES * (1 - COMPRESSED_PART_MARGIN), `${part.metadata.name}: ${written.bytes} bytes stored`);
        // What kplane apply sends (in kplane-system: 28 bytes of namespace more) is that size.
        assert.ok(storedSize(storedObject(part) as any) <= written.bytes + 28);
      }
      // The first part holds more than a plain part may, and is filled to within 5 % of the limit with the margin.
      assert.ok(storedSize(result.profiles[0] as any) > 2 * PROFILE_SIZE_LIMIT_BYTES);
      assert.ok(storedSizeAsWritten(result.profiles[0] as any).bytes > PROFILE_SIZE_LIMIT_BYTES * (1 - COMPRESSED_PART_MARGIN) * 0.95);
      assert.deepEqual(ids(result.profiles), ids([p]));
      assert.deepEqual(result.profiles.map((x) => [x.metadata.name, x.spec.dependsOn]), [['stack-1', undefined], ['stack', ['stack-1']]]);
      // By plain size on request (parts written as they are), as before.
      const plain = splitProfile(p, { plain: true });
      assert.ok('profiles' in plain);
      assert.equal(plain.profiles.length, 3);
      for (const part of plain.profiles) assert.ok(storedSize(part as any) <= PROFILE_SIZE_LIMIT_BYTES);
    });

    it('incompressible content (noise) splits as by plain size: parts stored plain, each filled to the limit', () => {
      const p = bigProfile(700, (i) => noise(4000, i)) as unknown as ClusterProfile;
      assert.equal(plainParts(p), 2);
      const result = splitProfile(p);
      assert.ok('profiles' in result, JSON.stringify(result));
      assert.equal(result.profiles.length, 2);
      for (const part of result.profiles) assert.ok(storedSize(part as any) <= PROFILE_SIZE_LIMIT_BYTES);
      // Plain sizes are exact: the parts use the whole limit, no margin (4,000-character objects).
      for (const part of result.profiles.slice(0, -1)) assert.ok(storedSize(part as any) > PROFILE_SIZE_LIMIT_BYTES - 4200, `${storedSize(part as any)}`);
      assert.deepEqual(ids(result.profiles), ids([p]));
    });

    it('content that compresses 25:1 stops at what the agent decodes for one layer (8 MiB), however small it is stored', () => {
      // 8.8 MB plain, 0.36 MB stored: one profile as stored, but its layer decodes past the agent's cap.
      const p = bigProfile(2100, (i) => panels(i, 4000)) as unknown as ClusterProfile;
      assert.ok(storedSizeAsWritten(p as any).bytes < PROFILE_SIZE_LIMIT_BYTES / 3);
      const result = splitProfile(p);
      assert.ok('profiles' in result, JSON.stringify(result));
      assert.equal(result.profiles.length, 2, `by plain size: ${plainParts(p)}`);
      for (const part of result.profiles) for (const l of part.spec.layers) assert.ok(JSON.stringify(l.manifests).length <= LAYER_DECODED_LIMIT_BYTES);
      assert.deepEqual(ids(result.profiles), ids([p]));
    });
  });
});
