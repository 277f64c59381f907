/**
 * `npm run bench:agent`: the agent against a real kube-apiserver (test bed), each number next to
 * a baseline or target measured in the same run.
 *  1. A 200-object profile applied to a fresh namespace, profile created → Ready, vs
 *     `kubectl apply --server-side` of the same rendered objects (median of 3 runs each).
 *  2. Drift-correction latency: 40 edits to managed fields, edit → value back (median, p95).
 *  3. Agent RSS while managing 500 objects (measured first, before the other profiles exist).
 *  4. A 300-object Helm chart: agent (created → Ready) vs `helm upgrade --install`, and a values
 *     change vs `helm upgrade` (Helm and the registry from bed/build-helm.sh); then drift
 *     correction on the chart's objects, 20 edits, against the same target as manifests (2).
 *  5. A real-shaped stack (./realStack.ts: 165 objects of 13 kinds, three 0.7 MB CRDs, 35 KB
 *     dashboards), as one profile (it fits as stored, compressed) or with KPLANE_BENCH_STACK=split
 *     split by splitProfile into profiles that depend on each other, created → all
 *     Ready, vs kubectl apply --server-side of the CRDs, kubectl wait for them Established, and
 *     kubectl apply --server-side of the rest (what the agent's health waits for); then the
 *     agent's RSS with that stack and the 500-object profile of 3 loaded together, a status
 *     write of the largest part (and of every part: whole answer, metadata-only answer, kubectl
 *     patch --subresource=status as the floor), and the time from SIGTERM to the agent's exit.
 *     The parts are written as the plane writes them: above 256 KiB with their layers compressed
 *     (KPLANE_BENCH_STORED=plain writes them plain, as before, for an A/B against an agent that
 *     cannot read the compressed form).
 * `--stack` runs only 3 and 5. Build first (npx tsc -b agent test); the cluster needs the
 * binaries of bed/build-k8s.sh.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureBinaries, ensureHelmTools, fixtureChart, helm, packageChart, startChartRepo, startCluster, waitFor, startAgent } from '@kplane/bed';
import { Informer, KubeClient, KubeError, loadConnection, METADATA_ONLY } from '@kplane/kube';
import { withOwnership } from '@kplane/agent/core';
import { PROFILE_SIZE_LIMIT_BYTES, renderProfile, storedSizeAsWritten, type ClusterProfile, type Manifest } from '@kplane/profile';
import { splitProfile, storedObject } from '@kplane/plane';
import { realStack } from './realStack.js';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;
const RUNS = 5;
/** KPLANE_BENCH_STORED=plain: the stack's parts are written plain, not compressed (see the header). */
const STORED_PLAIN = process.env.KPLANE_BENCH_STORED === 'plain';
/**
 * The stack goes in as one profile when it fits as the plane stores it (its layers compressed),
 * as a user's `kplane apply` of it would; KPLANE_BENCH_STACK=split (or a plain store, where it
 * cannot fit) splits it with splitProfile into parts that depend on each other, as before.
 */
const STACK_SPLIT = process.env.KPLANE_BENCH_STACK === 'split' || STORED_PLAIN;
/** The agent runs with the Node flags of its image (agent/deploy/Containerfile); KPLANE_BENCH_AGENT_NODE_OPTIONS overrides them (e.g. '' for Node's defaults). */
const AGENT_NODE_OPTIONS = process.env.KPLANE_BENCH_AGENT_NODE_OPTIONS ?? '--max-semi-space-size=2 --max-old-space-size=128';

