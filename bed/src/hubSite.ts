/**
 * `startHubSite`: a hub (a bare bed control plane: etcd + kube-apiserver) and edge member clusters
 * joined to it the way an operator does it (docs/hub.md): `kplane hub init`, then
 * `kplane hub join` per member, run as the real CLI. Each member's agent runs with only its own
 * cluster's kubeconfig and dials out to the hub with the token join stored in its Secret.
 * `site.join` joins a cluster that runs already, with its own agent (a direct fleet's cluster):
 * that agent finds the Secret within 15 s (agent/src/hub/hubMode.ts) and goes hub mode too.
 *
 * For the demo and the tests of hub mode. The plane's kubeconfig (`planeKubeconfig`) holds the hub
 * context only: the edge clusters are in `joinKubeconfig`, which the operator who joined them
 * used, and which nothing of the plane reads.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from './agent.js';
import { repoRoot } from './binaries.js';
import { startCluster, type TestCluster } from './cluster.js';
import { mergedKubeconfig } from './fleet.js';

export interface HubMemberSpec {
  /** Member name on the hub (DNS label): namespace kplane-member-<name>, fleet id hub:<hub>/<name>. */
  name: string;
  displayName?: string;
  labels: Record<string, string>;
}

export interface HubEdgeSpec extends HubMemberSpec {
  /** Run workloads on the member (controller-manager, scheduler, KWOK), for profiles with Deployments. */
  workloads?: boolean;
}

export interface StartHubSiteOptions {
  /** Where the kubeconfigs are written. */
  dir: string;
  edges: HubEdgeSpec[];
  /** Cluster (and hub context) name; default kplane-hub. */
  hubName?: string;
  /** Extra agent flags, e.g. ['--hub-heartbeat', '2s']. */
  agentArgs?: string[];
  agentEnv?: Record<string, string>;
  log?: (line: string) => void;
}

export interface HubEdge extends HubEdgeSpec {
  cluster: TestCluster;
  agent: RunningAgent;
}

/** A cluster started (with its agent) by someone else and joined with `site.join`; the site does not stop it. */
export interface HubJoinedMember extends HubMemberSpec {
  cluster: TestCluster;
}

export interface HubSite {
  hub: TestCluster;
  edges: HubEdge[];
  /** The clusters joined with `join`, in order. */
  joined: HubJoinedMember[];
  /** `kplane hub join` for a running cluster, whose own agent then finds the Secret (within 15 s). */
  join(member: HubJoinedMember): Promise<void>;
  /** The hub context only: what the plane (extension, `kplane … --hub`) is given. */
  planeKubeconfig: string;
  /** Hub and edge contexts: what the operator who ran `kplane hub join` used. */
  joinKubeconfig: string;
  /** Agents first, then the clusters. Idempotent. */
  stop(): Promise<void>;
}

export interface KplaneRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The kplane CLI as a child process (cli/bin/kplane.js), as a user runs it; `env` replaces the environment. */
export function runKplane(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<KplaneRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot(), 'cli', 'bin', 'kplane.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: options.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function kplaneOrThrow(args: string[]): Promise<KplaneRun> {
  const run = await runKplane(args);
  if (run.code !== 0) throw new Error(`kplane ${args.join(' ')} exited ${run.code}:\n${(run.stderr || run.stdout).trim()}`);
  return run;
}

/** `kplane hub join` as the operator runs it, with a kubeconfig holding the hub's and the member's contexts. */
async function joinMember(hub: string, member: HubMemberSpec, context: string, kubeconfig: string): Promise<string> {
  const labels = Object.entries(member.labels).map(([k, v]) => `${k}=${v}`).join(',');
  await kplaneOrThrow(['hub', 'join', member.name, '--hub-context', hub, '--context', context, '--labels', labels, ...(member.displayName ? ['--display-name', member.displayName] : []), '--kubeconfig', kubeconfig]);
  return labels;
}

export async function startHubSite(opts: StartHubSiteOptions): Promise<HubSite> {
  const log = opts.log ?? (() => undefined);
  const hubName = opts.hubName ?? 'kplane-hub';
  const started = await Promise.allSettled([
    startCluster({ name: hubName, log }),
    ...opts.edges.map((e) => startCluster({ name: `kplane-edge-${e.name}`, workloads: e.workloads, nodes: 1, log })),
  ]);
  const clusters = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const agents: RunningAgent[] = [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await Promise.all(agents.map((a) => a.stop()));
      await Promise.all(clusters.map((c) => c.stop()));
    })());
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await stop();
    throw failure.reason;
  }
  try {
    const [hub, ...edgeClusters] = clusters;
    const planeKubeconfig = join(opts.dir, 'hub-kubeconfig');
    const joinKubeconfig = join(opts.dir, 'join-kubeconfig');
    await writeFile(planeKubeconfig, mergedKubeconfig([hub]), { mode: 0o600 });
    await writeFile(joinKubeconfig, mergedKubeconfig(clusters), { mode: 0o600 });
    await kplaneOrThrow(['hub', 'init', '--context', hub.name, '--kubeconfig', joinKubeconfig]);
    log(`${hub.name}: hub CRDs installed (kplane hub init)`);
    const edges: HubEdge[] = [];
    for (const [i, spec] of opts.edges.entries()) {
      const cluster = edgeClusters[i];
      const labels = await joinMember(hub.name, spec, cluster.name, joinKubeconfig);
      // Its own cluster's kubeconfig only: the hub's address and token come from the Secret join wrote.
      const agent = await startAgent({ kubeconfigPath: cluster.kubeconfigPath, args: opts.agentArgs, env: opts.agentEnv });
      agents.push(agent);
      edges.push({ ...spec, cluster, agent });
      log(`${cluster.name}: joined ${hub.name} as ${spec.name} (${labels}); agent pid ${agent.pid} dials out to the hub`);
    }
    const joined: HubJoinedMember[] = [];
    const joinCluster = async (member: HubJoinedMember): Promise<void> => {
      // Each join gets its own kubeconfig (hub + that member): joins may run side by side.
      const kubeconfig = join(opts.dir, `join-kubeconfig-${member.name}`);
      await writeFile(kubeconfig, mergedKubeconfig([hub, member.cluster]), { mode: 0o600 });
      const labels = await joinMember(hub.name, member, member.cluster.name, kubeconfig);
      joined.push(member);
      log(`${member.cluster.name}: joined ${hub.name} as ${member.name} (${labels}); its running agent finds the Secret and dials out to the hub`);
    };
    return { hub, edges, joined, join: joinCluster, planeKubeconfig, joinKubeconfig, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
