/**
 * The demo's hub mode (bed/src/demo/demoHub.ts, what `npm run demo` runs next to its direct
 * fleet): a hub with three members. The edge site, joined with `kplane hub join` and absent from
 * the plane's kubeconfig, and two running clusters with their own agents (the demo's us-prod-1 and
 * eu-staging-1; here two clusters of the test's) joined after they started. All three report
 * Healthy to the hub, and the profile applied through the hub by selector runs on exactly the
 * members the selector picks.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeClient, loadConnection } from '@kplane/kube';
import {
  DEMO_AGENT_ARGS,
  EDGE_SITES,
  FLEET_MEMBERS,
  HUB_PROFILE,
  repoRoot,
  runKplane,
  selectedMembers,
  startAgent,
  startCluster,
  startDemoHub,
  type DemoHub,
  type RunningAgent,
  type TestCluster,
} from '@kplane/bed';
import type { ClusterProfile } from '@kplane/profile';

describe('demo: hub mode with an edge site and two joined clusters', function () {
  this.timeout(420_000);
  let dir: string;
  let demo: DemoHub | undefined;
  const fleet: { cluster: TestCluster; agent?: RunningAgent }[] = [];
  const selected = selectedMembers();

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'kplane-demo-hub-'));
    // The demo's fleet stand-ins: each a cluster with its own agent, started before the join, as
    // in the demo. Only the ones the selector picks run workloads (the profile has a Deployment).
    const joining = (async () => {
      const started = await Promise.allSettled(FLEET_MEMBERS.map((m) => startCluster({ name: `demo-${m.name}`, workloads: selected.includes(m.name), nodes: 1 })));
      for (const r of started) if (r.status === 'fulfilled') fleet.push({ cluster: r.value });
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      for (const f of fleet) f.agent = await startAgent({ kubeconfigPath: f.cluster.kubeconfigPath, args: DEMO_AGENT_ARGS });
      return FLEET_MEMBERS.map((m, i) => ({ ...m, cluster: fleet[i].cluster }));
    })();
    demo = await startDemoHub({ dir, root: repoRoot(), say: () => undefined, fleet: joining });
  });

  after(async function () {
    await demo?.site.stop();
    await Promise.all(fleet.map(async (f) => {
      await f.agent?.stop();
      await f.cluster.stop();
    }));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the plane the hub only: the edge site is in no kubeconfig of the plane', () => {
    const kubeconfig = parse(readFileSync(demo!.site.planeKubeconfig, 'utf8')) as { contexts: { name: string }[] };
    assert.deepEqual(kubeconfig.contexts.map((c) => c.name), [demo!.site.hub.name]);
  });

  it('lists the three members through the hub, Healthy, with the profile Ready on exactly the ones the selector picks', async () => {
    assert.deepEqual([...selected].sort(), ['eu-staging-1', EDGE_SITES[0].name].sort(), 'the selector picks the edge site and one joined cluster');
    const hub = demo!.site.hub.name;
    const id = (name: string) => `hub:${hub}/${name}`;
    const edge = id(EDGE_SITES[0].name);
    assert.match(demo!.statusOutput, new RegExp(`^${edge.replace(/[/.]/g, '\\$&')}\\s+Healthy\\s.*\\b${HUB_PROFILE}@\\S+:Ready`, 'm'), demo!.statusOutput);
    const json = await runKplane(['status', '--hub', hub, '--output', 'json', '--kubeconfig', demo!.site.planeKubeconfig]);
    assert.equal(json.code, 0, json.stderr);
    const clusters = (JSON.parse(json.stdout) as { clusters: { context: string; state: string; profiles: { name: string; state: string }[] }[] }).clusters;
    const expected = [...EDGE_SITES, ...FLEET_MEMBERS].map((m) => `${id(m.name)} Healthy ${selected.includes(m.name) ? `${HUB_PROFILE}:Ready` : ''}`.trimEnd());
    assert.deepEqual(clusters.map((c) => `${c.context} ${c.state} ${c.profiles.map((p) => `${p.name}:${p.state}`).join(',')}`.trimEnd()).sort(), expected.sort());
  });

  it('runs the profile applied through the hub on each selected member, as the local copy its agent made', async () => {
    const members = [...demo!.site.edges, ...demo!.site.joined].filter((m) => selected.includes(m.name));
    assert.equal(members.length, 2);
    for (const m of members) {
      const member = new KubeClient(loadConnection({ kubeconfigPath: m.cluster.kubeconfigPath }));
      try {
        const copy = await member.request<ClusterProfile>('GET', `/apis/kplane.dev/v1alpha1/namespaces/kplane-system/clusterprofiles/${HUB_PROFILE}`, { timeoutMs: 15_000 });
        assert.equal(copy.metadata.labels?.['kplane.dev/hub-source'], `kplane-member-${m.name}`);
        assert.ok(copy.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), `${m.name}: ${JSON.stringify(copy.status?.conditions)}`);
        const deployment = await member.request<{ status?: { availableReplicas?: number } }>('GET', '/apis/apps/v1/namespaces/observability/deployments/collector', { timeoutMs: 15_000 });
        assert.ok((deployment.status?.availableReplicas ?? 0) >= 1, `the collector Deployment runs on ${m.name}`);
      } finally {
        member.close();
      }
    }
  });

  it('leaves the member the selector does not pick without the profile', async () => {
    const other = demo!.site.joined.find((m) => !selected.includes(m.name))!;
    const member = new KubeClient(loadConnection({ kubeconfigPath: other.cluster.kubeconfigPath }));
    try {
      assert.equal(await member.getOrUndefined(`/apis/kplane.dev/v1alpha1/namespaces/kplane-system/clusterprofiles/${HUB_PROFILE}`), undefined);
    } finally {
      member.close();
    }
  });
});
