/**
 * bench:fleet — the management plane watching 1,000 clusters, simulated as 1,000 contexts over a
 * few real API servers from the test bed (each context's "cluster" is a namespace holding its own
 * ClusterAgent). Measures, with baselines from the same run:
 *
 *   - initial load: until every cluster's state is derived from a real list + watch;
 *   - steady CPU of the plane while agents write 1 status change per second per 100 clusters
 *     (the writer is a separate process, so its CPU is not counted), against a naive plane that
 *     re-lists every cluster every few seconds;
 *   - status write → fleet model update latency (median, p95), against the same poller;
 *   - memory (RSS) with 1,000 clusters watched;
 *   - loading dist/extension.js (activation's code) against loading it with the cluster side
 *     (dist/runtime.js) eagerly, as it would be without the lazy split.
 *
 * Environment: KPLANE_BENCH_CLUSTERS (default 1000), KPLANE_BENCH_SERVERS (default 2),
 * KPLANE_BENCH_WINDOW_S (steady window, default 20), KPLANE_BENCH_POLL_S (baseline period, default 5).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_VERSION, AGENT_KIND, AGENT_PLURAL } from '@kplane/profile';
import { FleetModel } from '@kplane/plane';
import { DEFAULT_WATCH_OPTIONS, FleetWatcher, forContext, loadKubeconfig, type FleetContext } from '@kplane/plane/cluster';
import { KubeClient, connectionStats, kubeConfigConnection } from '@kplane/kube';
import { repoRoot, startCluster, type TestCluster } from '@kplane/bed';

const CLUSTERS = Number(process.env.KPLANE_BENCH_CLUSTERS ?? 1000);
const SERVERS = Number(process.env.KPLANE_BENCH_SERVERS ?? 2);
const WINDOW_S = Number(process.env.KPLANE_BENCH_WINDOW_S ?? 20);
const POLL_S = Number(process.env.KPLANE_BENCH_POLL_S ?? 5);
const TIMEOUT_MS = 30_000;

interface Target {
  server: number;
  namespace: string;
  context: string;
}

const log = (line: string) => console.log(`[bench:fleet ${(performance.now() / 1000).toFixed(1)}s] ${line}`);

async function limit<T>(items: readonly T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

function targetsFor(count: number, servers: number): Target[] {
  return Array.from({ length: count }, (_, i) => ({ server: i % servers, namespace: `fleet-${String(i).padStart(4, '0')}`, context: `cluster-${String(i).padStart(4, '0')}` }));
}

function agentPath(namespace: string, status = false): string {
  return `/apis/${API_VERSION}/namespaces/${namespace}/${AGENT_PLURAL}/agent${status ? '/status' : ''}`;
}

function heartbeatStatus(i: number) {
  return {
    status: {
      heartbeatTime: new Date().toISOString(),
      agentVersion: '0.1.0',
      kubernetesVersion: 'v1.36.3',
      nodes: { total: 3, ready: 3 },
      conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: `bench agent ${i}`, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
      events: [],
      nextSeq: 0,
    },
  };
}

async function seed(clients: KubeClient[], targets: Target[]): Promise<void> {
  await limit(targets, 24, async (t) => {
    const client = clients[t.server];
    const i = Number(t.namespace.slice(6));
    await client.request('PATCH', `/api/v1/namespaces/${t.namespace}`, {
      query: { fieldManager: 'bench', force: true },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: t.namespace } }),
      contentType: 'application/apply-patch+yaml',
      timeoutMs: TIMEOUT_MS,
    });
    await client.request('PATCH', agentPath(t.namespace), {
      query: { fieldManager: 'bench', force: true },
      // A long heartbeat interval: the benchmark drives status changes itself, and nothing should go Stale.
      body: JSON.stringify({ apiVersion: API_VERSION, kind: AGENT_KIND, metadata: { name: 'agent', namespace: t.namespace }, spec: { heartbeatInterval: '1h', labels: { env: ['prod', 'staging', 'dev'][i % 3], shard: String(i % 10) } } }),
      contentType: 'application/apply-patch+yaml',
      timeoutMs: TIMEOUT_MS,
    });
    await client.request('PATCH', agentPath(t.namespace, true), { body: heartbeatStatus(i), contentType: 'application/merge-patch+json', timeoutMs: TIMEOUT_MS });
  });
}

/** Latency of each status write, seen through `model`: now − the heartbeatTime the writer stamped. */
function trackLatency(model: FleetModel, since: () => boolean): { samples: number[]; stop: () => void } {
  const samples: number[] = [];
  const seen = new Map<string, string>();
  const stop = model.onChange((ids) => {
    if (!since()) return;
    const now = Date.now();
    for (const id of ids) {
      const hb = model.get(id)?.lastSeen;
      if (!hb || seen.get(id) === hb) continue;
      seen.set(id, hb);
      samples.push(now - Date.parse(hb));
    }
  });
  return { samples, stop };
}

