/**
 * `npm run bench:lsp`: our language server (dist/server.js) against yaml-language-server (given
 * our JSON Schema), both driven over stdio by the same client, on the same generated profiles of
 * 1k, 10k and 50k lines. Measures open→diagnostics and edit→diagnostics (median of several runs)
 * and each server's peak RSS (VmHWM), and prints ratios. A benchmark, not a test: numbers only.
 * Besides wall time it reports each server's own CPU time per open and edit (all its threads,
 * from /proc/PID/task/N/schedstat): on a shared, loaded machine wall times wander by 2-3× from
 * run to run, CPU time much less, so ratios of CPU time compare the work each server does.
 *
 *   KPLANE_BENCH_RUNS=5        runs per measurement (default 5)
 *   KPLANE_BENCH_SIZES=1000,10000,50000
 *   KPLANE_BENCH_BEFORE=/tmp/before.cjs[,/tmp/other.cjs]   also measure other builds of our
 *                              server (copies of dist/server.js, named by file), in the same run,
 *                              to compare a change before/after
 *   KPLANE_BENCH_YAML_LS=0     leave yaml-language-server out (faster runs when comparing builds)
 *   KPLANE_BENCH_DOCUMENTS=10  split each file into this many ClusterProfile documents (`---`),
 *                              the shape the per-document parse cache is for (default 1)
 *   KPLANE_BENCH_CORPUS=generated,real   which profiles: generated small Deployments (sizes from
 *                              KPLANE_BENCH_SIZES) and real-shaped ones (./realShapedProfile.ts:
 *                              big CRDs with deep schemas and long descriptions, block scalars,
 *                              Grafana JSON in ConfigMaps), sizes KPLANE_BENCH_REAL_SIZES
 *                              (default 10000,35000,50000). Our server checks every manifest
 *                              against the built-in Kubernetes API in both.
 *
 * Our server is pulled (textDocument/diagnostic, as VS Code does for it); yaml-language-server
 * pushes (textDocument/publishDiagnostics) after its built-in 200 ms validation delay, which the
 * report shows separately so the ratio can be read both ways.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { clusterProfileSchema } from '@kplane/profile';
import { repoRoot } from '../fixtures/paths.js';
import { realShapedEditPoint, realShapedProfile } from './realShapedProfile.js';
import { startLspProcess, withDeadline as withDeadlineMs } from './lspProcess.js';

const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 5);
const SIZES = (process.env.KPLANE_BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const DOCUMENTS = Math.max(1, Number(process.env.KPLANE_BENCH_DOCUMENTS ?? 1));
type Corpus = 'generated' | 'real';
const CORPORA = (process.env.KPLANE_BENCH_CORPUS ?? 'generated,real').split(',').filter((c): c is Corpus => c === 'generated' || c === 'real');
const REAL_SIZES = (process.env.KPLANE_BENCH_REAL_SIZES ?? '10000,35000,50000').split(',').map(Number);

/** A file of about `lines` lines, as one profile or as DOCUMENTS profiles of equal size. */
function generateFile(lines: number, salt: string, corpus: Corpus = 'generated'): string {
  const one = corpus === 'real' ? realShapedProfile : generateProfile;
  if (DOCUMENTS === 1) return one(lines, salt);
  return Array.from({ length: DOCUMENTS }, (_, i) => one(Math.ceil(lines / DOCUMENTS), `${salt} document ${i}`)).join('---\n');
}

/** Where each run edits: one character inside one object, halfway through the file. */
function editPoint(text: string, lines: number, corpus: Corpus): { line: number; character: number } {
  if (corpus === 'real') return realShapedEditPoint(text);
  return { line: text.split('\n').findIndex((l, i) => i > lines / 2 && l.includes('containerPort: 80')), character: '                      - containerPort: 8'.length };
}
const WAIT_MS = 180_000;
/** yaml-language-server's validationDelayMs (out/src/yamlSettings.js), not configurable by settings. */
const YAML_LS_DELAY_MS = 200;

