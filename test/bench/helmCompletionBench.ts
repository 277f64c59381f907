/**
 * `node test/out/bench/helmCompletionBench.js`: what a completion request costs in a big profile
 * with a Helm layer, in process (the language service, no LSP): the 35k-line real-shaped profile
 * of bench:lsp (test/bench/realShapedProfile.ts) with a Helm layer added at its end, parsed once,
 * then completion (a) inside a manifest halfway through and (b) under the Helm layer's
 * `helm.values`. Every request goes through Helm completion first (language-server/src/service/
 * helmValues.ts helmCompletion). Prints medians and p95 of wall time and of the process's CPU
 * time per request, and the load average before and after; run it on two builds back to back to
 * compare (no timed assertion anywhere).
 *
 *   KPLANE_BENCH_LINES=35000   size of the profile
 *   KPLANE_BENCH_RUNS=200      completions timed per place
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { getLanguageService, textDocument, type ChartFacts, type HelmChartProvider } from '@kplane/language-server';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { realShapedEditPoint, realShapedProfile } from './realShapedProfile.js';

const LINES = Number(process.env.KPLANE_BENCH_LINES ?? 35_000);
const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 200);

const facts: ChartFacts = { name: 'web', version: '1.0.0', values: { replicaCount: 1, greeting: 'hello', image: { repository: 'web', tag: '1' } }, docs: {}, subcharts: [] };
const provider: HelmChartProvider = { chart: () => ({ state: 'ready', chart: facts }), versions: () => ({ state: 'ready', versions: ['1.0.0'] }) };

const text = `${realShapedProfile(LINES, 'helm-completion')}    - name: web
      namespace: web
      helm:
        repo: https://charts.example
        chart: web
        version: 1.0.0
        values:
          replicaCount: 2
          
`;
const lines = text.split('\n');
const service = getLanguageService({ helmCharts: provider, kubeTypes: builtinKubeTypes });
const document = textDocument('file:///bench/helm-completion.profile.yaml', text);
service.doValidation(document);

const edit = realShapedEditPoint(text);
// A new key typed at the start of the containerPort's list item's line: inside a manifest.
const manifest = { line: edit.line, character: lines[edit.line].indexOf('{') };
const helmValues = { line: lines.length - 2, character: 10 };

function stats(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms`;
}

function time(position: { line: number; character: number }): { wall: number[]; cpu: number[]; items: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  let items = 0;
  for (let i = 0; i < RUNS + 10; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    items = service.doComplete(document, position).items.length;
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    if (i < 10) continue; // warm-up
    wall.push(t1 - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall, cpu, items };
}

const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`helm completion bench: ${lines.length} lines, ${RUNS} completions per place; load average ${load()}`);
for (const [name, position] of [['in a manifest', manifest], ['in helm.values', helmValues]] as const) {
  const { wall, cpu, items } = time(position);
  console.log(`  ${name} (line ${position.line + 1}, ${items} items): wall ${stats(wall)}; CPU ${stats(cpu)}`);
}
console.log(`load average after: ${load()}`);
