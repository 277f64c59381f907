/**
 * Big profiles stored compressed (@kplane/profile storedForm.ts) on a real API server with the
 * agent: the plane's apply stores a profile above 256 KiB with compressedManifests, the agent
 * decodes it and makes it Ready with its objects, kplane diff sees no differences afterwards, and
 * a compressedManifests that does not decode gets SpecValid=False naming the layer, with nothing
 * applied. Through a hub: the plane writes the profile compressed into the member's namespace on
 * the hub, the member's agent copies it verbatim and decodes it like a local one.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergedKubeconfig, runKplane, startAgent, startCluster, type RunningAgent, type TestCluster } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import { COMPRESS_ABOVE_BYTES, storedSize, type ClusterProfile, type Manifest } from '@kplane/profile';
import { applyProfile } from '@kplane/plane/cluster';
import { diffLive } from '@kplane/plane/live-diff';
import { conditionOf as condition, useAgentBed, waitForProfile } from './agentBed.js';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;

/** Grafana-like dashboards: repetitive JSON, as big stacks ship them. */
function dashboards(count: number): Manifest[] {
  return Array.from({ length: count }, (_, n) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `dashboard-${n}`, labels: { grafana_dashboard: '1' } },
    data: { [`dashboard-${n}.json`]: JSON.stringify({ title: `Dashboard ${n}`, panels: Array.from({ length: 40 }, (_, p) => ({ id: p, type: 'timeseries', title: `Panel ${p}`, targets: [{ expr: `sum(rate(http_requests_total{job="app-${n}"}[5m])) by (code)` }] })) }) },
  }));
}

function bigProfile(): ClusterProfile {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'big', namespace: NS },
    spec: {
      version: '1.0.0',
      reconcile: { mode: 'enforce', prune: true, interval: '10m' },
      layers: [
        { name: 'namespace', manifests: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } }] },
        { name: 'dashboards', namespace: 'monitoring', dependsOn: ['namespace'], manifests: dashboards(60) },
      ],
    },
  };
}

describe('big profiles stored compressed (cluster)', function () {
  const bed = useAgentBed({ cluster: { name: 'stored-form' }, agentArgs: ['--heartbeat', '5s'] });
  const getProfile = (name: string) => bed.api.request<ClusterProfile>('GET', `${PROFILES}/${name}`);
  const waitProfile = (name: string, what: string, test?: (p: ClusterProfile) => boolean) => waitForProfile(bed.api, name, what, test, { timeoutMs: 90_000 });

  it("the plane's apply stores a profile above the threshold compressed; the agent makes it Ready with its objects; kplane diff sees no differences", async function () {
    this.timeout(180_000);
    const profile = bigProfile();
    const plain = storedSize(profile as never);
    assert.ok(plain > COMPRESS_ABOVE_BYTES, `test setup: ${plain} bytes`);
    await applyProfile(bed.api, profile, { dryRun: false, timeoutMs: 60_000 });

    const stored = await getProfile('big');
    assert.deepEqual(
      stored.spec.layers.map((l) => Object.keys(l).sort().join(',')),
      // The one-object layer would not get smaller compressed (gzip's header, base64): it stays plain.
      ['manifests,name', 'compressedManifests,dependsOn,name,namespace'],
    );
    const storedBytes = JSON.stringify({ metadata: { name: 'big' }, spec: stored.spec }).length;
    console.log(`      stored spec: ${storedBytes} bytes compressed, ${plain} bytes plain`);
    assert.ok(storedBytes < plain / 5);

    const ready = await waitProfile('big', 'Ready');
    assert.deepEqual(ready.status?.layers?.map((l) => [l.name, l.state, l.resources]), [['namespace', 'Ready', 1], ['dashboards', 'Ready', 60]]);
    const cms = await bed.api.request<{ items: { metadata: { name: string; labels?: Record<string, string> }; data?: Record<string, string> }[] }>('GET', '/api/v1/namespaces/monitoring/configmaps?labelSelector=grafana_dashboard%3D1');
    assert.equal(cms.items.length, 60);
    const first = cms.items.find((c) => c.metadata.name === 'dashboard-0');
    assert.deepEqual(first?.data, profile.spec.layers[1].manifests![0].data);
    assert.equal(first?.metadata.labels?.['kplane.dev/layer'], 'dashboards');

    const diff = await diffLive(bed.api, bigProfile(), { timeoutMs: 60_000, label: 'stored-form' });
    assert.equal(diff.profile.kind, 'unchanged', JSON.stringify(diff.profile));
    assert.deepEqual(diff.objects.filter((o) => o.action !== 'unchanged').map((o) => `${o.action} ${o.ref.kind}/${o.ref.name}`), []);
    assert.equal(diff.objects.length, 61);

    // Applying the same profile again changes nothing: the same manifests give the same text.
    await applyProfile(bed.api, bigProfile(), { dryRun: false, timeoutMs: 60_000 });
    assert.equal((await getProfile('big')).metadata.generation, stored.metadata.generation);
  });

  it('a compressedManifests that does not decode gets SpecValid=False naming the layer, and nothing is applied', async function () {
    this.timeout(120_000);
    // gzip of a JSON object, not of an array of manifests.
    const notAnArray = gzipSync('{"kind":"ConfigMap"}').toString('base64');
    const broken = {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'broken', namespace: NS },
      spec: {
        version: '1.0.0',
        layers: [
          { name: 'fine', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'should-not-exist', namespace: 'default' }, data: { a: 'b' } }] },
          { name: 'corrupt', compressedManifests: notAnArray },
        ],
      },
    };
    await bed.api.apply(`${PROFILES}/broken`, broken, 'kubectl');
    const p = await waitProfile('broken', 'SpecValid=False', (x) => condition(x, 'SpecValid')?.status === 'False');
    const message = condition(p, 'SpecValid')!.message;
    assert.match(message, /Layer "corrupt": compressedManifests holds an object, not the array of manifests it must hold\. Re-apply the profile with kplane apply/);
    assert.equal(condition(p, 'Ready')?.status, 'False');
    assert.equal(await bed.api.getOrUndefined('/api/v1/namespaces/default/configmaps/should-not-exist'), undefined);
  });
});