/**
 * A profile of about `lines` lines: layers of Deployments using variables, plus three mistakes
 * both servers can see (schema) and one only ours can (an undeclared variable).
 */
export function generateProfile(lines: number, salt: string): string {
  const out = [
    `# ${salt}`,
    'apiVersion: kplane.dev/v1alpha1',
    'kind: ClusterProfile',
    'metadata:',
    '  name: generated',
    'spec:',
    '  version: 1.0.0',
    '  reconcile: { mode: enforced, interval: 5m }',
    '  variables:',
    '    - name: replicas',
    '      type: integer',
    '      default: 2',
    '    - name: image',
    '      type: string',
    '      default: nginx:1.27',
    '  layers:',
  ];
  for (let layer = 0; out.length < lines; layer++) {
    out.push(`    - name: layer-${layer}`, `      namespace: ns-${layer}`, layer ? `      dependsOn: [layer-${layer - 1}]` : '      dependsOn: []', '      manifests:');
    for (let m = 0; m < 8 && out.length < lines; m++) {
      out.push(
        '        - apiVersion: apps/v1',
        '          kind: Deployment',
        '          metadata:',
        `            name: app-${m}`,
        '            labels: { app: web, tier: frontend }',
        '          spec:',
        '            replicas: "${replicas}"',
        '            selector: { matchLabels: { app: web } }',
        '            template:',
        '              metadata: { labels: { app: web } }',
        '              spec:',
        '                containers:',
        '                  - name: app',
        '                    image: "${image}"',
        '                    ports:',
        '                      - containerPort: 80',
      );
    }
  }
  out.push('    - name: broken', '      manifests: []', '      wiat: true', '      dependsOn: ["${nowhere}"]');
  return out.join('\n') + '\n';
}

interface Server {
  name: string;
  process: ChildProcess;
  connection: MessageConnection;
  /** Resolves with the next diagnostics published for `uri` (push servers). */
  nextPush(uri: string): Promise<number>;
  /** Open/edit → diagnostics: how long until this server has diagnostics for the document. */
  diagnose(uri: string, version: number): Promise<number>;
  peakRssMB(): number;
  /** CPU time the server's threads have run so far (ms, from each /proc/PID/task/N/schedstat, in ns). */
  cpuMs(): number;
  stop(): Promise<void>;
}

const withDeadline = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadlineMs(promise, what, WAIT_MS);

