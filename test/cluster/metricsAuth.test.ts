/**
 * The agent's /metrics guarded as in a cluster (`--metrics-auth kubernetes`), against a real
 * kube-apiserver with RBAC on: the agent runs as the ServiceAccount of agent/deploy/rbac.yaml
 * (so those permissions must be enough for its token and access reviews), and three callers ask:
 * a ServiceAccount bound to ClusterRole kplane-metrics-reader gets 200, one without the grant
 * 403, a request without a token 401. The probes need no token.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { repoRoot, startAgent, startCluster, type RunningAgent, type TestCluster } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';

const NS = 'kplane-system';
const PLURAL: Record<string, string> = { ServiceAccount: 'serviceaccounts', Role: 'roles', RoleBinding: 'rolebindings', ClusterRole: 'clusterroles', ClusterRoleBinding: 'clusterrolebindings' };

describe('agent /metrics behind TokenReview and SubjectAccessReview (cluster)', function () {
  let cluster: TestCluster;
  let admin: KubeClient;
  let agent: RunningAgent;
  let url: string;
  const tokens: Record<string, string> = {};

  const apply = async (obj: any) => {
    const prefix = obj.apiVersion === 'v1' ? '/api/v1' : `/apis/${obj.apiVersion}`;
    const ns = obj.metadata.namespace ? `/namespaces/${obj.metadata.namespace}` : '';
    await admin.apply(`${prefix}${ns}/${PLURAL[obj.kind]}/${obj.metadata.name}`, obj, 'test');
  };
  const tokenOf = async (namespace: string, name: string): Promise<string> => {
    const review = await admin.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
    });
    return review.status.token;
  };

  before(async function () {
    this.timeout(180_000);
    cluster = await startCluster({ name: 'metrics-auth' });
    admin = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
    for (const doc of parseAllDocuments(readFileSync(join(repoRoot(), 'agent', 'deploy', 'rbac.yaml'), 'utf8'))) await apply(doc.toJS());
    // Two callers in another namespace: one bound to the reader role the deploy files ship, one not.
    await admin.apply('/api/v1/namespaces/monitoring', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'monitoring' } }, 'test');
    for (const name of ['prometheus', 'stranger']) await apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'monitoring' } });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'prometheus-reads-kplane-metrics' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kplane-metrics-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'prometheus', namespace: 'monitoring' }],
    });
    tokens.prometheus = await tokenOf('monitoring', 'prometheus');
    tokens.stranger = await tokenOf('monitoring', 'stranger');
    const kubeconfig = parse(cluster.kubeconfig);
    kubeconfig.users = [{ name: 'kplane-agent', user: { token: await tokenOf(NS, 'kplane-agent') } }];
    kubeconfig.contexts = [{ name: 'agent', context: { cluster: kubeconfig.clusters[0].name, user: 'kplane-agent' } }];
    kubeconfig['current-context'] = 'agent';
    const path = join(cluster.dir, 'agent-sa.kubeconfig');
    writeFileSync(path, stringify(kubeconfig));
    agent = await startAgent({ kubeconfigPath: path, args: ['--metrics-auth', 'kubernetes', '--heartbeat', '2s'] });
    url = await agent.metricsUrl();
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

  const scrape = (token?: string) => fetch(`${url}/metrics`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});

  it('serves a ServiceAccount allowed get on /metrics, refuses one without the grant (403) and a request without a token (401)', async function () {
    this.timeout(30_000);
    const allowed = await scrape(tokens.prometheus);
    const body = await allowed.text();
    assert.equal(allowed.status, 200, body);
    assert.match(body, /^kplane_agent_queue_depth \d+/m);

    const forbidden = await scrape(tokens.stranger);
    const why = await forbidden.text();
    assert.equal(forbidden.status, 403, why);
    assert.match(why, /system:serviceaccount:monitoring:stranger may not get \/metrics/);

    const anonymous = await scrape();
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="kplane-agent"');

    const forged = await scrape(`${tokens.prometheus.slice(0, -4)}AAAA`);
    assert.equal(forged.status, 401, await forged.text());

    // The probes stay open for the kubelet, and no token reached the log.
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.notEqual((await fetch(`${url}/readyz`)).status, 401);
    for (const token of Object.values(tokens)) assert.ok(!agent.logs().includes(token), 'a token is in the agent log');
  });
});
