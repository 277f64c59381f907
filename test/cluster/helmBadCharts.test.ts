/**
 * Chart archives that are not what they claim, from a real classic repository (the bed's, its
 * index.yaml written by `helm repo index`, then the archive swapped on disk): a tarball without a
 * Chart.yaml and one over the 20 MB limit. The agent's Helm (agent/src/helm/helmCli.ts) and the
 * editor's chart cache (language-server/src/helmChartStore.ts) each refuse them with a message
 * naming the chart and what is wrong; nothing is rendered or cached.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureHelmTools, fixtureChart, packageChart, startChartRepo, type ChartRepo } from '@kplane/bed';
import { HelmCli } from '@kplane/agent/helm';
import { HelmChartStore } from '@kplane/language-server/helm-charts';

describe('chart archives that are not charts, or too big (real helm, real repository)', function () {
  let repo: ChartRepo;
  let dir: string;
  let helm: HelmCli;
  let helmPath: string;

  before(async function () {
    this.timeout(1_800_000);
    helmPath = (await ensureHelmTools()).helm;
    helm = new HelmCli(helmPath);
    dir = await mkdtemp(join(tmpdir(), 'kplane-bad-charts-'));
    repo = await startChartRepo({ name: 'bad-charts' });
    // Two real entries in index.yaml, then their archives replaced by what a broken or hostile repository serves.
    for (const version of ['1.0.0', '2.0.0']) await repo.add(await packageChart(fixtureChart('gateway'), join(dir, version), version));
    const notAChart = join(dir, 'not-a-chart');
    await mkdir(join(notAChart, 'gateway'), { recursive: true });
    await writeFile(join(notAChart, 'gateway', 'README.md'), 'no Chart.yaml here\n');
    await promisify(execFile)('tar', ['-czf', join(repo.dir, 'gateway-1.0.0.tgz'), '-C', notAChart, 'gateway']);
    // Random bytes do not compress: the archive itself is over the limit.
    await writeFile(join(repo.dir, 'gateway-2.0.0.tgz'), randomBytes(21 * 1024 * 1024));
  });

  after(async () => {
    await repo?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the agent: a tarball without Chart.yaml does not render, naming what is missing', async () => {
    const pulled = await helm.pull(repo.url, 'gateway', '1.0.0');
    await assert.rejects(
      helm.template({ archive: pulled.archive, releaseName: 'gw', namespace: 'edge', values: {}, apiVersions: [] }),
      (err: Error) => /no Chart\.yaml found/.test(err.message),
    );
  });

  it('the agent: an archive over 20 MB is refused by size, naming chart and repository', async () => {
    await assert.rejects(helm.pull(repo.url, 'gateway', '2.0.0'), (err: Error) => err.message === `chart gateway from ${repo.url} is 21.0 MB, over the 20 MB limit`);
  });

  it('the editor: both are one message on the layer and nothing is cached', async () => {
    const cacheRoot = join(dir, 'editor');
    const store = new HelmChartStore({ helmPath, cacheRoot, quietMs: 0 });
    for (const version of ['1.0.0', '2.0.0']) store.chart({ repo: repo.url, chart: 'gateway', version });
    await store.settled();
    const notAChart = store.chart({ repo: repo.url, chart: 'gateway', version: '1.0.0' });
    const tooBig = store.chart({ repo: repo.url, chart: 'gateway', version: '2.0.0' });
    assert.ok(notAChart.state === 'unavailable' && /cannot fetch the chart gateway 1\.0\.0 from .*: the archive is not a Helm chart \(no Chart\.yaml at its top\)/.test(notAChart.message), JSON.stringify(notAChart));
    assert.ok(tooBig.state === 'unavailable' && /cannot fetch the chart gateway 2\.0\.0 from .*: the chart archive is 21\.0 MB, over the 20 MB limit/.test(tooBig.message), JSON.stringify(tooBig));
    const cached = await readdir(join(cacheRoot, 'charts'), { recursive: true }).catch(() => [] as string[]);
    assert.deepEqual(cached.map(String).filter((f) => f.endsWith('.tgz')), []);
  });
});
