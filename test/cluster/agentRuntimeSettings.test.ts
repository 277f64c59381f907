/**
 * What the agent takes from its surroundings at runtime, against one real kube-apiserver and one
 * agent for the whole file:
 * - its connection through a kubeconfig `exec` auth plugin (the @kubernetes/client-node path of
 *   agent/src/k8s/kubeconfig.ts), with the credential expiring so the plugin is run again;
 * - ClusterAgent spec.heartbeatInterval, read at start and followed when it changes (no
 *   --heartbeat flag), measured as gaps between heartbeatTime values;
 * - a Resource (metrics.k8s.io) scaling policy on a cluster without metrics-server: the status
 *   says so, and nothing is scaled.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startCluster, waitFor, type TestCluster, startAgent, type RunningAgent } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { ClusterAgent, ClusterProfile, Condition } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;
const AGENTS = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusteragents`;
/** How long the plugin's credential is valid; short, so the agent must run the plugin again. */
const CREDENTIAL_TTL_S = 5;

/**
 * The exec plugin: prints an ExecCredential with the bed's admin client certificate and key,
 * expiring in CREDENTIAL_TTL_S, and appends a line to a file per run so the test can count runs.
 */
const PLUGIN = `
import { appendFileSync, readFileSync } from 'node:fs';
const [credentialFile, runsFile] = process.argv.slice(2);
appendFileSync(runsFile, new Date().toISOString() + '\\n');
const { cert, key } = JSON.parse(readFileSync(credentialFile, 'utf8'));
process.stdout.write(JSON.stringify({
  apiVersion: 'client.authentication.k8s.io/v1',
  kind: 'ExecCredential',
  status: { clientCertificateData: cert, clientKeyData: key, expirationTimestamp: new Date(Date.now() + ${CREDENTIAL_TTL_S}_000).toISOString() },
}));
`;

