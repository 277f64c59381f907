/**
 * `kplane validate` (the real CLI, the real `helm template`) on a profile whose Helm layer's chart
 * carries a CRD (the project's gizmo-crds chart, from a chart repository served by this process)
 * and whose manifest layer holds a custom resource of that kind: the chart is rendered before the
 * manifests are checked, so the custom resource is checked against the chart CRD's
 * openAPIV3Schema (a colour outside its enum is an error on the value, a valid one gives nothing)
 * instead of being "not checked". Also: the code of the check a rendered object fails is `rule`
 * in --format json.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHelmTools, fixtureChart, packageChart, runKplane, startChartRepo, type ChartRepo } from '@kplane/bed';
import { gizmoManifestProfile } from '../fixtures/gizmoProfile.js';

describe('kplane validate: CRDs a Helm layer renders are known to the manifest layers', function () {
  this.timeout(120_000);
  let repo: ChartRepo;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    // The Helm binary is built once into ~/.cache/kplane (bed/build-helm.sh); minutes if it is not there yet.
    this.timeout(1_800_000);
    dir = mkdtempSync(join(tmpdir(), 'kplane-helm-crds-'));
    const tools = await ensureHelmTools();
    env = { ...process.env, KPLANE_HELM: tools.helm, KPLANE_CACHE: join(dir, 'cache'), XDG_CACHE_HOME: join(dir, 'xdg') };
    repo = await startChartRepo();
    for (const chart of ['gizmo-crds', 'gizmos']) await repo.add(await packageChart(fixtureChart(chart), join(dir, 'pkg')));
  });

  after(async () => {
    await repo?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const profile = (color: string) => gizmoManifestProfile({ name: 'gizmos', repo: repo.url, color });
  const validate = (name: string, text: string, ...flags: string[]) => {
    const file = join(dir, `${name}.profile.yaml`);
    writeFileSync(file, text);
    return runKplane(['validate', file, ...flags], { env });
  };

  it('a colour outside the enum of the chart CRD is an error on the value', async () => {
    const result = await validate('green', profile('green'));
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const found = result.stdout.split('\n').filter((l) => /: (error|warning|information) /.test(l));
    assert.equal(found.length, 1, result.stdout);
    // Line 22, column 20: `green` of `color: green`.
    assert.match(found[0], /green\.profile\.yaml:22:20: error MANIFEST_INVALID_ENUM_VALUE Gizmo spec\.color is "green"; it must be one of red, blue/);
    assert.doesNotMatch(result.stdout, /MANIFEST_KIND_UNKNOWN|not checked/);
    assert.match(result.stdout, /Helm layers: 1 rendered with helm template and checked/);
  });

  it('a valid custom resource of the chart CRD gives nothing (not "not checked")', async () => {
    const result = await validate('blue', profile('blue'));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /1 profile file checked, no problems/);
    // Not even the note that it could not be checked.
    assert.doesNotMatch(result.stdout, /MANIFEST_KIND_UNKNOWN/);
  });

  it('--format json: a rendered object\'s finding is HELM_RENDERED_OBJECT with the check\'s own code as `rule`', async () => {
    const text = profile('blue').replace(
      '  layers:\n',
      `  layers:\n    - name: more\n      namespace: apps\n      helm:\n        repo: ${repo.url}\n        chart: gizmos\n        version: 1.0.0\n        values:\n          color: green\n`,
    );
    const result = await validate('json', text, '--format', 'json');
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const [report] = JSON.parse(result.stdout) as { diagnostics: { code: string; rule?: string; severity: string; message: string }[] }[];
    const rendered = report.diagnostics.filter((d) => d.code === 'HELM_RENDERED_OBJECT');
    // The gizmos chart's Gizmo is checked against gizmo-crds' CRD (an earlier layer): green is refused.
    assert.deepEqual(rendered.map((d) => [d.severity, d.rule]), [['error', 'MANIFEST_INVALID_ENUM_VALUE']], result.stdout);
    assert.match(rendered[0].message, /\[MANIFEST_INVALID_ENUM_VALUE\]$/);
  });
});
