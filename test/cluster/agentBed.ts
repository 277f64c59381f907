/**
 * The set-up most agent cluster tests share: one bed cluster, a client for it and a running agent
 * for a `describe` block. They start before its tests and stop after them, and the tail of the
 * agent's log is printed under a test that failed (`LOGTAIL=<chars>` prints more).
 *
 * Call it in the body of a `describe`; the returned object is filled in by its `before` hook. A
 * test that restarts the agent assigns `bed.agent`, and `after` stops whichever agent runs then.
 *
 * And what they do with it: apply a profile as the plane would and wait for its status to say
 * something (applyAndWaitReady, waitForProfile), by default Ready for the applied generation.
 */
import { startAgent, startCluster, waitFor, type RunningAgent, type StartClusterOptions, type TestCluster } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { ClusterProfile, Condition } from '@kplane/profile';

export interface AgentBed {
  cluster: TestCluster;
  api: KubeClient;
  agent: RunningAgent;
}

export interface AgentBedOptions {
  /** The cluster, named as the test's bed directory. */
  cluster: StartClusterOptions & { name: string };
  /** The agent's command-line arguments. */
  agentArgs: string[];
  /** For the `before` hook: starting a cluster with workloads takes longer. */
  setupTimeoutMs?: number;
}

export function useAgentBed(opts: AgentBedOptions): AgentBed {
  const bed = {} as AgentBed;
  before(async function () {
    this.timeout(opts.setupTimeoutMs ?? 120_000);
    bed.cluster = await startCluster(opts.cluster);
    bed.api = new KubeClient(loadConnection({ kubeconfigPath: bed.cluster.kubeconfigPath }));
    bed.agent = await startAgent({ kubeconfigPath: bed.cluster.kubeconfigPath, args: opts.agentArgs });
  });
  after(async function () {
    this.timeout(60_000);
    await bed.agent?.stop();
    bed.api?.close();
    await bed.cluster?.stop();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && bed.agent) console.log(`--- agent log (tail) ---\n${bed.agent.logs().slice(-(Number(process.env.LOGTAIL) || 4000))}`);
  });
  return bed;
}

/** The condition `type` of a profile's status. */
export function conditionOf(profile: ClusterProfile, type: string): Condition | undefined {
  return profile.status?.conditions?.find((c) => c.type === type);
}

/** Ready=True, reported for the generation the profile has now (not a Ready left from the spec before). */
export function isReady(profile: ClusterProfile): boolean {
  return conditionOf(profile, 'Ready')?.status === 'True' && profile.status?.observedGeneration === profile.metadata.generation;
}

export interface WaitProfileOptions {
  /** The profile's namespace, when the profile itself does not say (default kplane-system). */
  namespace?: string;
  timeoutMs?: number;
  intervalMs?: number;
}

const profilePath = (namespace: string, name: string) => `/apis/kplane.dev/v1alpha1/namespaces/${namespace}/clusterprofiles/${name}`;

/** Reads the profile until `test` holds for it, and returns it then; `what` names the wait when it times out. */
export function waitForProfile(api: KubeClient, name: string, what: string, test: (p: ClusterProfile) => boolean = isReady, opts: WaitProfileOptions = {}): Promise<ClusterProfile> {
  const path = profilePath(opts.namespace ?? 'kplane-system', name);
  return waitFor(async () => {
    const p = await api.request<ClusterProfile>('GET', path);
    return test(p) ? p : undefined;
  }, { what: `profile ${name}: ${what}`, timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: opts.intervalMs ?? 200 });
}

/**
 * Server-side applies `profile` as field manager kplane (as the plane does) and waits until
 * `test` holds for it, by default Ready for the generation just applied; returns the profile then.
 */
export async function applyAndWaitReady(api: KubeClient, profile: ClusterProfile, opts: WaitProfileOptions & { test?: (p: ClusterProfile) => boolean; what?: string } = {}): Promise<ClusterProfile> {
  const namespace = profile.metadata.namespace ?? opts.namespace ?? 'kplane-system';
  await api.apply(profilePath(namespace, profile.metadata.name), profile, 'kplane');
  return waitForProfile(api, profile.metadata.name, opts.what ?? 'Ready', opts.test, { ...opts, namespace });
}
