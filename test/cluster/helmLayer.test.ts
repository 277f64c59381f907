/**
 * Helm layers end to end, all real: Helm and distribution's registry built from their upstream
 * Go modules (test/bed/build-helm.sh), the project's charts (test/fixtures/charts) pushed with
 * `helm push` to the registry (TLS, its own CA given through a credentials Secret) and indexed
 * with `helm repo index` into a classic HTTP repository, a kube-apiserver with controller-manager,
 * scheduler and KWOK nodes, and the agent as a child process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import {
  ensureHelmTools,
  fixtureChart,
  packageChart,
  startChartRepo,
  startCluster,
  startOciRegistry,
  waitFor,
  type ChartRepo,
  type HelmTools,
  type OciRegistry,
  type TestCluster,
  startAgent,
  repoRoot,
  type RunningAgent,
} from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { ClusterProfile, Condition, Layer, LayerStatus } from '@kplane/profile';

const run = promisify(execFile);
const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;

describe('helm layers (cluster)', function () {
  let tools: HelmTools;
  let cluster: TestCluster;
  let registry: OciRegistry;
  let repo: ChartRepo;
  let api: KubeClient;
  let agent: RunningAgent;

  const condition = (p: ClusterProfile, type: string): Condition | undefined => p.status?.conditions?.find((c) => c.type === type);
  const ready = (p: ClusterProfile) => condition(p, 'Ready')?.status === 'True' && p.status?.observedGeneration === p.metadata.generation;
  const layerStatus = (p: ClusterProfile, name: string): LayerStatus | undefined => p.status?.layers?.find((l) => l.name === name);
  const getProfile = (name: string) => api.request<ClusterProfile>('GET', `${PROFILES}/${name}`);
  const waitProfile = (name: string, what: string, test: (p: ClusterProfile) => boolean, timeoutMs = 90_000) =>
    waitFor(async () => {
      const p = await getProfile(name);
      return test(p) ? p : undefined;
    }, { what: `profile ${name}: ${what}`, timeoutMs, intervalMs: 100 });
  const getCm = (ns: string, name: string) => api.getOrUndefined<{ data?: Record<string, string>; metadata: any }>(`/api/v1/namespaces/${ns}/configmaps/${name}`);
  const chartSecrets = async (profile: string) =>
    (await api.request<{ items: any[] }>('GET', `/api/v1/namespaces/${NS}/secrets`, { query: { labelSelector: `kplane.dev/chart-of=${profile}` } })).items;

  const profile = (name: string, layers: Layer[], extra: Partial<ClusterProfile['spec']> = {}): ClusterProfile => ({
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, namespace: NS },
    spec: { version: '1.0.0', reconcile: { mode: 'enforce', prune: true, interval: '1m' }, layers, ...extra },
  });
  const webProfile = (chartVersion: string, greeting: string, extra: { replicas?: number | string; values?: Record<string, unknown> } = {}) =>
    profile(
      'web',
      [
        {
          name: 'web',
          namespace: 'web',
          wait: true,
          helm: {
            repo: registry.url,
            chart: 'web',
            version: chartVersion,
            values: { replicaCount: extra.replicas ?? '${replicas}', greeting, ...extra.values },
            credentialsSecret: 'registry-ca',
          },
        },
        { name: 'after', dependsOn: ['web'], namespace: 'web', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-web' }, data: { chart: chartVersion } }] },
      ],
      { version: /^\d+\.\d+\.\d+$/.test(chartVersion) ? chartVersion : '1.1.0', variables: [{ name: 'replicas', type: 'integer', default: 1 }] },
    );
  const apply = (p: ClusterProfile) => api.apply(`${PROFILES}/${p.metadata.name}`, p, 'kplane');

  before(async function () {
    // The first run builds helm and the registry from source (minutes); later runs use the cache.
    this.timeout(1_800_000);
    tools = await ensureHelmTools();
    const out = await mkdtemp(join(tmpdir(), 'kplane-charts-'));
    [cluster, registry, repo] = await Promise.all([startCluster({ name: 'helm', workloads: true, nodes: 1 }), startOciRegistry(), startChartRepo()]);
    for (const version of ['1.0.0', '1.1.0']) await registry.push(await packageChart(fixtureChart('web'), join(out, version), version));
    for (const chart of ['widgets', 'hooks', 'capabilities', 'many', 'jobhook']) await repo.add(await packageChart(fixtureChart(chart), out));
    api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
    await api.apply(`/api/v1/namespaces/${NS}/secrets/registry-ca`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'registry-ca', namespace: NS }, stringData: { 'ca.crt': registry.caPem } }, 'test');
    agent = await startAgent({ kubeconfigPath: cluster.kubeconfigPath, env: { KPLANE_HELM: tools.helm } });
  });

  after(async function () {
    this.timeout(60_000);
    await agent?.stop();
    api?.close();
    await Promise.all([cluster?.stop(), registry?.stop(), repo?.stop()]);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && agent) console.log(`--- agent log (tail) ---\n${agent.logs().slice(-5000)}`);
  });

  it('installs a chart from an OCI registry: namespace, Deployment available, values applied, later layers after it, chart and version in status', async () => {
    await apply(webProfile('1.0.0', 'hello'));
    const p = await waitProfile('web', 'Ready', ready);
    assert.deepEqual(layerStatus(p, 'web'), { name: 'web', state: 'Ready', resources: 4, ready: 4, chart: 'web', chartVersion: '1.0.0' });
    const deployment = await api.request('GET', '/apis/apps/v1/namespaces/web/deployments/web');
    assert.ok(deployment.status.availableReplicas >= 1);
    assert.equal(deployment.metadata.labels['kplane.dev/layer'], 'web');
    assert.equal((await getCm('web', 'web-settings'))?.data?.greeting, 'hello');
    assert.equal((await getCm('web', 'web-settings'))?.data?.chartVersion, '1.0.0');
    assert.ok(await getCm('web', 'web-legacy'));
    assert.ok(await getCm('web', 'after-web'));
    const inventory = JSON.parse((await getCm(NS, 'kplane-inventory-web'))!.data!.objects);
    assert.deepEqual(inventory.map((e: any) => `${e.kind}/${e.name}`).sort(), ['ConfigMap/after-web', 'ConfigMap/web-legacy', 'ConfigMap/web-settings', 'Deployment/web', 'Namespace/web']);
    const stored = await chartSecrets('web');
    assert.deepEqual(stored.map((s) => s.metadata.annotations['kplane.dev/chart-version']), ['1.0.0']);
    assert.match(stored[0].metadata.annotations['kplane.dev/chart-digest'], /^sha256:[0-9a-f]{64}$/);
  });

  it('kplane diff compares the chart objects: no differences after the install; a values edit shows the changed field', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'kplane-diff-helm-')), 'web.profile.yaml');
    const cli = join(repoRoot(), 'cli', 'bin', 'kplane.js');
    const diff = async () => {
      try {
        const { stdout, stderr } = await run(process.execPath, [cli, 'diff', file, '--kubeconfig', cluster.kubeconfigPath, '--context', cluster.name, '--ca-file', registry.caFile], { env: { ...process.env, KPLANE_HELM: tools.helm } });
        return { code: 0, out: stdout + stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
      }
    };
    await writeFile(file, stringify(webProfile('1.0.0', 'hello')));
    const same = await diff();
    assert.equal(same.code, 0, same.out);
    assert.match(same.out, /no differences/);
    assert.doesNotMatch(same.out, /not compared/);
    await writeFile(file, stringify(webProfile('1.0.0', 'changed by diff')));
    const changed = await diff();
    assert.equal(changed.code, 1, changed.out);
    assert.match(changed.out, /-\s+greeting: hello\n\+\s+greeting: changed by diff/);
    assert.match(changed.out, /objects: 0 to create, 1 to change, 0 to prune/);
  });

  it('pulls with username/password from credentialsSecret (a registry with htpasswd auth); a wrong password fails the layer without showing it', async () => {
    const locked = await startOciRegistry({ name: 'registry-auth', auth: 'htpasswd' });
    try {
      const creds = locked.credentials!;
      await locked.push(await packageChart(fixtureChart('web'), await mkdtemp(join(tmpdir(), 'kplane-auth-')), '1.0.0'));
      const secret = (name: string, password: string) =>
        api.apply(`/api/v1/namespaces/${NS}/secrets/${name}`, { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, stringData: { username: creds.username, password, 'ca.crt': locked.caPem } }, 'test');
      await secret('registry-auth', creds.password);
      await secret('registry-wrong', 'not-the-password-1234');
      const locked1 = (name: string, credentialsSecret: string) =>
        profile(name, [{ name: 'web', namespace: name, helm: { repo: locked.url, chart: 'web', version: '1.0.0', releaseName: name, credentialsSecret } }]);
      await apply(locked1('authed', 'registry-auth'));
      const p = await waitProfile('authed', 'Ready with the chart from the locked registry', ready);
      assert.equal(layerStatus(p, 'web')?.chartVersion, '1.0.0');
      assert.ok(await api.getOrUndefined('/apis/apps/v1/namespaces/authed/deployments/authed'));
      await apply(locked1('unauthed', 'registry-wrong'));
      const failed = await waitProfile('unauthed', 'the layer failed', (x) => layerStatus(x, 'web')?.state === 'Failed');
      const message = layerStatus(failed, 'web')?.message ?? '';
      assert.match(message, /cannot fetch chart web 1\.0\.0 from oci:\/\/127\.0\.0\.1:\d+\/charts: .*(unauthorized|401|authentication)/i);
      assert.doesNotMatch(JSON.stringify(failed.status), /not-the-password-1234/);
      assert.doesNotMatch(agent.logs(), new RegExp(creds.password));
      for (const name of ['authed', 'unauthed']) await api.request('DELETE', `${PROFILES}/${name}`);
    } finally {
      await locked.stop();
    }
  });

  it('re-applies a values change (a variable and a literal)', async () => {
    const p0 = await getProfile('web');
    await apply({ ...webProfile('1.0.0', 'hi there'), spec: { ...webProfile('1.0.0', 'hi there').spec, values: { replicas: 2 } } });
    await waitFor(async () => (await getCm('web', 'web-settings'))?.data?.greeting === 'hi there', { what: 'greeting changed', timeoutMs: 60_000 });
    const p = await waitProfile('web', 'Ready after the values change', (x) => ready(x) && x.metadata.generation! > p0.metadata.generation!);
    const deployment = await api.request('GET', '/apis/apps/v1/namespaces/web/deployments/web');
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(layerStatus(p, 'web')?.chartVersion, '1.0.0');
  });

  it('upgrades the chart 1.0.0 → 1.1.0 and prunes the object 1.1.0 no longer renders', async () => {
    await apply(webProfile('~1.1', 'hi there'));
    const p = await waitProfile('web', 'Ready on 1.1.0', (x) => ready(x) && layerStatus(x, 'web')?.chartVersion === '1.1.0');
    assert.equal((await getCm('web', 'web-settings'))?.data?.chartVersion, '1.1.0');
    assert.equal(await getCm('web', 'web-legacy'), undefined, 'web-legacy should have been pruned');
    assert.ok((p.status?.resources?.pruned ?? 0) >= 1);
    assert.equal(layerStatus(p, 'web')?.previousChartVersion, undefined);
    const versions = (await chartSecrets('web')).map((s) => s.metadata.annotations['kplane.dev/chart-version']).sort();
    assert.deepEqual(versions, ['1.0.0', '1.1.0']);
  });

  it('corrects drift on an object the chart rendered', async () => {
    await api.request('PATCH', '/api/v1/namespaces/web/configmaps/web-settings', { body: { data: { greeting: 'edited by hand' } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await getCm('web', 'web-settings'))?.data?.greeting === 'hi there', { what: 'greeting put back', timeoutMs: 10_000, intervalMs: 20 });
    const p = await waitProfile('web', 'drift record corrected', (x) => (x.status?.drift ?? []).some((d) => d.name === 'web-settings' && d.correctedTime));
    assert.deepEqual(p.status!.drift!.find((d) => d.name === 'web-settings')!.fields, ['data.greeting']);
  });

  it('registry stopped, agent restarted: the stored chart is still enforced', async () => {
    await registry.stopServing();
    await agent.stop();
    agent = await startAgent({ kubeconfigPath: cluster.kubeconfigPath, env: { KPLANE_HELM: tools.helm } });
    try {
      await api.request('DELETE', '/api/v1/namespaces/web/configmaps/web-settings');
      await waitFor(async () => (await getCm('web', 'web-settings'))?.data?.greeting === 'hi there', { what: 'deleted chart object re-created', timeoutMs: 60_000 });
      await api.request('PATCH', '/apis/apps/v1/namespaces/web/deployments/web', { body: { spec: { replicas: 5 } }, contentType: 'application/merge-patch+json' });
      await waitFor(async () => (await api.request('GET', '/apis/apps/v1/namespaces/web/deployments/web')).spec.replicas === 1, { what: 'replicas put back', timeoutMs: 30_000 });
      const p = await waitProfile('web', 'Ready with the registry down', (x) => ready(x) && /enforcing the stored chart web 1.1.0/.test(layerStatus(x, 'web')?.message ?? ''));
      assert.equal(layerStatus(p, 'web')?.chartVersion, '1.1.0');
      assert.match(agent.logs(), /chart repository unreachable/);
    } finally {
      await registry.start();
    }
  });

  it('a chart version that does not exist fails the layer with a clear message, keeps what was applied, and blocks later layers', async () => {
    await apply(webProfile('9.9.9', 'hi there'));
    const p = await waitProfile('web', 'layer web Failed', (x) => layerStatus(x, 'web')?.state === 'Failed' && x.status?.observedGeneration === x.metadata.generation);
    assert.match(layerStatus(p, 'web')!.message!, /cannot fetch chart web 9\.9\.9 from oci:\/\//);
    assert.equal(layerStatus(p, 'after')?.state, 'Pending');
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.ok(await getCm('web', 'web-settings'), 'a failed fetch must not remove what the chart applied before');
  });

  it('values that fail the chart values.schema.json fail the layer with the schema message', async () => {
    await apply(webProfile('1.1.0', 'hi there', { replicas: 'many' }));
    const p = await waitProfile('web', 'layer web Failed on the schema', (x) => layerStatus(x, 'web')?.state === 'Failed' && x.status?.observedGeneration === x.metadata.generation);
    assert.match(layerStatus(p, 'web')!.message!, /did not render: .*replicaCount/);
    assert.ok(await getCm('web', 'web-settings'));
    await apply(webProfile('1.1.0', 'hi there'));
    await waitProfile('web', 'Ready again', (x) => ready(x));
  });

  it('charts from a classic HTTP repository: CRDs first then custom resources, hooks around the objects (test hook skipped), Capabilities from the cluster, lookup sees nothing', async () => {
    const http = (name: string, chart: string, extra: Partial<Layer> = {}): Layer => ({ name, namespace: 'extras', helm: { repo: repo.url, chart, version: '1.0.0' }, ...extra });
    await apply(profile('extras', [http('widgets', 'widgets', { wait: true }), http('hooks', 'hooks', { dependsOn: ['widgets'] }), http('caps', 'capabilities', { dependsOn: ['widgets'] })]));
    const p = await waitProfile('extras', 'Ready', ready);
    assert.equal(layerStatus(p, 'widgets')?.chart, 'widgets');
    const widgets = await api.request<{ items: any[] }>('GET', '/apis/charts.kplane.dev/v1/namespaces/extras/widgets');
    assert.deepEqual(widgets.items.map((w) => w.metadata.name).sort(), ['alpha', 'beta']);
    for (const name of ['hooks-pre', 'hooks-main', 'hooks-post']) assert.ok(await getCm('extras', name), `${name} missing`);
    assert.equal(await api.getOrUndefined('/api/v1/namespaces/extras/pods/hooks-test'), undefined, 'a test hook was applied');
    // The first render may predate the widgets CRD; once it is served, the chart sees it.
    const kube = await waitFor(async () => {
      const cm = await getCm('extras', 'caps-kube');
      return cm?.data?.hasWidgets === 'true' ? cm : undefined;
    }, { what: 'capabilities chart rendered with the Widget API', timeoutMs: 60_000 });
    assert.equal(kube?.data?.kubeVersion, 'v1.36.3');
    assert.equal(kube?.data?.hasMissing, 'false');
    assert.equal(kube?.data?.lookupFound, 'false');
    await waitFor(() => api.getOrUndefined('/apis/charts.kplane.dev/v1/namespaces/extras/widgets/caps-only-with-widgets'), { what: 'the Widget only rendered when the API is served', timeoutMs: 30_000 });
    await waitProfile('extras', 'Ready with everything', ready);
    // hook-delete-policy hook-succeeded: applied, waited for, deleted, and not run again by later
    // reconciles (the runs are remembered in the inventory ConfigMap) until the hook changes.
    const runs = () => agent.logs().split('\n').filter((l) => l.includes('hook succeeded') && l.includes('hooks-pre-once')).length;
    assert.equal(await getCm('extras', 'hooks-pre-once'), undefined, 'a hook-succeeded hook is still there');
    assert.equal(runs(), 1);
    assert.match((await getCm(NS, 'kplane-inventory-extras'))?.data?.hooks ?? '', /hooks-pre-once@/);
    const again = (message: string) =>
      apply(profile('extras', [http('widgets', 'widgets', { wait: true }), http('hooks', 'hooks', { dependsOn: ['widgets'], helm: { repo: repo.url, chart: 'hooks', version: '1.0.0', values: { message } } }), http('caps', 'capabilities', { dependsOn: ['widgets'] })]));
    await again('first');
    await waitFor(async () => (await getCm('extras', 'hooks-main'))?.metadata?.labels !== undefined && ready(await getProfile('extras')), { what: 'extras reconciled with the same hooks', timeoutMs: 30_000 });
    assert.equal(runs(), 1, 'the hook ran again although it did not change');
    await again('second');
    await waitFor(async () => ((await getCm('extras', 'hooks-main'))?.data?.message === 'second' && runs() === 2) || undefined, { what: 'the changed hook ran again and was deleted', timeoutMs: 60_000 });
    assert.equal(await getCm('extras', 'hooks-pre-once'), undefined);
    await waitProfile('extras', 'Ready after the hook change', ready);
  });

  it('a hook Job that fails (hook-delete-policy hook-failed) fails the layer with the Job\'s reason, is deleted, holds back the chart\'s objects, and runs again when it changes or after the reconcile interval', async () => {
    // The Job's pod ends as bed/kwok-stages.yaml (bed-pod-exit) says; the real Job controller fails or completes the Job.
    const jobs = (exitCode: number) =>
      profile('jobs', [
        { name: 'migrate', namespace: 'jobs', helm: { repo: repo.url, chart: 'jobhook', version: '1.0.0', releaseName: 'db', values: { exitCode } } },
        { name: 'after', dependsOn: ['migrate'], namespace: 'jobs', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-migrate' } }] },
      ], { reconcile: { mode: 'enforce', prune: true, interval: '20s' } });
    const jobPath = '/apis/batch/v1/namespaces/jobs/jobs/db-migrate';
    const failedRuns = () => agent.logs().split('\n').filter((l) => l.includes('hook failed, deleted') && l.includes('db-migrate')).length;
    await apply(jobs(1));
    const first = await waitFor(() => api.getOrUndefined<any>(jobPath), { what: 'the hook Job created', timeoutMs: 60_000, intervalMs: 20 });
    const p = await waitProfile('jobs', 'layer migrate Failed on its hook', (x) => layerStatus(x, 'migrate')?.state === 'Failed' && /deleted/.test(layerStatus(x, 'migrate')?.message ?? ''));
    const message = layerStatus(p, 'migrate')!.message!;
    assert.match(message, /^hook failed \(.*Job jobs\/db-migrate: job failed: Job has reached the specified backoff limit\); Job db-migrate was deleted as its hook-delete-policy hook-failed says, and runs again when it changes \(chart version or values\) or in 20 s \(the profile's reconcile interval\)$/);
    const gone = await api.getOrUndefined<any>(jobPath);
    assert.ok(!gone || gone.metadata.uid !== first.metadata.uid, 'the failed hook Job is still there');
    assert.equal(await getCm('jobs', 'db-app'), undefined, 'the chart\'s objects were applied although its pre-install hook failed');
    assert.equal(layerStatus(p, 'after')?.state, 'Pending');
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.match((await getCm(NS, 'kplane-inventory-jobs'))?.data?.failedHooks ?? '', /db-migrate@/);
    // Several wait polls (2 s) later the failed hook has not been created again, and the layer still says why.
    await new Promise((r) => setTimeout(r, 6_000));
    assert.equal(await api.getOrUndefined(jobPath), undefined, 'the failed hook ran again without a change');
    assert.equal(failedRuns(), 1);
    assert.equal(layerStatus(await getProfile('jobs'), 'migrate')?.message, message);
    // Once the reconcile interval (20 s) has passed it runs again, and fails again.
    await waitFor(() => failedRuns() === 2 || undefined, { what: 'the failed hook run again after the interval', timeoutMs: 60_000 });
    // Changed values: the hook runs again, succeeds, is kept (only hook-failed deletes it), and the chart's objects follow.
    await apply(jobs(0));
    const q = await waitProfile('jobs', 'Ready after the hook succeeded', ready);
    assert.equal(layerStatus(q, 'migrate')?.state, 'Ready');
    assert.equal((await getCm('jobs', 'db-app'))?.data?.migratedWith, '0');
    assert.ok(await getCm('jobs', 'after-migrate'));
    const kept = await api.request<any>('GET', jobPath);
    assert.ok(kept.status.conditions.some((c: any) => c.type === 'Complete' && c.status === 'True'), 'the succeeded hook Job is not Complete');
    assert.equal(failedRuns(), 2, 'the succeeded run was counted as failed');
    await api.request('DELETE', `${PROFILES}/jobs`);
    await waitFor(async () => !(await api.getOrUndefined(`${PROFILES}/jobs`)), { what: 'profile jobs gone', timeoutMs: 90_000 });
  });

  it('kplane template prints a Helm layer as the agent renders it, with the cluster\'s Capabilities', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'kplane-template-')), 'web.profile.yaml');
    await writeFile(file, stringify(webProfile('1.1.0', 'from the CLI')));
    const cli = join(repoRoot(), 'cli', 'bin', 'kplane.js');
    const { stdout } = await run(process.execPath, [cli, 'template', file, '--layer', 'web', '--kubeconfig', cluster.kubeconfigPath, '--ca-file', registry.caFile], { env: { ...process.env, KPLANE_HELM: tools.helm } });
    assert.match(stdout, /^# web \/ layer web \(chart web 1\.1\.0, sha256:[0-9a-f]{64}\)$/m);
    const docs = parseAllDocuments(stdout).map((d) => d.toJS()).filter(Boolean);
    assert.deepEqual(docs.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`).sort(), ['ConfigMap/web/web-settings', 'Deployment/web/web']);
    assert.equal(docs.find((d) => d.kind === 'ConfigMap').data.greeting, 'from the CLI');
    await assert.rejects(run(process.execPath, [cli, 'template', file, '--layer', 'none']), (err: { code?: number; stderr?: string }) => err.code === 2 && /no layer "none"/.test(err.stderr ?? ''));
  });

  it('deleting the profiles removes everything the charts rendered and the stored charts, but, like helm uninstall, not the CRDs and release namespaces', async () => {
    await api.request('DELETE', `${PROFILES}/web`);
    await api.request('DELETE', `${PROFILES}/extras`);
    await waitFor(async () => !(await api.getOrUndefined(`${PROFILES}/web`)) && !(await api.getOrUndefined(`${PROFILES}/extras`)), { what: 'profiles gone', timeoutMs: 90_000 });
    assert.equal(await api.getOrUndefined('/apis/apps/v1/namespaces/web/deployments/web'), undefined);
    assert.equal(await getCm('web', 'web-settings'), undefined);
    // A Namespace or CRD takes everything in it along: deleted only with kplane.dev/prune: "true" (agent/src/core/policy.ts).
    assert.ok(await api.getOrUndefined('/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.charts.kplane.dev'), 'the chart\'s CRD was deleted');
    assert.equal((await api.getOrUndefined<any>('/api/v1/namespaces/web'))?.status?.phase, 'Active', 'the release namespace was deleted');
    const events = await api.request<any>('GET', `/api/v1/namespaces/${NS}/events`);
    assert.ok(events.items.some((e: any) => e.reason === 'Released' && /Namespace web/.test(e.message)), 'no Released event names the namespace');
    assert.deepEqual(await chartSecrets('web'), []);
    assert.deepEqual(await chartSecrets('extras'), []);
  });
});
