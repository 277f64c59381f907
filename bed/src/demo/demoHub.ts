/**
 * The demo's hub mode (docs/hub.md): a hub and an edge site that the plane cannot reach and has no
 * kubeconfig for. The site is joined with `kplane hub join`; its agent dials out to the hub; a
 * profile applied through the hub by label selector reaches it; `kplane status --hub` shows it.
 * runDemo runs this next to the direct-mode fleet; test/cluster/demoHub.test.ts runs it alone.
 */
import { join } from 'node:path';
import { startHubSite, runKplane, type HubSite, type HubEdgeSpec } from '../hubSite.js';

/** An edge site: in no kubeconfig of the plane, reached only through the hub. */
export const EDGE_SITES: readonly HubEdgeSpec[] = [
  { name: 'store-0417', displayName: 'store-0417 (edge site)', labels: { env: 'prod', region: 'eu', tier: 'edge', site: 'store' }, workloads: true },
];

/** What the demo applies through the hub, and to whom. */
export const HUB_PROFILE = 'observability';
export const HUB_SELECTOR = 'site=store';

export interface DemoHub {
  site: HubSite;
  /** `kplane apply … --hub` output: the rollout, Ready per member. */
  applyOutput: string;
  /** `kplane status --hub` output once the profile is Ready. */
  statusOutput: string;
}

export async function startDemoHub(opts: { dir: string; root: string; say: (line: string) => void }): Promise<DemoHub> {
  const { say } = opts;
  const site = await startHubSite({
    dir: opts.dir,
    edges: [...EDGE_SITES],
    // The demo's pace: a dead agent shows as Stale within 30 s, not 3 min.
    agentArgs: ['--heartbeat', '5s', '--hub-heartbeat', '10s'],
    log: say,
  });
  try {
    const hub = site.hub.name;
    say(`${hub}: kplane apply ${HUB_PROFILE} --hub ${hub} --selector ${HUB_SELECTOR} (written to the member's namespace on the hub; its agent copies it)…`);
    const apply = await runKplane(['apply', join(opts.root, 'examples', `${HUB_PROFILE}.profile.yaml`), '--hub', hub, '--selector', HUB_SELECTOR, '--wait', '3m', '--kubeconfig', site.planeKubeconfig]);
    if (apply.code !== 0) throw new Error(`kplane apply --hub ${hub} exited ${apply.code}:\n${(apply.stderr || apply.stdout).trim()}`);
    const status = await runKplane(['status', '--hub', hub, '--kubeconfig', site.planeKubeconfig]);
    if (status.code !== 0) throw new Error(`kplane status --hub ${hub} exited ${status.code}:\n${(status.stderr || status.stdout).trim()}`);
    return { site, applyOutput: apply.stdout, statusOutput: status.stdout };
  } catch (err) {
    await site.stop();
    throw err;
  }
}