describe('agent runtime settings: exec auth plugin, heartbeat interval, Resource metrics (cluster)', function () {
  let cluster: TestCluster;
  let api: KubeClient;
  let agent: RunningAgent;
  let runsFile: string;

  const condition = (p: ClusterProfile, type: string): Condition | undefined => p.status?.conditions?.find((c) => c.type === type);
  const getProfile = (name: string) => api.request<ClusterProfile>('GET', `${PROFILES}/${name}`);
  const pluginRuns = () => readFileSync(runsFile, 'utf8').split('\n').filter(Boolean).length;
  const setHeartbeat = (interval: string) =>
    api.request('PATCH', `${AGENTS}/agent`, { body: { spec: { heartbeatInterval: interval } }, contentType: 'application/merge-patch+json' });

  /**
   * Polls the ClusterAgent until `count` heartbeats after `since` were seen; returns the gaps
   * between consecutive heartbeatTime values in seconds (the field has 1 s resolution) and the
   * last heartbeatTime.
   */
  async function heartbeats(count: number, since: string, timeoutMs: number): Promise<{ gaps: number[]; last: string }> {
    const seen: string[] = [];
    await waitFor(async () => {
      const a = await api.request<ClusterAgent>('GET', `${AGENTS}/agent`);
      const t = a.status?.heartbeatTime;
      if (t && t > since && t !== seen.at(-1)) seen.push(t);
      return seen.length >= count;
    }, { what: `${count} heartbeats after ${since}`, timeoutMs, intervalMs: 100 });
    return { gaps: seen.slice(1).map((t, k) => (Date.parse(t) - Date.parse(seen[k])) / 1000), last: seen.at(-1)! };
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const nowSeconds = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  before(async function () {
    this.timeout(180_000);
    // No workloads: nothing here needs pods to run, and the bed has no metrics-server either way.
    cluster = await startCluster({ name: 'agent-settings', nodes: 1 });
    api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));

    // The agent's kubeconfig: same server and CA, but its user is only an exec plugin.
    const admin = parse(cluster.kubeconfig);
    const adminUser = admin.users[0].user;
    const pem = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
    const credentialFile = join(cluster.dir, 'exec-credential.json');
    writeFileSync(credentialFile, JSON.stringify({ cert: pem(adminUser['client-certificate-data']), key: pem(adminUser['client-key-data']) }), { mode: 0o600 });
    const plugin = join(cluster.dir, 'exec-plugin.mjs');
    writeFileSync(plugin, PLUGIN);
    runsFile = join(cluster.dir, 'exec-plugin-runs');
    writeFileSync(runsFile, '');
    const kubeconfigPath = join(cluster.dir, 'kubeconfig-exec');
    writeFileSync(kubeconfigPath, stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: admin.clusters,
      users: [{ name: 'exec-user', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin, credentialFile, runsFile], interactiveMode: 'Never' } } }],
      contexts: [{ name: 'exec', context: { cluster: admin.clusters[0].name, user: 'exec-user' } }],
      'current-context': 'exec',
    }), { mode: 0o600 });

    // The ClusterAgent exists before the agent does, with an interval the agent must read at
    // start (its default is 30 s, and this file passes no --heartbeat).
    await api.request('POST', AGENTS, { body: { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent', namespace: NS }, spec: { heartbeatInterval: '1s' } } });
    agent = await startAgent({ kubeconfigPath, args: ['--scaling-period', '500ms'] });
  });

  after(async function () {
    this.timeout(60_000);
    await agent?.stop();
    api?.close();
    await cluster?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && agent) console.log(`--- agent log (tail) ---\n${agent.logs().slice(-4000)}`);
  });

  it('connects through an exec auth plugin, reconciles a profile to Ready and runs the plugin again when the credential expires', async function () {
    this.timeout(60_000);
    const profile = {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'via-exec', namespace: NS },
      spec: { version: '1.0.0', layers: [{ name: 'l', namespace: 'default', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'via-exec' }, data: { hello: 'exec' } }] }] },
    } as unknown as ClusterProfile;
    await api.apply(`${PROFILES}/via-exec`, profile, 'kplane');
    const p = await waitFor(async () => {
      const x = await getProfile('via-exec');
      return condition(x, 'Ready')?.status === 'True' && x.status?.observedGeneration === x.metadata.generation ? x : undefined;
    }, { what: 'profile via-exec Ready', timeoutMs: 30_000, intervalMs: 100 });
    assert.equal(p.status?.appliedVersion, '1.0.0');
    const cm = await api.request('GET', '/api/v1/namespaces/default/configmaps/via-exec');
    assert.equal(cm.data.hello, 'exec');
    assert.ok(cm.metadata.managedFields.some((f: any) => f.manager === 'kplane-agent' && f.operation === 'Apply'), 'not applied by the agent');
    // The kubeconfig holds no other credential, so all of that went through the plugin.
    const first = pluginRuns();
    assert.ok(first >= 1, 'the exec plugin never ran');
    assert.match(agent.logs(), /"msg":"connecting".*"via":"[^"]*auth plugin via @kubernetes\/client-node/);
    // The credential expires after CREDENTIAL_TTL_S; the heartbeat keeps the agent talking, so
    // the plugin must run again, and the agent keeps working with the new credential.
    await waitFor(() => pluginRuns() > first, { what: `the exec plugin run again after its credential expired (${CREDENTIAL_TTL_S} s)`, timeoutMs: (CREDENTIAL_TTL_S + 10) * 1000, intervalMs: 200 });
    const since = nowSeconds();
    await heartbeats(1, since, 10_000);
    assert.doesNotMatch(agent.logs(), /"status":401|Unauthorized/, 'a request was refused as unauthenticated');
  });

  it('follows spec.heartbeatInterval of its ClusterAgent: read at start, then changed through the API', async function () {
    this.timeout(90_000);
    // Read at start: 1 s (the 30 s default would take minutes here).
    const fast = (await heartbeats(3, nowSeconds(), 15_000)).gaps;
    // A heartbeat is written, then the agent sleeps the interval: gaps are ≥ the interval (the
    // second truncation cannot make them shorter) plus the write's latency, which load stretches.
    assert.ok(fast.every((g) => g >= 1), `gaps ${fast} s at heartbeatInterval 1s`);
    assert.ok(median(fast) <= 3, `gaps ${fast} s at heartbeatInterval 1s: the agent did not use the ClusterAgent's interval`);

    // Slower: from the next heartbeat on, the agent sleeps 4 s.
    await setHeartbeat('4s');
    await heartbeats(1, nowSeconds(), 10_000);
    const slow = await heartbeats(3, nowSeconds(), 25_000);
    assert.ok(slow.gaps.every((g) => g >= 4), `gaps ${slow.gaps} s after heartbeatInterval 4s: still beating faster`);
    assert.ok(median(slow.gaps) <= 6, `gaps ${slow.gaps} s after heartbeatInterval 4s`);

    // Faster again, changed just after a heartbeat (seen within 100 ms), when the agent has just
    // begun a 4 s sleep: the agent must cut that sleep short and beat at once, not ~4 s later
    // (else a management plane expecting 1 s beats would see this cluster as stale meanwhile).
    // Ordering, not a time budget: the next beat is stamped before the old sleep would have
    // ended (heartbeatTime has 1 s resolution, so sleeping on gives a gap of at least 4).
    // How fast it reacts is measured by npm run bench:agent-settings.
    await setHeartbeat('1s');
    const changed = Date.now();
    const next = await heartbeats(1, slow.last, 10_000);
    const reaction = Date.now() - changed;
    const gap = (Date.parse(next.last) - Date.parse(slow.last)) / 1000;
    assert.ok(gap < 4, `the first heartbeat after the interval went from 4s to 1s came ${gap} s after the previous one: the agent slept on`);
    const again = (await heartbeats(3, nowSeconds(), 15_000)).gaps;
    assert.ok(median(again) <= 3, `gaps ${again} s after heartbeatInterval back to 1s`);
    assert.match(agent.logs(), /"msg":"heartbeat interval changed".*"from":1000.*"to":4000/);
    assert.match(agent.logs(), /"msg":"heartbeat interval changed".*"from":4000.*"to":1000/);
    console.log(`      heartbeat gaps (s): 1s → [${fast}], 4s → [${slow.gaps}], back to 1s → [${again}]; 4s→1s took effect after ${reaction} ms`);
  });

  it('a Resource (metrics.k8s.io) policy on a cluster without metrics-server: status says why, nothing is scaled', async function () {
    this.timeout(60_000);
    const worker = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'cpu-worker' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'cpu-worker' } }, template: { metadata: { labels: { app: 'cpu-worker' } }, spec: { containers: [{ name: 'w', image: 'nginx:1.27' }] } } },
    };
    // This cluster runs no controller-manager, so a Deployment never becomes available: a layer
    // that waits on one holds back the layers after it for as long as the test wants.
    const gate = { ...worker, metadata: { name: 'gate' }, spec: { ...worker.spec, replicas: 1 } };
    const profile = (version: string, gateWaits: boolean) => ({
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'cpu-scaled', namespace: NS },
      spec: {
        version,
        layers: [
          { name: 'gate', namespace: 'default', wait: gateWaits, manifests: [gate] },
          { name: 'l', namespace: 'default', dependsOn: ['gate'], manifests: [worker] },
        ],
        scaling: [{
          name: 'cpu',
          target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'cpu-worker', namespace: 'default' },
          minReplicas: 1,
          maxReplicas: 5,
          metric: { type: 'Resource', resource: { name: 'cpu' }, targetAverageValue: '200m' },
        }],
      },
    }) as unknown as ClusterProfile;
    const scalingReason = (what: string, re: RegExp) =>
      waitFor(async () => {
        const x = await getProfile('cpu-scaled');
        return re.test(x.status?.scaling?.[0]?.reason ?? '') ? x.status!.scaling![0] : undefined;
      }, { what: `scaling status: ${what}`, timeoutMs: 20_000, intervalMs: 100 });
    // The premise: this API server serves no metrics.k8s.io.
    assert.equal(await api.getOrUndefined('/apis/metrics.k8s.io/v1beta1'), undefined, 'the bed serves metrics.k8s.io; this test needs a cluster without it');

    // First the target is held back by the gate: that is said, and no replica count is made up.
    await api.apply(`${PROFILES}/cpu-scaled`, profile('1.0.0', true), 'kplane');
    const missing = await scalingReason('target missing', /cpu-worker does not exist yet/);
    assert.equal(missing.lastDecision, 'InvalidMetric');

    assert.equal(await api.getOrUndefined('/apis/apps/v1/namespaces/default/deployments/cpu-worker'), undefined, 'the gate did not hold the target back');
    // Then the gate opens and the target arrives with 2 replicas; the unreadable metric must not
    // replace them (not even with minReplicas, the guess made while the target was missing).
    await api.apply(`${PROFILES}/cpu-scaled`, profile('1.1.0', false), 'kplane');
    const scaling = await scalingReason('naming metrics.k8s.io', /metrics\.k8s\.io/);
    assert.equal(scaling.reason, 'MetricUnavailable: metrics.k8s.io is not served by this cluster (no metrics-server); install metrics-server, or use an Object metric');
    assert.equal(scaling.metricValue, undefined);
    assert.equal(scaling.lastDecision, 'InvalidMetric');
    assert.deepEqual([scaling.current, scaling.desired], [2, 2]);
    await waitFor(async () => (await getProfile('cpu-scaled')).status?.appliedVersion === '1.1.0', { what: 'version 1.1.0 applied', timeoutMs: 20_000, intervalMs: 100 });
    assert.equal((await getProfile('cpu-scaled')).status?.conditions?.find((c) => c.type === 'SpecValid')?.status, 'True');
    // Scaling is a negative here (nothing may change), so give the 500 ms scaling loop several
    // passes and check after each that the replicas stay the manifest's.
    const deployment = () => api.request('GET', '/apis/apps/v1/namespaces/default/deployments/cpu-worker');
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      assert.equal((await deployment()).spec.replicas, 2, 'replicas changed without a readable metric');
      await new Promise((r) => setTimeout(r, 250));
    }
    const later = (await getProfile('cpu-scaled')).status!.scaling![0];
    assert.equal(later.lastDecision, 'InvalidMetric');
    assert.doesNotMatch(agent.logs(), /"msg":"scaling decision".*"policy":"cpu"/);
    assert.doesNotMatch(agent.logs(), /scaling policy could not be evaluated/);
    assert.equal(agent.logs().match(/"level":"error"/), null, 'the agent logged an error');
    assert.doesNotThrow(() => process.kill(agent.pid, 0), 'the agent process is gone');
  });
});
