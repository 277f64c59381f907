/**
 * `node test/out/bench/lspPhasesBench.js` (after npm run build): where the language server's time
 * goes on the real-shaped profiles of ./realShapedProfile.ts, in process (no LSP transport), as
 * medians: opening (parse, the ClusterProfile schema, semantics with every manifest checked against
 * the built-in Kubernetes API, the stored-size check, and the rest of doValidation: range mapping
 * and diagnostics) and an edit of one character inside one object (incremental re-parse, then the
 * whole doValidation, which reuses what is remembered per unchanged manifest object). The parts of
 * an open are measured on fresh parses, so no cache helps them. Times are CPU time, not wall
 * time. Numbers only, not a test.
 *
 *   KPLANE_BENCH_RUNS=7               runs per median
 *   KPLANE_BENCH_REAL_SIZES=10000,35000,50000
 *   KPLANE_BENCH_CORPUS=generated     bench:lsp's generated profiles of small Deployments instead
 *                                     (sizes KPLANE_BENCH_SIZES, default 10000,50000; edits as bench:lsp makes them)
 */
import { loadavg } from 'node:os';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { checkSchema, checkSemantics, isKnownClusterScoped, storedSize } from '@kplane/profile';
import { getLanguageService, parseYamlFile, reparse, textDocument } from '@kplane/language-server';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { realShapedEditPoint, realShapedProfile } from './realShapedProfile.js';
import { generateProfile } from './lspBench.js';

const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 7);
const GENERATED = process.env.KPLANE_BENCH_CORPUS === 'generated';
const SIZES = (GENERATED ? (process.env.KPLANE_BENCH_SIZES ?? '10000,50000') : (process.env.KPLANE_BENCH_REAL_SIZES ?? '10000,35000,50000')).split(',').map(Number);
const profileOf = GENERATED ? generateProfile : realShapedProfile;
/** Where an edit goes: as bench:lsp's editPoint. */
function editPointOf(text: string, lines: number): { line: number; character: number } {
  if (!GENERATED) return realShapedEditPoint(text);
  return { line: text.split('\n').findIndex((l, i) => i > lines / 2 && l.includes('containerPort: 80')), character: '                      - containerPort: 8'.length };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** CPU time (ms, this process's threads, GC helpers included): on the shared, loaded machine wall time wanders by 2-3×. */
function timed<T>(fn: () => T): [number, T] {
  const started = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(started);
  return [(used.user + used.system) / 1000, result];
}

function main(): void {
  const kube = builtinKubeTypes();
  const isClusterScoped = (apiVersion: string, kind: string) => (kube.scopeOf(apiVersion, kind) ?? (isKnownClusterScoped(apiVersion, kind) ? 'Cluster' : 'Namespaced')) === 'Cluster';
  console.log(`lspPhasesBench — ${GENERATED ? 'generated' : 'real-shaped'} profiles, CPU time, medians of ${RUNS}, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('lines   open: parse   schema   semantics+manifests   size   doValidation total   rest (ranges, diagnostics)  |  edit: re-parse   doValidation total');
  for (const lines of SIZES) {
    const service = getLanguageService({ kubeTypes: builtinKubeTypes });
    const parts = { parse: [] as number[], schema: [] as number[], semantics: [] as number[], size: [] as number[], total: [] as number[] };
    for (let run = -1; run < RUNS; run++) {
      const text = profileOf(lines, `phases open ${run}`);
      // The parts, each on its own fresh parse (the caches are keyed by the parsed objects).
      const [parse, parsed] = timed(() => parseYamlFile(text));
      const value = parsed.documents[0].value;
      const [schema] = timed(() => checkSchema(value));
      const forSemantics = parseYamlFile(text).documents[0].value;
      const [semantics] = timed(() => checkSemantics(forSemantics, { isClusterScoped, kube }));
      const forSize = parseYamlFile(text).documents[0].value as Record<string, unknown>;
      const [size] = timed(() => storedSize(forSize));
      const document = textDocument(`file:///phases-${lines}-${run}.profile.yaml`, text);
      const [total] = timed(() => service.doValidation(document));
      service.forget(document.uri);
      if (run < 0) continue; // warm-up: JIT, the built-in API decoded
      parts.parse.push(parse);
      parts.schema.push(schema);
      parts.semantics.push(semantics);
      parts.size.push(size);
      parts.total.push(total);
    }
    // Edits: one character replaced inside one object, as bench:lsp does.
    const text = profileOf(lines, 'phases edit');
    let document = textDocument(`file:///phases-edit-${lines}.profile.yaml`, text);
    service.doValidation(document);
    const { line, character } = editPointOf(text, lines);
    const reparses: number[] = [];
    const edits: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const before = document.getText();
      document = TextDocument.update(document, [{ range: { start: { line, character }, end: { line, character: character + 1 } }, text: String(run % 10) }], document.version + 1);
      // The re-parse alone, on a throwaway parse of the previous text (reparse takes its input over).
      const previous = parseYamlFile(before);
      reparses.push(timed(() => reparse(before, previous, document.getText()))[0]);
      edits.push(timed(() => service.doValidation(document))[0]);
    }
    const m = (v: number[]) => `${median(v).toFixed(0)} ms`;
    const rest = median(parts.total) - median(parts.parse) - median(parts.schema) - median(parts.semantics) - median(parts.size);
    console.log(
      `${String(lines).padEnd(7)} ${m(parts.parse).padStart(11)} ${m(parts.schema).padStart(8)} ${m(parts.semantics).padStart(21)} ${m(parts.size).padStart(6)} ${m(parts.total).padStart(20)} ${`${Math.max(0, rest).toFixed(0)} ms`.padStart(27)}  | ${m(reparses).padStart(15)} ${m(edits).padStart(20)}`,
    );
  }
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main();
