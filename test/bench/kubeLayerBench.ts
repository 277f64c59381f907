/**
 * `npm run bench:kube`: what the one request client costs the agent, in two parts.
 *
 * Imports (`--imports`). Each line is a fresh Node process that imports one thing and prints its
 * RSS and import time, in the same run:
 *   - nothing (the baseline);
 *   - @kplane/kube as the agent loads it (KubeClient + Informer: node:https; node:http2 is loaded
 *     only by a client made with `http2: true`, which the agent never makes);
 *   - @kplane/kube plus node:http2, as the plane loads it for its watches;
 *   - undici, the plane's former transport (kept in node_modules by client-node), for comparison;
 *   - @kubernetes/client-node's KubeConfig module alone (dist/config.js);
 *   - @kubernetes/client-node whole.
 * The agent's budget is 120 MB RSS with 500 objects (bench:agent), so it cannot carry client-node
 * at run time; it loads client-node only for kubeconfigs with auth plugins.
 *
 * Requests (`--requests`). The same requests against a real kube-apiserver (the bed), from three
 * clients in one process, in rounds that rotate their order:
 *   - node:https with a keep-alive Agent and nothing else (the baseline: what any client pays);
 *   - KubeClient (deadline, abort, error naming, JSON);
 *   - @kubernetes/client-node's CoreV1Api, for reference.
 * Per workload (GET of a ConfigMap; server-side apply of the same ConfigMap, which changes nothing,
 * as most of the agent's applies), one at a time (latency) and 16 in flight (the agent's apply
 * parallelism). Printed per client: requests/s, latency, the client process's CPU time per
 * request, and, per round, its time and CPU ÷ the baseline's in that round (median over rounds).
 * The API server runs in its own processes, so the CPU column is the client's own cost.
 *
 * `node test/out/bench/kubeLayerBench.js [--imports|--requests] [--runs N] [--rounds N] [--requests-per-batch N]`
 */
import { spawnSync } from 'node:child_process';
import * as https from 'node:https';
import { loadavg } from 'node:os';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1ConfigMap } from '@kubernetes/client-node';
import { K8S_VERSION, startCluster } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import { repoRoot } from '../fixtures/paths.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const only = args.includes('--imports') ? 'imports' : args.includes('--requests') ? 'requests' : undefined;
// `npm run bench:kube 5` still means five processes per import.
const runs = /^\d+$/.test(args[0] ?? '') ? Number(args[0]) : flag('--runs', 3);
const rounds = flag('--rounds', 15);
const perBatch = flag('--requests-per-batch', 200);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

function importCosts(): void {
  const cases: [string, string][] = [
    ['nothing (baseline)', ''],
    ['@kplane/kube (KubeClient, Informer): the agent', "const k = await import('@kplane/kube'); void k.KubeClient; void k.Informer;"],
    ['@kplane/kube + node:http2: the plane', "const k = await import('@kplane/kube'); void k.KubeClient; await import('node:http2');"],
    ["undici (the plane's transport before)", "await import('undici');"],
    ['@kubernetes/client-node/dist/config.js', "await import('@kubernetes/client-node/dist/config.js');"],
    ['@kubernetes/client-node', "await import('@kubernetes/client-node');"],
  ];
  const measure = (code: string): { rssMb: number; ms: number } => {
    const script = `const t = performance.now(); ${code} const ms = performance.now() - t; console.log(JSON.stringify({ rssMb: process.memoryUsage().rss / 1e6, ms }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`bench:kube: ${out.stderr}`);
    const lines = out.stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]) as { rssMb: number; ms: number };
  };
  console.log(`bench:kube imports: median of ${runs} fresh processes each`);
  console.log('| import | RSS | import time | RSS over baseline |');
  console.log('|---|---|---|---|');
  let base = 0;
  for (const [label, code] of cases) {
    const samples = Array.from({ length: runs }, () => measure(code));
    const rss = median(samples.map((s) => s.rssMb));
    const ms = median(samples.map((s) => s.ms));
    if (!code) base = rss;
    console.log(`| ${label} | ${rss.toFixed(0)} MB | ${ms.toFixed(0)} ms | +${(rss - base).toFixed(0)} MB |`);
  }
}

/** One request of a workload; `i` picks the object. Resolves with the parsed answer. */
type Call = (i: number) => Promise<unknown>;

interface Client {
  name: string;
  /** Share of `--requests-per-batch` it runs per batch: client-node opens a connection per request and is slow. */
  share: number;
  get: Call;
  apply: Call;
  close(): void;
}

const NS = 'bench-kube';
const OBJECTS = 32;
const MANAGER = 'bench';
const configMap = (i: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i % OBJECTS}`, namespace: NS }, data: { index: String(i % OBJECTS), payload: 'x'.repeat(200) } });
const objectPath = (i: number) => `/api/v1/namespaces/${NS}/configmaps/cm-${i % OBJECTS}`;
const applyQuery = `?fieldManager=${MANAGER}&force=true`;

