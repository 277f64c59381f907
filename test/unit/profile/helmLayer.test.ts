/**
 * Helm layers in the model: a layer has manifests or helm (never both, never neither), the chart
 * version is semver or a Helm range, `${var}` in values follows the manifest rules, and the
 * renderer substitutes values and defaults the release name.
 */
import { strict as assert } from 'node:assert';
import { allCrds, isChartVersion, renderProfile, validateProfile, type ClusterProfile, type Layer } from '@kplane/profile';

function profile(layers: Layer[], extra: Partial<ClusterProfile['spec']> = {}): ClusterProfile {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'charts', namespace: 'kplane-system' },
    spec: { version: '1.0.0', layers, ...extra },
  };
}

const ingress = (helm: Partial<NonNullable<Layer['helm']>> = {}): Layer => ({
  name: 'ingress',
  namespace: 'ingress',
  helm: { repo: 'oci://registry.example/charts', chart: 'ingress-nginx', version: '4.11.2', ...helm },
});

const codes = (p: ClusterProfile) => validateProfile(p).map((f) => `${f.code} ${f.path.join('/')}`);

describe('helm layers in the model', () => {
  it('a layer with a chart and no manifests is valid', () => {
    assert.deepEqual(validateProfile(profile([ingress({ values: { controller: { replicaCount: 2 } }, credentialsSecret: 'registry-auth', releaseName: 'edge' })])), []);
    assert.deepEqual(validateProfile(profile([{ name: 'classic', helm: { repo: 'https://charts.example', chart: 'web', version: '~1.2' } }])), []);
  });

  it('both manifests and helm is an error on the helm key', () => {
    const layer = { ...ingress(), manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }] };
    assert.ok(codes(profile([layer])).includes('LAYER_HELM_AND_MANIFESTS spec/layers/0/helm'), codes(profile([layer])).join('\n'));
  });

  it('neither manifests nor helm is an error naming both choices', () => {
    const findings = validateProfile(profile([{ name: 'empty' } as Layer]));
    const empty = findings.find((f) => f.code === 'LAYER_EMPTY');
    assert.ok(empty, JSON.stringify(findings));
    assert.match(empty.message, /"empty".*manifests.*helm/);
  });

  it('a version that is no semver nor range is an error; ranges Helm accepts are not', () => {
    for (const good of ['4.11.2', '1.0.0-rc.1', 'v1.2.3', '~4.11', '^1.2.0', '>=1.0.0 <2.0.0', '>= 1.0, < 2', '1.2.x', '*', '1.0 - 1.4.5', '1.0.0 || ^2.0', '~> 3.1']) {
      assert.equal(isChartVersion(good), true, good);
      assert.deepEqual(codes(profile([ingress({ version: good })])), [], good);
    }
    for (const bad of ['latest', '1..2', '>=', '1.2.3.4', 'one', '1.0 ||', '>=1.0.0 <']) {
      assert.equal(isChartVersion(bad), false, bad);
      assert.ok(codes(profile([ingress({ version: bad })])).includes('INVALID_CHART_VERSION spec/layers/0/helm/version'), bad);
    }
  });

  it('the schema rejects a repository that is neither oci:// nor http(s)://, and unknown fields', () => {
    const found = codes(profile([ingress({ repo: 'ftp://charts.example' })]));
    assert.ok(found.some((c) => c.endsWith('spec/layers/0/helm/repo')), found.join('\n'));
    const unknown = codes(profile([{ ...ingress(), helm: { ...ingress().helm!, valuez: {} } as never }]));
    assert.ok(unknown.some((c) => c.includes('spec/layers/0/helm/valuez')), unknown.join('\n'));
    const missing = codes(profile([{ name: 'x', helm: { repo: 'oci://r/c', chart: 'c' } as never }]));
    assert.ok(missing.some((c) => c.includes('spec/layers/0/helm')), missing.join('\n'));
  });

  it('${var} in values: undeclared is an error at its path; declared counts as used and is substituted with its type', () => {
    const undeclared = validateProfile(profile([ingress({ values: { controller: { replicaCount: '${replicas}' } } })]));
    assert.ok(undeclared.some((f) => f.code === 'UNDECLARED_VARIABLE' && f.path.join('/') === 'spec/layers/0/helm/values/controller/replicaCount'), JSON.stringify(undeclared));

    const p = profile([ingress({ values: { controller: { replicaCount: '${replicas}', name: 'edge-${replicas}' } } })], {
      variables: [{ name: 'replicas', type: 'integer', default: 2 }],
      values: { replicas: 3 },
    });
    assert.deepEqual(validateProfile(p), []);
    const rendered = renderProfile(p.spec);
    assert.deepEqual(rendered.problems, []);
    assert.deepEqual(rendered.layers[0].helm?.values, { controller: { replicaCount: 3, name: 'edge-3' } });
    assert.equal(rendered.layers[0].helm?.releaseName, 'ingress');
    assert.deepEqual(rendered.layers[0].manifests, []);
  });

  it('a layer name over 53 characters needs a releaseName', () => {
    const long = 'a'.repeat(60);
    assert.ok(codes(profile([{ ...ingress(), name: long }])).some((c) => c.startsWith('INVALID_RELEASE_NAME')));
    assert.deepEqual(codes(profile([{ ...ingress({ releaseName: 'short' }), name: long }])), []);
  });

  it('the CRD keeps chart values as free-form objects', () => {
    const crd = allCrds.find((c) => c.metadata.name === 'clusterprofiles.kplane.dev')!;
    const layer = (crd.spec as any).versions[0].schema.openAPIV3Schema.properties.spec.properties.layers.items;
    assert.deepEqual(layer.required, ['name']);
    assert.equal(layer.properties.helm.properties.values['x-kubernetes-preserve-unknown-fields'], true);
    assert.deepEqual(layer.properties.helm.required, ['repo', 'chart', 'version']);
  });
});
