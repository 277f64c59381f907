/**
 * The demo's hub mode (bed/src/demo/demoHub.ts, what `npm run demo` runs next to its direct
 * fleet): an edge site joined with `kplane hub join`, absent from the plane's kubeconfig, shows in
 * `kplane status --hub`, and the profile applied through the hub by selector runs on it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KubeClient, loadConnection } from '@kplane/kube';
import { EDGE_SITES, HUB_PROFILE, repoRoot, runKplane, startDemoHub, type DemoHub } from '@kplane/bed';
import type { ClusterProfile } from '@kplane/profile';

describe('demo: hub mode with an edge site', function () {
  this.timeout(300_000);
  let dir: string;
  let demo: DemoHub | undefined;

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'kplane-demo-hub-'));
    demo = await startDemoHub({ dir, root: repoRoot(), say: () => undefined });
  });

  after(async function () {
    await demo?.site.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the plane the hub only: the edge site is in no kubeconfig of the plane', () => {
    const kubeconfig = parse(readFileSync(demo!.site.planeKubeconfig, 'utf8')) as { contexts: { name: string }[] };
    assert.deepEqual(kubeconfig.contexts.map((c) => c.name), [demo!.site.hub.name]);
  });

  it('lists the edge site through the hub, Healthy, with the profile Ready', async () => {
    const id = `hub:${demo!.site.hub.name}/${EDGE_SITES[0].name}`;
    assert.match(demo!.statusOutput, new RegExp(`^${id.replace(/[/.]/g, '\\$&')}\\s+Healthy\\s.*\\b${HUB_PROFILE}@\\S+:Ready`, 'm'), demo!.statusOutput);
    const json = await runKplane(['status', '--hub', demo!.site.hub.name, '--output', 'json', '--kubeconfig', demo!.site.planeKubeconfig]);
    assert.equal(json.code, 0, json.stderr);
    const clusters = (JSON.parse(json.stdout) as { clusters: { context: string; state: string; profiles: { name: string; state: string }[] }[] }).clusters;
    assert.deepEqual(clusters.map((c) => `${c.context} ${c.state} ${c.profiles.map((p) => `${p.name}:${p.state}`).join(',')}`), [`${id} Healthy ${HUB_PROFILE}:Ready`]);
  });

  it('runs the profile applied through the hub on the edge site, as the local copy its agent made', async () => {
    const edge = demo!.site.edges[0];
    const member = new KubeClient(loadConnection({ kubeconfigPath: edge.cluster.kubeconfigPath }));
    try {
      const copy = await member.request<ClusterProfile>('GET', `/apis/kplane.dev/v1alpha1/namespaces/kplane-system/clusterprofiles/${HUB_PROFILE}`, { timeoutMs: 15_000 });
      assert.equal(copy.metadata.labels?.['kplane.dev/hub-source'], `kplane-member-${edge.name}`);
      assert.ok(copy.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), JSON.stringify(copy.status?.conditions));
      const deployment = await member.request<{ status?: { availableReplicas?: number } }>('GET', '/apis/apps/v1/namespaces/observability/deployments/collector', { timeoutMs: 15_000 });
      assert.ok((deployment.status?.availableReplicas ?? 0) >= 1, 'the collector Deployment runs on the edge site');
    } finally {
      member.close();
    }
  });
});