function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function cpuOver(seconds: number): Promise<number> {
  const start = process.cpuUsage();
  const t = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / 1000 / (performance.now() - t)) * 100;
}

/** The status writer: a child process, so its CPU is not the plane's. */
function startWriter(kubeconfigs: string[], targets: Target[], perSecond: number) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'writer', JSON.stringify({ kubeconfigs, targets, perSecond })], { stdio: ['ignore', 'inherit', 'inherit'] });
  return { stop: () => child.kill('SIGTERM') };
}

async function writer(config: { kubeconfigs: string[]; targets: Target[]; perSecond: number }): Promise<void> {
  const clients = config.kubeconfigs.map((path, i) => {
    const { kubeConfig } = loadKubeconfig(path);
    return new KubeClient(kubeConfigConnection(forContext(kubeConfig, kubeConfig.getContexts()[0].name)), { context: `writer-${i}` });
  });
  const interval = 1000 / config.perSecond;
  let next = performance.now();
  for (let n = 0; ; n++) {
    const t = config.targets[Math.floor(Math.random() * config.targets.length)];
    void clients[t.server].request('PATCH', agentPath(t.namespace, true), { body: heartbeatStatus(n), contentType: 'application/merge-patch+json', timeoutMs: TIMEOUT_MS }).catch(() => undefined);
    next += interval;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
}

/** The baseline: a plane that re-lists every cluster's ClusterAgent every POLL_S seconds. */
function startPoller(model: FleetModel, contexts: FleetContext[]): { stop: () => void } {
  let stopped = false;
  const clients = contexts.map((c) => ({ id: c.name, ns: c.kplaneNamespace!, client: new KubeClient(kubeConfigConnection(c.kubeConfig), { context: c.name }) }));
  void (async () => {
    while (!stopped) {
      const started = performance.now();
      await limit(clients, 32, async ({ id, ns, client }) => {
        try {
          const list = await client.request<{ items: any[] }>('GET', `/apis/${API_VERSION}/namespaces/${ns}/${AGENT_PLURAL}`, { timeoutMs: TIMEOUT_MS });
          model.setConnection(id, { kind: 'connected', since: Date.now() });
          model.setAgent(id, list.items[0]);
        } catch {
          model.setConnection(id, { kind: 'unreachable', since: Date.now(), error: 'poll failed' });
        }
      });
      await new Promise((r) => setTimeout(r, Math.max(0, POLL_S * 1000 - (performance.now() - started))));
    }
    for (const c of clients) c.client.close();
  })();
  return { stop: () => (stopped = true) };
}

/** Starts watching every context and resolves with the milliseconds until all are Healthy. */
async function loadFleet(model: FleetModel, watcher: FleetWatcher, contexts: FleetContext[]): Promise<number> {
  const started = performance.now();
  const loaded = new Promise<void>((resolve) => {
    const check = () => model.list().length === contexts.length && model.list().every((v) => v.state === 'Healthy');
    const stop = model.onChange(() => {
      if (check()) {
        stop();
        resolve();
      }
    });
  });
  watcher.setContexts(contexts);
  await loaded;
  return performance.now() - started;
}

function loadTimes(): { lazy: number; eager: number } {
  const stub = `const M=require('module');const o=M._load;const h={get:(t,p)=>p==='__esModule'?false:new Proxy(function(){},h),apply:()=>new Proxy(function(){},h),construct:()=>new Proxy({},h)};M._load=function(r,...a){return r==='vscode'?new Proxy({},h):o.call(this,r,...a)};`;
  const measure = (files: string[]) => {
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const code = `${stub}const t=performance.now();${files.map((f) => `require(${JSON.stringify(f)});`).join('')}console.log(performance.now()-t)`;
      runs.push(Number(spawnSync(process.execPath, ['-e', code], { encoding: 'utf8' }).stdout.trim()));
    }
    return quantile(runs, 0.5);
  };
  const dist = join(repoRoot(), 'dist');
  return { lazy: measure([join(dist, 'extension.js')]), eager: measure([join(dist, 'extension.js'), join(dist, 'runtime.js')]) };
}