describe('big profiles stored compressed, through a hub (cluster)', function () {
  this.timeout(300_000);
  let hub: TestCluster;
  let member: TestCluster;
  let hubApi: KubeClient;
  let memberApi: KubeClient;
  let agent: RunningAgent;
  let dir: string;

  before(async function () {
    [hub, member] = await Promise.all([startCluster({ name: 'stored-hub' }), startCluster({ name: 'stored-member' })]);
    dir = mkdtempSync(join(tmpdir(), 'kplane-stored-hub-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, mergedKubeconfig([hub, member]), { mode: 0o600 });
    hubApi = new KubeClient(loadConnection({ kubeconfigPath: hub.kubeconfigPath }));
    memberApi = new KubeClient(loadConnection({ kubeconfigPath: member.kubeconfigPath }));
    const init = await runKplane(['hub', 'init', '--context', hub.name, '--kubeconfig', kubeconfig]);
    assert.equal(init.code, 0, init.stderr);
    const joined = await runKplane(['hub', 'join', 'm1', '--hub-context', hub.name, '--context', member.name, '--kubeconfig', kubeconfig]);
    assert.equal(joined.code, 0, joined.stderr);
    agent = await startAgent({ kubeconfigPath: member.kubeconfigPath, args: ['--heartbeat', '2s', '--hub-heartbeat', '2s'] });
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && agent) console.log(`--- agent log (tail) ---\n${agent.logs().slice(-3000)}`);
  });
  after(async function () {
    this.timeout(60_000);
    await agent?.stop();
    hubApi?.close();
    memberApi?.close();
    await Promise.all([hub?.stop(), member?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the plane writes it compressed on the hub; the member copies it as it is, decodes it, and reports Ready on the hub', async () => {
    const hubNs = 'kplane-member-m1';
    await applyProfile({ client: hubApi, namespace: hubNs }, bigProfile(), { dryRun: false, timeoutMs: 60_000 });
    const onHub = await hubApi.request<ClusterProfile>('GET', `/apis/kplane.dev/v1alpha1/namespaces/${hubNs}/clusterprofiles/big`);
    assert.deepEqual(onHub.spec.layers.map((l) => Object.keys(l).sort().join(',')), ['manifests,name', 'compressedManifests,dependsOn,name,namespace']);
    const ready = await waitForProfile(hubApi, 'big', 'Ready on the hub', undefined, { namespace: hubNs, timeoutMs: 120_000 });
    assert.deepEqual(ready.status?.layers?.map((l) => [l.name, l.state, l.resources]), [['namespace', 'Ready', 1], ['dashboards', 'Ready', 60]]);
    const copy = await memberApi.request<ClusterProfile>('GET', `${PROFILES}/big`);
    assert.deepEqual(copy.spec, onHub.spec, 'the member copies the hub spec as it is');
    const cms = await memberApi.request<{ items: unknown[] }>('GET', '/api/v1/namespaces/monitoring/configmaps?labelSelector=grafana_dashboard%3D1');
    assert.equal(cms.items.length, 60);
  });
});
