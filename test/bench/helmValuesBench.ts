/**
 * `npm run bench:helm-values`: completion latency in a Helm layer's `helm.values`, the issue's
 * "completion in values of a cached chart ≤ 50 ms", with a same-run baseline.
 *
 * The chart is generated to the size of the big real ones (kube-prometheus-stack's values.yaml is
 * about 5,000 lines): COMPONENTS sections of nested keys with comments, and a values.schema.json
 * with a type and description for every key. It is packaged with the real helm and served by the
 * bed's classic chart repository; our server (dist/server.js, over stdio) fetches it with
 * `helm pull` into a fresh cache, and the warm-up waits until completion answers from that cache.
 *
 * Each run types one character of a new key under `helm.values.<component>` (a full-text didChange,
 * a new version) and times the completion request that follows, as an editor does.
 *
 * Baseline, same run, same machine: yaml-language-server completing the same key at the same
 * place in a plain values file (the layer's values as a `-f` values file), given the chart's
 * values.schema.json by its `yaml.schemas` setting: the established way to get values completion.
 * The ratio is ours / yaml-language-server (< 1: ours is faster).
 *
 *   KPLANE_BENCH_RUNS=50          completions timed per server (default 50)
 *   KPLANE_BENCH_COMPONENTS=60    sections in the generated values.yaml (default 60, ~5,000 lines)
 */
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { ensureHelmTools, packageChart, startChartRepo } from '@kplane/bed';
import { repoRoot } from '../fixtures/paths.js';
import { startLspProcess, withDeadline as withDeadlineMs, type LspProcess } from './lspProcess.js';

const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 50);
const COMPONENTS = Number(process.env.KPLANE_BENCH_COMPONENTS ?? 60);
const WAIT_MS = 120_000;
/** The component whose keys are completed (one in the middle of values.yaml). */
const TARGET = `component${Math.floor(COMPONENTS / 2)}`;

interface Completion {
  items: { label: string }[];
  isIncomplete: boolean;
}

/** values.yaml of COMPONENTS sections, each with nested keys and helm-docs comments, and its schema. */
function generateChart(): { valuesYaml: string; schema: Record<string, unknown>; lines: number } {
  const lines: string[] = ['# Generated for bench:helm-values: a values.yaml the size of the big real charts.', ''];
  const properties: Record<string, unknown> = {};
  for (let c = 0; c < COMPONENTS; c++) {
    const name = `component${c}`;
    const leaf = (key: string, type: string, value: string, doc: string, indent: string, into: Record<string, unknown>) => {
      lines.push(`${indent}# -- ${doc}`, `${indent}${key}: ${value}`);
      into[key] = { type, description: doc };
    };
    const section: Record<string, unknown> = {};
    lines.push(`# ${name}: one of the chart's components.`, `${name}:`);
    leaf('enabled', 'boolean', 'true', `Whether ${name} is deployed.`, '  ', section);
    leaf('replicaCount', 'integer', '1', `How many ${name} replicas run.`, '  ', section);
    leaf('logLevel', 'string', 'info', 'Log level: debug, info, warn or error.', '  ', section);
    for (const group of ['image', 'service', 'resources', 'securityContext', 'serviceAccount', 'metrics', 'persistence']) {
      const sub: Record<string, unknown> = {};
      lines.push(`  # -- ${group} settings of ${name}.`, `  ${group}:`);
      for (let k = 0; k < 4; k++) leaf(`${group}Setting${k}`, 'string', `"value-${k}"`, `Setting ${k} of ${name}'s ${group}.`, '    ', sub);
      section[group] = { type: 'object', description: `${group} settings of ${name}.`, properties: sub, additionalProperties: false };
    }
    leaf('extraArgs', 'array', '[]', `Extra arguments for ${name}.`, '  ', section);
    leaf('podAnnotations', 'object', '{}', `Annotations of ${name}'s pods.`, '  ', section);
    properties[name] = { type: 'object', properties: section, additionalProperties: false };
    lines.push('');
  }
  const schema = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties, additionalProperties: false };
  return { valuesYaml: lines.join('\n'), schema, lines: lines.length };
}

/** The layer's values as written in the profile (at `indent`), with the key being typed last. */
function valuesBlock(indent: string, typed: string): string {
  const pad = (n: number) => indent + '  '.repeat(n);
  return [`${pad(0)}component3:`, `${pad(1)}replicaCount: 2`, `${pad(0)}${TARGET}:`, `${pad(1)}replicaCount: 3`, `${pad(1)}image:`, `${pad(2)}imageSetting0: "x"`, `${pad(1)}${typed}`].join('\n') + '\n';
}

function profileText(repo: string, typed: string): string {
  return `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: bench
spec:
  version: 1.0.0
  layers:
    - name: big
      namespace: big
      helm:
        repo: ${repo}
        chart: big
        version: 1.0.0
        values:
${valuesBlock('          ', typed)}`;
}

type Server = LspProcess;

const withDeadline = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadlineMs(promise, what, WAIT_MS);

function startServer(name: string, args: string[], env: NodeJS.ProcessEnv, settings: Record<string, unknown>): Promise<Server> {
  return startLspProcess({
    name,
    args,
    env,
    settings,
    deadlineMs: WAIT_MS,
    capabilities: {
      workspace: { configuration: true },
      textDocument: { completion: { completionItem: { snippetSupport: true, documentationFormat: ['markdown', 'plaintext'] } }, diagnostic: { dynamicRegistration: false } },
    },
  });
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * 0.95) - 1)];