async function main(): Promise<void> {
  log(`${CLUSTERS} clusters over ${SERVERS} real API servers; steady window ${WINDOW_S}s; baseline polls every ${POLL_S}s`);
  const servers: TestCluster[] = await Promise.all(Array.from({ length: SERVERS }, (_, i) => startCluster({ name: `bench-fleet-${i}` })));
  const stopAll = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    const targets = targetsFor(CLUSTERS, SERVERS);
    const kubeconfigs = servers.map((s) => loadKubeconfig(s.kubeconfigPath).kubeConfig);
    const seeders = kubeconfigs.map((kc, i) => new KubeClient(kubeConfigConnection(forContext(kc, kc.getContexts()[0].name)), { context: `seed-${i}` }));
    const t = performance.now();
    await seed(seeders, targets);
    for (const c of seeders) c.close();
    log(`seeded ${CLUSTERS} namespaces + ClusterAgents in ${((performance.now() - t) / 1000).toFixed(1)}s`);

    const contexts: FleetContext[] = targets.map((x) => ({
      name: x.context,
      server: servers[x.server].server,
      kubeConfig: forContext(kubeconfigs[x.server], kubeconfigs[x.server].getContexts()[0].name),
      kplaneNamespace: x.namespace,
    }));
    const rssBefore = process.memoryUsage().rss;

    // 1. Initial load: one list + watch per cluster, watches as streams on shared HTTP/2 sessions.
    const model = new FleetModel(Date.now);
    const watcher = new FleetWatcher(model, { ...DEFAULT_WATCH_OPTIONS, requestTimeoutMs: TIMEOUT_MS });
    const loadMs = await loadFleet(model, watcher, contexts);
    const h2 = connectionStats();
    const sockets = h2.requestSockets;
    log(`initial load: all ${CLUSTERS} clusters Healthy after ${(loadMs / 1000).toFixed(2)}s; ${h2.h2Streams} watches on ${h2.h2Sessions} HTTP/2 session(s), ${sockets} HTTP/1.1 connection(s) for lists`);
    global.gc?.();
    const rssLoaded = process.memoryUsage().rss;

    // 2. Steady state with the watch-based plane, its staleness tick running as in the extension.
    watcher.startTicker(2000);
    const perSecond = CLUSTERS / 100;
    let measuring = false;
    const watchLatency = trackLatency(model, () => measuring);
    const w1 = startWriter(servers.map((s) => s.kubeconfigPath), targets, perSecond);
    await new Promise((r) => setTimeout(r, 3000)); // writer start-up and first writes
    measuring = true;
    const watchCpu = await cpuOver(WINDOW_S);
    measuring = false;
    w1.stop();
    watchLatency.stop();
    const rssSteady = process.memoryUsage().rss;
    watcher.dispose();
    log(`watch: CPU ${watchCpu.toFixed(2)}% of one core at ${perSecond} changes/s; latency median ${quantile(watchLatency.samples, 0.5)} ms, p95 ${quantile(watchLatency.samples, 0.95)} ms (${watchLatency.samples.length} samples); RSS ${(rssSteady / 1048576).toFixed(0)} MB`);

    // 3. Baseline: re-list every cluster every POLL_S seconds.
    const pollModel = new FleetModel(Date.now);
    pollModel.setClusters(contexts.map((c) => ({ id: c.name })));
    const poller = startPoller(pollModel, contexts);
    await new Promise((r) => setTimeout(r, POLL_S * 1000 + 2000));
    measuring = true;
    const pollLatency = trackLatency(pollModel, () => measuring);
    const w2 = startWriter(servers.map((s) => s.kubeconfigPath), targets, perSecond);
    const pollCpu = await cpuOver(WINDOW_S);
    measuring = false;
    w2.stop();
    poller.stop();
    pollLatency.stop();
    // 3b. Baseline for the load: the same plane with an HTTP/1.1 connection per watch. Measured
    // last, so its sockets do not weigh on the numbers above; RSS is compared as growth.
    global.gc?.();
    const rssBeforeH1 = process.memoryUsage().rss;
    const h1Model = new FleetModel(Date.now);
    const h1Watcher = new FleetWatcher(h1Model, { ...DEFAULT_WATCH_OPTIONS, requestTimeoutMs: TIMEOUT_MS, http2: false });
    const h1LoadMs = await loadFleet(h1Model, h1Watcher, contexts);
    const h1Sockets = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles().filter((h) => h.constructor.name === 'TLSSocket').length;
    const rssH1 = process.memoryUsage().rss;
    h1Watcher.dispose();
    log(`baseline (HTTP/1.1 connection per watch): load ${(h1LoadMs / 1000).toFixed(2)}s over ${h1Sockets} TLS connections; RSS grew ${((rssH1 - rssBeforeH1) / 1048576).toFixed(0)} MB (HTTP/2: ${((rssLoaded - rssBefore) / 1048576).toFixed(0)} MB)`);
    log(`baseline (poll every ${POLL_S}s): CPU ${pollCpu.toFixed(2)}%; latency median ${quantile(pollLatency.samples, 0.5)} ms, p95 ${quantile(pollLatency.samples, 0.95)} ms (${pollLatency.samples.length} samples)`);

    // 4. Loading the extension's code: lazy (activation) vs eager.
    const load = loadTimes();
    log(`loading dist/extension.js: ${load.lazy.toFixed(1)} ms; with dist/runtime.js eagerly: ${load.eager.toFixed(1)} ms`);

    const result = {
      clusters: CLUSTERS,
      apiServers: SERVERS,
      initialLoadSeconds: +(loadMs / 1000).toFixed(2),
      initialLoadBaselineHttp1Seconds: +(h1LoadMs / 1000).toFixed(2),
      initialLoadRatio: +(h1LoadMs / loadMs).toFixed(1),
      rssGrowthMB: { http2: Math.round((rssLoaded - rssBefore) / 1048576), http1Baseline: Math.round((rssH1 - rssBeforeH1) / 1048576) },
      connections: { http2Sessions: h2.h2Sessions, watchStreams: h2.h2Streams, http1ForLists: sockets },
      steadyChangesPerSecond: perSecond,
      cpuPercentOfOneCore: { watch: +watchCpu.toFixed(2), pollBaseline: +pollCpu.toFixed(2), ratio: +(pollCpu / watchCpu).toFixed(1) },
      latencyMs: {
        watchMedian: quantile(watchLatency.samples, 0.5),
        watchP95: quantile(watchLatency.samples, 0.95),
        pollMedian: quantile(pollLatency.samples, 0.5),
        ratio: +(quantile(pollLatency.samples, 0.5) / quantile(watchLatency.samples, 0.5)).toFixed(1),
      },
      rssMB: { beforeWatching: Math.round(rssBefore / 1048576), loaded: Math.round(rssLoaded / 1048576), steady: Math.round(rssSteady / 1048576) },
      extensionLoadMs: { activationBundle: +load.lazy.toFixed(1), eagerWithRuntime: +load.eager.toFixed(1), ratio: +(load.eager / load.lazy).toFixed(1) },
      targets: { initialLoadSeconds: 10, cpuPercent: 5, latencyMedianMs: 500, rssMB: 300 },
    };
    console.log(JSON.stringify(result, null, 2));
    const verdicts = [
      [`initial load ${result.initialLoadSeconds}s ≤ 10s`, result.initialLoadSeconds <= 10],
      [`steady CPU ${result.cpuPercentOfOneCore.watch}% < 5%`, result.cpuPercentOfOneCore.watch < 5],
      [`latency median ${result.latencyMs.watchMedian} ms ≤ 500 ms`, result.latencyMs.watchMedian <= 500],
      [`RSS ${result.rssMB.steady} MB ≤ 300 MB`, result.rssMB.steady <= 300],
    ] as const;
    for (const [text, ok] of verdicts) console.log(`${ok ? 'PASS' : 'MISS'} ${text}`);
  } finally {
    await stopAll();
  }
}

if (process.argv[2] === 'writer') {
  void writer(JSON.parse(process.argv[3]));
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`bench:fleet failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
}
