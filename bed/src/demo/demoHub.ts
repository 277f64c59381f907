/**
 * The demo's hub mode (docs/hub.md): a hub with three members. One is an edge site that the plane
 * cannot reach and has no kubeconfig for; its agent dials out to the hub. The other two are
 * clusters of the demo's direct fleet, joined too (a fleet may mix both), whose running agents
 * find the Secret `kplane hub join` stored and go hub mode as well. A profile applied through the
 * hub by label selector reaches the members it selects and no other; `kplane status --hub` shows
 * all three. runDemo runs this next to the direct-mode fleet; test/cluster/demoHub.test.ts runs
 * it with two clusters of its own in place of the fleet's.
 */
import { join } from 'node:path';
import { waitFor } from '../client.js';
import { startHubSite, runKplane, type HubSite, type HubEdgeSpec, type HubJoinedMember, type HubMemberSpec } from '../hubSite.js';

/** An edge site: in no kubeconfig of the plane, reached only through the hub. */
export const EDGE_SITES: readonly HubEdgeSpec[] = [
  { name: 'store-0417', displayName: 'store-0417 (edge site)', labels: { env: 'prod', region: 'eu', tier: 'edge', site: 'store' }, workloads: true },
];

/**
 * Clusters of the direct fleet joined to the hub as well, by their display name in ./demo.ts, with
 * the labels they have there. The hub profile's selector picks eu-staging-1 (which runs workloads)
 * and not us-prod-1, which runs a local `observability` of its own (a hub copy would not replace it).
 */
export const FLEET_MEMBERS: readonly HubMemberSpec[] = [
  { name: 'us-prod-1', displayName: 'us-prod-1 (via hub)', labels: { env: 'prod', region: 'us', tier: 'edge' } },
  { name: 'eu-staging-1', displayName: 'eu-staging-1 (via hub)', labels: { env: 'staging', region: 'eu', tier: 'lab' } },
];

/** What the demo applies through the hub, and to whom: the edge site and eu-staging-1. */
export const HUB_PROFILE = 'observability';
export const HUB_SELECTOR = 'region=eu';

/** The hub members HUB_SELECTOR picks. */
export const selectedMembers = (): string[] =>
  [...EDGE_SITES, ...FLEET_MEMBERS].filter((m) => HUB_SELECTOR.split(',').every((term) => m.labels[term.split('=')[0]] === term.split('=')[1])).map((m) => m.name);

/** The demo's pace: a dead agent shows as Stale within 30 s, not 3 min. Fleet agents joined to the hub take it too. */
export const DEMO_AGENT_ARGS = ['--heartbeat', '5s', '--hub-heartbeat', '10s'];

export interface DemoHub {
  site: HubSite;
  /** `kplane apply … --hub` output: the rollout, Ready per member. */
  applyOutput: string;
  /** `kplane status --hub` output once the profile is Ready. */
  statusOutput: string;
}

export interface StartDemoHubOptions {
  dir: string;
  root: string;
  say: (line: string) => void;
  /**
   * The running clusters (each with its agent, or about to have one) to join beside the edge site:
   * FLEET_MEMBERS with their clusters. A promise, so the hub and the edge site start while the
   * fleet does; a rejection stops the hub part.
   */
  fleet: Promise<HubJoinedMember[]>;
}

export async function startDemoHub(opts: StartDemoHubOptions): Promise<DemoHub> {
  const { say } = opts;
  let site: HubSite;
  try {
    site = await startHubSite({ dir: opts.dir, edges: [...EDGE_SITES], agentArgs: DEMO_AGENT_ARGS, log: say });
  } catch (err) {
    opts.fleet.catch(() => undefined);
    throw err;
  }
  try {
    const hub = site.hub.name;
    const fleet = await opts.fleet;
    await Promise.all(fleet.map((member) => site.join(member)));
    say(`${hub}: kplane apply ${HUB_PROFILE} --hub ${hub} --selector ${HUB_SELECTOR} (written to the selected members' namespaces on the hub: ${selectedMembers().join(', ')}; their agents copy it)…`);
    const apply = await runKplane(['apply', join(opts.root, 'examples', `${HUB_PROFILE}.profile.yaml`), '--hub', hub, '--selector', HUB_SELECTOR, '--wait', '3m', '--kubeconfig', site.planeKubeconfig]);
    if (apply.code !== 0) throw new Error(`kplane apply --hub ${hub} exited ${apply.code}:\n${(apply.stderr || apply.stdout).trim()}`);
    // The members the selector left out report too (a joined fleet agent finds its Secret within 15 s).
    const members = [...EDGE_SITES, ...FLEET_MEMBERS].map((m) => `hub:${hub}/${m.name}`);
    await waitFor(async () => {
      const json = await runKplane(['status', '--hub', hub, '--output', 'json', '--kubeconfig', site.planeKubeconfig]);
      const healthy = json.code === 0 ? (JSON.parse(json.stdout) as { clusters: { context: string; state: string }[] }).clusters.filter((c) => c.state === 'Healthy').map((c) => c.context) : [];
      return members.every((m) => healthy.includes(m));
    }, { what: `${members.join(', ')} Healthy on the hub`, timeoutMs: 120_000, intervalMs: 2000 });
    const status = await runKplane(['status', '--hub', hub, '--kubeconfig', site.planeKubeconfig]);
    if (status.code !== 0) throw new Error(`kplane status --hub ${hub} exited ${status.code}:\n${(status.stderr || status.stdout).trim()}`);
    return { site, applyOutput: apply.stdout, statusOutput: status.stdout };
  } catch (err) {
    await site.stop();
    throw err;
  }
}
