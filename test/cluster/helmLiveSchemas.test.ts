/**
 * `kplane validate --context a,b` on a Helm layer: what the chart renders (the real `helm
 * template`, the project's gizmos chart from the bed's chart repository) is checked against each
 * target cluster's live API, as the profile's own manifests are. The chart renders a custom
 * resource whose CRD is installed on one bed cluster only: it is reported not served on exactly
 * the other, and checked against the live CRD schema of the one (whose group/version only the
 * chart names, so its OpenAPI document is read for the chart). Findings sit on the layer's `helm`
 * key and name the chart, the object and its template. With the CRD installed by another chart's
 * layer (gizmo-crds) the kind is known on both; so it is to a custom resource in a manifest layer,
 * which is checked against that chart CRD's schema, and not "not served" on the cluster without it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureHelmTools, fixtureChart, kubeClient, mergedKubeconfig, packageChart, runKplane, startChartRepo, startCluster, waitFor, type ChartRepo, type TestCluster } from '@kplane/bed';
import { KubeClient } from '@kplane/plane/cluster';
import { kubeConfigConnection } from '@kplane/kube';
import { gizmoManifestProfile } from '../fixtures/gizmoProfile.js';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.gizmos.kplane.dev
spec:
  group: gizmos.kplane.dev
  scope: Namespaced
  names: { plural: gizmos, singular: gizmo, kind: Gizmo, listKind: GizmoList }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                color: { type: string, enum: [red, blue] }
`;

describe('kplane validate --context: what a Helm layer renders, against each target cluster', function () {
  this.timeout(300_000);
  let withCrd: TestCluster;
  let without: TestCluster;
  let repo: ChartRepo;
  let dir: string;
  let kubeconfig: string;
  let env: NodeJS.ProcessEnv;

  const profile = (color: string) => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: gizmos
spec:
  version: 1.0.0
  layers:
    - name: gizmos
      namespace: apps
      helm:
        repo: ${repo.url}
        chart: gizmos
        version: 1.0.0
        values:
          color: ${color}
`;
  const validate = (color: string, ...flags: string[]) => {
    const file = join(dir, `${color}.profile.yaml`);
    writeFileSync(file, profile(color));
    return runKplane(['validate', file, '--kubeconfig', kubeconfig, ...flags], { env });
  };
  const lines = (out: string, code: string) => out.split('\n').filter((l) => l.includes(` ${code} `));

  before(async function () {
    this.timeout(1_800_000);
    dir = mkdtempSync(join(tmpdir(), 'kplane-helm-live-'));
    const tools = await ensureHelmTools();
    env = { ...process.env, KPLANE_HELM: tools.helm, KPLANE_CACHE: join(dir, 'cache'), XDG_CACHE_HOME: join(dir, 'xdg') };
    [withCrd, without, repo] = await Promise.all([startCluster({ name: 'helm-live-crd' }), startCluster({ name: 'helm-live-plain' }), startChartRepo()]);
    for (const chart of ['gizmos', 'gizmo-crds']) await repo.add(await packageChart(fixtureChart(chart), join(dir, 'pkg')));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, mergedKubeconfig([withCrd, without]), { mode: 0o600 });
    // Plain JSON, as in liveSchemas.test.ts: the bed's typed applyYaml drops a CRD schema's enum.
    const client = new KubeClient(kubeConfigConnection(kubeClient(withCrd)), { context: withCrd.name });
    try {
      await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { timeoutMs: 30_000, body: parse(CRD) });
      await waitFor(async () => Boolean(((await client.request<{ paths?: Record<string, unknown> }>('GET', '/openapi/v3', { timeoutMs: 5000 })).paths ?? {})['apis/gizmos.kplane.dev/v1']), { timeoutMs: 60_000, what: 'gizmos.kplane.dev/v1 in /openapi/v3' });
    } finally {
      client.close();
    }
  });

  after(async () => {
    await Promise.all([withCrd?.stop(), without?.stop(), repo?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the rendered custom resource is not served on exactly the cluster without its CRD, on the layer\'s helm key', async () => {
    const result = await validate('red', '--context', `${withCrd.name},${without.name}`);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const found = lines(result.stdout, 'HELM_RENDERED_OBJECT');
    assert.equal(found.length, 1, result.stdout);
    // Line 10, column 7: the `helm` key of the layer.
    assert.match(found[0], new RegExp(`red\\.profile\\.yaml:10:7: error HELM_RENDERED_OBJECT On cluster ${without.name}: Chart gizmos 1\\.0\\.0 renders Gizmo apps/gizmos-gizmo \\(gizmos/templates/gizmo\\.yaml\\): kind: Gizmo gizmos\\.kplane\\.dev/v1 is not served there .*\\[KIND_NOT_SERVED_ON_CLUSTER\\]$`));
    assert.match(result.stdout, /Helm layers: 1 rendered with helm template and checked/);
  });

  it("checked against the live CRD schema of the cluster that has it (a group/version only the chart names)", async () => {
    const result = await validate('green', '--context', withCrd.name);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const found = lines(result.stdout, 'HELM_RENDERED_OBJECT');
    assert.equal(found.length, 1, result.stdout);
    assert.match(found[0], new RegExp(`error HELM_RENDERED_OBJECT On cluster ${withCrd.name}: Chart gizmos 1\\.0\\.0 renders Gizmo apps/gizmos-gizmo \\(gizmos/templates/gizmo\\.yaml\\): spec\\.color: Gizmo spec\\.color is "green"; it must be one of red, blue.*\\[MANIFEST_INVALID_ENUM_VALUE\\]$`));
    const valid = await validate('blue', '--context', withCrd.name);
    assert.equal(valid.code, 0, valid.stdout + valid.stderr);
  });

  it("with the CRD from another chart's layer (gizmo-crds) the kind is known on both: nothing reported", async () => {
    const file = join(dir, 'with-crds.profile.yaml');
    writeFileSync(
      file,
      profile('red').replace(
        '  layers:\n',
        `  layers:\n    - name: crds\n      namespace: apps\n      helm:\n        repo: ${repo.url}\n        chart: gizmo-crds\n        version: 1.0.0\n`,
      ),
    );
    const result = await runKplane(['validate', file, '--kubeconfig', kubeconfig, '--context', `${withCrd.name},${without.name}`], { env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(lines(result.stdout, 'HELM_RENDERED_OBJECT'), []);
    assert.match(result.stdout, /Helm layers: 2 rendered with helm template and checked/);
  });

  it("a manifest layer's custom resource of a CRD that a chart installs (gizmo-crds): not \"not served\" on the cluster without it, checked against the chart CRD's schema", async () => {
    const text = (color: string) => gizmoManifestProfile({ name: 'gizmo-manifests', repo: repo.url, color });
    const run = (color: string, contexts: string) => {
      const file = join(dir, `manifest-${color}.profile.yaml`);
      writeFileSync(file, text(color));
      return runKplane(['validate', file, '--kubeconfig', kubeconfig, '--context', contexts], { env });
    };
    const valid = await run('red', without.name);
    assert.equal(valid.code, 0, valid.stdout + valid.stderr);
    assert.doesNotMatch(valid.stdout, /KIND_NOT_SERVED|not served|MANIFEST_KIND_UNKNOWN/);
    assert.match(valid.stdout, /1 profile file checked, no problems/);
    // The cluster without the CRD checks against the chart's CRD, the one with it against its live CRD: both refuse green, said once.
    const bad = await run('green', `${without.name},${withCrd.name}`);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    const found = bad.stdout.split('\n').filter((l) => /: (error|warning|information) /.test(l));
    assert.equal(found.length, 1, bad.stdout);
    // Line 22, column 20: the value `green`.
    assert.match(found[0], /manifest-green\.profile\.yaml:22:20: error MANIFEST_INVALID_ENUM_VALUE Gizmo spec\.color is "green"; it must be one of red, blue/);
  });

  it('without --context the rendered custom resource is only noted as not checked', async () => {
    const result = await validate('green');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const found = lines(result.stdout, 'HELM_RENDERED_OBJECT');
    assert.equal(found.length, 1, result.stdout);
    assert.match(found[0], /information HELM_RENDERED_OBJECT Chart gizmos 1\.0\.0 renders Gizmo apps\/gizmos-gizmo .*\[MANIFEST_KIND_UNKNOWN\]$/);
  });
});
