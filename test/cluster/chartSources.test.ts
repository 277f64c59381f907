/**
 * The bed's chart sources, real: distribution's registry (TLS, own CA) and a classic HTTP chart
 * repository, fed by `helm push` and `helm repo index`, read back with `helm pull`, and stopped
 * and started on the same port with their charts kept.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtureChart, helm, packageChart, startChartRepo, startOciRegistry, type ChartRepo, type OciRegistry } from '@kplane/bed';

describe('bed: chart sources (registry and HTTP repository)', function () {
  let registry: OciRegistry;
  let repo: ChartRepo;
  let dir: string;
  /** A fresh destination folder (helm pull wants it to exist). */
  const dest = async (name: string) => {
    await mkdir(join(dir, name), { recursive: true });
    return join(dir, name);
  };

  before(async function () {
    // The first run builds helm and the registry from source (minutes); later runs use the cache.
    this.timeout(1_800_000);
    dir = await mkdtemp(join(tmpdir(), 'kplane-chart-sources-'));
    [registry, repo] = await Promise.all([startOciRegistry(), startChartRepo()]);
  });

  after(async () => {
    await Promise.all([registry?.stop(), repo?.stop()]);
  });

  it('serves pushed chart versions over TLS to a client that trusts its CA, and only to such a client', async () => {
    for (const version of ['1.0.0', '1.1.0']) await registry.push(await packageChart(fixtureChart('web'), join(dir, version), version));
    const out = await dest('pulled');
    await helm(['pull', `${registry.url}/web`, '--version', '~1.1', '--destination', out, '--ca-file', registry.caFile]);
    assert.deepEqual(await readdir(out), ['web-1.1.0.tgz']);
    await assert.rejects(helm(['pull', `${registry.url}/web`, '--version', '1.0.0', '--destination', out]), /certificate signed by unknown authority/);
  });

  it('serves an index.yaml repository, and keeps its charts across a stop and start', async () => {
    await repo.add(await packageChart(fixtureChart('many'), join(dir, 'many')));
    const out = await dest('from-repo');
    await helm(['pull', 'many', '--repo', repo.url, '--version', '1.0.0', '--destination', out]);
    assert.deepEqual(await readdir(out), ['many-1.0.0.tgz']);
    await Promise.all([repo.stopServing(), registry.stopServing()]);
    await assert.rejects(helm(['pull', 'many', '--repo', repo.url, '--destination', await dest('down')]), /connection refused|connect/);
    await Promise.all([repo.start(), registry.start()]);
    await helm(['pull', `${registry.url}/web`, '--version', '1.0.0', '--destination', await dest('again'), '--ca-file', registry.caFile]);
    assert.deepEqual(await readdir(join(dir, 'again')), ['web-1.0.0.tgz']);
  });

  it('renders the fixture charts: 300 objects, CRDs with --include-crds, hooks, schema errors', async () => {
    const many = await helm(['template', 'm', fixtureChart('many')]);
    assert.equal(many.match(/^kind: ConfigMap$/gm)?.length, 300);
    const widgets = await helm(['template', 'w', fixtureChart('widgets'), '--include-crds']);
    assert.match(widgets, /kind: CustomResourceDefinition/);
    assert.equal(widgets.match(/^kind: Widget$/gm)?.length, 2);
    assert.match(await helm(['template', 'h', fixtureChart('hooks')]), /helm.sh\/hook: pre-install,pre-upgrade/);
    await assert.rejects(helm(['template', 'web', fixtureChart('web'), '--set', 'replicaCount=many']), /replicaCount/);
  });
});
