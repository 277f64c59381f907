/**
 * bench:hub — the management plane reading a fleet through one hub (docs/hub.md): one real hub
 * (kube-apiserver + etcd from the bed) holding N simulated members (default 10,000), each a
 * namespace kplane-member-<name> with its ClusterAgent (spec labels, status summary) and its
 * heartbeat Lease. A writer process (its CPU is not the plane's) renews every Lease once per 60 s
 * and makes 1 status change per second per 100 members, as the members' agents would.
 *
 * Measured, in one run:
 *   - seeding: how long creating the N members took (bounded pool of parallel requests);
 *   - hub mode (FleetWatcher.setHubs, as the extension and `kplane status --hub` run it): initial
 *     load until every member is Healthy, steady CPU % of one core and CPU ms per watch event
 *     (the writes the hub accepted in the window: less sensitive to a shared machine's load than
 *     the %), RSS, status write → model update latency (median, p95);
 *   - the hub itself while the plane watches: kube-apiserver and etcd CPU % and RSS, etcd DB size;
 *   - direct mode on the same server and writes, at the largest size it handles here (default
 *     1,000 clusters, the size of bench:fleet): one ClusterWatch per member namespace, as if each
 *     were a context; the same measurements, and hub ÷ direct ratios per member.
 *
 * Flags: --members N (10000), --direct N (1000), --window S (steady window, 60), --parallel N
 * (seeding pool, 48), --writer-sockets N (the writer's connections, 16), --direct-only / --hub-only,
 * --probe-lists (after the hub phase, with the writer on: the ClusterAgents listed with other page
 * sizes and resourceVersions, to see where the load's time goes), --cpu-prof-dir D (the hub phase's
 * process writes a V8 CPU profile there: node --cpu-prof), --compare DIR [--rounds N] (after the
 * hub phase, the hub phase of another build in DIR and of this one, alternately, N of each on the
 * same hub and writes: an A/B), --keep-managed-fields (members
 * seeded as join and the agent wrote them before they cleared managedFields: the A/B baseline).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AGENT_KIND, AGENT_PLURAL, API_VERSION, hubNamespaceFor, LABEL_HUB_MEMBER, UNTRACKED_FIELDS } from '@kplane/profile';
import { FleetModel } from '@kplane/plane';
import { DEFAULT_WATCH_OPTIONS, FleetWatcher, forContext, loadKubeconfig } from '@kplane/plane/cluster';
import { KubeClient, kubeConfigConnection } from '@kplane/kube';
import { startCluster } from '@kplane/bed';

const TIMEOUT_MS = 60_000;
const log = (line: string) => console.log(`[bench:hub ${(performance.now() / 1000).toFixed(1)}s] ${line}`);
const micro = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');
const memberName = (i: number) => `m${String(i).padStart(5, '0')}`;

async function pool<T>(items: readonly T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** utime + stime of a process, in seconds (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU milliseconds of this process's main thread and of all its other threads (GC, compiler, libuv pool). */
function threadCpuMs(): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const task of readdirSync('/proc/self/task')) {
    const fields = readFileSync(`/proc/self/task/${task}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * 10;
    if (Number(task) === process.pid) main += ms;
    else others += ms;
  }
  return { main, others };
}

function rssMB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

function clientFor(kubeconfigPath: string, label: string, maxSockets?: number): KubeClient {
  const { kubeConfig } = loadKubeconfig(kubeconfigPath);
  return new KubeClient(kubeConfigConnection(forContext(kubeConfig, kubeConfig.getContexts()[0].name)), { context: label, ...(maxSockets ? { maxSockets } : {}) });
}

/** What the agent's renewal writes (agent/src/hub/hubSync.ts leaseLoop; duration 3 heartbeats). */
const leaseSpec = (member: string) => ({ holderIdentity: member, leaseDurationSeconds: 180, renewTime: micro(Date.now()) });

const statusBody = (n: number) => ({
  status: {
    // The writer's clock stamp: the plane's latency is its receive time minus this.
    heartbeatTime: new Date().toISOString(),
    agentVersion: `0.1.${n}`,
    kubernetesVersion: 'v1.36.3',
    nodes: { total: 3, ready: 3 },
    conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: 'bench member', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }],
    events: [],
    nextSeq: 0,
  },
});

/**
 * What `kplane hub join` and a member's agent write: namespace, ClusterAgent (created, then its
 * managedFields cleared, as join does), its status, the Lease (created, then renewed once, which
 * clears its managedFields, as the agent's first renewal does). `keepManagedFields`: as join and
 * the agent wrote before they cleared them, for an A/B on the same code.
 */
async function seed(client: KubeClient, members: number, parallel: number, keepManagedFields: boolean): Promise<{ failed: number }> {
  let failed = 0;
  let done = 0;
  const request = (method: 'POST' | 'PATCH', path: string, body: unknown, contentType?: string) =>
    client.request(method, path, { body, ...(contentType ? { contentType } : {}), timeoutMs: TIMEOUT_MS }).catch((err: unknown) => {
      if ((err as { status?: number }).status === 409) return; // already there: a rerun on a kept hub
      throw err;
    });
  await pool(Array.from({ length: members }, (_, i) => i), parallel, async (i) => {
    const name = memberName(i);
    const ns = hubNamespaceFor(name);
    const labels = { env: ['prod', 'staging', 'dev'][i % 3], shard: String(i % 10) };
    try {
      await request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [LABEL_HUB_MEMBER]: name } } });
      // heartbeatInterval 1h: direct mode reads status.heartbeatTime, which the writer moves only for the members it changes.
      await request('POST', `/apis/${API_VERSION}/namespaces/${ns}/${AGENT_PLURAL}`, { apiVersion: API_VERSION, kind: AGENT_KIND, metadata: { name: 'agent', namespace: ns, labels: { ...labels, [LABEL_HUB_MEMBER]: name } }, spec: { labels, heartbeatInterval: '1h' } });
      if (!keepManagedFields) await request('PATCH', `/apis/${API_VERSION}/namespaces/${ns}/${AGENT_PLURAL}/agent`, { metadata: UNTRACKED_FIELDS }, 'application/merge-patch+json');
      await request('PATCH', `/apis/${API_VERSION}/namespaces/${ns}/${AGENT_PLURAL}/agent/status`, statusBody(0), 'application/merge-patch+json');
      await request('POST', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'agent-heartbeat', namespace: ns }, spec: { ...leaseSpec(name), acquireTime: micro(Date.now()) } });
      if (!keepManagedFields) await request('PATCH', `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/agent-heartbeat`, { metadata: UNTRACKED_FIELDS, spec: leaseSpec(name) }, 'application/merge-patch+json');
    } catch (err) {
      if (failed++ < 5) log(`seeding ${ns} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (++done % 1000 === 0) log(`seeded ${done}/${members}`);
  });
  return { failed };
}

