/**
 * Two identical Deployments on one bed cluster with metrics (startCluster({ metrics: true })):
 * `kp` scaled by a kplane ClusterProfile policy (the agent runs as a real process), `hpa` scaled
 * by a real autoscaling/v2 HorizontalPodAutoscaler (kube-controller-manager's HPA controller)
 * with the same target. A load driver spreads a total CPU load evenly over each Deployment's
 * pods (their `kplane.dev/sim-cpu` annotation, which KWOK serves as usage), as a load balancer
 * would; a poller records every replica change of both. Used by the side-by-side fault test and
 * the scaling benchmark.
 */
import { startAgent, type RunningAgent } from './agent.js';
import { applyYaml, waitFor } from './client.js';
import { startCluster, type TestCluster } from './cluster.js';
import { KubeClient, loadConnection } from '@kplane/kube';

export interface SideBySideOptions {
  name?: string;
  /** CPU request of each pod (millicores); default 200. */
  requestMilli?: number;
  /** Percent of requests; default 50. */
  targetUtilization?: number;
  minReplicas?: number;
  maxReplicas?: number;
  /** Both sides' scale-down stabilization window, seconds; default 20. */
  scaleDownWindowS?: number;
  /** The agent's --scaling-period; default its own (5s). */
  scalingPeriod?: string;
  /** Starting total load (millicores) of each Deployment; default 200. */
  initialLoadMilli?: number;
  log?: (line: string) => void;
}

export interface ReplicaChange {
  at: number;
  from: number;
  to: number;
}

export interface SideBySide {
  cluster: TestCluster;
  agent: RunningAgent;
  api: KubeClient;
  /** Total load of each Deployment in millicores, spread evenly over its pods; ±jitter (0..1) per pod and tick. */
  setLoad(totalMilli: number, jitter?: number): void;
  replicas(): Promise<{ kplane: number; hpa: number }>;
  /** Every replica change seen so far (500 ms polling), by side. */
  changes: { kplane: ReplicaChange[]; hpa: ReplicaChange[] };
  /**
   * Resolves once metrics.k8s.io serves every running pod of both sides at `perPod(n)`
   * millicores: when that was seen (`all`), and per side when the first pod was (`first`).
   * With `before` (the per-pod usage served until now), also per side when metrics.k8s.io first
   * served anything else for a pod (`moved`): the first moment a controller could act, since
   * metrics-server's first scrape after a change may serve a value between old and new.
   */
  metricsServe(
    perPod: (pods: number) => number,
    timeoutMs?: number,
    before?: (pods: number) => number,
  ): Promise<{ all: number; first: { kplane: number; hpa: number }; moved: { kplane: number; hpa: number } }>;
  /** Waits until neither side changed for `quietMs`; returns both. */
  settle(quietMs: number, timeoutMs: number): Promise<{ kplane: number; hpa: number }>;
  stop(): Promise<void>;
}

const NS = 'default';

function deployment(name: string, replicas: number, requestMilli: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: { 'kplane.dev/sim-cpu': `${requestMilli / 2}m` } },
        spec: { containers: [{ name: 'app', image: 'example.invalid/app:1', resources: { requests: { cpu: `${requestMilli}m` } } }] },
      },
    },
  };
}

