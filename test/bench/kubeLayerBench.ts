/**
 * `npm run bench:kube`: what the one request client costs the agent. Each line is a fresh Node
 * process that imports one thing and prints its RSS and import time, in the same run:
 *   - nothing (the baseline);
 *   - @kplane/kube as the agent loads it (KubeClient + Informer: node:https; node:http2 is loaded
 *     only by a client made with `http2: true`, which the agent never makes);
 *   - @kplane/kube plus node:http2, as the plane loads it for its watches;
 *   - undici, the plane's former transport (kept in node_modules by client-node), for comparison;
 *   - @kubernetes/client-node's KubeConfig module alone (dist/config.js);
 *   - @kubernetes/client-node whole.
 * The agent's budget is 120 MB RSS with 500 objects (bench:agent), so it cannot carry client-node
 * at run time; it loads client-node only for kubeconfigs with auth plugins.
 */
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../fixtures/paths.js';

const cases: [string, string][] = [
  ['nothing (baseline)', ''],
  ['@kplane/kube (KubeClient, Informer): the agent', "const k = await import('@kplane/kube'); void k.KubeClient; void k.Informer;"],
  ['@kplane/kube + node:http2: the plane', "const k = await import('@kplane/kube'); void k.KubeClient; await import('node:http2');"],
  ['undici (the plane\'s transport before)', "await import('undici');"],
  ['@kubernetes/client-node/dist/config.js', "await import('@kubernetes/client-node/dist/config.js');"],
  ['@kubernetes/client-node', "await import('@kubernetes/client-node');"],
];
const runs = Number(process.argv[2] ?? 3);

function measure(code: string): { rssMb: number; ms: number } {
  const script = `const t = performance.now(); ${code} const ms = performance.now() - t; console.log(JSON.stringify({ rssMb: process.memoryUsage().rss / 1e6, ms }));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`bench:kube: ${out.stderr}`);
  const lines = out.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as { rssMb: number; ms: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`bench:kube: median of ${runs} fresh processes each`);
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