/**
 * The members' agents, in a child process: each Lease renewed once per 60 s (spread evenly), and
 * members/100 status changes per second on random members. In-flight writes are capped; writes
 * that would exceed the cap are counted as dropped, not queued, so a slow hub shows as drops.
 * `sockets` connections carry the writes (default 16, the client's default, as in session 3).
 * With 16 the hub took 67-76 writes/s of the 267 asked for; with 256 it took about 100/s for a
 * minute, then fell to about 33/s with writes answered after 13 s and lists, paged or from the
 * watch cache, getting 504 after 60 s: on this shared 2-core machine the hub's CPU is the limit,
 * and the writer runs as system:masters, which API Priority and Fairness exempts from every
 * concurrency limit (--max-requests-inflight included).
 */
async function writer(config: { kubeconfigPath: string; members: number; sockets: number }): Promise<void> {
  const client = clientFor(config.kubeconfigPath, 'writer', config.sockets);
  const leasesPerSecond = config.members / 60;
  const statusPerSecond = config.members / 100;
  let inflight = 0;
  const counts = { leases: 0, statuses: 0, dropped: 0, failed: 0, accepted: 0, writeMedianMs: NaN, writeP95Ms: NaN };
  /** Send → answer of the accepted writes since the last report. */
  let durations: number[] = [];
  /** [namespace, agentVersion, ms the hub acknowledged the write]: the plane's part of the latency starts there. */
  let acks: [string, string, number][] = [];
  const send = (path: string, body: unknown, ack?: [string, string]) => {
    if (inflight >= 256) return void counts.dropped++;
    inflight++;
    const sent = performance.now();
    void client
      .request('PATCH', path, { body, contentType: 'application/merge-patch+json', timeoutMs: TIMEOUT_MS })
      .then(() => {
        counts.accepted++;
        durations.push(performance.now() - sent);
        if (ack) acks.push([...ack, Date.now()]);
      })
      .catch(() => counts.failed++)
      .finally(() => inflight--);
  };
  setInterval(() => {
    if (acks.length) process.send?.({ acks });
    acks = [];
  }, 500);
  let leaseNext = 0;
  let leaseDue = 0;
  let statusDue = 0;
  let n = 0;
  const tickMs = 50;
  setInterval(() => {
    if (durations.length) Object.assign(counts, { writeMedianMs: Math.round(quantile(durations, 0.5)), writeP95Ms: Math.round(quantile(durations, 0.95)) });
    durations = [];
  }, 5000);
  // Each second: the phase counts the writes the hub accepted during its window (each one watch event).
  setInterval(() => process.send?.({ counts }), 1000);
  setInterval(() => log(`writer: ${JSON.stringify(counts)}, ${inflight} in flight`), 30_000);
  for (;;) {
    leaseDue += (leasesPerSecond * tickMs) / 1000;
    statusDue += (statusPerSecond * tickMs) / 1000;
    for (; leaseDue >= 1; leaseDue--) {
      const ns = hubNamespaceFor(memberName(leaseNext));
      counts.leases++;
      send(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/agent-heartbeat`, { spec: leaseSpec(memberName(leaseNext)) });
      leaseNext = (leaseNext + 1) % config.members;
    }
    for (; statusDue >= 1; statusDue--) {
      const ns = hubNamespaceFor(memberName(Math.floor(Math.random() * config.members)));
      counts.statuses++;
      const body = statusBody(++n);
      send(`/apis/${API_VERSION}/namespaces/${ns}/${AGENT_PLURAL}/agent/status`, body, [ns, body.status.agentVersion]);
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
}

type Acks = [string, string, number][];

function startWriter(kubeconfigPath: string, members: number, sockets: number, onAcks: (acks: Acks) => void, onAccepted: (accepted: number) => void) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'writer', JSON.stringify({ kubeconfigPath, members, sockets })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let last = { leases: 0, statuses: 0, dropped: 0, failed: 0, accepted: 0, writeMedianMs: NaN, writeP95Ms: NaN };
  const started = performance.now();
  child.on('message', (m: { counts?: typeof last; acks?: Acks }) => {
    if (m.counts) {
      last = m.counts;
      onAccepted(m.counts.accepted);
    }
    if (m.acks) onAcks(m.acks);
  });
  return {
    counts: () => {
      const seconds = (performance.now() - started) / 1000;
      return { ...last, seconds: Math.round(seconds), acceptedPerSecond: Math.round(last.accepted / seconds), cpuPercent: child.pid ? +((cpuSeconds(child.pid) / seconds) * 100).toFixed(1) : NaN };
    },
    stop: () => child.kill('SIGTERM'),
  };
}

/**
 * Latency of status writes as the model sees them, two ways: from the heartbeatTime the writer
 * stamped when it sent the write (end to end, including any queue on the hub), and from the moment
 * the hub acknowledged the write (the plane's part: watch delivery, decoding, the model). Acks
 * come from the writer over IPC; either may arrive first, so both times are kept per write.
 */
function trackLatency(model: FleetModel) {
  const fromStamp: number[] = [];
  const fromAck: number[] = [];
  const seen = new Map<string, string>();
  const received = new Map<string, number>();
  const acked = new Map<string, number>();
  let measuring = false;
  const stop = model.onChange((ids) => {
    const now = Date.now();
    for (const id of ids) {
      const status = model.record(id)?.agent;
      const hb = status?.status?.heartbeatTime;
      if (!hb || seen.get(id) === hb) continue;
      seen.set(id, hb);
      if (!measuring) continue;
      fromStamp.push(now - Date.parse(hb));
      const key = `${status!.metadata.namespace}|${status!.status!.agentVersion}`;
      const ack = acked.get(key);
      if (ack !== undefined) {
        fromAck.push(now - ack);
        acked.delete(key);
      } else received.set(key, now);
    }
  });
  const onAcks = (acks: Acks) => {
    if (!measuring) return;
    for (const [ns, version, at] of acks) {
      const key = `${ns}|${version}`;
      const got = received.get(key);
      if (got !== undefined) {
        fromAck.push(got - at);
        received.delete(key);
      } else acked.set(key, at);
    }
  };
  return { fromStamp, fromAck, onAcks, start: () => (measuring = true), stop };
}

/**
 * Resolves when every one of `count` clusters has a derived state from a real list (none still
 * Connecting). Not "all Healthy": a member whose Lease renewal the writer dropped is rightly
 * Stale, and the load is done all the same. Logs the states every 10 s while waiting.
 */
function loaded(model: FleetModel, count: number, name: string): Promise<void> {
  return new Promise((resolve) => {
    // summary() walks every cluster: only once they are all there.
    const check = () => model.ids().length >= count && model.summary().byState.Connecting === 0;
    const progress = setInterval(() => log(`${name}: loading: ${JSON.stringify(model.summary().byState)}`), 10_000);
    const stop = model.onChange(() => {
      if (check()) {
        clearInterval(progress);
        stop();
        resolve();
      }
    });
  });
}

interface PhaseResult {
  clusters: number;
  loadSeconds: number;
  /** CPU seconds the plane used for the load. */
  loadCpuSeconds: number;
  /** The hub's CPU (% of one core) during the load, and the machine's 1-minute load average after it. */
  loadHub: { apiserverCpuPercent: number; etcdCpuPercent: number; loadAverage: number };
  /** States right after the load (a member whose Lease renewal was dropped is Stale). */
  statesAtLoad: Record<string, number>;
  cpuPercent: number;
  rssMB: number;
  /** From the hub's acknowledgement of the write to the model: the plane's part. */
  latencyMedianMs: number;
  latencyP95Ms: number;
  samples: number;
  /** Writes the hub accepted during the steady window (each is one watch event for the plane), and the plane's CPU per event. */
  events: number;
  cpuMsPerEvent: number;
  /** The window's CPU split: the main thread (JavaScript, TLS, HTTP/2) and the others (GC, compiler). */
  threadCpuPercent?: { main: number; others: number };
  /** The machine's 1-minute load average at the start and the end of the steady window. */
  windowLoadAverage: [number, number];
  /** From the writer's stamp when it sent the write: includes the writes queued at the hub. */
  endToEndMedianMs: number;
  endToEndP95Ms: number;
  hub: { apiserverCpuPercent: number; etcdCpuPercent: number; apiserverRssMB: number; etcdRssMB: number };
}

interface PhaseConfig {
  name: 'hub' | 'direct' | 'hub-idle' | 'hub-load';
  /** Measure the initial load only, no steady window. */
  loadOnly?: boolean;
  kubeconfigPath: string;
  hubName: string;
  server: string;
  count: number;
  windowS: number;
  pids: Record<string, number>;
}

/**
 * One plane, in its own process so its RSS and CPU are its own: hub mode (FleetWatcher.setHubs,
 * as the extension and `kplane status --hub` run it) or direct mode (one ClusterWatch per member
 * namespace, as if each were a kubeconfig context).
 */
async function planePhase(config: PhaseConfig): Promise<PhaseResult> {
  const { name, count, windowS, pids } = config;
  const { kubeConfig } = loadKubeconfig(config.kubeconfigPath);
  const model = new FleetModel(Date.now);
  const watcher = new FleetWatcher(model, { ...DEFAULT_WATCH_OPTIONS, requestTimeoutMs: TIMEOUT_MS, log: (level, m) => level !== 'debug' && log(`${name}: ${level}: ${m}`) });
  const latency = trackLatency(model);
  /** The writer's accepted writes, as last reported (every second). */
  let accepted = NaN;
  process.on('message', (m: { acks?: Acks; accepted?: number }) => {
    if (m.acks) latency.onAcks(m.acks);
    if (m.accepted !== undefined) accepted = m.accepted;
  });
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const hub0 = { apiserver: cpuSeconds(pids['kube-apiserver']), etcd: cpuSeconds(pids.etcd) };
  const done = loaded(model, count, name);
  if (name !== 'direct') watcher.setHubs([{ name: config.hubName, server: config.server, kubeConfig: forContext(kubeConfig, config.hubName) }]);
  else {
    watcher.setContexts(Array.from({ length: count }, (_, i) => ({
      name: `direct-${memberName(i)}`,
      server: config.server,
      kubeConfig: forContext(kubeConfig, config.hubName),
      kplaneNamespace: hubNamespaceFor(memberName(i)),
    })));
  }
  await done;
  const loadSeconds = (performance.now() - t0) / 1000;
  // The plane's own CPU for the load: what is left of the wall time is waiting for the hub or for a core.
  const loadCpu = process.cpuUsage(cpu0);
  const loadCpuSeconds = +((loadCpu.user + loadCpu.system) / 1e6).toFixed(2);
  // What the hub got meanwhile: on a shared machine its CPU share bounds how fast it can answer.
  const loadHub = {
    apiserverCpuPercent: +(((cpuSeconds(pids['kube-apiserver']) - hub0.apiserver) / loadSeconds) * 100).toFixed(1),
    etcdCpuPercent: +(((cpuSeconds(pids.etcd) - hub0.etcd) / loadSeconds) * 100).toFixed(1),
    loadAverage: +loadavg()[0].toFixed(1),
  };
  const statesAtLoad = Object.fromEntries(Object.entries(model.summary().byState).filter(([, n]) => n > 0));
  log(`${name}: all ${count} clusters loaded after ${loadSeconds.toFixed(2)}s (plane CPU ${loadCpuSeconds}s; meanwhile the hub's kube-apiserver ${loadHub.apiserverCpuPercent}% and etcd ${loadHub.etcdCpuPercent}% of a core, load average ${loadHub.loadAverage}): ${JSON.stringify(statesAtLoad)}`);
  if (config.loadOnly) {
    const rss = Math.round(process.memoryUsage().rss / 1048576);
    watcher.dispose();
    return { clusters: count, loadSeconds: +loadSeconds.toFixed(2), loadCpuSeconds, loadHub, statesAtLoad, cpuPercent: NaN, rssMB: rss, latencyMedianMs: NaN, latencyP95Ms: NaN, samples: 0, events: NaN, cpuMsPerEvent: NaN, windowLoadAverage: [NaN, NaN], endToEndMedianMs: NaN, endToEndP95Ms: NaN, hub: { apiserverCpuPercent: NaN, etcdCpuPercent: NaN, apiserverRssMB: Math.round(rssMB(pids['kube-apiserver'])), etcdRssMB: Math.round(rssMB(pids.etcd)) } };
  }
  // As the extension runs it: the tick that moves staleness along.
  watcher.startTicker(2000);
  await new Promise((r) => setTimeout(r, 5000));
  latency.start();
  const before = { plane: process.cpuUsage(), threads: threadCpuMs(), apiserver: cpuSeconds(pids['kube-apiserver']), etcd: cpuSeconds(pids.etcd), t: performance.now(), accepted, load: loadavg()[0] };
  await new Promise((r) => setTimeout(r, windowS * 1000));
  const wall = (performance.now() - before.t) / 1000;
  const used = process.cpuUsage(before.plane);
  const threads = threadCpuMs();
  // Counted by the writer up to a second before each end of the window: the same lag at both ends.
  const events = accepted - before.accepted;
  const result: PhaseResult = {
    clusters: count,
    loadSeconds: +loadSeconds.toFixed(2),
    loadCpuSeconds,
    loadHub,
    statesAtLoad,
    cpuPercent: +(((used.user + used.system) / 1e6 / wall) * 100).toFixed(2),
    rssMB: Math.round(process.memoryUsage().rss / 1048576),
    latencyMedianMs: quantile(latency.fromAck, 0.5),
    latencyP95Ms: quantile(latency.fromAck, 0.95),
    samples: latency.fromAck.length,
    events,
    cpuMsPerEvent: +((used.user + used.system) / 1e3 / events).toFixed(3),
    threadCpuPercent: { main: +(((threads.main - before.threads.main) / 10 / wall)).toFixed(2), others: +(((threads.others - before.threads.others) / 10 / wall)).toFixed(2) },
    windowLoadAverage: [+before.load.toFixed(2), +loadavg()[0].toFixed(2)],
    endToEndMedianMs: quantile(latency.fromStamp, 0.5),
    endToEndP95Ms: quantile(latency.fromStamp, 0.95),
    hub: {
      apiserverCpuPercent: +(((cpuSeconds(pids['kube-apiserver']) - before.apiserver) / wall) * 100).toFixed(1),
      etcdCpuPercent: +(((cpuSeconds(pids.etcd) - before.etcd) / wall) * 100).toFixed(1),
      apiserverRssMB: Math.round(rssMB(pids['kube-apiserver'])),
      etcdRssMB: Math.round(rssMB(pids.etcd)),
    },
  };
  latency.stop();
  watcher.dispose();
  log(`${name}: CPU ${result.cpuPercent}% of one core (main thread ${result.threadCpuPercent?.main}%, others ${result.threadCpuPercent?.others}%; ${result.cpuMsPerEvent} ms per event, ${events} events in ${wall.toFixed(0)} s; load average ${result.windowLoadAverage.join(' → ')}), RSS ${result.rssMB} MB, latency from the hub's ack median ${result.latencyMedianMs} ms p95 ${result.latencyP95Ms} ms (${result.samples} samples), from the writer's stamp median ${result.endToEndMedianMs} ms p95 ${result.endToEndP95Ms} ms; hub kube-apiserver ${result.hub.apiserverCpuPercent}% ${result.hub.apiserverRssMB} MB, etcd ${result.hub.etcdCpuPercent}% ${result.hub.etcdRssMB} MB`);
  return result;
}

interface ListProbe {
  query: string;
  pages: number;
  seconds: number;
  MB: number;
  /** JSON.parse of the pages' text, in the same process: the plane's decoding share. */
  parseMs: number;
}

/**
 * Where the list time goes, with the writer running: the hub's ClusterAgents (the largest of the
 * three lists) listed to the end with other page sizes and resourceVersions, each from a fresh
 * process state, timed as wall (request + body), bytes and parse. resourceVersion=0 lets the
 * API server answer from its watch cache without first confirming the latest revision with etcd.
 */
async function probeLists(config: { kubeconfigPath: string }): Promise<ListProbe[]> {
  const client = clientFor(config.kubeconfigPath, 'probe');
  const path = `/apis/${API_VERSION}/${AGENT_PLURAL}`;
  const variants = [
    { limit: 500, rv: '' },
    { limit: 5000, rv: '' },
    { limit: 0, rv: '' },
    { limit: 500, rv: '0' },
    { limit: 0, rv: '0' },
  ];
  const results: ListProbe[] = [];
  for (const round of [1]) {
    for (const v of variants) {
      let next: string | undefined;
      let pages = 0;
      let bytes = 0;
      let parseMs = 0;
      const t = performance.now();
      do {
        const query = new URLSearchParams({ fieldSelector: 'metadata.name=agent', ...(v.limit ? { limit: String(v.limit) } : {}), ...(next ? { continue: next } : v.rv ? { resourceVersion: v.rv } : {}) });
        const { text } = await client.getDocument(`${path}?${query}`, { timeoutMs: TIMEOUT_MS, maxBytes: 1 << 30 });
        const p0 = performance.now();
        const page = JSON.parse(text) as { metadata: { continue?: string } };
        parseMs += performance.now() - p0;
        bytes += text.length;
        pages++;
        next = page.metadata.continue || undefined;
      } while (next);
      const result = { query: `limit=${v.limit || 'none'} resourceVersion=${v.rv || '""'}`, pages, seconds: +((performance.now() - t) / 1000).toFixed(2), MB: +(bytes / 1048576).toFixed(1), parseMs: Math.round(parseMs) };
      log(`probe round ${round}: ${JSON.stringify(result)}`);
      results.push(result);
    }
  }
  client.close();
  return results;
}

/**
 * --compare DIR: the hub phase of another build (DIR, a checkout built with `npm run build`, its
 * test/out/bench/hubBench.js this same bench) and of this one, alternately, on the same hub under
 * the same writes: an A/B whose two sides share the machine's load as far as back to back can.
 */
async function compare(dir: string, rounds: number, first: PhaseResult | undefined, run: (script?: string) => Promise<PhaseResult>) {
  const other = join(dir, 'test', 'out', 'bench', 'hubBench.js');
  const pick = (r: PhaseResult) => ({ cpuPercent: r.cpuPercent, cpuMsPerEvent: r.cpuMsPerEvent, events: r.events, rssMB: r.rssMB, latencyMedianMs: r.latencyMedianMs, windowLoadAverage: r.windowLoadAverage });
  const theirs: PhaseResult[] = [];
  const ours: PhaseResult[] = first ? [first] : [];
  for (let i = 0; i < rounds; i++) {
    theirs.push(await run(other));
    if (ours.length < rounds) ours.push(await run());
  }
  const median = (xs: number[]) => quantile(xs, 0.5);
  const result = {
    other: { dir, runs: theirs.map(pick) },
    this: { runs: ours.map(pick) },
    cpuMsPerEventMedianThisOverOther: +(median(ours.map((r) => r.cpuMsPerEvent)) / median(theirs.map((r) => r.cpuMsPerEvent))).toFixed(2),
    cpuPercentMedianThisOverOther: +(median(ours.map((r) => r.cpuPercent)) / median(theirs.map((r) => r.cpuPercent))).toFixed(2),
  };
  log(`compare: ${JSON.stringify(result)}`);
  return result;
}

/** The running phase process, to which the writer's acks are forwarded. */
let current: ReturnType<typeof spawn> | undefined;

/** `script`: this bench, or another build's (--compare), whose plane then runs the phase. */
function phase(config: PhaseConfig, nodeArgs: string[] = [], script = fileURLToPath(import.meta.url)): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const child = (current = spawn(process.execPath, [...nodeArgs, script, 'phase', JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    let result: PhaseResult | undefined;
    child.on('message', (m: PhaseResult) => (result = m));
    child.on('exit', (code) => {
      current = undefined;
      if (result) resolve(result);
      else reject(new Error(`the ${config.name} phase exited with ${code} and no result`));
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      members: { type: 'string', default: '10000' },
      direct: { type: 'string', default: '1000' },
      window: { type: 'string', default: '60' },
      parallel: { type: 'string', default: '48' },
      'writer-sockets': { type: 'string', default: '16' },
      'probe-lists': { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
      compare: { type: 'string' },
      rounds: { type: 'string', default: '2' },
      'hub-only': { type: 'boolean', default: false },
      'direct-only': { type: 'boolean', default: false },
      'keep-managed-fields': { type: 'boolean', default: false },
    },
  });
  const members = Number(values.members);
  const direct = Math.min(Number(values.direct), members);
  const windowS = Number(values.window);
  const parallel = Number(values.parallel);
  const writerSockets = Number(values['writer-sockets']);
  for (const [flag, n] of [['--members', members], ['--direct', direct], ['--window', windowS], ['--parallel', parallel], ['--writer-sockets', writerSockets]] as const) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} "${n}" must be a whole number ≥ 1`);
  }
  log(`one hub, ${members} members; direct mode at ${direct}; steady window ${windowS}s; ${members / 100} status changes/s and ${(members / 60).toFixed(0)} Lease renewals/s`);
  const hub = await startCluster({ name: 'bench-hub' });
  const stopHub = () => hub.stop();
  process.once('SIGINT', () => void stopHub().then(() => process.exit(130)));
  let writerProcess: ReturnType<typeof startWriter> | undefined;
  try {
    const seeder = clientFor(hub.kubeconfigPath, 'seed');
    const t = performance.now();
    const { failed } = await seed(seeder, members, parallel, values['keep-managed-fields']);
    seeder.close();
    const seedSeconds = (performance.now() - t) / 1000;
    log(`seeded ${members} members (namespace, ClusterAgent + status, Lease: ${values['keep-managed-fields'] ? '4 requests each, managedFields kept' : '6 requests each, managedFields cleared'}, ${parallel} in parallel) in ${seedSeconds.toFixed(1)}s; ${failed} failed`);
    if (failed) throw new Error(`${failed} member(s) could not be seeded; the hub is overloaded or misconfigured (see the first errors above)`);

    const base = { kubeconfigPath: hub.kubeconfigPath, hubName: hub.name, server: hub.server, windowS, pids: hub.pids() };
    // The load alone, on a hub nobody writes to, to tell the plane's part from the busy hub's.
    // The load alone, twice, on a hub nobody writes to and then under the writes, to tell the
    // plane's part (its CPU) from the hub's (what it got of a core meanwhile).
    const loads = async (name: 'hub-idle' | 'hub-load') => {
      const runs: PhaseResult[] = [];
      for (let i = 0; i < 2; i++) runs.push(await phase({ ...base, name, count: members, loadOnly: true }));
      return runs.map((r) => ({ loadSeconds: r.loadSeconds, planeCpuSeconds: r.loadCpuSeconds, ...r.loadHub }));
    };
    const idleLoads = values['direct-only'] ? undefined : await loads('hub-idle');
    writerProcess = startWriter(
      hub.kubeconfigPath,
      members,
      writerSockets,
      (acks) => current?.connected && current.send({ acks }),
      (accepted) => current?.connected && current.send({ accepted }),
    );
    // One full round of Lease renewals first: members seeded minutes ago would otherwise load as Stale.
    log('writer started; waiting 62 s for every Lease to be renewed once');
    await new Promise((r) => setTimeout(r, 62_000));
    const busyLoads = values['direct-only'] ? undefined : await loads('hub-load');
    const profile = values['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`] : [];
    const hubResult = values['direct-only'] ? undefined : await phase({ ...base, name: 'hub', count: members }, profile);
    const comparison = values.compare ? await compare(values.compare, Number(values.rounds), hubResult, (script) => phase({ ...base, name: 'hub', count: members }, [], script)) : undefined;
    const dbBytes = statSync(join(hub.dir, 'etcd', 'member', 'snap', 'db')).size;
    log(`etcd DB file ${(dbBytes / 1048576).toFixed(0)} MB with ${members} members`);
    const listProbes = values['probe-lists'] ? await probeLists({ kubeconfigPath: hub.kubeconfigPath }) : undefined;
    const directResult = values['hub-only'] ? undefined : await phase({ ...base, name: 'direct', count: direct });
    const counts = writerProcess.counts();
    writerProcess.stop();

    const perMember = (r: PhaseResult | undefined, v: number) => (r ? v / r.clusters : NaN);
    const ratio = (a: number, b: number) => +(a / b).toFixed(2);
    const result = {
      members,
      seeding: { seconds: +seedSeconds.toFixed(1), parallel, managedFields: values['keep-managed-fields'] ? 'kept' : 'cleared', requestsPerSecond: Math.round((members * (values['keep-managed-fields'] ? 4 : 6)) / seedSeconds) },
      writer: { statusChangesPerSecond: members / 100, leaseRenewalsPerSecond: +(members / 60).toFixed(1), sockets: writerSockets, ...counts },
      hubModeLoadOnIdleHub: idleLoads,
      hubModeLoadUnderWrites: busyLoads,
      hubMode: hubResult,
      directMode: directResult,
      etcdDbMB: +(dbBytes / 1048576).toFixed(1),
      listProbes,
      comparison,
      perMemberRatiosHubOverDirect: hubResult && directResult
        ? {
            loadSecondsPerMember: ratio(perMember(hubResult, hubResult.loadSeconds), perMember(directResult, directResult.loadSeconds)),
            cpuPercentPerMember: ratio(perMember(hubResult, hubResult.cpuPercent), perMember(directResult, directResult.cpuPercent)),
            latencyMedian: ratio(hubResult.latencyMedianMs, directResult.latencyMedianMs),
          }
        : undefined,
      goals: { initialLoadSeconds: 10, cpuPercent: 5, rssMB: 400, latencyMedianMs: 500 },
    };
    console.log(JSON.stringify(result, null, 2));
    if (hubResult) {
      for (const [text, ok] of [
        [`hub mode initial load ${hubResult.loadSeconds}s ≤ 10s (load-only runs under writes: ${busyLoads?.map((r) => r.loadSeconds).join(', ')}s; on the idle hub ${idleLoads?.map((r) => r.loadSeconds).join(', ')}s)`, hubResult.loadSeconds <= 10],
        [`hub mode steady CPU ${hubResult.cpuPercent}% < 5% (${hubResult.cpuMsPerEvent} ms per watch event; load average ${hubResult.windowLoadAverage.join(' → ')})`, hubResult.cpuPercent < 5],
        [`hub mode RSS ${hubResult.rssMB} MB ≤ 400 MB`, hubResult.rssMB <= 400],
        [`hub mode latency median, hub's ack → model, ${hubResult.latencyMedianMs} ms ≤ 500 ms (from the writer's stamp: ${hubResult.endToEndMedianMs} ms)`, hubResult.latencyMedianMs <= 500],
      ] as const) console.log(`${ok ? 'PASS' : 'MISS'} ${text}`);
    }
  } finally {
    writerProcess?.stop();
    await stopHub();
  }
}

if (process.argv[2] === 'writer') {
  void writer(JSON.parse(process.argv[3]));
} else if (process.argv[2] === 'probe') {
  // Against a running hub: node test/out/bench/hubBench.js probe '{"kubeconfigPath":"…"}'
  probeLists(JSON.parse(process.argv[3]) as { kubeconfigPath: string }).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`bench:hub probe failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
} else if (process.argv[2] === 'phase') {
  planePhase(JSON.parse(process.argv[3]) as PhaseConfig).then(
    (result) => process.send!(result, () => process.exit(0)),
    (err: unknown) => {
      console.error(`bench:hub phase failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`bench:hub failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
}
