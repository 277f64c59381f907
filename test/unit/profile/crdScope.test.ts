/**
 * The kinds of a profile's own CustomResourceDefinitions (and of those its charts render) are
 * scoped as the CRD's spec.scope says wherever no live cluster is asked: the editor, `kplane
 * validate`, `kplane template`, `kplane rbac`. Before, a cert-manager ClusterIssuer counted as
 * namespaced: it got its layer's namespace, so the same ClusterIssuer in two layers was no
 * duplicate and `kplane rbac` granted it through a namespaced Role (which cannot grant it).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { renderedObjects } from '@kplane/language-server/helm-charts';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { placeInRelease, renderProfile, scopeWithCrds, validateProfile, type ClusterProfileSpec, type Manifest } from '@kplane/profile';
import { repoRoot } from '../../fixtures/paths.js';

const crd = (kind: string, scope: 'Cluster' | 'Namespaced') => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${kind.toLowerCase()}s.cert-manager.io` },
  spec: {
    group: 'cert-manager.io',
    scope,
    names: { kind, plural: `${kind.toLowerCase()}s`, singular: kind.toLowerCase(), listKind: `${kind}List` },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
});
const issuer = (kind: string, name: string) => ({ apiVersion: 'cert-manager.io/v1', kind, metadata: { name }, spec: { selfSigned: {} } });

/** Layer "crds" installs the CRDs (unless they come from a chart); "a" and "b" each define an issuer, in their own namespaces. */
function profile(kind: string, withCrds = true): { apiVersion: string; kind: string; metadata: { name: string }; spec: ClusterProfileSpec } {
  const spec = {
    version: '1.0.0',
    layers: [
      ...(withCrds ? [{ name: 'crds', manifests: [crd('ClusterIssuer', 'Cluster'), crd('Issuer', 'Namespaced')] }] : []),
      { name: 'a', namespace: 'team-a', manifests: [issuer(kind, 'letsencrypt')] },
      { name: 'b', namespace: 'team-b', manifests: [issuer(kind, 'letsencrypt')] },
    ],
  };
  return { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'certs' }, spec: spec as unknown as ClusterProfileSpec };
}
const duplicates = (findings: { code: string; path: (string | number)[] }[]) => findings.filter((f) => f.code === 'DUPLICATE_MANIFEST').map((f) => f.path.join('.'));

describe("custom kinds' scope from the profile's own CRDs", () => {
  it('validation: the same ClusterIssuer in two layers is a duplicate (no layer namespace tells them apart), without and with the built-in API', () => {
    const doc = profile('ClusterIssuer');
    assert.deepEqual(duplicates(validateProfile(doc)), ['spec.layers.2.manifests.0.metadata.name']);
    assert.deepEqual(duplicates(validateProfile(doc, { kube: builtinKubeTypes() })), ['spec.layers.2.manifests.0.metadata.name']);
    // A namespaced custom kind in two namespaces is two objects.
    assert.deepEqual(duplicates(validateProfile(profile('Issuer'))), []);
  });

  it("validation: CRDs a Helm layer's chart renders (customResourceDefinitions) scope the profile's manifests too", () => {
    const doc = profile('ClusterIssuer', false);
    assert.deepEqual(duplicates(validateProfile(doc)), [], 'without the CRD, an unknown kind counts as namespaced');
    const chartCrds = [crd('ClusterIssuer', 'Cluster')];
    assert.deepEqual(duplicates(validateProfile(doc, { customResourceDefinitions: chartCrds })), ['spec.layers.1.manifests.0.metadata.name']);
    assert.deepEqual(duplicates(validateProfile(doc, { kube: builtinKubeTypes(), customResourceDefinitions: chartCrds })), ['spec.layers.1.manifests.0.metadata.name']);
  });

  it('rendering: a ClusterIssuer gets no layer namespace, an Issuer gets its layer\'s; a given scope function still decides the rest', () => {
    const namespaces = (kind: string, scope?: (a: string, k: string) => boolean) =>
      renderProfile(profile(kind).spec, scope)
        .layers.slice(1)
        .map((l) => l.manifests[0].metadata.namespace);
    assert.deepEqual(namespaces('ClusterIssuer'), [undefined, undefined]);
    assert.deepEqual(namespaces('Issuer'), ['team-a', 'team-b']);
    // The agent passes discovery, which may not know the CRD yet (it is installed by the same profile).
    assert.deepEqual(namespaces('ClusterIssuer', () => false), [undefined, undefined]);
  });

  it("a chart's output: the kinds of its own CRDs (helm template --include-crds) get no release namespace", () => {
    const output: Manifest[] = [crd('ClusterIssuer', 'Cluster'), issuer('ClusterIssuer', 'self'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }] as Manifest[];
    assert.deepEqual(
      placeInRelease(output, 'certs').map((m) => m.metadata.namespace),
      [undefined, undefined, 'certs'],
    );
    // The editor's reading of helm output (language-server/src/helmChartStore.ts) places them alike.
    const text = output.map((m) => `---\n# Source: chart/templates/${m.metadata.name}.yaml\n${stringify(m)}`).join('');
    assert.deepEqual(
      renderedObjects(text, 'certs').map((o) => o.manifest.metadata.namespace),
      [undefined, undefined, 'certs'],
    );
  });

  it('scopeWithCrds: a CRD of the objects decides its kind (any version of its group); others fall back', () => {
    const scoped = scopeWithCrds([crd('ClusterIssuer', 'Cluster'), crd('Issuer', 'Namespaced')]);
    assert.equal(scoped('cert-manager.io/v1', 'ClusterIssuer'), true);
    assert.equal(scoped('cert-manager.io/v1alpha2', 'ClusterIssuer'), true);
    assert.equal(scoped('cert-manager.io/v1', 'Issuer'), false);
    assert.equal(scoped('rbac.authorization.k8s.io/v1', 'ClusterRole'), true);
    assert.equal(scoped('example.com/v1', 'ClusterIssuer'), false);
  });

  it('kplane rbac without a cluster: a ClusterIssuer is granted in the ClusterRole, not in a namespace\'s Role', function () {
    this.timeout(30_000);
    const dir = mkdtempSync(join(tmpdir(), 'kplane-crdscope-'));
    try {
      const doc = profile('ClusterIssuer');
      doc.spec.layers = doc.spec.layers!.slice(0, 2);
      writeFileSync(join(dir, 'certs.yaml'), stringify(doc));
      const run = spawnSync(process.execPath, [join(repoRoot, 'cli', 'bin', 'kplane.js'), 'rbac', 'certs.yaml'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
      assert.equal(run.status, 0, run.stderr);
      const docs = run.stdout.split(/^---$/m);
      const withIssuers = docs.filter((d) => /clusterissuers/.test(d));
      assert.ok(withIssuers.length > 0, run.stdout);
      for (const d of withIssuers) assert.match(d, /^kind: ClusterRole$/m, d);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
