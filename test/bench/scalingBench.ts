/**
 * `npm run bench:scaling`: kplane's local Resource-metric scaling against the cluster's own HPA
 * controller on one bed cluster with metrics-server (test/bed/scalingScenario.ts), same run:
 *  1. Reaction time to each side's first replica change (agent --scaling-period at its default
 *     5s, HPA sync at its default 15s), over alternating load steps; medians and their ratio.
 *     Measured two ways: from the moment metrics.k8s.io first serves a changed usage (the issue's
 *     definition: what either controller can act on), and from the load change itself, which adds
 *     metrics-server's scrape delay (up to 10 s, the same for both sides).
 *  2. Flapping: a plateau with ±15 % per-pod jitter for 3 minutes; scale changes of each side.
 *  3. Agent CPU while 50 more scaling policies are evaluated every 5 s (percent of one core).
 * `-- --cpu-only` runs part 3 alone. Build first (npm run build); needs test/bed/build-k8s.sh and build-metrics-server.sh binaries.
 */
import { readFileSync } from 'node:fs';
import { startSideBySide } from '@kplane/bed';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const STEPS = [600, 200, 650, 150, 700, 200];

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main(): Promise<void> {
  const side = await startSideBySide({ name: 'bench-scaling', scaleDownWindowS: 0, maxReplicas: 10, log: (l) => console.log(`  ${l}`) });
  try {
    await side.metricsServe((n) => Math.round(200 / n), 120_000);
    await side.settle(20_000, 120_000);

    const cpuOnly = process.argv.includes('--cpu-only');
    if (!cpuOnly) await reactionAndFlapping(side);

    // 3. Agent CPU with 50 more policies (each on its own small Deployment), evaluated every 5 s.
    side.setLoad(450);
    const manifests = Array.from({ length: 50 }, (_, i) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `many-${i}` },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: `many-${i}` } },
        template: { metadata: { labels: { app: `many-${i}` }, annotations: { 'kplane.dev/sim-cpu': '50m' } }, spec: { containers: [{ name: 'app', image: 'example.invalid/app:1', resources: { requests: { cpu: '100m' } } }] } },
      },
    }));
    await side.api.request('POST', '/apis/kplane.dev/v1alpha1/namespaces/kplane-system/clusterprofiles', {
      body: {
        apiVersion: 'kplane.dev/v1alpha1',
        kind: 'ClusterProfile',
        metadata: { name: 'many', namespace: 'kplane-system' },
        spec: {
          version: '1.0.0',
          layers: [{ name: 'app', namespace: 'default', manifests }],
          scaling: manifests.map((m) => ({
            name: m.metadata.name,
            target: { apiVersion: 'apps/v1', kind: 'Deployment', name: m.metadata.name, namespace: 'default' },
            minReplicas: 1,
            maxReplicas: 3,
            metric: { type: 'Resource', resource: { name: 'cpu' }, targetAverageUtilization: 50 },
          })),
        },
      },
    });
    // Let the pods start and get metrics, then measure a quiet minute.
    await new Promise((r) => setTimeout(r, 60_000));
    const cpu0 = cpuSeconds(side.agent.pid);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 60_000));
    const share = (cpuSeconds(side.agent.pid) - cpu0) / ((Date.now() - t0) / 1000);
    console.log(`\nagent CPU with 51 scaling policies evaluated every 5 s: ${(share * 100).toFixed(2)} % of one core (goal < 2 %)`);
  } finally {
    await side.stop();
  }
}

async function reactionAndFlapping(side: Awaited<ReturnType<typeof startSideBySide>>): Promise<void> {
    // 1. Reaction time per step.
  const kp: number[] = [];
  const hpa: number[] = [];
  const kpServed: number[] = [];
  const hpaServed: number[] = [];
  let previous = 200;
  for (const load of STEPS) {
    const before = { kplane: side.changes.kplane.length, hpa: side.changes.hpa.length };
    const changedAt = Date.now();
    side.setLoad(load);
    // `moved` is when metrics.k8s.io first served a changed usage for a pod of that side
    // (polled every 500 ms, so served times are late by about that much at most).
    const served = await side.metricsServe((n) => Math.round(load / n), 90_000, (n) => Math.round(previous / n));
    previous = load;
    await side.settle(30_000, 180_000);
    const k = side.changes.kplane[before.kplane];
    const h = side.changes.hpa[before.hpa];
    const r = await side.replicas();
    const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
    console.log(`load ${load}m: kplane → ${r.kplane} after ${k ? `${s(k.at - served.moved.kplane)} (served) / ${s(k.at - changedAt)} (load)` : '—'}, HPA → ${r.hpa} after ${h ? `${s(h.at - served.moved.hpa)} (served) / ${s(h.at - changedAt)} (load)` : '—'}`);
    if (k) {
      kp.push(k.at - changedAt);
      kpServed.push(k.at - served.moved.kplane);
    }
    if (h) {
      hpa.push(h.at - changedAt);
      hpaServed.push(h.at - served.moved.hpa);
    }
  }
  const row = (what: string, a: number[], b: number[]) =>
    console.log(`  ${what}: kplane ${(median(a) / 1000).toFixed(1)}s   HPA ${(median(b) / 1000).toFixed(1)}s   ratio kplane/HPA ${(median(a) / median(b)).toFixed(2)}   (median of ${a.length} / ${b.length} steps)`);
  console.log('\nreaction time → replicas changed:');
  row('from metrics.k8s.io serving a changed usage (goal: kplane ≤ 5 s)', kpServed, hpaServed);
  row('from the load change (adds up to 10 s of metrics-server scrape, both sides)', kp, hpa);

  // 2. Flapping under ±15 % jitter.
  side.setLoad(450);
  await side.metricsServe((n) => Math.round(450 / n), 90_000).catch(() => undefined);
  await side.settle(30_000, 180_000);
  const base = { kplane: side.changes.kplane.length, hpa: side.changes.hpa.length };
  side.setLoad(450, 0.15);
  await new Promise((r) => setTimeout(r, 180_000));
  const flaps = { kplane: side.changes.kplane.length - base.kplane, hpa: side.changes.hpa.length - base.hpa };
  console.log(`\nscale changes over 3 min at 450m ±15 % jitter: kplane ${flaps.kplane}, HPA ${flaps.hpa}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exitCode = 1;
});
