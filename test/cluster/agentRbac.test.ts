/**
 * The agent running as the ServiceAccount of agent/deploy/rbac.yaml (a bearer token from the
 * TokenRequest API, against a kube-apiserver with RBAC on): those permissions are enough for a
 * whole profile lifecycle with leader election, and a kind the RBAC does not grant is reported
 * in the profile's status instead of failing silently.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { repoRoot, startCluster, waitFor, type TestCluster, startAgent, type RunningAgent } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { ClusterProfile } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;

describe('agent with the least-privilege RBAC of agent/deploy (cluster)', function () {
  let cluster: TestCluster;
  let admin: KubeClient;
  let agent: RunningAgent;

  before(async function () {
    this.timeout(120_000);
    cluster = await startCluster({ name: 'agent-rbac' });
    admin = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
    const plural: Record<string, string> = { ServiceAccount: 'serviceaccounts', Role: 'roles', RoleBinding: 'rolebindings', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings' };
    for (const doc of parseAllDocuments(readFileSync(join(repoRoot(), 'agent', 'deploy', 'rbac.yaml'), 'utf8'))) {
      const obj = doc.toJS();
      const prefix = obj.apiVersion === 'v1' ? '/api/v1' : `/apis/${obj.apiVersion}`;
      const ns = obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : '';
      await admin.apply(`${prefix}${ns}/${plural[obj.kind]}/${obj.metadata.name}`, obj, 'test');
    }
    const token = await admin.request('POST', `/api/v1/namespaces/${NS}/serviceaccounts/kplane-agent/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    const kubeconfig = parse(cluster.kubeconfig);
    kubeconfig.users = [{ name: 'kplane-agent', user: { token: token.status.token } }];
    kubeconfig.contexts = [{ name: 'agent', context: { cluster: kubeconfig.clusters[0].name, user: 'kplane-agent' } }];
    kubeconfig['current-context'] = 'agent';
    const path = join(cluster.dir, 'agent-sa.kubeconfig');
    writeFileSync(path, stringify(kubeconfig));
    agent = await startAgent({ kubeconfigPath: path, args: ['--leader-elect', '--lease-duration', '6s', '--heartbeat', '2s'] });
  });

  after(async function () {
    this.timeout(60_000);
    await agent?.stop();
    admin?.close();
    await cluster?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && agent) console.log(`--- agent log (tail) ---\n${agent.logs().slice(-4000)}`);
  });

  const profile = (name: string, manifests: unknown[]): ClusterProfile =>
    ({
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name, namespace: NS },
      spec: { version: '1.0.0', reconcile: { prune: true }, layers: [{ name: 'only', namespace: 'rbac-app', manifests }] },
    }) as unknown as ClusterProfile;

  it('runs a profile through apply, drift correction and deletion with only those permissions', async () => {
    await admin.apply(`${PROFILES}/granted`, profile('granted', [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rbac-app' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } },
    ]), 'kplane');
    await waitFor(async () => (await admin.request<ClusterProfile>('GET', `${PROFILES}/granted`)).status?.appliedVersion === '1.0.0', { what: 'granted profile applied', timeoutMs: 30_000 });
    await admin.request('PATCH', '/api/v1/namespaces/rbac-app/configmaps/c', { body: { data: { k: 'changed' } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await admin.request('GET', '/api/v1/namespaces/rbac-app/configmaps/c')).data.k === 'v', { what: 'drift corrected', timeoutMs: 10_000 });
    const lease = await admin.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/kplane-agent`);
    assert.ok(lease.spec.holderIdentity, 'no leader recorded in the Lease');
    const agentStatus = await admin.request('GET', `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusteragents/agent`);
    assert.equal(agentStatus.status.profiles.total, 1);
    await admin.request('DELETE', `${PROFILES}/granted`);
    await waitFor(async () => (await admin.getOrUndefined(`${PROFILES}/granted`)) === undefined, { what: 'profile deleted through its finalizer', timeoutMs: 20_000 });
    assert.equal(await admin.getOrUndefined('/api/v1/namespaces/rbac-app/serviceaccounts/sa').then((sa) => sa?.metadata.deletionTimestamp ? undefined : sa), undefined);
    assert.doesNotMatch(agent.logs(), /forbidden/i, 'the agent was refused something it needs');
  });

  it('reports a kind the RBAC does not grant as a failed layer with the 403 reason', async () => {
    await admin.apply(`${PROFILES}/denied`, profile('denied', [
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'not-allowed' }, rules: [] },
    ]), 'kplane');
    const p = await waitFor(async () => {
      const x = await admin.request<ClusterProfile>('GET', `${PROFILES}/denied`);
      return x.status?.conditions?.find((c) => c.type === 'Applied' && c.status === 'False' && c.reason === 'ApplyFailed') ? x : undefined;
    }, { what: 'denied profile ApplyFailed', timeoutMs: 30_000 });
    assert.match(p.status!.layers![0].message!, /forbidden|403/i);
    assert.equal(p.status!.layers![0].state, 'Failed');
    assert.equal(await admin.getOrUndefined('/apis/rbac.authorization.k8s.io/v1/clusterroles/not-allowed'), undefined);
  });
});
