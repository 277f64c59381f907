/**
 * Start-up times of the bed, measured in one run so the ratios compare like with like:
 *   node test/out/bed/measureStart.js [repetitions=3]
 * Prints the median of each scenario and its ratio to a single plain cluster (the baseline).
 * Times are until startCluster resolves: /readyz ok, CRDs Established (and KWOK nodes Ready).
 */
import { startCluster, type StartClusterOptions } from './cluster.js';
import { ensureBinaries } from './binaries.js';

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
  const one = (opts: StartClusterOptions) => async () => [await startCluster(opts)];
  const scenarios: [string, () => Promise<{ stop(): Promise<void> }[]>][] = [
    ['1 cluster', one({ name: 'measure' })],
    ['1 cluster with workloads (2 KWOK nodes)', one({ name: 'measure-w', workloads: true })],
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
  for (const [label, ms] of results) console.log(`  ${label.padEnd(42)} ${(ms / 1000).toFixed(2)}s  x${(ms / baseline).toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