/** `count` objects in one namespace: ConfigMaps, headless Services (the bed's service IP range is small) and ServiceAccounts, in 4 layers. */
function profile(name: string, namespace: string, count: number): ClusterProfile {
  const objects: Manifest[] = [];
  for (let i = 0; objects.length < count; i++) {
    const kind = i % 5;
    if (kind < 3) objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { index: String(i), payload: 'x'.repeat(200) } });
    else if (kind === 3) objects.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}` }, spec: { clusterIP: 'None', selector: { app: `a${i}` }, ports: [{ port: 80, targetPort: 8080 }] } } as Manifest);
    else objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: `sa-${i}`, labels: { index: String(i) } } });
  }
  const perLayer = Math.ceil(count / 4);
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, namespace: NS },
    spec: {
      version: '1.0.0',
      reconcile: { mode: 'enforce', prune: true, interval: '10m' },
      layers: [0, 1, 2, 3].map((l) => ({ name: `l${l}`, namespace, ...(l ? { dependsOn: [`l${l - 1}`] } : {}), manifests: objects.slice(l * perLayer, (l + 1) * perLayer) })),
    },
  } as ClusterProfile;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

async function main(): Promise<void> {
  const bins = await ensureBinaries();
  const cluster = await startCluster({ name: 'agent-bench' });
  const api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
  const helmTools = await ensureHelmTools();
  const agent = await startAgent({ kubeconfigPath: cluster.kubeconfigPath, args: process.env.KPLANE_BENCH_DEBUG ? ['--log-level', 'debug'] : [], env: { KPLANE_HELM: helmTools.helm, NODE_OPTIONS: AGENT_NODE_OPTIONS } });
  const dir = mkdtempSync(join(tmpdir(), 'kplane-bench-'));
  try {
    await waitFor(async () => (await fetch(`${await agent.metricsUrl()}/readyz`)).ok, { what: 'agent ready', timeoutMs: 30_000 });
    const createNs = (name: string) => api.apply(`/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 'bench');

    // 3. (run first, so the agent manages exactly these) RSS while managing 500 objects.
    const readRss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    const idleRss = readRss();
    await createNs('bench-rss');
    const big = profile('rss', 'bench-rss', 500);
    await api.apply(`${PROFILES}/rss`, big, 'kplane');
    await waitFor(async () => (await api.request<ClusterProfile>('GET', `${PROFILES}/rss`)).status?.appliedVersion === '1.0.0', { what: 'rss profile applied', timeoutMs: 180_000, intervalMs: 100 });
    const rss: number[] = [];
    for (let i = 0; i < 20; i++) {
      rss.push(readRss());
      await new Promise((r) => setTimeout(r, 250)); // sampling period, not a wait for an event
    }
    if (process.argv.includes('--stack')) {
      console.log(`\nagent RSS while managing 500 objects (node ${AGENT_NODE_OPTIONS || 'defaults'}; one profile, idle agent RSS before it: ${idleRss.toFixed(1)} MB): max ${Math.max(...rss).toFixed(1)} MB, median ${median(rss).toFixed(1)} MB   (target ≤ 120 MB)`);
      console.log(await realStackBench(cluster.kubeconfigPath, api, bins.kubectl, dir, readRss, agent, () => cluster.pids()));
      if (process.env.KPLANE_BENCH_LOG) writeFileSync(process.env.KPLANE_BENCH_LOG, agent.logs());
      return;
    }

    // 1. apply time, alternating kubectl and agent, each into a fresh namespace.
    const kubectlMs: number[] = [];
    const agentMs: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const kns = `bench-kubectl-${run}`;
      await createNs(kns);
      const p = profile(`k${run}`, kns, 200);
      const rendered = renderProfile(p.spec).layers.flatMap((l) => l.manifests.map((m) => withOwnership(m, { namespace: NS, name: p.metadata.name }, l.name)));
      const file = join(dir, `${kns}.yaml`);
      writeFileSync(file, rendered.map((m) => `---\n${stringify(m)}`).join(''));
      let started = Date.now();
      const result = spawnSync(bins.kubectl, ['--kubeconfig', cluster.kubeconfigPath, 'apply', '--server-side', '--field-manager', 'kplane-agent', '-f', file], { encoding: 'utf8' });
      kubectlMs.push(Date.now() - started);
      if (result.status !== 0) throw new Error(`kubectl apply failed: ${result.stderr}`);

      const ans = `bench-agent-${run}`;
      await createNs(ans);
      const q = profile(`a${run}`, ans, 200);
      started = Date.now();
      await api.apply(`${PROFILES}/${q.metadata.name}`, q, 'kplane');
      await waitFor(async () => {
        const x = await api.request<ClusterProfile>('GET', `${PROFILES}/${q.metadata.name}`);
        return x.status?.appliedVersion === '1.0.0' && x.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      }, { what: `profile ${q.metadata.name} Ready`, timeoutMs: 120_000, intervalMs: 10 });
      agentMs.push(Date.now() - started);
    }

    // 2. drift-correction latency on the objects of the last agent run.
    const latencies: number[] = [];
    for (let i = 0; i < 40; i++) {
      const n = (i * 7) % 200;
      const index = n - (n % 5); // a ConfigMap index (i % 5 === 0 is always a ConfigMap)
      const path = `/api/v1/namespaces/bench-agent-${RUNS - 1}/configmaps/cm-${index}`;
      const started = Date.now();
      await api.request('PATCH', path, { body: { data: { index: 'tampered' } }, contentType: 'application/merge-patch+json' });
      await waitFor(async () => (await api.request(`GET`, path)).data.index === String(index), { what: `cm-${index} corrected`, timeoutMs: 30_000, intervalMs: 5 });
      latencies.push(Date.now() - started);
    }

    // 4. A 300-object chart: the agent (render + apply + Ready) vs `helm upgrade --install`, and a values change vs `helm upgrade`.
    const chartBench = await helmChartBench(cluster.kubeconfigPath, api, dir);

    const k = median(kubectlMs);
    const a = median(agentMs);
    console.log('\nkplane agent benchmark (real kube-apiserver v1.36.3 + etcd from the test bed; 2-core machine shared with other work)');
    console.log(`apply 200 objects (fresh namespace), median of ${RUNS}:`);
    console.log(`  kubectl apply --server-side : ${k} ms   (runs: ${kubectlMs.join(', ')})`);
    console.log(`  kplane agent (created → Ready): ${a} ms   (runs: ${agentMs.join(', ')})`);
    console.log(`  ratio agent/kubectl         : ${(a / k).toFixed(2)}×   (target ≤ 1.5×)`);
    console.log(`drift correction, ${latencies.length} edits (edit → value back, 5 ms polling):`);
    console.log(`  median ${median(latencies)} ms, p95 ${p95(latencies)} ms, max ${Math.max(...latencies)} ms   (target median ≤ 1000 ms, p95 ≤ 3000 ms)`);
    console.log(`agent RSS while managing 500 objects (one profile, idle agent RSS before it: ${idleRss.toFixed(1)} MB): max ${Math.max(...rss).toFixed(1)} MB, median ${median(rss).toFixed(1)} MB   (target ≤ 120 MB)`);
    console.log(chartBench);
    console.log(await realStackBench(cluster.kubeconfigPath, api, bins.kubectl, dir, readRss, agent, () => cluster.pids()));
    if (process.env.KPLANE_BENCH_DEBUG) console.log(agent.logs().split('\n').filter((l) => l.includes('"reconciled"') && /"profile":"kplane-system\/a\d"/.test(l)).join('\n'));
  } catch (err) {
    const rss = await api.getOrUndefined(`${PROFILES}/rss`).catch(() => undefined);
    console.error(`rss profile status: ${JSON.stringify(rss?.status?.conditions ?? null)}\n--- agent log (tail) ---\n${agent.logs().slice(-3000)}`);
    throw err;
  } finally {
    await agent.stop();
    api.close();
    await cluster.stop();
  }
}

