/**
 * Hub mode against real API servers (docs/hub.md): a hub and three members, joined with
 * `kplane hub init/join` as a user would run them; each member's agent finds its kplane-hub
 * Secret. A profile written to two member namespaces on the hub reaches exactly those members,
 * which report it Ready on the hub; an edit and a removal on the hub follow. Then a member's hub
 * token, used as an attacker would, gets 403 for everything outside its own namespace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { mergedKubeconfig, runKplane, startCluster, startAgent, waitFor, type RunningAgent, type TestCluster } from '@kplane/bed';
import { KubeClient, KubeError, loadConnection } from '@kplane/kube';
import type { ClusterAgent, ClusterProfile } from '@kplane/profile';

const API = '/apis/kplane.dev/v1alpha1';
const MEMBERS = ['m1', 'm2', 'm3'];

const kplane = (args: string[]) => runKplane(args);

const profile = (name: string, value: string): ClusterProfile => ({
  apiVersion: 'kplane.dev/v1alpha1',
  kind: 'ClusterProfile',
  metadata: { name },
  spec: { version: value, layers: [{ name: 'base', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-cm`, namespace: 'default' }, data: { value } }] }] },
} as ClusterProfile);

const readyFor = (p: ClusterProfile | undefined) => !!p && p.status?.observedGeneration === p.metadata.generation && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

describe('hub mode: join, profiles through the hub, isolation (cluster)', function () {
  this.timeout(240_000);
  let hub: TestCluster;
  let members: TestCluster[] = [];
  let hubApi: KubeClient;
  let memberApis: KubeClient[] = [];
  const agents: RunningAgent[] = [];
  let dir: string;
  let kubeconfig: string;

  before(async function () {
    this.timeout(300_000);
    const started = await Promise.all([startCluster({ name: 'hub' }), ...MEMBERS.map((m) => startCluster({ name: `hub-${m}` }))]);
    [hub, ...members] = started;
    dir = mkdtempSync(join(tmpdir(), 'kplane-hub-test-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, mergedKubeconfig(started), { mode: 0o600 });
    hubApi = new KubeClient(loadConnection({ kubeconfigPath: hub.kubeconfigPath }));
    memberApis = members.map((m) => new KubeClient(loadConnection({ kubeconfigPath: m.kubeconfigPath })));
    const init = await kplane(['hub', 'init', '--context', hub.name, '--kubeconfig', kubeconfig]);
    assert.equal(init.code, 0, init.stderr);
    const labels = ['env=prod,region=eu', 'env=prod,region=us', 'env=dev,region=eu'];
    for (const [i, m] of MEMBERS.entries()) {
      const join = await kplane(['hub', 'join', m, '--hub-context', hub.name, '--context', members[i].name, '--labels', labels[i], '--display-name', `Member ${m}`, '--kubeconfig', kubeconfig]);
      assert.equal(join.code, 0, join.stderr);
    }
    for (const m of members) agents.push(await startAgent({ kubeconfigPath: m.kubeconfigPath, args: ['--heartbeat', '2s', '--hub-heartbeat', '2s'] }));
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const a of agents) console.log(`--- agent log (tail) ---\n${a.logs().slice(-3000)}`);
  });

  after(async function () {
    this.timeout(60_000);
    await Promise.all(agents.map((a) => a.stop()));
    hubApi?.close();
    for (const a of memberApis) a.close();
    await Promise.all([hub?.stop(), ...members.map((m) => m.stop())]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('join: each member has its hub namespace, ClusterAgent with labels, and reports status and a heartbeat Lease there', async () => {
    for (const [i, m] of MEMBERS.entries()) {
      const ns = `kplane-member-${m}`;
      const agent = await waitFor(async () => {
        const a = await hubApi.getOrUndefined<ClusterAgent>(`${API}/namespaces/${ns}/clusteragents/agent`);
        return a?.status?.agentVersion ? a : undefined;
      }, { what: `${m} status on the hub`, timeoutMs: 60_000 });
      assert.equal(agent.spec.labels?.env, i < 2 ? 'prod' : 'dev');
      assert.equal(agent.metadata.labels?.env, i < 2 ? 'prod' : 'dev', 'spec labels are copied to metadata.labels for label selectors');
      assert.equal(agent.spec.displayName, `Member ${m}`);
      assert.ok((agent.status?.nodes?.total ?? -1) >= 0);
      // The member's identity, the same as in its own ClusterAgent: how the plane shows it once.
      const kubeSystem = await memberApis[i].request<{ metadata: { uid: string } }>('GET', '/api/v1/namespaces/kube-system');
      assert.equal(agent.status?.clusterId, kubeSystem.metadata.uid);
      const lease: any = await waitFor(() => hubApi.getOrUndefined(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/agent-heartbeat`), { what: `${m} heartbeat Lease`, timeoutMs: 30_000 });
      assert.equal(lease.spec.leaseDurationSeconds, 6);
      // Neither records field owners on the hub (profile/src/hub.ts UNTRACKED_FIELDS): join cleared
      // the ClusterAgent's, the agent's status writes add none, its first renewal clears the Lease's.
      assert.equal((await hubApi.request<ClusterAgent>('GET', `${API}/namespaces/${ns}/clusteragents/agent`)).metadata.managedFields, undefined);
      await waitFor(async () => (await hubApi.request<any>('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/agent-heartbeat`)).metadata.managedFields === undefined, { what: `${m} Lease without managedFields`, timeoutMs: 30_000 });
    }
    // --update sets the labels as given: the one this join drops goes (as server-side apply would
    // remove it), though no field owner is recorded any more; a label someone else added stays.
    await hubApi.request('PATCH', `${API}/namespaces/kplane-member-m3/clusteragents/agent`, { body: { metadata: { labels: { 'team': 'ops' } } }, contentType: 'application/merge-patch+json' });
    const update = await kplane(['hub', 'join', 'm3', '--update', '--hub-context', hub.name, '--context', members[2].name, '--labels', 'env=dev,tier=edge', '--kubeconfig', kubeconfig]);
    assert.equal(update.code, 0, update.stderr);
    const updated = await hubApi.request<ClusterAgent>('GET', `${API}/namespaces/kplane-member-m3/clusteragents/agent`);
    assert.deepEqual(updated.spec.labels, { env: 'dev', tier: 'edge' });
    assert.deepEqual(updated.metadata.labels, { env: 'dev', tier: 'edge', team: 'ops', 'kplane.dev/hub-member': 'm3' });
    assert.equal(updated.spec.displayName, undefined);
    assert.equal(updated.metadata.managedFields, undefined);
    const again = await kplane(['hub', 'join', 'm1', '--hub-context', hub.name, '--context', members[0].name, '--kubeconfig', kubeconfig]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already joined.*--update/);
    const crossed = await kplane(['hub', 'join', 'm9', '--hub-context', hub.name, '--context', members[0].name, '--kubeconfig', kubeconfig]);
    assert.equal(crossed.code, 1);
    assert.match(crossed.stderr, /already joined to a hub as "m1"/);
  });

  it('a profile written to two member namespaces reaches exactly those members, which report Ready on the hub; edits and removal follow', async () => {
    for (const m of ['m1', 'm2']) await hubApi.apply(`${API}/namespaces/kplane-member-${m}/clusterprofiles/web`, { ...profile('web', '1.0.0'), metadata: { name: 'web', namespace: `kplane-member-${m}` } }, 'kplane');
    for (const [i, m] of ['m1', 'm2'].entries()) {
      const ready = await waitFor(async () => {
        const p = await hubApi.getOrUndefined<ClusterProfile>(`${API}/namespaces/kplane-member-${m}/clusterprofiles/web`);
        return readyFor(p) ? p : undefined;
      }, { what: `web Ready on the hub for ${m}`, timeoutMs: 60_000 });
      assert.equal(ready.status?.appliedVersion, '1.0.0');
      const cm = await memberApis[i].request('GET', '/api/v1/namespaces/default/configmaps/web-cm');
      assert.equal(cm.data.value, '1.0.0');
      const local = await memberApis[i].request<ClusterProfile>('GET', `${API}/namespaces/kplane-system/clusterprofiles/web`);
      assert.equal(local.metadata.labels?.['kplane.dev/hub-source'], `kplane-member-${m}`);
    }
    assert.equal(await memberApis[2].getOrUndefined(`${API}/namespaces/kplane-system/clusterprofiles/web`), undefined, 'm3 got a profile not assigned to it');
    assert.equal(await memberApis[2].getOrUndefined('/api/v1/namespaces/default/configmaps/web-cm'), undefined);

    // An edit on the hub (several generations ahead of the copy) reaches the member and is Ready for the hub's generation.
    await hubApi.apply(`${API}/namespaces/kplane-member-m1/clusterprofiles/web`, { ...profile('web', '1.0.1'), metadata: { name: 'web', namespace: 'kplane-member-m1' } }, 'kplane');
    await hubApi.request('PATCH', `${API}/namespaces/kplane-member-m1/clusterprofiles/web`, { body: { spec: { version: '1.0.2', layers: profile('web', '1.0.2').spec.layers } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => {
      const p = await hubApi.getOrUndefined<ClusterProfile>(`${API}/namespaces/kplane-member-m1/clusterprofiles/web`);
      return readyFor(p) && p!.status?.appliedVersion === '1.0.2';
    }, { what: 'web 1.0.2 Ready on the hub for m1', timeoutMs: 60_000 });
    assert.equal((await memberApis[0].request('GET', '/api/v1/namespaces/default/configmaps/web-cm')).data.value, '1.0.2');

    // Removed on the hub: the local copy goes, and with it what it applied.
    await hubApi.request('DELETE', `${API}/namespaces/kplane-member-m2/clusterprofiles/web`);
    await waitFor(async () => (await memberApis[1].getOrUndefined(`${API}/namespaces/kplane-system/clusterprofiles/web`)) === undefined, { what: 'm2 local copy deleted', timeoutMs: 60_000 });
    await waitFor(async () => (await memberApis[1].getOrUndefined('/api/v1/namespaces/default/configmaps/web-cm')) === undefined, { what: 'm2 ConfigMap pruned', timeoutMs: 60_000 });
    assert.equal((await memberApis[0].request('GET', '/api/v1/namespaces/default/configmaps/web-cm')).data.value, '1.0.2', 'm1 kept its profile');

    // A local edit of the copy is put back to the hub's spec (the hub is the source).
    await memberApis[0].request('PATCH', `${API}/namespaces/kplane-system/clusterprofiles/web`, { body: { spec: { version: '6.6.6' } }, contentType: 'application/merge-patch+json' });
    await waitFor(async () => (await memberApis[0].request<ClusterProfile>('GET', `${API}/namespaces/kplane-system/clusterprofiles/web`)).spec.version === '1.0.2', { what: 'local edit of the copy reverted', timeoutMs: 30_000 });
  });

  it('isolation: a member\'s hub token gets 403 outside its own namespace, tried as an attacker would', async () => {
    const secret = await memberApis[0].request('GET', '/api/v1/namespaces/kplane-system/secrets/kplane-hub');
    const text = Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8');
    const kc = parse(text);
    const token: string = kc.users[0].user.token;
    const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64');
    const server = new URL(kc.clusters[0].cluster.server);
    assert.equal(kc.contexts[0].context.namespace, 'kplane-member-m1');
    const as = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = httpsRequest({ hostname: server.hostname, port: server.port, path, method, ca, headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(payload ? { 'Content-Type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}), ...headers } }, (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined }));
        });
        req.on('error', reject);
        if (payload) req.write(payload);
        req.end();
      });
    const own = 'kplane-member-m1';
    const other = 'kplane-member-m2';
    // What it must be able to do (else the 403s below would prove nothing).
    assert.equal((await as('GET', `${API}/namespaces/${own}/clusterprofiles`)).status, 200);
    assert.equal((await as('GET', `${API}/namespaces/${own}/clusteragents/agent`)).status, 200);
    const attempts: [string, string, unknown?, Record<string, string>?][] = [
      ['GET', '/api/v1/namespaces'],
      ['GET', `/api/v1/namespaces/${other}`],
      ['GET', '/api/v1/secrets'],
      ['GET', `/api/v1/namespaces/${own}/secrets`],
      ['GET', `/api/v1/namespaces/${other}/secrets`],
      ['GET', `/api/v1/namespaces/${own}/configmaps`],
      ['GET', `${API}/clusterprofiles`],
      ['GET', `${API}/clusteragents`],
      ['GET', `${API}/namespaces/${other}/clusterprofiles`],
      ['GET', `${API}/namespaces/${other}/clusterprofiles?watch=true`],
      ['GET', `${API}/namespaces/${other}/clusteragents/agent`],
      ['GET', `/apis/coordination.k8s.io/v1/namespaces/${other}/leases/agent-heartbeat`],
      ['POST', `${API}/namespaces/${other}/clusterprofiles`, { ...profile('evil', '1'), metadata: { name: 'evil', namespace: other } }],
      ['POST', `${API}/namespaces/${own}/clusterprofiles`, { ...profile('evil', '1'), metadata: { name: 'evil', namespace: own } }],
      ['PATCH', `${API}/namespaces/${own}/clusterprofiles/web`, { spec: { paused: true } }],
      ['DELETE', `${API}/namespaces/${own}/clusterprofiles/web`],
      ['PATCH', `${API}/namespaces/${own}/clusteragents/agent`, { spec: { labels: { env: 'prod-admin' } } }],
      ['PATCH', `${API}/namespaces/${other}/clusteragents/agent/status`, { status: { nextSeq: 1 } }],
      ['PATCH', `/apis/coordination.k8s.io/v1/namespaces/${other}/leases/agent-heartbeat`, { spec: { renewTime: null } }],
      ['DELETE', `/apis/coordination.k8s.io/v1/namespaces/${own}/leases/agent-heartbeat`],
      ['POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'evil' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'kplane-agent', namespace: own }] }],
      ['POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${own}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'evil', namespace: own }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' }, subjects: [{ kind: 'ServiceAccount', name: 'kplane-agent', namespace: own }] }],
      ['PATCH', `/apis/rbac.authorization.k8s.io/v1/namespaces/${own}/roles/kplane-agent`, { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] }],
      ['POST', `/api/v1/namespaces/${other}/serviceaccounts/kplane-agent/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }],
      // Its own token it may renew (agent/src/hub/hubToken.ts), no other account's.
      ['POST', `/api/v1/namespaces/${own}/serviceaccounts/default/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }],
      ['POST', `/api/v1/namespaces/${own}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'evil' } }],
      ['POST', `/api/v1/namespaces/${other}/serviceaccounts/default/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} }],
      ['PATCH', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/clusterprofiles.kplane.dev', { spec: { versions: [] } }],
      ['GET', `${API}/namespaces/${own}/clusterprofiles`, undefined, { 'Impersonate-User': 'system:admin' }],
      ['GET', `${API}/namespaces/${other}/clusterprofiles`, undefined, { 'Impersonate-User': `system:serviceaccount:${other}:kplane-agent` }],
      ['GET', '/api/v1/namespaces', undefined, { 'Impersonate-User': 'admin', 'Impersonate-Group': 'system:masters' }],
    ];
    const allowed: string[] = [];
    for (const [method, path, body, headers] of attempts) {
      const r = await as(method, path, body, headers);
      if (r.status !== 403) allowed.push(`${method} ${path}${headers ? ` ${JSON.stringify(headers)}` : ''} -> ${r.status}`);
    }
    assert.deepEqual(allowed, [], 'the member token was not refused');
    // SelfSubjectRulesReview (allowed to anyone) shows nothing beyond its own namespace's Role.
    const rules = async (namespace: string) => (await as('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } })).body.status.resourceRules as { apiGroups?: string[]; resources?: string[]; verbs: string[] }[];
    const kplaneRules = (list: { apiGroups?: string[]; resources?: string[]; verbs: string[] }[]) => list.filter((r) => !r.apiGroups?.includes('authorization.k8s.io') && !r.apiGroups?.includes('authentication.k8s.io'));
    assert.deepEqual(kplaneRules(await rules(other)), [], 'rules in another member namespace');
    const tokenRule = kplaneRules(await rules(own)).find((r) => r.resources?.includes('serviceaccounts/token')) as { resourceNames?: string[] } | undefined;
    assert.deepEqual(tokenRule?.resourceNames, ['kplane-agent'], 'token requests for its own ServiceAccount only');
    assert.deepEqual(kplaneRules(await rules('default')), [], 'rules in a namespace of the hub');
    const mine = kplaneRules(await rules(own)).flatMap((r) => (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${res}:${v}`))).sort();
    assert.deepEqual(mine, ['serviceaccounts/token:create', 'clusteragents/status:get', 'clusteragents/status:patch', 'clusteragents/status:update', 'clusteragents:get', 'clusteragents:list', 'clusteragents:watch', 'clusterprofiles/status:get', 'clusterprofiles/status:patch', 'clusterprofiles/status:update', 'clusterprofiles:get', 'clusterprofiles:list', 'clusterprofiles:watch', 'leases:create', 'leases:get', 'leases:patch', 'leases:update'].sort());
    // And the admin side of the same calls does work, so a 403 above was the token, not the path.
    await hubApi.request('GET', `${API}/namespaces/${other}/clusteragents/agent`).catch((err: KubeError) => assert.fail(`admin read failed: ${err.message}`));
  });

  it('token renewal: the agent renews its hub token before expiry, uses the new one (the old one revoked) and stores it for a restart', async () => {
    // m3's agent gets a 10-minute token (the API server's minimum lifetime) bound to a hub Secret
    // the test can delete: once the agent has renewed, deleting it revokes the old token, so what
    // works afterwards works with the renewed one.
    const ns = 'kplane-member-m3';
    const binding = await hubApi.request('POST', `/api/v1/namespaces/${ns}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token-binding' } } });
    const issued = await hubApi.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/kplane-agent/token`, {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600, boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 'token-binding', uid: binding.metadata.uid } } },
    });
    const oldToken: string = issued.status.token;
    const secretPath = '/api/v1/namespaces/kplane-system/secrets/kplane-hub';
    const readKubeconfig = async () => parse(Buffer.from((await memberApis[2].request('GET', secretPath)).data.kubeconfig, 'base64').toString('utf8'));
    const kc = await readKubeconfig();
    kc.users[0].user.token = oldToken;
    await agents[2].stop();
    await memberApis[2].request('PATCH', secretPath, { body: { data: { kubeconfig: Buffer.from(stringify(kc)).toString('base64') } }, contentType: 'application/merge-patch+json' });
    agents[2] = await startAgent({ kubeconfigPath: members[2].kubeconfigPath, args: ['--heartbeat', '2s', '--hub-heartbeat', '2s', '--hub-token-renew', '20s'] });
    const claims = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString('utf8')) as { iat: number; exp: number };
    const newToken = await waitFor(async () => {
      const t: string = (await readKubeconfig()).users[0].user.token;
      return t !== oldToken ? t : undefined;
    }, { what: 'a renewed token in Secret kplane-hub', timeoutMs: 90_000 });
    assert.equal(claims(newToken).exp - claims(newToken).iat, 600, 'the renewed token asks for the old one\'s lifetime');
    assert.ok(claims(newToken).iat >= claims(oldToken).iat + 20, 'renewed before --hub-token-renew said');
    assert.match(agents[2].logs(), /"msg":"hub token renewed"/);
    assert.doesNotMatch(agents[2].logs(), /hub Secret changed; reconnecting/, 'the agent\'s own Secret write restarted its hub sync');
    assert.ok(!agents[2].logs().includes(newToken) && !agents[2].logs().includes(oldToken), 'a token in the agent log');

    // The old token revoked: the API server refuses it once its 10 s authentication cache expires.
    const hubCa = Buffer.from(parse(hub.kubeconfig).clusters[0].cluster['certificate-authority-data'], 'base64');
    const withTokenClient = (token: string) => new KubeClient({ server: hub.server, source: 'test token', requestOptions: async () => ({ ca: hubCa, headers: { Authorization: `Bearer ${token}` } }) });
    const old = withTokenClient(oldToken);
    await hubApi.request('DELETE', `/api/v1/namespaces/${ns}/secrets/token-binding`);
    await waitFor(() => old.request('GET', `${API}/namespaces/${ns}/clusteragents/agent`).then(() => false, (err: KubeError) => err.status === 401), { what: 'the old token refused (401)', timeoutMs: 30_000 });
    old.close();
    const revokedAt = Date.now();
    // Writes after that: heartbeats, and a profile assigned now reported Ready on the hub.
    const renewTime = async () => new Date((await hubApi.request('GET', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/agent-heartbeat`)).spec.renewTime).getTime();
    await waitFor(async () => (await renewTime()) > revokedAt + 1000, { what: 'a heartbeat with the renewed token', timeoutMs: 30_000 });
    await hubApi.apply(`${API}/namespaces/${ns}/clusterprofiles/tok`, { ...profile('tok', '1.0.0'), metadata: { name: 'tok', namespace: ns } }, 'kplane');
    await waitFor(async () => readyFor(await hubApi.getOrUndefined<ClusterProfile>(`${API}/namespaces/${ns}/clusterprofiles/tok`)), { what: 'tok Ready on the hub (status written with the renewed token)', timeoutMs: 60_000 });

    // A restarted agent starts with the stored token (the old one would be refused).
    await agents[2].stop();
    const restarted = Date.now();
    agents[2] = await startAgent({ kubeconfigPath: members[2].kubeconfigPath, args: ['--heartbeat', '2s', '--hub-heartbeat', '2s'] });
    await waitFor(async () => (await renewTime()) > restarted + 1000, { what: 'a heartbeat from the restarted agent', timeoutMs: 60_000 });
    await waitFor(() => /"msg":"hub profiles listed"/.test(agents[2].logs()), { what: 'the restarted agent listing its hub profiles', timeoutMs: 30_000 });
    assert.doesNotMatch(agents[2].logs(), /: 401 /, 'the restarted agent was refused by the hub');
  });

  it('leave: the token is revoked (its RoleBinding at once, the token itself within the API server\'s 10 s token cache), the local copy stays as a local profile, the hub namespace goes', async () => {
    const secret = await memberApis[0].request('GET', '/api/v1/namespaces/kplane-system/secrets/kplane-hub');
    const token = parse(Buffer.from(secret.data.kubeconfig, 'base64').toString('utf8')).users[0].user.token as string;
    const leave = await kplane(['hub', 'leave', 'm1', '--hub-context', hub.name, '--context', members[0].name, '--kubeconfig', kubeconfig]);
    assert.equal(leave.code, 0, leave.stderr);
    assert.match(leave.stdout, /kept as local profiles: web/);
    assert.equal(await memberApis[0].getOrUndefined('/api/v1/namespaces/kplane-system/secrets/kplane-hub'), undefined);
    const local = await memberApis[0].request<ClusterProfile>('GET', `${API}/namespaces/kplane-system/clusterprofiles/web`);
    assert.equal(local.metadata.labels?.['kplane.dev/hub-source'], undefined);
    const revoked = new KubeClient({ server: hub.server, source: 'revoked token', requestOptions: async () => ({ ca: Buffer.from(parse(hub.kubeconfig).clusters[0].cluster['certificate-authority-data'], 'base64'), headers: { Authorization: `Bearer ${token}` } }) });
    // The RoleBinding goes first: refused at once. The ServiceAccount's deletion then ends the
    // token itself once kube-apiserver's authentication cache (10 s for a success) expires.
    await assert.rejects(revoked.request('GET', `${API}/namespaces/kplane-member-m1/clusterprofiles`), (err: KubeError) => err.status === 401 || err.status === 403);
    await waitFor(() => revoked.request('GET', '/apis').then(() => false, (err: KubeError) => err.status === 401), { what: 'token rejected (401)', timeoutMs: 30_000 });
    revoked.close();
    const ns = await hubApi.getOrUndefined('/api/v1/namespaces/kplane-member-m1');
    assert.ok(!ns || ns.metadata.deletionTimestamp, 'the hub namespace was not deleted');
    assert.equal(await hubApi.getOrUndefined(`${API}/namespaces/kplane-member-m1/clusterprofiles/web`), undefined, 'the hub profile of the member that left is still there');
    // The agent keeps enforcing the kept profile after leaving (wait out its Secret poll).
    await new Promise((r) => setTimeout(r, 16_000));
    await memberApis[0].request('DELETE', '/api/v1/namespaces/default/configmaps/web-cm');
    await waitFor(async () => (await memberApis[0].getOrUndefined('/api/v1/namespaces/default/configmaps/web-cm'))?.data?.value === '1.0.2', { what: 'kept profile still enforced', timeoutMs: 30_000 });
  });
});