/** Opens `uri`, waits until completion at the typed key offers `expect`, then times RUNS edit+completion rounds. */
async function measure(server: Server, uri: string, text: (typed: string) => string, expect: string): Promise<{ times: number[]; items: number }> {
  const typedSteps = ['s', 'se', 'ser', 'serv'];
  const position = (t: string, typed: string) => {
    const lines = t.split('\n');
    const line = lines.findIndex((l) => l.trimStart() === typed && l.trim().length === typed.length);
    return { line, character: lines[line].length };
  };
  let version = 1;
  server.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'yaml', version, text: text('s') } });
  const complete = async (typed: string) =>
    withDeadline(server.connection.sendRequest<Completion | Completion['items'] | null>('textDocument/completion', { textDocument: { uri }, position: position(text(typed), typed) }), 'completion');
  const asList = (r: Completion | Completion['items'] | null): Completion => (Array.isArray(r) ? { items: r, isIncomplete: false } : (r ?? { items: [], isIncomplete: false }));
  // Warm-up: the chart is fetched (ours) and the schema loaded (theirs) before anything is timed.
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const list = asList(await complete('s'));
    if (!list.isIncomplete && list.items.some((i) => i.label === expect)) break;
    if (Date.now() > deadline) throw new Error(`${uri}: completion never offered "${expect}" (got ${list.items.length} items, incomplete ${list.isIncomplete})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const times: number[] = [];
  let items = 0;
  for (let i = 0; i < RUNS + 5; i++) {
    const typed = typedSteps[i % typedSteps.length];
    const next = text(typed);
    server.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text: next }] });
    const start = performance.now();
    const list = asList(await complete(typed));
    const ms = performance.now() - start;
    if (!list.items.some((item) => item.label === expect)) throw new Error(`${uri}: completion after "${typed}" did not offer "${expect}"`);
    items = list.items.length;
    if (i >= 5) times.push(ms);
  }
  return { times, items };
}

async function main(): Promise<void> {
  const ours = join(repoRoot, 'dist', 'server.js');
  const theirs = join(repoRoot, 'node_modules', 'yaml-language-server', 'bin', 'yaml-language-server');
  if (!existsSync(ours)) throw new Error(`${ours} is missing: run npm run build first.`);
  const tools = await ensureHelmTools();
  const dir = mkdtempSync(join(tmpdir(), 'kplane-helm-values-bench-'));
  const repo = await startChartRepo({ name: 'bench-charts' });
  try {
    const chart = generateChart();
    const chartDir = join(dir, 'big');
    mkdirSync(join(chartDir, 'templates'), { recursive: true });
    writeFileSync(join(chartDir, 'Chart.yaml'), 'apiVersion: v2\nname: big\nversion: 1.0.0\ndescription: bench:helm-values\n');
    writeFileSync(join(chartDir, 'values.yaml'), chart.valuesYaml);
    writeFileSync(join(chartDir, 'values.schema.json'), JSON.stringify(chart.schema, null, 2));
    writeFileSync(join(chartDir, 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n');
    await repo.add(await packageChart(chartDir, join(dir, 'pkg')));
    const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');
    console.log(`bench:helm-values — chart values.yaml ${chart.lines} lines, schema ${(JSON.stringify(chart.schema).length / 1024).toFixed(0)} KB; ${RUNS} completions per server; node ${process.version}, ${cpus().length} CPUs, load average ${load()}`);

    const ourServer = await startServer('kplane', [ours, '--stdio'], { ...process.env, KPLANE_CACHE: join(dir, 'cache'), KPLANE_HELM: tools.helm }, {});
    const mine = await measure(ourServer, pathToFileURL(join(dir, 'big.profile.yaml')).href, (typed) => profileText(repo.url, typed), 'serviceAccount');
    await ourServer.stop();

    const schemaFile = join(dir, 'values.schema.json');
    writeFileSync(schemaFile, JSON.stringify(chart.schema));
    const yamlSettings = { yaml: { validate: true, completion: true, schemas: { [pathToFileURL(schemaFile).href]: '*.values.yaml' }, schemaStore: { enable: false }, kubernetesCRDStore: { enable: false } } };
    const yamlLs = await startServer('yaml-language-server', [theirs, '--stdio'], process.env, yamlSettings);
    const baseline = await measure(yamlLs, pathToFileURL(join(dir, 'prod.values.yaml')).href, (typed) => valuesBlock('', typed), 'serviceAccount');
    await yamlLs.stop();

    const row = (name: string, m: { times: number[]; items: number }) =>
      console.log(`${name.padEnd(44)} median ${median(m.times).toFixed(2).padStart(7)} ms   p95 ${p95(m.times).toFixed(2).padStart(7)} ms   ${m.items} items`);
    row('kplane (helm.values in a profile, cached chart)', mine);
    row('yaml-language-server (values file + schema)', baseline);
    console.log(`ratio kplane / yaml-language-server: median ${(median(mine.times) / median(baseline.times)).toFixed(2)}×, p95 ${(p95(mine.times) / p95(baseline.times)).toFixed(2)}× (< 1: kplane is faster); target: kplane median ≤ 50 ms`);
    console.log(`load average after: ${load()}`);
  } finally {
    await repo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
