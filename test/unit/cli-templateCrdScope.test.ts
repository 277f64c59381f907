/**
 * `kplane template` and `kplane validate` (the real CLI, the real `helm template`) on a profile
 * whose Helm layer's chart carries a cluster-scoped CRD (test/fixtures/charts/cluster-gizmo-crds,
 * ClusterGizmo, as cert-manager's ClusterIssuer) and whose manifest layers hold ClusterGizmos:
 * the chart CRD's scope holds for the chart's own object and the manifests, with no cluster
 * asked. Before, both got a namespace (the layer's, the release's) and two ClusterGizmos of one
 * name in two layers were no duplicate.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ensureHelmTools, fixtureChart, packageChart, runKplane, startChartRepo, type ChartRepo } from '@kplane/bed';

const profile = (repo: string, second: string) => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: gizmos
spec:
  version: 1.0.0
  layers:
    - name: crds
      namespace: gizmo-system
      helm:
        repo: ${repo}
        chart: cluster-gizmo-crds
        version: 1.0.0
    - name: a
      namespace: team-a
      dependsOn: [crds]
      manifests:
        - apiVersion: gizmos.kplane.dev/v1
          kind: ClusterGizmo
          metadata:
            name: shared
          spec:
            color: blue
    - name: b
      namespace: team-b
      dependsOn: [crds]
      manifests:
        - apiVersion: gizmos.kplane.dev/v1
          kind: ClusterGizmo
          metadata:
            name: ${second}
          spec:
            color: blue
`;

describe("kplane template / validate: a chart CRD's Cluster scope holds for its kind", function () {
  this.timeout(120_000);
  let repo: ChartRepo;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    this.timeout(1_800_000);
    dir = mkdtempSync(join(tmpdir(), 'kplane-crd-scope-'));
    const tools = await ensureHelmTools();
    env = { ...process.env, KPLANE_HELM: tools.helm, KPLANE_CACHE: join(dir, 'cache'), XDG_CACHE_HOME: join(dir, 'xdg') };
    repo = await startChartRepo();
    await repo.add(await packageChart(fixtureChart('cluster-gizmo-crds'), join(dir, 'pkg')));
  });

  after(async () => {
    await repo?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const write = (name: string, text: string) => {
    const file = join(dir, `${name}.profile.yaml`);
    writeFileSync(file, text);
    return file;
  };

  it('kplane template: no namespace on the chart\'s ClusterGizmo nor on the manifest layers\' ones; the CRD none either', async () => {
    const result = await runKplane(['template', write('template', profile(repo.url, 'other'))], { env });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const objects = parseAllDocuments(result.stdout).map((d) => d.toJS() as { kind?: string; metadata?: { name: string; namespace?: string } } | null).filter((o) => o?.kind);
    assert.deepEqual(
      objects.map((o) => [o!.kind, o!.metadata!.name, o!.metadata!.namespace]),
      [
        ['CustomResourceDefinition', 'clustergizmos.gizmos.kplane.dev', undefined],
        ['ClusterGizmo', 'default', undefined],
        ['ClusterGizmo', 'shared', undefined],
        ['ClusterGizmo', 'other', undefined],
      ],
      result.stdout,
    );
  });

  it('kplane validate: the same ClusterGizmo in two layers is a duplicate; two names are fine', async () => {
    const same = await runKplane(['validate', write('same', profile(repo.url, 'shared'))], { env });
    assert.equal(same.code, 1, same.stdout + same.stderr);
    assert.match(same.stdout, /same\.profile\.yaml:\d+:\d+: error DUPLICATE_MANIFEST ClusterGizmo shared is already defined/);
    const two = await runKplane(['validate', write('two', profile(repo.url, 'other'))], { env });
    assert.equal(two.code, 0, two.stdout + two.stderr);
  });
});
