/**
 * Faults the agent must survive (minutes, so `npm run test:faults`, not `npm test`):
 * kill -9 at random points of a 100-object apply, 20 times; the API server restarted under a
 * running agent; two replicas with leader election, the leader killed.
 */
import assert from 'node:assert/strict';
import { startCluster, waitFor, type TestCluster, startAgent, type RunningAgent } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { ClusterProfile, Condition } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;

/** 100 ConfigMaps numbered from `first`, in 4 layers that depend on each other. */
function bulkProfile(name: string, first: number, version: string): ClusterProfile {
  const layers = [0, 1, 2, 3].map((l) => ({
    name: `l${l}`,
    namespace: 'bulk',
    ...(l ? { dependsOn: [`l${l - 1}`] } : {}),
    manifests: Array.from({ length: 25 }, (_, i) => {
      const n = first + l * 25 + i;
      return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${n}` }, data: { n: String(n), version } };
    }),
  }));
  layers[0].manifests.unshift({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bulk' } } as any);
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, namespace: NS },
    spec: { version, reconcile: { mode: 'enforce', prune: true, interval: '1m' }, layers },
  } as ClusterProfile;
}

const ready = (p: ClusterProfile | undefined, version?: string) =>
  !!p &&
  p.status?.conditions?.some((c: Condition) => c.type === 'Ready' && c.status === 'True') === true &&
  p.status?.observedGeneration === p.metadata.generation &&
  (version === undefined || p.status?.appliedVersion === version);

describe('agent faults', function () {
  let cluster: TestCluster;
  let api: KubeClient;
  const agents: RunningAgent[] = [];
  const start = async (args: string[] = []) => {
    const a = await startAgent({ kubeconfigPath: cluster.kubeconfigPath, args: ['--heartbeat', '2s', ...args] });
    agents.push(a);
    return a;
  };
  const profile = (name: string) => api.getOrUndefined<ClusterProfile>(`${PROFILES}/${name}`);

  before(async function () {
    this.timeout(180_000);
    cluster = await startCluster({ name: 'agent-faults' });
    api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
  });

  afterEach(function () {
    // A failed test must not leave an agent acting during the next one.
    if (this.currentTest?.state === 'failed') console.log(`--- last agent log (tail) ---\n${agents.at(-1)?.logs().slice(-3000)}`);
    for (const a of agents.splice(0)) a.kill9();
  });

  after(async function () {
    this.timeout(60_000);
    api?.close();
    await cluster?.stop();
  });

  it('converges after kill -9 at random points of 100-object applies, 20 times, with nothing lost or left over', async () => {
    // Each round switches between two versions whose object sets overlap by half, so a kill can
    // land mid-apply or mid-prune; the inventory (written before each apply) must keep track.
    let seed = 20261123;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const killedAt: string[] = [];
    let midApply = 0;
    // Measure how long one round takes undisturbed on this machine right now (a fresh agent
    // switching from one version to the other), so the kill points spread over the apply itself
    // however loaded the machine is.
    const timedRound = async (first: number, version: string) => {
      await api.apply(`${PROFILES}/bulk`, bulkProfile('bulk', first, version), 'kplane');
      const agent = await start();
      await waitFor(() => /"msg":"acting"/.test(agent.logs()), { what: 'agent acting', timeoutMs: 20_000, intervalMs: 10 });
      const acting = Date.now();
      await waitFor(async () => ready(await profile('bulk'), version), { what: `${version} applied`, timeoutMs: 60_000, intervalMs: 20 });
      const took = Date.now() - acting;
      await agent.stop();
      return took;
    };
    await timedRound(50, '0.9.0');
    const window = Math.max(200, await timedRound(0, '0.9.1'));
    for (let round = 0; round < 20; round++) {
      const version = `1.0.${round}`;
      await api.apply(`${PROFILES}/bulk`, bulkProfile('bulk', round % 2 ? 50 : 0, version), 'kplane');
      const agent = await start();
      // Random points of the apply itself: counted from when the agent starts acting (its
      // start-up, ~1 s of module loading, is not what this test is about).
      await waitFor(() => /"msg":"acting"/.test(agent.logs()), { what: 'agent acting', timeoutMs: 20_000, intervalMs: 10 });
      const wait = Math.floor(random() * window);
      await new Promise((r) => setTimeout(r, wait));
      agent.kill9();
      await agent.exited;
      // How far this round got: objects already at this round's version when it died.
      const list = await api.request('GET', '/api/v1/namespaces/bulk/configmaps', { query: { labelSelector: 'kplane.dev/profile=bulk' } }).catch(() => ({ items: [] }));
      const done = list.items.filter((c: any) => c.data?.version === version).length;
      // Objects of the other version that this round must prune (50 when it had not started).
      const first = round % 2 ? 50 : 0;
      const stale = list.items.filter((c: any) => { const n = Number(c.metadata.name.slice(3)); return n < first || n >= first + 100; }).length;
      if ((done > 0 && done < 100) || (done === 100 && stale > 0 && stale < 50)) midApply++;
      killedAt.push(`${wait}ms:${done}/100 applied, ${stale} to prune`);
    }
    const final = await start();
    const p = await waitFor(async () => {
      const x = await profile('bulk');
      return ready(x, '1.0.19') ? x : undefined;
    }, { what: 'bulk profile Ready at 1.0.19 after 20 kills', timeoutMs: 120_000, intervalMs: 250 });
    assert.equal(p.status?.resources?.total, 101);
    const list = await api.request('GET', '/api/v1/namespaces/bulk/configmaps', { query: { labelSelector: 'kplane.dev/profile=bulk' } });
    const names = list.items.map((c: any) => c.metadata.name).sort();
    const expected = Array.from({ length: 100 }, (_, i) => `cm-${50 + i}`).sort();
    assert.deepEqual(names, expected, 'objects lost or left over after the kills');
    for (const cm of list.items) assert.equal(cm.data.version, '1.0.19', `${cm.metadata.name} has a stale version`);
    const inventory = JSON.parse((await api.request('GET', `/api/v1/namespaces/${NS}/configmaps/kplane-inventory-bulk`)).data.objects);
    assert.equal(inventory.length, 101);
    await final.stop();
    console.log(`      (apply window ${window} ms; kill points after the agent started acting, and state at the kill: ${killedAt.join('; ')})`);
    assert.ok(midApply >= 3, `only ${midApply} of 20 kills landed mid-apply or mid-prune; the test would not prove anything`);
  });

  it('resumes by itself when the API server restarts under it', async () => {
    const agent = await start();
    await waitFor(async () => ready(await profile('bulk')), { what: 'bulk Ready', timeoutMs: 60_000 });
    await cluster.stopApiServer();
    await new Promise((r) => setTimeout(r, 3_000)); // the outage itself: nothing to await but time
    await cluster.startApiServer();
    const edited = Date.now();
    await api.request('PATCH', '/api/v1/namespaces/bulk/configmaps/cm-60', { body: { data: { n: 'tampered' } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await api.request('GET', '/api/v1/namespaces/bulk/configmaps/cm-60')).data.n === '60', {
      what: 'drift corrected after the API server restart',
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    console.log(`      (drift corrected ${Date.now() - edited} ms after the edit that followed the restart)`);
    const relisted = /watch expired \(410 Gone\); relisting/.test(agent.logs());
    console.log(`      (after the restart the agent ${relisted ? 'got 410 Gone and relisted' : 'resumed its watches without a 410'})`);
    // The same process did it: it rode out the outage instead of crashing and being restarted.
    assert.equal(await Promise.race([agent.exited, new Promise((r) => setImmediate(() => r('running')))]), 'running');
    await agent.stop();
  });

  it('with two replicas only the leader acts; when it is killed the other takes over within the lease duration', async () => {
    const lease = ['--leader-elect', '--lease-duration', '4s'];
    const a = await start([...lease, '--id', 'replica-a']);
    await waitFor(() => /"msg":"acting"/.test(a.logs()), { what: 'replica-a acting', timeoutMs: 20_000 });
    const b = await start([...lease, '--id', 'replica-b']);
    await waitFor(() => /"msg":"waiting to become leader"/.test(b.logs()), { what: 'replica-b standing by', timeoutMs: 20_000 });
    // Work for the leader: an edit it must correct while the standby does nothing.
    await api.request('PATCH', '/api/v1/namespaces/bulk/configmaps/cm-70', { body: { data: { n: 'x' } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await api.request('GET', '/api/v1/namespaces/bulk/configmaps/cm-70')).data.n === '70', { what: 'leader corrects drift', timeoutMs: 10_000 });
    assert.doesNotMatch(b.logs(), /"msg":"(acting|drift corrected|event)"/, 'the standby acted while the leader was alive');
    const bMetrics = await (await fetch(`${await b.metricsUrl()}/metrics`)).text();
    assert.match(bMetrics, /^kplane_agent_leader 0$/m);
    assert.doesNotMatch(bMetrics, /kplane_agent_reconcile_total\{/);

    const killed = Date.now();
    a.kill9();
    await waitFor(() => /"msg":"acting"/.test(b.logs()), { what: 'replica-b takes over', timeoutMs: 15_000, intervalMs: 50 });
    const takeover = Date.now() - killed;
    console.log(`      (failover took ${takeover} ms with a 4 s lease)`);
    assert.ok(takeover <= 4_000 + 1_500, `failover took ${takeover} ms, longer than the lease duration`);
    const holder = await api.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kplane-agent`);
    assert.equal(holder.spec.holderIdentity, 'replica-b');
    await api.request('PATCH', '/api/v1/namespaces/bulk/configmaps/cm-80', { body: { data: { n: 'x' } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await api.request('GET', '/api/v1/namespaces/bulk/configmaps/cm-80')).data.n === '80', { what: 'new leader corrects drift', timeoutMs: 10_000 });
    // No double apply: after the takeover, every object still has exactly one Apply manager.
    const list = await api.request('GET', '/api/v1/namespaces/bulk/configmaps', { query: { labelSelector: 'kplane.dev/profile=bulk' } });
    for (const cm of list.items) {
      const appliers = cm.metadata.managedFields.filter((f: any) => f.operation === 'Apply').map((f: any) => f.manager);
      assert.deepEqual(appliers, ['kplane-agent'], `${cm.metadata.name} has appliers ${appliers.join(', ')}`);
    }

    // Graceful shutdown hands the Lease over at once instead of letting it expire.
    const c = await start([...lease, '--id', 'replica-c']);
    await waitFor(() => /"msg":"waiting to become leader"/.test(c.logs()), { what: 'replica-c standing by', timeoutMs: 20_000 });
    const stopped = Date.now();
    await b.stop();
    assert.equal(await b.exited, 0);
    await waitFor(() => /"msg":"acting"/.test(c.logs()), { what: 'replica-c takes over', timeoutMs: 10_000, intervalMs: 50 });
    const handover = Date.now() - stopped;
    console.log(`      (graceful handover took ${handover} ms)`);
    assert.ok(handover < 4_000, `graceful handover took ${handover} ms, as long as an expiry`);
    await c.stop();
  });
});
