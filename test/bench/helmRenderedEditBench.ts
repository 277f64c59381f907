/**
 * `node test/out/bench/helmRenderedEditBench.js`: an edit inside one object of the 35k-line
 * real-shaped profile (half CRDs, as bench:lsp's) with a Helm layer whose chart is rendered (a
 * fake provider answers at once), validated in process. The profile's manifests are checked
 * again only where the edit is (the per-manifest findings are kept per schema set); this shows
 * whether checking the chart's rendered objects (language-server/src/service/helmRendered.ts)
 * costs that reuse. Prints medians of wall and CPU time per edit→diagnostics, and the load
 * average; run two builds back to back to compare (no timed assertion anywhere).
 *
 *   KPLANE_BENCH_LINES=35000   KPLANE_BENCH_RUNS=20   KPLANE_BENCH_RENDER=0 (the render not ready: the baseline)
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService, textDocument, type ChartFacts, type HelmChartProvider, type RenderedChart } from '@kplane/language-server';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { realShapedEditPoint, realShapedProfile } from './realShapedProfile.js';

const LINES = Number(process.env.KPLANE_BENCH_LINES ?? 35_000);
const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 20);

const facts: ChartFacts = { name: 'gizmos', version: '1.0.0', values: {}, docs: {}, subcharts: [] };
const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gizmos.gizmos.kplane.dev' }, spec: { group: 'gizmos.kplane.dev', scope: 'Namespaced', names: { kind: 'Gizmo', plural: 'gizmos' }, versions: [{ name: 'v1', served: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { color: { type: 'string' } } } } } } }] } };
const rendered: RenderedChart = {
  chart: 'gizmos',
  version: '1.0.0',
  objects: [
    { manifest: crd as never, source: 'gizmos/crds/gizmos.yaml' },
    { manifest: { apiVersion: 'gizmos.kplane.dev/v1', kind: 'Gizmo', metadata: { name: 'g', namespace: 'apps' }, spec: { color: 'red' } } as never, source: 'gizmos/templates/gizmo.yaml' },
  ],
};
const provider: HelmChartProvider = { chart: () => ({ state: 'ready', chart: facts }), versions: () => ({ state: 'fetching' }), rendered: () => (process.env.KPLANE_BENCH_RENDER === '0' ? { state: 'pending' } : { state: 'ready', rendered }) };

const base = `${realShapedProfile(LINES, 'helm-rendered-edit')}    - name: gizmos
      namespace: apps
      helm:
        repo: https://charts.example
        chart: gizmos
        version: 1.0.0
`;
const at = realShapedEditPoint(base);
const lines = base.split('\n');
const service = getLanguageService({ helmCharts: provider, kubeTypes: builtinKubeTypes });
const uri = 'file:///bench/helm-rendered-edit.profile.yaml';
let version = 1;
// Edited in place, as the server's TextDocuments does (incremental sync keeps its line offsets).
let document = textDocument(uri, base, version);
let helmFindings = service.doValidation(document).filter((d) => String(d.code).startsWith('HELM_')).length;
const wall: number[] = [];
const cpu: number[] = [];
const column = lines[at.line].indexOf('8080');
for (let i = 0; i < RUNS + 3; i++) {
  // The port's four digits, replaced by four others.
  const range = { start: { line: at.line, character: column }, end: { line: at.line, character: column + 4 } };
  document = TextDocument.update(document, [{ range, text: String(8081 + (i % 900)) }], ++version);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  helmFindings = service.doValidation(document).filter((d) => String(d.code).startsWith('HELM_')).length;
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  if (i < 3) continue;
  wall.push(t1 - t0);
  cpu.push((c.user + c.system) / 1000);
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)].toFixed(1);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`helm rendered edit bench: ${lines.length} lines, ${RUNS} edits, chart ${process.env.KPLANE_BENCH_RENDER === '0' ? 'not rendered yet' : 'rendered'}; load average ${load()}`);
console.log(`  edit→diagnostics: wall median ${median(wall)} ms, CPU median ${median(cpu)} ms (${helmFindings} Helm finding(s))`);
console.log(`load average after: ${load()}`);