async function startServer(name: string, args: string[], pull: boolean, settings: Record<string, unknown>): Promise<Server> {
  const waiters = new Map<string, ((count: number) => void)[]>();
  const { process: child, connection, stop } = await startLspProcess({
    name,
    args,
    settings,
    deadlineMs: WAIT_MS,
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      textDocument: { publishDiagnostics: { versionSupport: true }, diagnostic: { dynamicRegistration: false }, synchronization: { didSave: false } },
    },
    setup: (c) =>
      c.onNotification('textDocument/publishDiagnostics', (params: { uri: string; diagnostics: unknown[] }) => {
        const list = waiters.get(params.uri) ?? [];
        waiters.delete(params.uri);
        for (const resolve of list) resolve(params.diagnostics.length);
      }),
  });
  const nextPush = (uri: string) =>
    new Promise<number>((resolve) => {
      const list = waiters.get(uri) ?? [];
      list.push(resolve);
      waiters.set(uri, list);
    });
  return {
    name,
    process: child,
    connection,
    nextPush,
    async diagnose(uri) {
      if (!pull) return withDeadline(nextPush(uri), `${name} diagnostics`);
      const report = await withDeadline(connection.sendRequest<{ items?: unknown[] }>('textDocument/diagnostic', { textDocument: { uri } }), `${name} diagnostics`);
      return report.items?.length ?? 0;
    },
    cpuMs() {
      let ns = 0;
      for (const task of readdirSync(`/proc/${child.pid}/task`)) {
        try {
          ns += Number(readFileSync(`/proc/${child.pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
        } catch {
          // the thread ended meanwhile
        }
      }
      return ns / 1e6;
    },
    peakRssMB() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
      return kb / 1024;
    },
    stop,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Measurement {
  open: number;
  edit: number;
  /** CPU time of the server's threads for an open and for an edit (medians, ms): unlike wall time, not inflated by other work on the machine. */
  openCpu: number;
  editCpu: number;
  /** Peak RSS (MB) with the one document open and edited. */
  rss: number;
  /** Peak RSS (MB) over the whole run, after opening RUNS + 1 more documents one after another. */
  rssAll: number;
  diagnostics: number;
  /** Completion inside a manifest (median ms) on a settled document and right after a keystroke, and how many items it gave. */
  complete: number;
  completeTyping: number;
  completeItems: number;
}

/** Where completion is asked: before a Deployment spec's key past the middle (its fields are offered). */
function completionPoint(text: string): { line: number; character: number } | undefined {
  const lines = text.split('\n');
  const line = lines.findIndex((l, i) => i > lines.length / 2 && /^\s+(revisionHistoryLimit|replicas):/.test(l));
  return line < 0 ? undefined : { line, character: lines[line].search(/\S/) };
}

async function measure(server: Server, lines: number, dir: string, corpus: Corpus): Promise<Measurement> {
  // Edit first, on a fresh server: one document open and edited is what the RSS budget is
  // about, so its peak is read before the open runs fill the heap with other documents.
  const uri = pathToFileURL(join(dir, `edit-${corpus}-${lines}.profile.yaml`)).href;
  const text = generateFile(lines, `${server.name} edit`, corpus);
  const first = server.name === 'yaml-language-server' ? server.nextPush(uri) : undefined;
  server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  let diagnostics = await (first ? withDeadline(first, `${server.name} open`) : server.diagnose(uri, 1));
  const { line: lineOfEdit, character } = editPoint(text, lines, corpus);
  const edits: number[] = [];
  const editCpus: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const version = run + 2;
    const pushed = server.name === 'yaml-language-server' ? server.nextPush(uri) : undefined;
    const started = performance.now();
    const cpu = server.cpuMs();
    server.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version },
      contentChanges: [{ range: { start: { line: lineOfEdit, character }, end: { line: lineOfEdit, character: character + 1 } }, text: String(run % 10) }],
    });
    await (pushed ? withDeadline(pushed, `${server.name} edit`) : server.diagnose(uri, version));
    edits.push(performance.now() - started);
    editCpus.push(server.cpuMs() - cpu);
  }
  const rssOneDocument = server.peakRssMB();

  // Completion inside a manifest: on a settled document, then right after a keystroke (as while
  // typing, when the server may be busy checking that keystroke); settled before the next.
  const point = completionPoint(text);
  const completions = { idle: [] as number[], typing: [] as number[] };
  let completeItems = 0;
  for (let run = 0; point && run < 2 * RUNS; run++) {
    const typing = run >= RUNS;
    const version = RUNS + 2 + run;
    const pushed = typing && server.name === 'yaml-language-server' ? server.nextPush(uri) : undefined;
    if (typing) {
      server.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: { line: lineOfEdit, character }, end: { line: lineOfEdit, character: character + 1 } }, text: String(run % 10) }],
      });
    }
    const started = performance.now();
    const list = await withDeadline(server.connection.sendRequest<{ items?: unknown[] } | unknown[] | null>('textDocument/completion', { textDocument: { uri }, position: point }), `${server.name} completion`);
    (typing ? completions.typing : completions.idle).push(performance.now() - started);
    completeItems = Array.isArray(list) ? list.length : (list?.items?.length ?? 0);
    if (typing) await (pushed ? withDeadline(pushed, `${server.name} edit`) : server.diagnose(uri, version));
  }
  server.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });

  // Open: each run a new document with different text, so nothing is cached between runs. Run
  // -1 warms the server up (JIT, schema compilation) and is not counted, for both servers alike.
  const opens: number[] = [];
  const openCpus: number[] = [];
  for (let run = -1; run < RUNS; run++) {
    const openUri = pathToFileURL(join(dir, `open-${corpus}-${lines}-${run + 1}.profile.yaml`)).href;
    const openText = generateFile(lines, `${server.name} open run ${run}`, corpus);
    const pushed = server.name === 'yaml-language-server' ? server.nextPush(openUri) : undefined;
    const started = performance.now();
    const cpu = server.cpuMs();
    server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: openUri, languageId: 'yaml', version: 1, text: openText } });
    diagnostics = pushed ? await withDeadline(pushed, `${server.name} open`) : await server.diagnose(openUri, 1);
    if (run >= 0) {
      opens.push(performance.now() - started);
      openCpus.push(server.cpuMs() - cpu);
    }
    server.connection.sendNotification('textDocument/didClose', { textDocument: { uri: openUri } });
  }
  return { open: median(opens), edit: median(edits), openCpu: median(openCpus), editCpu: median(editCpus), rss: rssOneDocument, rssAll: server.peakRssMB(), diagnostics, complete: point ? median(completions.idle) : NaN, completeTyping: point ? median(completions.typing) : NaN, completeItems };
}

async function main(): Promise<void> {
  const ours = join(repoRoot, 'dist', 'server.js');
  const theirs = join(repoRoot, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
  if (!existsSync(ours)) throw new Error(`${ours} is missing: run npm run build first.`);
  const dir = mkdtempSync(join(tmpdir(), 'kplane-lsp-bench-'));
  const schemaFile = join(dir, 'clusterprofile.schema.json');
  writeFileSync(schemaFile, JSON.stringify(clusterProfileSchema));
  const yamlSettings = {
    yaml: {
      validate: true,
      schemas: { [pathToFileURL(schemaFile).href]: '*.profile.yaml' },
      schemaStore: { enable: false },
      kubernetesCRDStore: { enable: false },
    },
  };
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
  const runs = CORPORA.flatMap((corpus) => (corpus === 'real' ? REAL_SIZES : SIZES).map((lines) => ({ corpus, lines })));
  console.log(`bench:lsp — ${RUNS} runs per median, ${runs.map((r) => `${r.lines} ${r.corpus}`).join(', ')} lines${DOCUMENTS > 1 ? ` in ${DOCUMENTS} documents` : ''}, node ${process.version}, ${cpus().length} CPUs, load average ${load()}`);
  console.log('size    server                 open→diag   edit→diag   server CPU open / edit   peak RSS (1 doc)   peak RSS (whole run)   diagnostics');
  const rows: { lines: string; ours: Measurement; theirs: Measurement }[] = [];
  const beforeRows: { lines: string; name: string; ours: Measurement; theirs: Measurement }[] = [];
  const completionRows: { lines: string; name: string; m: Measurement }[] = [];
  // Rows are labelled "10000 real" / "10000 generated" when both corpora run.
  const label = (lines: number, corpus: Corpus): string => (CORPORA.length > 1 ? `${lines} ${corpus.slice(0, 4)}` : String(lines));
  const before = (process.env.KPLANE_BENCH_BEFORE ?? '').split(',').filter(Boolean);
  for (const file of before) if (!existsSync(file)) throw new Error(`KPLANE_BENCH_BEFORE: ${file} does not exist: copy dist/server.js there before the change.`);
  const withYamlLs = process.env.KPLANE_BENCH_YAML_LS !== '0';
  try {
    for (const { corpus, lines: size } of runs) {
      const lines = label(size, corpus);
      // A fresh pair of servers per size, so each peak RSS belongs to that size.
      const kplane = await startServer('kplane', [ours, '--stdio'], true, {});
      const kplaneResult = await measure(kplane, size, dir, corpus);
      await kplane.stop();
      const results: [string, Measurement][] = [['kplane', kplaneResult]];
      for (const file of before) {
        const name = basename(file).replace(/\.c?js$/, '');
        const earlier = await startServer(name, [file, '--stdio'], true, {});
        const result = await measure(earlier, size, dir, corpus);
        await earlier.stop();
        results.push([name, result]);
        beforeRows.push({ lines, name, ours: kplaneResult, theirs: result });
      }
      if (withYamlLs) {
        const yamlLs = await startServer('yaml-language-server', [theirs, '--stdio'], false, yamlSettings);
        const yamlResult = await measure(yamlLs, size, dir, corpus);
        await yamlLs.stop();
        results.push(['yaml-language-server', yamlResult]);
        rows.push({ lines, ours: kplaneResult, theirs: yamlResult });
      }
      for (const [name, m] of results) {
        completionRows.push({ lines, name, m });
        console.log(
          `${String(lines).padEnd(10)} ${name.padEnd(22)} ${m.open.toFixed(0).padStart(7)} ms ${m.edit.toFixed(0).padStart(8)} ms ${`${m.openCpu.toFixed(0)} / ${m.editCpu.toFixed(0)} ms`.padStart(24)} ${m.rss.toFixed(0).padStart(12)} MB ${m.rssAll.toFixed(0).padStart(17)} MB ${String(m.diagnostics).padStart(12)}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`load average at the end: ${load()} (other work on the machine slows both servers alike)`);
  console.log("\ncompletion inside a manifest (a Deployment spec's keys): median ms on a settled document, and right after a keystroke");
  for (const { lines, name, m } of completionRows) console.log(`${String(lines).padEnd(10)} ${name.padEnd(22)} ${m.complete.toFixed(1).padStart(8)} ms ${m.completeTyping.toFixed(1).padStart(8)} ms ${String(m.completeItems).padStart(4)} items`);
  for (const { lines, ours: o, theirs: t } of rows) console.log(`${String(lines).padEnd(10)} yaml-language-server / kplane: ${(t.complete / o.complete).toFixed(1)}× settled, ${(t.completeTyping / o.completeTyping).toFixed(1)}× after a keystroke`);
  if (beforeRows.length) {
    console.log('\nratios (other build / this build; >1 means this build is faster or smaller)');
    console.log('size    build                  open    edit   CPU open   CPU edit   peak RSS (1 doc)');
    for (const { lines, name, ours: o, theirs: t } of beforeRows) {
      const r = (a: number, b: number, width: number) => `${(a / b).toFixed(2)}×`.padStart(width);
      console.log(`${String(lines).padEnd(10)} ${name.padEnd(22)} ${r(t.open, o.open, 6)} ${r(t.edit, o.edit, 7)} ${r(t.openCpu, o.openCpu, 10)} ${r(t.editCpu, o.editCpu, 10)} ${r(t.rss, o.rss, 10)}`);
    }
  }
  if (!rows.length) return;
  console.log('\nratios (yaml-language-server time / kplane time; >1 means kplane is faster)');
  console.log('size    open   edit   open (minus its 200 ms delay)   edit (minus its 200 ms delay)   server CPU open   server CPU edit');
  for (const { lines, ours: o, theirs: t } of rows) {
    const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
    console.log(
      `${String(lines).padEnd(10)} ${ratio(t.open, o.open).padStart(6)} ${ratio(t.edit, o.edit).padStart(6)} ${ratio(Math.max(1, t.open - YAML_LS_DELAY_MS), o.open).padStart(16)} ${ratio(Math.max(1, t.edit - YAML_LS_DELAY_MS), o.edit).padStart(31)} ${ratio(t.openCpu, o.openCpu).padStart(17)} ${ratio(t.editCpu, o.editCpu).padStart(17)}`,
    );
  }
}

if (process.argv[1]?.endsWith("lspBench.js")) main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench:lsp failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
