/**
 * Start-up times of the bed, measured in one run so the ratios compare like with like:
 *   node bed/out/measureStart.js [repetitions=3]
 * Prints the median of each scenario and its ratio to a single plain cluster (the baseline).
 * Times are until startCluster resolves: /readyz ok, CRDs Established (and KWOK nodes Ready,
 * and with metrics the metrics.k8s.io APIService Available). Then the resident memory of
 * metrics-server (and of the cluster's other components, for scale) after a minute of scraping.
 */
import { readFileSync } from 'node:fs';
import { startCluster, type StartClusterOptions } from './cluster.js';
import { ensureBinaries, ensureMetricsServer } from './binaries.js';

async function timed(scenario: () => Promise<{ stop(): Promise<void> }[]>): Promise<number> {
  const started = performance.now();
  const clusters = await scenario();
  const ms = performance.now() - started;
  await Promise.all(clusters.map((c) => c.stop()));
  return ms;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 3);
  await ensureBinaries({ workloads: true });
  await ensureMetricsServer();
  const one = (opts: StartClusterOptions) => async () => [await startCluster(opts)];
  const scenarios: [string, () => Promise<{ stop(): Promise<void> }[]>][] = [
    ['1 cluster', one({ name: 'measure' })],
    ['1 cluster with workloads (2 KWOK nodes)', one({ name: 'measure-w', workloads: true })],
    ['1 cluster with workloads and metrics-server', one({ name: 'measure-m', metrics: true })],
    ['3 clusters in parallel', () => Promise.all([1, 2, 3].map((i) => startCluster({ name: `measure-${i}` })))],
  ];
  const results: [string, number][] = [];
  for (const [label, scenario] of scenarios) {
    const times: number[] = [];
    for (let i = 0; i < reps; i++) times.push(await timed(scenario));
    results.push([label, median(times)]);
    console.log(`${label}: ${times.map((t) => (t / 1000).toFixed(2)).join('s, ')}s`);
  }
  const baseline = results[0][1];
  console.log(`\nmedian of ${reps} (ratio to 1 cluster):`);
  for (const [label, ms] of results) console.log(`  ${label.padEnd(46)} ${(ms / 1000).toFixed(2)}s  x${(ms / baseline).toFixed(2)}`);
  const withWorkloads = results[1][1];
  console.log(`  metrics-server adds ${((results[2][1] - withWorkloads) / 1000).toFixed(2)}s to a cluster with workloads`);

  // Memory after a minute of 10 s scrapes, with 20 pods on the 2 KWOK nodes.
  const cluster = await startCluster({ name: 'measure-rss', metrics: true });
  try {
    const { applyYaml } = await import('./client.js');
    await applyYaml(cluster, `apiVersion: apps/v1
kind: Deployment
metadata: { name: load, namespace: default }
spec:
  replicas: 20
  selector: { matchLabels: { app: load } }
  template:
    metadata: { labels: { app: load }, annotations: { kplane.dev/sim-cpu: 100m } }
    spec: { containers: [{ name: app, image: example.invalid/app:1, resources: { requests: { cpu: 100m } } }] }
`);
    await new Promise((r) => setTimeout(r, 60_000));
    const rss = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
    console.log('\nresident memory after 60 s with 20 pods (MiB):');
    for (const [name, pid] of Object.entries(cluster.pids())) {
      // Components run under setpriv, which execs them: the pid is the component's own.
      console.log(`  ${name.padEnd(24)} ${rss(pid).toFixed(1)}`);
    }
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
