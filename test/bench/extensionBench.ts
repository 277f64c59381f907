/**
 * `npm run bench:extension`: the extension's own costs, without clusters, each next to a baseline
 * measured in the same run. test/vscode/suite/fleet.test.ts asserts the behaviour (activate()
 * starts no cluster I/O; 1,000 clusters give 1,000 tree items and one status write refreshes one
 * node); this prints how long it takes.
 *
 *  1. activate(): CPU and wall time of loading dist/extension.js and running activate(), in a
 *     fresh Node process per run, against the same with the cluster side (dist/runtime.js) loaded
 *     eagerly, i.e. what activation would cost without the lazy split (extension/src/runtime.ts).
 *  2. The Fleet view with 1,000 clusters in 3 groups: building every group and cluster tree item,
 *     against serialising the same 1,000 cluster views to JSON once (the data the items show; VS
 *     Code serialises the items to send them to the workbench).
 *
 * Not inside VS Code: `vscode` is a small stand-in (real EventEmitter, TreeItem, ThemeIcon; every
 * other API a no-op), so the numbers leave out the workbench's own work. Build first
 * (npm run build: dist/extension.js). KPLANE_BENCH_RUNS (default 7) processes per case.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '@kplane/bed';

const RUNS = Number(process.env.KPLANE_BENCH_RUNS ?? 7);
const TREE_REPEATS = 30;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** A `vscode` module good enough for activate() and the tree providers outside VS Code. */
function vscodeStandIn(): unknown {
  const noop = (): unknown => anything;
  // Any API the stand-in does not model: callable, constructible, every property another such;
  // `then` is absent so that awaiting it does not hang.
  const anything: unknown = new Proxy(noop, {
    get: (_t, p) => (p === 'then' ? undefined : p === Symbol.toPrimitive ? () => '' : anything),
    apply: () => anything,
    construct: () => anything as object,
  });
  const open = <T extends object>(known: T): T => new Proxy(known, { get: (t, p) => (p in t ? (t as Record<string | symbol, unknown>)[p] : anything) });
  const event = () => () => ({ dispose() {} });
  class Disposable {
    constructor(private readonly fn: () => void = () => undefined) {}
    static from(...items: { dispose(): unknown }[]) {
      return new Disposable(() => items.forEach((i) => i.dispose()));
    }
    dispose() {
      this.fn();
    }
  }
  class EventEmitter<T> {
    private listeners: ((e: T) => void)[] = [];
    readonly event = (listener: (e: T) => void) => {
      this.listeners.push(listener);
      return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
    };
    fire(e: T) {
      for (const l of [...this.listeners]) l(e);
    }
    dispose() {
      this.listeners = [];
    }
  }
  class TreeItem {
    description?: string;
    tooltip?: unknown;
    iconPath?: unknown;
    contextValue?: string;
    id?: string;
    command?: unknown;
    constructor(public label: unknown, public collapsibleState = 0) {}
  }
  class ThemeIcon {
    constructor(public id: string, public color?: unknown) {}
  }
  class ThemeColor {
    constructor(public id: string) {}
  }
  class MarkdownString {
    constructor(public value = '', public supportThemeIcons = false) {}
    appendMarkdown(s: string) {
      this.value += s;
      return this;
    }
    appendText(s: string) {
      this.value += s;
      return this;
    }
  }
  const uri = (path: string) => open({ scheme: 'file', path, fsPath: path, toString: () => `file://${path}` });
  const Uri = open({ file: uri, parse: (s: string) => uri(s.replace(/^file:\/\//, '')), joinPath: (base: { path: string }, ...parts: string[]) => uri([base.path, ...parts].join('/')), from: (c: { path: string }) => uri(c.path) });
  const configuration = open({ get: (_key: string, fallback?: unknown) => fallback, has: () => false, inspect: () => undefined, update: async () => undefined });
  // esbuild's CommonJS interop copies the module's own keys: every namespace and class the
  // bundle names must be one (unmodelled ones are `anything`).
  const rest = Object.fromEntries(
    ['commands', 'languages', 'extensions', 'env', 'tasks', 'debug', 'l10n', 'authentication', 'ProgressLocation', 'Range', 'Position', 'Selection', 'CodeLens', 'RelativePattern', 'DiagnosticSeverity', 'FileType', 'CancellationTokenSource', 'WorkspaceEdit', 'TextEdit', 'Location', 'StatusBarItem', 'QuickPickItemKind', 'TreeItemCheckboxState', 'UIKind', 'LogLevel']
      .map((name) => [name, anything]),
  );
  return open({
    ...rest,
    Disposable, EventEmitter, TreeItem, ThemeIcon, ThemeColor, MarkdownString, Uri,
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Active: -1, Beside: -2, One: 1 },
    ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
    window: open({
      createOutputChannel: () => open({ info() {}, warn() {}, error() {}, debug() {}, trace() {}, append() {}, appendLine() {}, show() {}, dispose() {} }),
      createStatusBarItem: () => open({ text: '', tooltip: '', show() {}, hide() {}, dispose() {} }),
      createTreeView: () => open({ dispose() {} }),
    }),
    workspace: open({
      getConfiguration: () => configuration,
      isTrusted: true,
      textDocuments: [],
      workspaceFolders: undefined,
      onDidGrantWorkspaceTrust: event(),
      onDidChangeConfiguration: event(),
      onDidOpenTextDocument: event(),
      onDidCloseTextDocument: event(),
      onDidChangeTextDocument: event(),
    }),
  });
}

interface ChildResult {
  loadCpuMs: number;
  activateCpuMs: number;
  activateMs: number;
  treeMs?: number;
  jsonMs?: number;
  ratio?: number;
  items?: number;
}

/** Runs in a fresh process: loads the bundle under the stand-in, activates, measures the tree. */
async function child(eager: boolean, tree: boolean): Promise<ChildResult> {
  const require = createRequire(import.meta.url);
  const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
  const standIn = vscodeStandIn();
  const load = Module._load;
  Module._load = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? standIn : load.call(this, request, ...rest);
  };
  const dist = join(repoRoot(), 'dist');
  const cpu = process.cpuUsage();
  const extension = require(join(dist, 'extension.js')) as { activate(context: unknown): Record<string, any> };
  if (eager) require(join(dist, 'runtime.js'));
  const loaded = process.cpuUsage(cpu);
  const context = { subscriptions: [] as unknown[], extensionPath: repoRoot(), globalStorageUri: { scheme: 'memory', path: '/' }, extensionUri: { scheme: 'file', path: repoRoot() } };
  const api = extension.activate(context);
  const result: ChildResult = { loadCpuMs: (loaded.user + loaded.system) / 1000, activateCpuMs: api.activationCpuMs as number, activateMs: api.activationMs as number };
  if (tree) Object.assign(result, await buildTree(api));
  return result;
}

/** The 1,000-cluster tree of test/vscode/suite/fleet.test.ts, built TREE_REPEATS times each way. */
async function buildTree(api: Record<string, any>): Promise<{ treeMs: number; jsonMs: number; ratio: number; items: number }> {
  const model = new api.fleet.model.constructor(Date.now);
  const service = { model, groupBy: 'env', errors: [], ensureStarted: () => undefined, onDidStart: () => ({ dispose: () => undefined }) };
  const tree = new api.fleetTree.constructor(service);
  const ids = Array.from({ length: 1000 }, (_, i) => `c${String(i).padStart(4, '0')}`);
  model.setClusters(ids.map((id) => ({ id })));
  const now = new Date().toISOString();
  ids.forEach((id, i) =>
    model.setAgent(id, {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterAgent',
      metadata: { name: 'agent', namespace: 'kplane-system' },
      spec: { labels: { env: ['prod', 'staging', 'dev'][i % 3] }, heartbeatInterval: '1h' },
      status: { heartbeatTime: now, agentVersion: '0.1.0', nodes: { total: 3, ready: 3 } },
    }),
  );
  await new Promise<void>((resolve) => {
    const sub = tree.onDidFlush(() => (sub.dispose(), resolve()));
  });
  const treeTimes: number[] = [];
  const jsonTimes: number[] = [];
  let items = 0;
  let sink = 0;
  for (let r = 0; r < TREE_REPEATS; r++) {
    let started = performance.now();
    items = 0;
    for (const g of tree.getChildren()) for (const c of tree.getChildren(g)) items += tree.getTreeItem(c) ? 1 : 0;
    treeTimes.push(performance.now() - started);
    started = performance.now();
    sink += JSON.stringify(model.list()).length > 1000 ? 1 : 0;
    jsonTimes.push(performance.now() - started);
  }
  tree.dispose();
  if (sink !== TREE_REPEATS || items !== 1000) throw new Error(`the tree built ${items} items, not 1,000`);
  // The ratio per build (tree then JSON, back to back), so that a slice of CPU lost to other
  // work weighs on one pair rather than on one side.
  return { treeMs: median(treeTimes), jsonMs: median(jsonTimes), ratio: median(treeTimes.map((t, i) => t / jsonTimes[i])), items };
}

function runChild(eager: boolean, tree: boolean): ChildResult {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'child', JSON.stringify({ eager, tree })], { encoding: 'utf8', timeout: 120_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) throw new Error(`bench child failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line) as ChildResult;
}

function main(): void {
  const lazy: ChildResult[] = [];
  const eager: ChildResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    lazy.push(runChild(false, true));
    eager.push(runChild(true, false));
  }
  const m = (rs: ChildResult[], f: (r: ChildResult) => number) => median(rs.map(f));
  const cpuLazy = m(lazy, (r) => r.loadCpuMs + r.activateCpuMs);
  const cpuEager = m(eager, (r) => r.loadCpuMs + r.activateCpuMs);
  const treeMs = m(lazy, (r) => r.treeMs!);
  const jsonMs = m(lazy, (r) => r.jsonMs!);
  console.log(`bench:extension — median of ${RUNS} fresh processes per case; vscode is a stand-in (no workbench)`);
  console.log('activation (load dist/extension.js + activate()):');
  console.log(`  lazy (as shipped)          : ${cpuLazy.toFixed(1)} ms CPU (activate() alone ${m(lazy, (r) => r.activateCpuMs).toFixed(1)} ms CPU, ${m(lazy, (r) => r.activateMs).toFixed(1)} ms wall)`);
  console.log(`  baseline: runtime eagerly  : ${cpuEager.toFixed(1)} ms CPU`);
  console.log(`  ratio eager/lazy           : ${(cpuEager / cpuLazy).toFixed(2)}×`);
  console.log(`Fleet view, 1,000 clusters in 3 groups (median of ${TREE_REPEATS} builds per process):`);
  console.log(`  all ${lazy[0].items} tree items       : ${treeMs.toFixed(2)} ms`);
  console.log(`  baseline: the views as JSON: ${jsonMs.toFixed(2)} ms`);
  console.log(`  ratio tree/JSON            : ${m(lazy, (r) => r.ratio!).toFixed(2)}× (median of the per-build ratios)`);
}

if (process.argv[2] === 'child') {
  const { eager, tree } = JSON.parse(process.argv[3]) as { eager: boolean; tree: boolean };
  child(eager, tree).then(
    (r) => {
      console.log(JSON.stringify(r));
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.stack : String(err));
      process.exit(1);
    },
  );
} else {
  main();
}