export async function startSideBySide(opts: SideBySideOptions = {}): Promise<SideBySide> {
  const requestMilli = opts.requestMilli ?? 200;
  const target = opts.targetUtilization ?? 50;
  const min = opts.minReplicas ?? 1;
  const max = opts.maxReplicas ?? 10;
  const windowS = opts.scaleDownWindowS ?? 20;
  const log = opts.log ?? (() => undefined);
  const cluster = await startCluster({ name: opts.name ?? 'side-by-side', metrics: true, nodes: 2, log });
  const api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
  // The HPA side: a Deployment and an HPA whose only limits are the same as kplane's (scale up
  // unlimited, scale down after the same window), so both should decide alike.
  await applyYaml(
    cluster,
    JSON.stringify(deployment('hpa', 2, requestMilli)) +
      '\n---\n' +
      JSON.stringify({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'hpa', namespace: NS },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'hpa' },
          minReplicas: min,
          maxReplicas: max,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } } }],
          behavior: {
            scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] },
            scaleDown: { stabilizationWindowSeconds: windowS, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
          },
        },
      }),
  );
  // The kplane side: the same Deployment in a profile, with a policy of the same target.
  await api.request('POST', '/apis/kplane.dev/v1alpha1/namespaces/kplane-system/clusterprofiles', {
    body: {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'side-by-side', namespace: 'kplane-system' },
      spec: {
        version: '1.0.0',
        layers: [{ name: 'app', namespace: NS, manifests: [deployment('kp', 2, requestMilli)] }],
        scaling: [
          {
            name: 'kp',
            target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'kp', namespace: NS },
            minReplicas: min,
            maxReplicas: max,
            metric: { type: 'Resource', resource: { name: 'cpu' }, targetAverageUtilization: target },
            scaleDownStabilization: `${windowS}s`,
          },
        ],
      },
    },
  });
  const agent = await startAgent({ kubeconfigPath: cluster.kubeconfigPath, args: opts.scalingPeriod ? ['--scaling-period', opts.scalingPeriod] : [] });

  const podsOf = async (app: string): Promise<any[]> =>
    ((await api.request<{ items: any[] }>('GET', `/api/v1/namespaces/${NS}/pods`, { query: { labelSelector: `app=${app}` } })).items ?? []).filter((p) => !p.metadata.deletionTimestamp);
  const deploymentReplicas = async (name: string): Promise<number | undefined> => (await api.getOrUndefined<{ spec: { replicas: number } }>(`/apis/apps/v1/namespaces/${NS}/deployments/${name}`))?.spec.replicas;

  let load = opts.initialLoadMilli ?? 200;
  let jitter = 0;
  let stopped = false;
  const changes: SideBySide['changes'] = { kplane: [], hpa: [] };
  const last: Record<'kplane' | 'hpa', number | undefined> = { kplane: undefined, hpa: undefined };

  // The load balancer: every second, each running pod gets load / pods (± jitter).
  const drive = async (): Promise<void> => {
    while (!stopped) {
      for (const app of ['kp', 'hpa']) {
        try {
          const pods = await podsOf(app);
          for (const pod of pods) {
            const share = load / Math.max(1, pods.length);
            const value = Math.max(1, Math.round(share * (1 + (jitter ? (Math.random() * 2 - 1) * jitter : 0))));
            if (pod.metadata.annotations?.['kplane.dev/sim-cpu'] === `${value}m`) continue;
            await api
              .request('PATCH', `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`, { body: { metadata: { annotations: { 'kplane.dev/sim-cpu': `${value}m` } } }, contentType: 'application/merge-patch+json' })
              .catch(() => undefined); // a pod deleted meanwhile
          }
        } catch {
          // The API server is busy; the next tick catches up.
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const poll = async (): Promise<void> => {
    while (!stopped) {
      for (const [side, name] of [['kplane', 'kp'], ['hpa', 'hpa']] as const) {
        const n = await deploymentReplicas(name).catch(() => undefined);
        if (n === undefined) continue;
        if (last[side] !== undefined && last[side] !== n) changes[side].push({ at: Date.now(), from: last[side]!, to: n });
        last[side] = n;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const background = [drive(), poll()];
  await waitFor(async () => last.kplane !== undefined && last.hpa !== undefined, { timeoutMs: 60_000, what: 'both Deployments to exist' });

  const replicas = async () => ({ kplane: (await deploymentReplicas('kp')) ?? 0, hpa: (await deploymentReplicas('hpa')) ?? 0 });
  return {
    cluster,
    agent,
    api,
    changes,
    setLoad(totalMilli, j = 0) {
      load = totalMilli;
      jitter = j;
    },
    replicas,
    async metricsServe(perPod, timeoutMs = 60_000, before) {
      const first: Record<'kplane' | 'hpa', number | undefined> = { kplane: undefined, hpa: undefined };
      const moved: Record<'kplane' | 'hpa', number | undefined> = { kplane: undefined, hpa: undefined };
      const near = (value: number | undefined, want: number) => Math.abs((value ?? -1e9) - want) <= Math.max(2, want * 0.01);
      await waitFor(
        async () => {
          let all = true;
          for (const [side, app] of [['kplane', 'kp'], ['hpa', 'hpa']] as const) {
            const pods = (await podsOf(app)).filter((p) => p.status?.phase === 'Running');
            const metrics = await api.request<{ items: any[] }>('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods`, { query: { labelSelector: `app=${app}` } });
            const served = new Map(metrics.items.map((m) => [m.metadata.name, m.containers?.[0]?.usage?.cpu]));
            // KWOK's counter and metrics-server's timestamps differ a little: 250m may read 251m.
            const want = perPod(pods.length);
            const at = pods.filter((p) => near(cpuMilli(served.get(p.metadata.name)), want)).length;
            if (at > 0) first[side] ??= Date.now();
            if (before) {
              const old = before(pods.length);
              const changed = pods.some((p) => {
                const value = cpuMilli(served.get(p.metadata.name));
                return value !== undefined && !near(value, old);
              });
              if (changed) moved[side] ??= Date.now();
            }
            if (!pods.length || at < pods.length) all = false;
          }
          return all;
        },
        { timeoutMs, intervalMs: 500, what: 'metrics.k8s.io to serve the new load on every pod' },
      );
      const now = Date.now();
      return {
        all: now,
        first: { kplane: first.kplane ?? now, hpa: first.hpa ?? now },
        moved: { kplane: moved.kplane ?? first.kplane ?? now, hpa: moved.hpa ?? first.hpa ?? now },
      };
    },
    async settle(quietMs, timeoutMs) {
      const started = Date.now();
      await waitFor(
        async () => {
          const lastChange = Math.max(started, ...changes.kplane.map((c) => c.at), ...changes.hpa.map((c) => c.at));
          return Date.now() - lastChange >= quietMs;
        },
        { timeoutMs, intervalMs: 1000, what: `both sides to keep their replicas for ${quietMs / 1000}s` },
      );
      return replicas();
    },
    async stop() {
      stopped = true;
      await Promise.allSettled(background);
      await agent.stop();
      api.close();
      await cluster.stop();
    },
  };
}

/** "250m", "250000000n", "1" → millicores (rounded). */
function cpuMilli(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^([0-9.]+)(n|u|m)?$/.exec(text);
  if (!m) return undefined;
  const scale = { n: 1e-6, u: 1e-3, m: 1 }[m[2] as 'n' | 'u' | 'm'] ?? 1000;
  return Math.round(Number(m[1]) * scale);
}