/** 5. The real-shaped stack: kubectl vs the agent, two alternating runs; then RSS, a status write, SIGTERM → exit (the agent is gone afterwards). */
async function realStackBench(kubeconfigPath: string, api: KubeClient, kubectl: string, dir: string, readRss: () => number, agent: { pid: number; exited: Promise<number | string>; metricsUrl(): Promise<string> }, pids: () => Record<string, number>): Promise<string> {
  const kubectlMs: number[] = [];
  const agentMs: number[] = [];
  // CPU time of each side's runs (ms): the client (kubectl, or the agent) and the API server and etcd they keep busy.
  const cpu = (pid: number | undefined) => (pid ? cpuMs(pid) : 0);
  const sides = () => ({ apiserver: cpu(pids()['kube-apiserver']), etcd: cpu(pids()['etcd']), agent: cpu(agent.pid), kubectl: childrenCpuMs() });
  const kubectlCpu: ReturnType<typeof sides>[] = [];
  const agentCpu: ReturnType<typeof sides>[] = [];
  const minus = (a: ReturnType<typeof sides>, b: ReturnType<typeof sides>) => ({ apiserver: a.apiserver - b.apiserver, etcd: a.etcd - b.etcd, agent: a.agent - b.agent, kubectl: a.kubectl - b.kubectl });
  let parts: ClusterProfile[] = [];
  let objects = 0;
  const run = (args: string[]) => {
    const r = spawnSync(kubectl, ['--kubeconfig', kubeconfigPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  };
  // Ready is seen on a watch: polling GETs of 1.4 MB profiles every 20 ms loaded the API server during the agent's runs only.
  const watchProfiles = profileWatch(api);
  await watchProfiles.synced;
  for (let i = 0; i < 2; i++) {
    // kubectl: CRDs first (their kinds must be served before the custom resources), wait Established, then the rest.
    // The same labels as the agent's objects, but managed-by kubectl: the agent watches only what it manages, so these stay out of its caches and queue.
    const k = realStack(`kubectl-${i}`, `stack-kubectl-${i}`, `k${i}`);
    const rendered = renderProfile(k.spec).layers.flatMap((l) => l.manifests.map((m) => {
      const owned = withOwnership(m, { namespace: NS, name: k.metadata.name }, l.name);
      return { ...owned, metadata: { ...owned.metadata, labels: { ...owned.metadata.labels, 'app.kubernetes.io/managed-by': 'kubectl' } } };
    }));
    objects = rendered.length;
    const isCrd = (m: Manifest) => m.kind === 'CustomResourceDefinition';
    const crdFile = join(dir, `stack-kubectl-${i}-crds.yaml`);
    const restFile = join(dir, `stack-kubectl-${i}-rest.yaml`);
    writeFileSync(crdFile, rendered.filter(isCrd).map((m) => `---\n${JSON.stringify(m)}\n`).join(''));
    writeFileSync(restFile, rendered.filter((m) => !isCrd(m)).map((m) => `---\n${JSON.stringify(m)}\n`).join(''));
    let cpuBefore = sides();
    let started = Date.now();
    run(['apply', '--server-side', '--field-manager', 'kplane-agent', '-f', crdFile]);
    run(['wait', '--for', 'condition=Established', '--timeout', '300s', '-f', crdFile]);
    run(['apply', '--server-side', '--field-manager', 'kplane-agent', '-f', restFile]);
    kubectlMs.push(Date.now() - started);
    kubectlCpu.push(minus(sides(), cpuBefore));

    const whole = realStack(`stack-${i}`, `stack-agent-${i}`, `a${i}`);
    if (!STACK_SPLIT && storedSizeAsWritten(whole as unknown as Record<string, unknown>).bytes <= PROFILE_SIZE_LIMIT_BYTES) parts = [whole];
    else {
      // Parts as before profiles were stored compressed: packed by plain size.
      const split = splitProfile(whole, { plain: true });
      if ('error' in split) throw new Error(`splitProfile: ${split.error}`);
      parts = split.profiles;
    }
    mark(`agent stack ${i} start`);
    cpuBefore = sides();
    started = Date.now();
    // As the plane writes them (kplane apply): parts above 256 KiB with their layers compressed.
    for (const p of parts) await applyRetrying(api, `${PROFILES}/${p.metadata.name}`, STORED_PLAIN ? p : storedObject(p));
    await watchProfiles.until(parts.map((p) => p.metadata.name), (x) => x.status?.appliedVersion === '1.0.0' && !!x.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), 600_000);
    agentMs.push(Date.now() - started);
    agentCpu.push(minus(sides(), cpuBefore));
    mark(`agent stack ${i} Ready`);
  }
  watchProfiles.stop();
  const rss: number[] = [];
  for (let i = 0; i < 20; i++) {
    rss.push(readRss());
    await new Promise((r) => setTimeout(r, 250)); // sampling period, not a wait for an event
  }
  // What that RSS is made of, from the agent's /metrics.
  const metrics = await (await fetch(`${await agent.metricsUrl()}/metrics`)).text();
  const gauge = (name: string) => (Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN) / 1e6).toFixed(1);
  const memory = `V8 heap ${gauge('nodejs_heap_size_used_bytes')} MB in use of ${gauge('nodejs_heap_size_total_bytes')} MB reserved, outside it ${gauge('nodejs_external_memory_bytes')} MB (agent /metrics, RSS there ${gauge('process_resident_memory_bytes')} MB)`;
  // A status write of the largest part, as the agent sends it (a merge patch of what changed), timed here from outside.
  const largest = [...parts].sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)[0];
  const statusMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = Date.now();
    await api.request('PATCH', `${PROFILES}/${largest.metadata.name}/status`, { body: { status: { resources: { pruned: i } } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'bench' } });
    statusMs.push(Date.now() - started);
  }
  const statusFloor = await statusPatchFloor(api, kubeconfigPath, kubectl, parts);
  // SIGTERM with all of it loaded and a reconcile queued (the status edit above).
  const signalled = Date.now();
  process.kill(agent.pid, 'SIGTERM');
  const code = await agent.exited;
  const exitMs = Date.now() - signalled;
  const statusShapes = await statusPatchByShape(api, pids);
  const k = median(kubectlMs);
  const a = median(agentMs);
  const cpuLine = (c: ReturnType<typeof sides>, client: 'kubectl' | 'agent') => `${client} ${c[client]} + API server ${c.apiserver} + etcd ${c.etcd}`;
  return [
    `real-shaped stack (test/bench/realStack.ts): ${objects} objects of 13 kinds, three 0.7 MB CRDs, ${parts.length === 1 ? 'as one profile' : `split into ${parts.length} profiles`} (${parts.map((p) => `${p.metadata.name} ${(JSON.stringify(p).length / 1e6).toFixed(2)} MB plain, ${(JSON.stringify(STORED_PLAIN ? p : storedObject(p)).length / 1e3).toFixed(0)} KB stored`).join(', ')}), written ${STORED_PLAIN ? 'plain (KPLANE_BENCH_STORED=plain)' : 'as the plane writes them (layers compressed)'}, median of 2 alternating runs:`,
    `  kubectl apply --server-side (CRDs, wait Established, the rest): ${k} ms   (runs: ${kubectlMs.join(', ')})`,
    `  kplane agent (created → every part Ready)                     : ${a} ms   (runs: ${agentMs.join(', ')})`,
    `  ratio agent/kubectl                                            : ${(a / k).toFixed(2)}×   (target ≤ 1.0×)`,
    `  CPU ms per run, kubectl side: ${kubectlCpu.map((c) => cpuLine(c, 'kubectl')).join('; ')}`,
    `  CPU ms per run, agent side  : ${agentCpu.map((c) => cpuLine(c, 'agent')).join('; ')}`,
    `  agent RSS with these stacks and the 500-object profile (node ${AGENT_NODE_OPTIONS || 'defaults'}): max ${Math.max(...rss).toFixed(1)} MB, median ${median(rss).toFixed(1)} MB   (target ≤ 150 MB)`,
    `    of which ${memory}`,
    `  status merge patch of ${largest.metadata.name} (${(JSON.stringify(largest).length / 1e6).toFixed(2)} MB), round trip: median ${median(statusMs)} ms   (runs: ${statusMs.join(', ')}; target ≤ 100 ms)`,
    ...statusFloor,
    `  SIGTERM → agent exit                                           : ${exitMs} ms, exit ${code}   (target ≤ 1000 ms)`,
    ...statusShapes,
  ].join('\n');
}

