/**
 * `kplane rbac <profile>` on a real kube-apiserver with RBAC on: the agent runs as a
 * ServiceAccount that has only what it needs for itself (Role kplane-agent, ClusterRole
 * kplane-agent-status of agent/deploy/rbac.yaml) plus the printed RBAC, and takes the profile
 * through apply, drift correction and deletion without a single refusal; an object outside the
 * profile (same kind, same namespace) is refused with 403.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { repoRoot, startCluster, waitFor, type TestCluster, startAgent, type RunningAgent } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { ClusterProfile } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;
const plural: Record<string, string> = { ServiceAccount: 'serviceaccounts', Role: 'roles', RoleBinding: 'rolebindings', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings' };

const profile = (name: string, manifests: unknown[]): ClusterProfile =>
  ({
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, namespace: NS },
    spec: { version: '1.0.0', reconcile: { prune: true }, layers: [{ name: 'only', namespace: 'scoped', manifests }] },
  }) as unknown as ClusterProfile;

describe('kplane rbac: the agent with only the RBAC printed for a profile (cluster)', function () {
  let cluster: TestCluster;
  let admin: KubeClient;
  let agent: RunningAgent;
  let printed: string;

  const applyAll = async (text: string) => {
    for (const doc of parseAllDocuments(text)) {
      const obj = doc.toJS();
      if (!obj) continue;
      const prefix = obj.apiVersion === 'v1' ? '/api/v1' : `/apis/${obj.apiVersion}`;
      const ns = obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : '';
      await admin.apply(`${prefix}${ns}/${plural[obj.kind]}/${obj.metadata.name}`, obj, 'test');
    }
  };

  before(async function () {
    this.timeout(120_000);
    cluster = await startCluster({ name: 'profile-rbac' });
    admin = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
    // What the agent needs for itself, without the broad kplane-agent-managed ClusterRole.
    const self = readFileSync(join(repoRoot(), 'agent', 'deploy', 'rbac.yaml'), 'utf8')
      .split(/^---$/m)
      .filter((doc) => !/name: kplane-agent-managed/.test(doc))
      .join('---');
    await applyAll(self);
    const file = join(cluster.dir, 'scoped.profile.yaml');
    writeFileSync(file, stringify(profile('scoped', [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scoped', annotations: { 'kplane.dev/prune': 'true' } } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { k: 'v' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } },
    ])));
    const run = spawnSync(process.execPath, [join(repoRoot(), 'cli', 'bin', 'kplane.js'), 'rbac', file], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    printed = run.stdout;
    await applyAll(printed);
    const token = await admin.request('POST', `/api/v1/namespaces/${NS}/serviceaccounts/kplane-agent/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    const kubeconfig = parse(cluster.kubeconfig);
    kubeconfig.users = [{ name: 'kplane-agent', user: { token: token.status.token } }];
    kubeconfig.contexts = [{ name: 'agent', context: { cluster: kubeconfig.clusters[0].name, user: 'kplane-agent' } }];
    kubeconfig['current-context'] = 'agent';
    const path = join(cluster.dir, 'agent-sa.kubeconfig');
    writeFileSync(path, stringify(kubeconfig));
    agent = await startAgent({ kubeconfigPath: path, args: ['--heartbeat', '2s'] });
  });

  after(async function () {
    this.timeout(60_000);
    await agent?.stop();
    admin?.close();
    await cluster?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && agent) console.log(`--- printed RBAC ---\n${printed}\n--- agent log (tail) ---\n${agent.logs().slice(-4000)}`);
  });

  it('prints the objects by name (in the ClusterRole: their namespace is the profile\'s own) and the watches', () => {
    const docs = parseAllDocuments(printed).map((d) => d.toJS()).filter(Boolean);
    assert.deepEqual(docs.map((d) => d.kind), ['ClusterRole', 'ClusterRoleBinding']);
    assert.deepEqual(docs[0].rules, [
      { apiGroups: [''], resources: ['configmaps', 'namespaces', 'serviceaccounts'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps'], resourceNames: ['settings'], verbs: ['get', 'create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['namespaces'], resourceNames: ['scoped'], verbs: ['get', 'create', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['serviceaccounts'], resourceNames: ['web'], verbs: ['get', 'create', 'patch', 'delete'] },
    ]);
    assert.match(printed, /# Objects in namespace scoped, which the profile creates, are granted by name in the ClusterRole/);
  });

  it('is enough for apply, drift correction and deletion, and refuses an object outside the profile', async function () {
    this.timeout(90_000);
    await admin.apply(`${PROFILES}/scoped`, profile('scoped', parse(readFileSync(join(cluster.dir, 'scoped.profile.yaml'), 'utf8')).spec.layers[0].manifests), 'kplane');
    await waitFor(async () => (await admin.request<ClusterProfile>('GET', `${PROFILES}/scoped`)).status?.appliedVersion === '1.0.0', { what: 'profile applied', timeoutMs: 30_000 });
    await admin.request('PATCH', '/api/v1/namespaces/scoped/configmaps/settings', { body: { data: { k: 'changed' } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await admin.request('GET', '/api/v1/namespaces/scoped/configmaps/settings')).data.k === 'v', { what: 'drift corrected', timeoutMs: 10_000 });

    await admin.apply(`${PROFILES}/outside`, profile('outside', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'not-granted' }, data: { k: 'v' } }]), 'kplane');
    const refused = await waitFor(async () => {
      const x = await admin.request<ClusterProfile>('GET', `${PROFILES}/outside`);
      return x.status?.layers?.[0]?.state === 'Failed' ? x : undefined;
    }, { what: 'outside profile Failed', timeoutMs: 30_000 });
    assert.match(refused.status!.layers![0].message!, /forbidden|403/i);
    await admin.request('DELETE', `${PROFILES}/outside`);

    await admin.request('DELETE', `${PROFILES}/scoped`);
    await waitFor(async () => (await admin.getOrUndefined(`${PROFILES}/scoped`)) === undefined, { what: 'profile deleted through its finalizer', timeoutMs: 20_000 });
    assert.equal(await admin.getOrUndefined('/api/v1/namespaces/scoped/configmaps/settings').then((c) => (c?.metadata.deletionTimestamp ? undefined : c)), undefined);
    const ns = await admin.getOrUndefined('/api/v1/namespaces/scoped');
    assert.ok(!ns || ns.metadata.deletionTimestamp, 'the Namespace (kplane.dev/prune: "true") was not deleted');
    const forbidden = agent.logs().split('\n').filter((l) => /forbidden/i.test(l) && !/not-granted|outside/.test(l));
    assert.deepEqual(forbidden, [], 'the agent was refused something the profile needs');
  });
});
