/**
 * Hub mode, the plane's side, against a real hub (kube-apiserver + etcd from the bed): members are
 * written directly as the objects `kplane hub join` and their agents would write (docs/hub.md), so
 * this tests the plane alone. `kplane status --hub` shows them, with the state their Lease says;
 * `kplane apply --hub --selector` writes exactly the matching member namespaces; pause through the
 * hub sets spec.paused on the hub object; a status write reaches the fleet model through the watch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_PLURAL, API_VERSION, PROFILE_PLURAL, type ClusterProfile } from '@kplane/profile';
import { hubMemberId } from '@kplane/plane';
import { forContext, loadKubeconfig, openFleet, setPaused, type FleetSession } from '@kplane/plane/cluster';
import { KubeClient, KubeError, kubeConfigConnection } from '@kplane/kube';
import { runKplane, startCluster, type TestCluster } from '@kplane/bed';

const APPLY = 'application/apply-patch+yaml';
const MERGE = 'application/merge-patch+json';

const profileYaml = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: hub-test
  namespace: kplane-system
spec:
  version: 1.0.0
  layers:
    - name: base
      manifests:
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: hub-test
            namespace: default
          data:
            value: "one"
`;

const kplane = (args: string[]) => runKplane(args);

const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

/** What join and the member's agent write: namespace, ClusterAgent (spec, then status), Lease. */
async function writeMember(hub: KubeClient, name: string, labels: Record<string, string>, leaseAgeMs: number, ready = true): Promise<void> {
  const ns = `kplane-member-${name}`;
  const opts = { query: { fieldManager: 'hub-test', force: true }, contentType: APPLY, timeoutMs: 15_000 };
  await hub.request('PATCH', `/api/v1/namespaces/${ns}`, { ...opts, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kplane.dev/hub-member': name } } }) });
  await hub.request('PATCH', `/apis/${API_VERSION}/namespaces/${ns}/${AGENT_PLURAL}/agent`, {
    ...opts,
    body: JSON.stringify({ apiVersion: API_VERSION, kind: 'ClusterAgent', metadata: { name: 'agent', namespace: ns, labels }, spec: { labels } }),
  });
  await writeStatus(hub, name, ready, 'first');
  const renewed = Date.now() - leaseAgeMs;
  await hub.request('PATCH', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/agent-heartbeat`, {
    ...opts,
    body: JSON.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'agent-heartbeat', namespace: ns }, spec: { holderIdentity: name, leaseDurationSeconds: 180, renewTime: micro(renewed), acquireTime: micro(renewed) } }),
  });
}

async function writeStatus(hub: KubeClient, name: string, ready: boolean, message: string): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await hub.request('PATCH', `/apis/${API_VERSION}/namespaces/kplane-member-${name}/${AGENT_PLURAL}/agent/status`, {
    body: {
      status: {
        heartbeatTime: now,
        agentVersion: '0.1.0',
        kubernetesVersion: 'v1.36.3',
        nodes: { total: 2, ready: 2 },
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'Running' : 'NoPermission', message, lastTransitionTime: now }],
        events: [],
        nextSeq: 0,
      },
    },
    contentType: MERGE,
    timeoutMs: 15_000,
  });
}

async function profileIn(hub: KubeClient, namespace: string): Promise<ClusterProfile | undefined> {
  try {
    return await hub.request<ClusterProfile>('GET', `/apis/${API_VERSION}/namespaces/${namespace}/${PROFILE_PLURAL}/hub-test`, { timeoutMs: 15_000 });
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) return undefined;
    throw err;
  }
}

function until(session: FleetSession, done: () => boolean, what: string, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (done()) return resolve();
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const stop = session.model.onChange(() => {
      if (!done()) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

describe('hub mode: the plane reads and writes members through one hub', function () {
  this.timeout(180_000);
  let hub: TestCluster;
  let client: KubeClient;
  let dir: string;
  let file: string;

  before(async () => {
    hub = await startCluster({ name: 'hub-plane' });
    const { kubeConfig } = loadKubeconfig(hub.kubeconfigPath);
    client = new KubeClient(kubeConfigConnection(forContext(kubeConfig, hub.name)), { context: hub.name });
    await Promise.all([
      writeMember(client, 'edge-a', { env: 'prod', tier: 'edge' }, 5_000),
      writeMember(client, 'edge-b', { env: 'dev' }, 5_000),
      writeMember(client, 'edge-c', { env: 'prod' }, 5_000, false),
      // Cut off for 10 minutes: twice its Lease's 180 s is past.
      writeMember(client, 'edge-d', { env: 'prod' }, 600_000),
    ]);
    // The hub's own kplane-system/agent (any bed cluster may hold one) is not a member.
    await client.request('PATCH', `/apis/${API_VERSION}/namespaces/kplane-system/${AGENT_PLURAL}/agent`, {
      query: { fieldManager: 'hub-test', force: true },
      contentType: APPLY,
      body: JSON.stringify({ apiVersion: API_VERSION, kind: 'ClusterAgent', metadata: { name: 'agent', namespace: 'kplane-system' }, spec: { labels: { env: 'prod' } } }),
      timeoutMs: 15_000,
    });
    dir = mkdtempSync(join(tmpdir(), 'kplane-hub-test-'));
    file = join(dir, 'hub-test.profile.yaml');
    writeFileSync(file, profileYaml);
  });

  after(async () => {
    client?.close();
    await hub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('status --hub: every member, its state from its ClusterAgent on the hub and its Lease age', async () => {
    const result = await kplane(['status', '--hub', hub.name, '--kubeconfig', hub.kubeconfigPath, '--output', 'json', '--timeout', '5s']);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { clusters: { context: string; state: string; lastSeen?: string }[] };
    assert.deepEqual(
      json.clusters.map((c) => `${c.context}:${c.state}`),
      [`hub:${hub.name}/edge-a:Healthy`, `hub:${hub.name}/edge-b:Healthy`, `hub:${hub.name}/edge-c:Degraded`, `hub:${hub.name}/edge-d:Unreachable`],
    );
    const table = await kplane(['status', '--hub', hub.name, '--kubeconfig', hub.kubeconfigPath, '--timeout', '5s']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /edge-d\s+Unreachable \(was Healthy\).*heartbeat Lease on hub/);
  });

  it('status --hub names a hub context that is not in the kubeconfig (exit 2)', async () => {
    const missing = await kplane(['status', '--hub', 'no-such-hub', '--kubeconfig', hub.kubeconfigPath, '--timeout', '3s']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /context "no-such-hub" is not in the kubeconfig/);
  });

  it('apply --hub --selector writes the profile into exactly the matching member namespaces', async () => {
    const result = await kplane(['apply', file, '--hub', hub.name, '--selector', 'env=prod,tier notin (core)', '--kubeconfig', hub.kubeconfigPath, '--wait', '0', '--max-unavailable', '10']);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const found = await Promise.all(['edge-a', 'edge-b', 'edge-c', 'edge-d'].map(async (m) => [m, (await profileIn(client, `kplane-member-${m}`)) !== undefined] as const));
    // edge-d is cut off: the profile waits for it on the hub, which is the point of a hub.
    assert.deepEqual(Object.fromEntries(found), { 'edge-a': true, 'edge-b': false, 'edge-c': true, 'edge-d': true });
    assert.equal(await profileIn(client, 'kplane-system'), undefined, 'nothing written to the hub\'s own kplane-system');
    const written = (await profileIn(client, 'kplane-member-edge-a'))!;
    assert.equal(written.spec.version, '1.0.0');
    assert.equal(written.metadata.namespace, 'kplane-member-edge-a');

    const diff = await kplane(['diff', file, '--hub', hub.name, '--selector', 'env in (prod,dev)', '--kubeconfig', hub.kubeconfigPath]);
    assert.equal(diff.code, 1, `${diff.stdout}\n${diff.stderr}`);
    assert.match(diff.stdout, new RegExp(`hub:${hub.name}/edge-a: ClusterProfile hub-test: no differences`));
    assert.match(diff.stdout, new RegExp(`hub:${hub.name}/edge-b: ClusterProfile hub-test: create \\(1.0.0\\)`));
  });

  it('pause through the hub sets spec.paused on the hub object; status writes reach the model through the one watch', async () => {
    const session = openFleet({ kubeconfig: hub.kubeconfigPath, hubs: [hub.name], requestTimeoutMs: 10_000 });
    try {
      const a = hubMemberId(hub.name, 'edge-a');
      await until(session, () => (session.model.get(a)?.profiles.length ?? 0) > 0, 'edge-a with its profile');
      const view = session.model.get(a)!;
      const target = session.watcher.target(a);
      assert.ok(target, 'a hub member has a target: the hub, in its namespace');
      await setPaused(target, view.profiles[0].namespace, view.profiles[0].name, true, 10_000);
      assert.equal((await profileIn(client, 'kplane-member-edge-a'))!.spec.paused, true);
      await until(session, () => session.model.get(a)?.profiles[0]?.state === 'Paused', 'the paused profile in the model');
      await setPaused(target, view.profiles[0].namespace, view.profiles[0].name, false, 10_000);
      assert.equal((await profileIn(client, 'kplane-member-edge-a'))!.spec.paused, false);

      const b = hubMemberId(hub.name, 'edge-b');
      assert.equal(session.model.get(b)?.state, 'Healthy');
      await writeStatus(client, 'edge-b', false, 'lost its rights');
      await until(session, () => session.model.get(b)?.state === 'Degraded', 'edge-b Degraded after its status write');
      assert.match(session.model.get(b)!.reason, /lost its rights/);

      // A Refresh ends the watches and relists: the members stay connected, and the new watch delivers.
      session.watcher.refresh();
      await writeStatus(client, 'edge-b', true, 'rights back');
      await until(session, () => session.model.get(b)?.state === 'Healthy', 'edge-b Healthy after a relist and a status write');
      assert.deepEqual(session.watcher.hubProblems(), []);
    } finally {
      session.dispose();
    }
  });
});