/**
 * What a status write of each part costs, and how much of it the client can change, alternating
 * per round: the merge patch answered with the whole object (as above), the same answered with
 * metadata only (METADATA_ONLY: what the agent asks for), and `kubectl patch --subresource=status`,
 * whose own request log (-v=6) gives the round trip without kubectl's start-up. The API server
 * decodes, validates and stores the whole object on each: that is the floor.
 */
async function statusPatchFloor(api: KubeClient, kubeconfigPath: string, kubectl: string, parts: ClusterProfile[]): Promise<string[]> {
  const lines: string[] = [];
  for (const part of [...parts].sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)) {
    const name = part.metadata.name;
    const full: number[] = [];
    const metadata: number[] = [];
    const kubectlMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const body = (n: number) => ({ status: { resources: { pruned: 100 + n } } });
      let started = Date.now();
      await api.request('PATCH', `${PROFILES}/${name}/status`, { body: body(3 * i), contentType: 'application/merge-patch+json', query: { fieldManager: 'bench' } });
      full.push(Date.now() - started);
      started = Date.now();
      await api.request('PATCH', `${PROFILES}/${name}/status`, { body: body(3 * i + 1), contentType: 'application/merge-patch+json', query: { fieldManager: 'bench' }, accept: METADATA_ONLY });
      metadata.push(Date.now() - started);
      const r = spawnSync(kubectl, ['--kubeconfig', kubeconfigPath, '-n', NS, 'patch', 'clusterprofiles.kplane.dev', name, '--subresource=status', '--type=merge', '-p', JSON.stringify(body(3 * i + 2)), '-o', 'name', '-v=6'], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (r.status !== 0) throw new Error(`kubectl patch failed: ${r.stderr}`);
      const logged = /PATCH[^\n]*?(?:milliseconds=|in )(\d+)/.exec(r.stderr)?.[1];
      if (logged !== undefined) kubectlMs.push(Number(logged));
    }
    lines.push(`  status merge patch of ${name} (${(JSON.stringify(part).length / 1e6).toFixed(2)} MB, stored ${(JSON.stringify(storedObject(part)).length / 1e3).toFixed(0)} KB), median of 5: whole answer ${median(full)} ms, metadata-only answer ${median(metadata)} ms, kubectl patch --subresource=status (its -v=6 round trip) ${kubectlMs.length ? `${median(kubectlMs)} ms` : 'not logged'}   (runs: ${full.join(', ')} / ${metadata.join(', ')} / ${kubectlMs.join(', ')})`);
  }
  return lines;
}

