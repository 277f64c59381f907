/**
 * `kplane validate` on Helm layers, against the bed's real registry and chart repository: the
 * chart's values checked (values.schema.json), the chart rendered by the real `helm template` and
 * every rendered object checked by the manifest walker, findings on the layer's helm key naming
 * the rendered object; `--offline` fetches nothing and says which layers were not rendered, and
 * renders from the cache once a chart was fetched (registry stopped).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureHelmTools, fixtureChart, packageChart, repoRoot, startChartRepo, startOciRegistry, type ChartRepo, type OciRegistry } from '@kplane/bed';

const run = promisify(execFile);

describe('kplane validate: Helm layers rendered and checked', function () {
  let registry: OciRegistry;
  let repo: ChartRepo;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = join(repoRoot(), 'cli', 'bin', 'kplane.js');

  before(async function () {
    this.timeout(1_800_000);
    dir = await mkdtemp(join(tmpdir(), 'kplane-validate-helm-'));
    const tools = await ensureHelmTools();
    // A cache of its own: the first run fetches, later ones read it.
    env = { ...process.env, KPLANE_HELM: tools.helm, KPLANE_CACHE: join(dir, 'cache') };
    [registry, repo] = await Promise.all([startOciRegistry(), startChartRepo()]);
    await registry.push(await packageChart(fixtureChart('web'), join(dir, 'pkg', 'web'), '1.0.0'));
    await repo.add(await packageChart(fixtureChart('gateway'), join(dir, 'pkg', 'gateway')));
  });

  after(async () => {
    await Promise.all([registry?.stop(), repo?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const profile = (layers: string) => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: charts
spec:
  version: 1.0.0
  layers:
${layers}`;

  const validate = async (text: string, ...flags: string[]): Promise<{ code: number; stdout: string }> => {
    const file = join(dir, `p${Math.random().toString(36).slice(2)}.profile.yaml`);
    await writeFile(file, text);
    try {
      const { stdout } = await run(process.execPath, [cli, 'validate', file, '--ca-file', registry.caFile, ...flags], { env });
      return { code: 0, stdout };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };

  const gateway = (labels: string) => `    - name: gw
      namespace: edge
      helm:
        repo: ${repo.url}
        chart: gateway
        version: 0.3.0
        values:
          extraLabels: ${labels}
`;

  it('renders a chart and finds an invalid object it renders, on the helm key, naming object, template and field', async () => {
    const ok = await validate(profile(gateway('{ team: edge }')));
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /Helm layers: 1 rendered with helm template and checked/);

    const bad = await validate(profile(gateway('{ team: "not a label value" }')));
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, /:10:7: error HELM_RENDERED_OBJECT Chart gateway 0\.3\.0 renders Deployment edge\/gw-gateway \(gateway\/templates\/deployment\.yaml\): metadata\.labels\.team: .*not a label value/);
  });

  it("values against the chart's schema, and a template failure, as errors", async () => {
    const web = (values: string) => `    - name: web
      helm:
        repo: ${registry.url}
        chart: web
        version: 1.0.0
        values: ${values}
`;
    const result = await validate(profile(web('{ replicaCount: 50 }')));
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stdout, /error HELM_VALUES_SCHEMA helm\.values\.replicaCount is 50; the chart wants it <= 10/);
    assert.match(result.stdout, /error HELM_RENDER_FAILED Layer "web": chart web 1\.0\.0 did not render: .*replicaCount/);
  });

  it('--offline fetches nothing and says so; once cached, it renders offline with the registry stopped', async () => {
    const layer = `    - name: web
      helm:
        repo: ${registry.url}
        chart: web
        version: 1.0.0
`;
    const fresh = { ...env, KPLANE_CACHE: join(dir, 'fresh-cache') };
    const saved = env;
    env = fresh;
    try {
      const offline = await validate(profile(layer), '--offline');
      assert.equal(offline.code, 0, offline.stdout);
      assert.match(offline.stdout, /information HELM_CHART_NOT_RENDERED --offline: layer "web" was not rendered: the chart web 1\.0\.0 .* is not in the chart cache/);
      assert.match(offline.stdout, /Helm layers: 0 rendered with helm template and checked, 1 not rendered \(--offline: charts not in the cache were not fetched\)/);
      assert.equal((await validate(profile(layer))).code, 0);
      await registry.stopServing();
      const cached = await validate(profile(layer), '--offline');
      assert.match(cached.stdout, /Helm layers: 1 rendered with helm template and checked/);
      assert.doesNotMatch(cached.stdout, /HELM_CHART/);
    } finally {
      env = saved;
      await registry.start();
    }
  });
});