/** node:https with a keep-alive Agent: the request, the body read whole, JSON.parse, a status check. */
async function plainHttps(kubeconfigPath: string): Promise<Client> {
  const connection = loadConnection({ kubeconfigPath });
  const tls = await connection.requestOptions();
  const { hostname, port } = new URL(connection.server);
  const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  const call = (method: string, path: string, body?: string, contentType?: string) =>
    new Promise<unknown>((resolve, reject) => {
      const headers: Record<string, string> = { ...(tls.headers as Record<string, string>), Accept: 'application/json' };
      if (body !== undefined) {
        headers['Content-Type'] = contentType!;
        headers['Content-Length'] = String(Buffer.byteLength(body));
      }
      const req = https.request({ ...tls, hostname, port, path, method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(JSON.parse(text));
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    name: 'node:https keep-alive (baseline)',
    share: 1,
    get: (i) => call('GET', objectPath(i)),
    apply: (i) => call('PATCH', objectPath(i) + applyQuery, JSON.stringify(configMap(i)), 'application/apply-patch+yaml'),
    close: () => agent.destroy(),
  };
}

function kubeClient(kubeconfigPath: string): Client {
  const client = new KubeClient(loadConnection({ kubeconfigPath }));
  return {
    name: 'KubeClient',
    share: 1,
    get: (i) => client.request('GET', objectPath(i)),
    apply: (i) => client.apply(objectPath(i), configMap(i), MANAGER),
    close: () => client.close(),
  };
}

function clientNode(kubeconfigPath: string): Client {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const ssa = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
  return {
    name: '@kubernetes/client-node CoreV1Api',
    share: 0.25,
    get: (i) => core.readNamespacedConfigMap({ name: `cm-${i % OBJECTS}`, namespace: NS }),
    apply: (i) => core.patchNamespacedConfigMap({ name: `cm-${i % OBJECTS}`, namespace: NS, body: configMap(i) as V1ConfigMap, fieldManager: MANAGER, force: true }, ssa),
    close: () => undefined,
  };
}

interface Batch {
  /** Wall time per request (ms). */
  ms: number;
  /** This process's CPU time per request (µs). */
  cpuUs: number;
  /** Per request, only for one in flight. */
  latencies: number[];
}

/** `count` calls, `inFlight` at a time. */
async function batch(call: Call, inFlight: number, count: number): Promise<Batch> {
  const latencies: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await call(i);
        if (inFlight === 1) latencies.push(performance.now() - t);
      }
    }),
  );
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms: ms / count, cpuUs: (used.user + used.system) / count, latencies };
}

async function requestCosts(): Promise<void> {
  const cluster = await startCluster({ name: 'kube-bench', nodes: 1 });
  const clients: Client[] = [];
  try {
    const setup = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
    await setup.apply(`/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, MANAGER);
    for (let i = 0; i < OBJECTS; i++) await setup.apply(objectPath(i), configMap(i), MANAGER);
    setup.close();
    clients.push(await plainHttps(cluster.kubeconfigPath), kubeClient(cluster.kubeconfigPath), clientNode(cluster.kubeconfigPath));

    const workloads = [
      { name: 'GET ConfigMap, 1 in flight', pick: (c: Client) => c.get, inFlight: 1 },
      { name: 'GET ConfigMap, 16 in flight', pick: (c: Client) => c.get, inFlight: 16 },
      { name: 'apply ConfigMap (no change), 1 in flight', pick: (c: Client) => c.apply, inFlight: 1 },
      { name: 'apply ConfigMap (no change), 16 in flight', pick: (c: Client) => c.apply, inFlight: 16 },
    ];
    console.log(`\nbench:kube requests: kube-apiserver ${K8S_VERSION} on the bed; per workload ${rounds} rounds of ${perBatch} requests per client (client-node: a quarter), clients in rotating order; load average at start ${loadAverage()}`);
    console.log('| workload | client | req/s | latency p50 (p95) | client CPU/request | time ÷ baseline | CPU ÷ baseline |');
    console.log('|---|---|---|---|---|---|---|');
    for (const workload of workloads) {
      // Warm-up: connections, TLS sessions, JIT; not counted.
      const run = (c: Client) => batch(workload.pick(c), workload.inFlight, Math.max(workload.inFlight, Math.round(perBatch * c.share)));
      for (const c of clients) await run(c);
      const results = clients.map(() => [] as Batch[]);
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < clients.length; k++) {
          const index = (k + round) % clients.length;
          results[index].push(await run(clients[index]));
        }
      }
      clients.forEach((c, index) => {
        const own = results[index];
        const timeRatio = median(own.map((b, round) => b.ms / results[0][round].ms));
        const cpuRatio = median(own.map((b, round) => b.cpuUs / results[0][round].cpuUs));
        const reqPerS = 1000 / median(own.map((b) => b.ms));
        const latencies = own.flatMap((b) => b.latencies);
        const latency = latencies.length ? `${median(latencies).toFixed(2)} ms (${p95(latencies).toFixed(2)})` : '–';
        const cpu = median(own.map((b) => b.cpuUs));
        console.log(`| ${workload.name} | ${c.name} | ${reqPerS.toFixed(0)} | ${latency} | ${cpu.toFixed(0)} µs | ${index ? `${timeRatio.toFixed(2)}×` : '1'} | ${index ? `${cpuRatio.toFixed(2)}×` : '1'} |`);
      });
    }
    console.log(`load average at end ${loadAverage()}`);
  } finally {
    for (const c of clients) c.close();
    await cluster.stop();
  }
}

function loadAverage(): string {
  return loadavg().map((x) => x.toFixed(1)).join(' ');
}

if (only !== 'requests') importCosts();
if (only !== 'imports') await requestCosts();