/** CPU time (user + system) of a process so far, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU time of this process's children that ended (kubectl runs), in ms. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/**
 * What the API server spends on one status write, by the shape of the object (issue 9: "status
 * patch of a 900 KB profile <= 100 ms"). Run after the agent exited, so nothing else writes: a
 * ClusterProfile of about 0.9 MB of structured manifests (a part of the real-shaped stack split at
 * 0.95 MB), the same as the plane stores it (layers compressed; skipped when the cluster's CRD
 * does not know that form), a ClusterProfile of the same size whose bulk is one string (one ConfigMap manifest
 * holding it), both patched on /status, and a ConfigMap of the same size (a label patch: it has no
 * status). Each: 10 merge patches answered with metadata only, the round trip and the API
 * server's CPU time per patch (from /proc, 10 ms ticks over the 10).
 */
async function statusPatchByShape(api: KubeClient, pids: () => Record<string, number>): Promise<string[]> {
  const split = splitProfile(realStack('shape', 'shape-ns', 'shape'), { maxBytes: 950_000, plain: true });
  if ('error' in split) throw new Error(`splitProfile: ${split.error}`);
  const structured = [...split.profiles].sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length)[0];
  const size = JSON.stringify(structured).length;
  const structuredPart: ClusterProfile = { ...structured, metadata: { name: 'shape-structured', namespace: NS }, spec: { ...structured.spec, dependsOn: ['never-there'] } };
  const blob = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { blob: 'x'.repeat(size - 600) } });
  const oneString: ClusterProfile = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'shape-one-string', namespace: NS }, spec: { version: '1.0.0', dependsOn: ['never-there'], layers: [{ name: 'l', namespace: 'shape-ns', manifests: [blob('one') as Manifest] }] } };
  const cases: { what: string; path: string; body: (i: number) => unknown; create: () => Promise<unknown> }[] = [
    { what: `ClusterProfile of structured manifests (${structured.spec.layers.reduce((n, l) => n + (l.manifests?.length ?? 0), 0)} objects)`, path: `${PROFILES}/shape-structured/status`, body: (i) => ({ status: { resources: { pruned: i } } }), create: () => api.apply(`${PROFILES}/shape-structured`, structuredPart, 'bench') },
    { what: 'the same structured ClusterProfile as the plane stores it (layers compressed)', path: `${PROFILES}/shape-compressed/status`, body: (i) => ({ status: { resources: { pruned: i } } }), create: () => api.apply(`${PROFILES}/shape-compressed`, storedObject({ ...structuredPart, metadata: { name: 'shape-compressed', namespace: NS } }), 'bench') },
    { what: 'ClusterProfile whose bulk is one string', path: `${PROFILES}/shape-one-string/status`, body: (i) => ({ status: { resources: { pruned: i } } }), create: () => api.apply(`${PROFILES}/shape-one-string`, oneString, 'bench') },
    { what: 'ConfigMap of one string (label patch, no status)', path: `/api/v1/namespaces/${NS}/configmaps/shape-one-string`, body: (i) => ({ metadata: { labels: { n: String(i) } } }), create: () => api.apply(`/api/v1/namespaces/${NS}/configmaps/shape-one-string`, { ...blob('shape-one-string'), metadata: { name: 'shape-one-string', namespace: NS } }, 'bench') },
  ];
  const lines = [`  what the API server spends on one status write, by shape (the agent stopped; 10 merge patches each, answer metadata only):`];
  for (const c of cases) {
    try {
      await c.create();
    } catch (err) {
      // An agent's CRD from before the compressed form (an A/B against an older build) refuses it.
      if (!c.path.includes('shape-compressed')) throw err;
      lines.push(`    ${c.what}: skipped, this cluster's ClusterProfile CRD does not know compressedManifests`);
      continue;
    }
    const storedText = JSON.stringify(await api.request('GET', c.path.replace(/\/status$/, '')));
    const stored = storedText.length;
    if (c.path.includes('shape-compressed') && !storedText.includes('compressedManifests')) {
      lines.push(`    ${c.what}: skipped, this cluster's ClusterProfile CRD does not keep compressedManifests`);
      continue;
    }
    const ms: number[] = [];
    const before = cpuMs(pids()['kube-apiserver']);
    for (let i = 0; i < 10; i++) {
      const started = Date.now();
      await api.request('PATCH', c.path, { body: c.body(i + 1), contentType: 'application/merge-patch+json', query: { fieldManager: 'bench' }, accept: METADATA_ONLY });
      ms.push(Date.now() - started);
    }
    const cpu = (cpuMs(pids()['kube-apiserver']) - before) / 10;
    lines.push(`    ${c.what}, ${(stored / 1e6).toFixed(2)} MB stored: round trip median ${median(ms)} ms (runs: ${ms.join(', ')}), API server CPU ${cpu.toFixed(0)} ms per patch`);
  }
  return lines;
}

