/**
 * The set-up most agent cluster tests share: one bed cluster, a client for it and a running agent
 * for a `describe` block. They start before its tests and stop after them, and the tail of the
 * agent's log is printed under a test that failed (`LOGTAIL=<chars>` prints more).
 *
 * Call it in the body of a `describe`; the returned object is filled in by its `before` hook. A
 * test that restarts the agent assigns `bed.agent`, and `after` stops whichever agent runs then.
 */
import { startAgent, startCluster, type RunningAgent, type StartClusterOptions, type TestCluster } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';

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
