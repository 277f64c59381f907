/**
 * `npm run bench:agent-settings`: how fast the agent follows a shorter ClusterAgent
 * spec.heartbeatInterval, against a real kube-apiserver from the test bed. The agent beats every
 * 4 s; right after a beat the interval is set to 1 s, and the time until the next beat is seen is
 * the reaction. Baseline in the same run: the gap between two beats at 4 s, i.e. what waiting
 * out the old sleep would cost. test/cluster/agentRuntimeSettings.test.ts asserts the behaviour
 * (the next beat comes before the old sleep would have ended); this prints the numbers.
 *
 *   KPLANE_BENCH_RUNS=5   interval changes measured (default 5)
 */
import { startAgent, startCluster, waitFor } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { ClusterAgent } from '@kplane/profile';

const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 5);
const AGENTS = '/apis/kplane.dev/v1alpha1/namespaces/kplane-system/clusteragents';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  const cluster = await startCluster({ name: 'bench-settings', nodes: 1 });
  const api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
  const agent = await (async () => {
    await api.request('POST', AGENTS, { body: { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent', namespace: 'kplane-system' }, spec: { heartbeatInterval: '4s' } } });
    return startAgent({ kubeconfigPath: cluster.kubeconfigPath });
  })();
  const setHeartbeat = (interval: string) => api.request('PATCH', `${AGENTS}/agent`, { body: { spec: { heartbeatInterval: interval } }, contentType: 'application/merge-patch+json' });
  let last = '';
  /** Waits for a heartbeatTime other than the last one seen; returns when it was seen. */
  const nextBeat = async (): Promise<number> => {
    await waitFor(async () => {
      const t = (await api.request<ClusterAgent>('GET', `${AGENTS}/agent`)).status?.heartbeatTime;
      if (!t || t === last) return false;
      last = t;
      return true;
    }, { what: 'the next heartbeat', timeoutMs: 30_000, intervalMs: 20 });
    return performance.now();
  };
  try {
    await nextBeat();
    const gaps: number[] = [];
    const reactions: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Two beats at 4 s: the second gap is the baseline (a full sleep of the old interval).
      const first = await nextBeat();
      gaps.push((await nextBeat()) - first);
      await setHeartbeat('1s');
      const changed = performance.now();
      reactions.push((await nextBeat()) - changed);
      await setHeartbeat('4s');
      // After the change back, one short beat may still come before the 4 s rhythm resumes.
      await nextBeat();
    }
    const r = median(reactions);
    const g = median(gaps);
    console.log(`bench:agent-settings — ${RUNS} runs, heartbeatInterval 4s → 1s right after a beat`);
    console.log(`reaction (change → next beat seen): median ${r.toFixed(0)} ms, runs ${reactions.map((x) => x.toFixed(0)).join(', ')} ms`);
    console.log(`baseline (a full 4 s sleep, beat → beat): median ${g.toFixed(0)} ms, runs ${gaps.map((x) => x.toFixed(0)).join(', ')} ms`);
    console.log(`ratio baseline / reaction: ${(g / r).toFixed(1)}× (>1: the agent cut its sleep short instead of waiting it out)`);
  } finally {
    await agent.stop();
    api.close();
    await cluster.stop();
  }
}

if (process.argv[1]?.endsWith('agentSettingsBench.js')) main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:agent-settings failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