/**
 * KPLANE_BENCH_MARKS=1: the monotonic clock (µs, the clock of a V8 CPU profile's timestamps) at a
 * point of the run, to cut an agent profile (NODE_OPTIONS --cpu-prof) to a phase.
 */
function mark(what: string): void {
  if (process.env.KPLANE_BENCH_MARKS) console.error(`mark ${process.hrtime.bigint() / 1000n} ${what}`);
}

/** A server-side apply, tried again when the connection broke (EPIPE once ended a run on a loaded machine); apply is idempotent. */
async function applyRetrying(api: KubeClient, path: string, body: unknown): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await api.apply(path, body, 'kplane');
      return;
    } catch (err) {
      if (attempt === 3 || !(err instanceof KubeError) || err.status !== undefined) throw err;
      console.error(`apply ${path}: ${err.message}; trying again`);
    }
  }
}

/** The bench's own watch of the ClusterProfiles: `until` resolves once every named profile satisfies `done`. */
function profileWatch(api: KubeClient): { synced: Promise<void>; until(names: string[], done: (p: ClusterProfile) => boolean, timeoutMs: number): Promise<void>; stop(): void } {
  const waiters = new Set<() => void>();
  const informer = new Informer(api, PROFILES, () => {
    for (const w of [...waiters]) w();
  }).start();
  const until = (names: string[], done: (p: ClusterProfile) => boolean, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!names.every((n) => { const p = informer.store.get(`${NS}/${n}`); return p && done(p as unknown as ClusterProfile); })) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`profiles ${names.join(', ')} not done within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return { synced: informer.synced, until, stop: () => informer.stop() };
}

/**
 * The `many` chart (300 ConfigMaps) from a classic HTTP repository on loopback. Helm gets the
 * chart archive as a local file; the agent pulls it once (its first run) and then reuses the
 * pull, so both have the chart at hand in the runs that count (the first agent run is shown).
 */
async function helmChartBench(kubeconfigPath: string, api: KubeClient, dir: string): Promise<string> {
  const repo = await startChartRepo({ name: 'bench-charts' });
  try {
    const tgz = await packageChart(fixtureChart('many'), join(dir, 'charts'));
    await repo.add(tgz);
    const helmMs: number[] = [];
    const agentMs: number[] = [];
    const helmUpgradeMs: number[] = [];
    const agentUpgradeMs: number[] = [];
    const ready = async (name: string, generation?: number) =>
      waitFor(async () => {
        const x = await api.request<ClusterProfile>('GET', `${PROFILES}/${name}`);
        return (generation === undefined || x.status?.observedGeneration === generation) && x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? x : undefined;
      }, { what: `profile ${name} Ready`, timeoutMs: 180_000, intervalMs: 10 });
    const chartProfile = (name: string, namespace: string, payload: string): ClusterProfile => ({
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name, namespace: NS },
      spec: { version: '1.0.0', reconcile: { mode: 'enforce', prune: true, interval: '10m' }, layers: [{ name: 'many', namespace, helm: { repo: repo.url, chart: 'many', version: '1.0.0', values: { payload } } }] },
    });
    for (let run = 0; run < 4; run++) {
      let started = Date.now();
      await helm(['upgrade', '--install', 'many', tgz, '--namespace', `bench-helm-${run}`, '--create-namespace', '--kubeconfig', kubeconfigPath, '--set', 'payload=a']);
      helmMs.push(Date.now() - started);
      started = Date.now();
      await helm(['upgrade', 'many', tgz, '--namespace', `bench-helm-${run}`, '--kubeconfig', kubeconfigPath, '--set', 'payload=b']);
      helmUpgradeMs.push(Date.now() - started);

      const name = `chart${run}`;
      started = Date.now();
      await api.apply(`${PROFILES}/${name}`, chartProfile(name, `bench-chart-${run}`, 'a'), 'kplane');
      await ready(name);
      agentMs.push(Date.now() - started);
      started = Date.now();
      const changed = await api.apply<ClusterProfile>(`${PROFILES}/${name}`, chartProfile(name, `bench-chart-${run}`, 'b'), 'kplane');
      await ready(name, changed.metadata.generation);
      await waitFor(async () => (await api.request('GET', `/api/v1/namespaces/bench-chart-${run}/configmaps/many-299`)).data.payload === 'b', { what: 'payload b', timeoutMs: 60_000, intervalMs: 10 });
      agentUpgradeMs.push(Date.now() - started);
    }
    // Drift on objects the chart rendered (the last run's): corrected like any managed object.
    const drift: number[] = [];
    for (let i = 0; i < 20; i++) {
      const path = `/api/v1/namespaces/bench-chart-3/configmaps/many-${(i * 17) % 300}`;
      const started = Date.now();
      await api.request('PATCH', path, { body: { data: { payload: 'tampered' } }, contentType: 'application/merge-patch+json' });
      await waitFor(async () => (await api.request(`GET`, path)).data.payload === 'b', { what: `${path} corrected`, timeoutMs: 30_000, intervalMs: 5 });
      drift.push(Date.now() - started);
    }
    // Run 0 of the agent includes its one pull of the chart: shown, not in the median.
    const h = median(helmMs.slice(1));
    const a = median(agentMs.slice(1));
    const hu = median(helmUpgradeMs.slice(1));
    const au = median(agentUpgradeMs.slice(1));
    return [
      'Helm chart of 300 objects (ConfigMaps), median of runs 2-4:',
      `  helm upgrade --install          : ${h} ms   (runs: ${helmMs.join(', ')})`,
      `  kplane agent (created → Ready)  : ${a} ms   (runs: ${agentMs.join(', ')}; run 1 includes pulling the chart)`,
      `  ratio agent/helm                : ${(a / h).toFixed(2)}×   (target ≤ 1.0×)`,
      `  values change, helm upgrade     : ${hu} ms   (runs: ${helmUpgradeMs.join(', ')})`,
      `  values change, kplane agent     : ${au} ms   (runs: ${agentUpgradeMs.join(', ')})`,
      `  ratio agent/helm                : ${(au / hu).toFixed(2)}×   (target ≤ 1.0×)`,
      `  drift on a chart object, ${drift.length} edits (edit → value back, 5 ms polling): median ${median(drift)} ms, p95 ${p95(drift)} ms, max ${Math.max(...drift)} ms   (target median ≤ 1000 ms, as for manifests)`,
    ].join('\n');
  } finally {
    await repo.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`bench:agent failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
