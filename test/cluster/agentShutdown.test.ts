/**
 * SIGTERM in the middle of applying a big profile: the agent exits with 0 and leaves the Lease
 * released (no holder), so a standby takes over at once rather than after the lease duration.
 * The time from signal to exit is printed, not asserted (speed belongs to benchmarks).
 */
import assert from 'node:assert/strict';
import { startCluster, waitFor, type TestCluster, startAgent } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { ClusterProfile } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;
const LEASE = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kplane-agent`;

describe('agent shutdown (cluster)', function () {
  let cluster: TestCluster;
  let api: KubeClient;

  before(async function () {
    this.timeout(240_000);
    cluster = await startCluster({ name: 'agent-shutdown' });
    api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
  });

  after(async function () {
    this.timeout(60_000);
    api?.close();
    await cluster?.stop();
  });

  it('on SIGTERM while applying, exits 0 with the Lease released', async () => {
    const agent = await startAgent({ kubeconfigPath: cluster.kubeconfigPath, args: ['--leader-elect', '--id', 'a', '--lease-duration', '60s'] });
    try {
      await waitFor(async () => (await api.getOrUndefined<any>(LEASE))?.spec?.holderIdentity === 'a', { what: 'agent a holds the Lease', timeoutMs: 30_000 });
      const manifests = Array.from({ length: 400 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { payload: 'x'.repeat(2_000) } }));
      const profile = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'big', namespace: NS }, spec: { version: '1.0.0', layers: [{ name: 'all', namespace: NS, manifests }] } } as unknown as ClusterProfile;
      await api.apply(`${PROFILES}/big`, profile, 'kplane');
      // Signal once the agent is busy with it: some objects exist, not all.
      await waitFor(async () => ((await api.request<any>('GET', `/api/v1/namespaces/${NS}/configmaps`, { query: { labelSelector: 'kplane.dev/profile=big' } })).items.length > 0), { what: 'first objects applied', timeoutMs: 30_000, intervalMs: 20 });
      const signalled = Date.now();
      const code = await new Promise<number | string>((resolve) => {
        void agent.exited.then(resolve);
        process.kill(agent.pid, 'SIGTERM');
      });
      console.log(`      (SIGTERM → exit: ${Date.now() - signalled} ms)`);
      assert.equal(code, 0, agent.logs().slice(-2000));
      const lease = await api.request<any>('GET', LEASE);
      assert.equal(lease.spec.holderIdentity ?? '', '', 'the Lease still names a holder after shutdown');
      assert.deepEqual([...new Set((lease.metadata.managedFields ?? []).map((f: { manager?: string }) => f.manager))], ['kplane-agent'], 'the Lease was written without the agent\'s field manager');
    } finally {
      await agent.stop();
    }
  });
});
