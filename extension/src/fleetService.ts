/**
 * The fleet as the extension holds it: settings → kubeconfig contexts → one watch per cluster →
 * the pure FleetModel. Started lazily (first time a view is shown or a command needs it), so
 * activation does no cluster I/O and does not even load the Kubernetes client. Settings changes
 * restart it. In an untrusted workspace it does not start at all (no kubeconfig read, no exec
 * plugin, no request) until the user trusts the workspace. No `vscode` import: extension.ts
 * passes the settings, workspace trust and the cluster runtime in, so a unit test can too.
 */
import type * as vscode from 'vscode';
import { DEFAULT_NAMESPACE } from '@kplane/profile';
import { FleetModel } from '@kplane/plane';
import type { FleetWatcher, FleetContext, ProfileTarget } from '@kplane/plane/cluster';
import type { KubeClient } from '@kplane/kube';

/** Workspace trust as FleetService needs it; extension.ts adapts vscode.workspace to it. */
export interface WorkspaceTrust {
  readonly isTrusted: boolean;
  onDidGrant(listener: () => void): { dispose(): void };
}

/** Shown in the Fleet view and by every command that would reach a cluster. */
export const UNTRUSTED_WORKSPACE =
  'This workspace is not trusted, so kplane reads no kubeconfig and contacts no cluster while it is open (a kubeconfig exec plugin runs a program, and cluster actions would take profiles from files you have not vetted). Profiles are still checked. Trust the workspace ("Workspaces: Manage Workspace Trust") to see the fleet.';

/** What start() loads on first use: @kplane/plane/cluster (extension.ts: its bundle, runtime.js). */
export type FleetRuntime = Pick<typeof import('@kplane/plane/cluster'), 'DEFAULT_WATCH_OPTIONS' | 'FleetWatcher' | 'fleetContexts' | 'insecureContextWarning' | 'loadKubeconfig'>;

export interface FleetServiceDeps {
  log: Pick<vscode.LogOutputChannel, 'debug' | 'info' | 'warn' | 'error'>;
  readSettings: () => FleetSettings;
  trust: WorkspaceTrust;
  loadRuntime: () => Promise<FleetRuntime>;
}

/** vscode.EventEmitter's shape, without vscode. */
class Emitter {
  private listeners = new Set<() => void>();
  readonly event = (listener: () => void): { dispose(): void } => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(): void {
    for (const l of [...this.listeners]) l();
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export interface FleetSettings {
  kubeconfig: string;
  contexts: string[];
  /** A hub's context (docs/hub.md); empty: no hub. */
  hub: string;
  namespace: string;
  timeoutMs: number;
  staleMultiplier: number;
  groupBy: string;
}

/** `c`: vscode.workspace.getConfiguration('kplane'). */
export function readSettings(c: Pick<vscode.WorkspaceConfiguration, 'get'>): FleetSettings {
  return {
    kubeconfig: c.get<string>('fleet.kubeconfig', '') ?? '',
    contexts: c.get<string[]>('fleet.contexts', []) ?? [],
    hub: (c.get<string>('fleet.hub', '') ?? '').trim(),
    namespace: c.get<string>('fleet.namespace', DEFAULT_NAMESPACE) || DEFAULT_NAMESPACE,
    timeoutMs: Math.max(1, c.get<number>('watch.timeoutSeconds', 10) ?? 10) * 1000,
    staleMultiplier: Math.max(1, c.get<number>('staleThresholdMultiplier', 3) ?? 3),
    groupBy: c.get<string>('fleet.groupBy', 'env') ?? '',
  };
}

export class FleetService {
  readonly model: FleetModel;
  private watcher: FleetWatcher | undefined;
  private starting: Promise<void> | undefined;
  private contexts: FleetContext[] = [];
  private settings: FleetSettings;
  private readonly onDidStartEmitter = new Emitter();
  /** Fires when the set of contexts changed (start, settings change, trust granted). */
  readonly onDidStart = this.onDidStartEmitter.event;
  private startErrors: string[] = [];
  private readonly log: FleetServiceDeps['log'];
  private readonly granted: { dispose(): void };

  constructor(private readonly deps: FleetServiceDeps) {
    this.log = deps.log;
    this.settings = deps.readSettings();
    // Trust granted while the window is open: start (or restart the untrusted non-start) now.
    this.granted = deps.trust.onDidGrant(() => {
      if (this.started) void this.restart();
    });
    this.model = new FleetModel(Date.now, { staleMultiplier: this.settings.staleMultiplier, defaultHeartbeatMs: 30_000 });
    this.model.onEvents((notice) => {
      // The first read lists up to 200 old events per cluster: at 1,000 clusters, noise, not news.
      if (notice.initial) return this.log.debug(`${notice.cluster}: ${notice.fresh.length} earlier agent event(s) on record`);
      if (notice.lost) this.log.warn(`${notice.cluster}: ${notice.lost} agent event(s) were lost while the plane was not watching (the agent keeps a bounded list)`);
      const prefix = notice.caughtUp ? 'caught up' : 'event';
      for (const e of notice.fresh) this.log[e.severity === 'Warning' ? 'warn' : 'info'](`${notice.cluster}: ${prefix} #${e.seq} ${e.time} ${e.reason}: ${e.message}`);
    });
  }

  /** Whether the fleet may reach clusters: the workspace is trusted. */
  get trusted(): boolean {
    return this.deps.trust.isTrusted;
  }

  /** Problems with the kubeconfig, context names or the hub, shown as tree nodes. */
  get errors(): string[] {
    return [...this.startErrors, ...(this.watcher?.hubProblems() ?? [])];
  }

  get started(): boolean {
    return this.starting !== undefined;
  }

  get groupBy(): string {
    return this.settings.groupBy;
  }

  /** Starts watching if not yet; idempotent. */
  ensureStarted(): void {
    void this.ready();
  }

  /** Resolves once the cluster adapters are loaded and every watch has been started. */
  ready(): Promise<void> {
    this.starting ??= this.start().catch((err: unknown) => {
      this.startErrors = [`kplane could not start watching the fleet: ${err instanceof Error ? err.message : String(err)}. See the kplane output.`];
      this.log.error(this.startErrors[0]);
      this.onDidStartEmitter.fire();
    });
    return this.starting;
  }

  async restart(): Promise<void> {
    await this.starting;
    this.watcher?.dispose();
    this.watcher = undefined;
    this.settings = this.deps.readSettings();
    this.model.setOptions({ staleMultiplier: this.settings.staleMultiplier, defaultHeartbeatMs: 30_000 });
    this.starting = undefined;
    await this.ready();
  }

  private async start(): Promise<void> {
    if (!this.deps.trust.isTrusted) {
      this.startErrors = [UNTRUSTED_WORKSPACE];
      this.contexts = [];
      this.log.warn(UNTRUSTED_WORKSPACE);
      this.onDidStartEmitter.fire();
      return;
    }
    const { DEFAULT_WATCH_OPTIONS, FleetWatcher, fleetContexts, insecureContextWarning, loadKubeconfig } = await this.deps.loadRuntime();
    const s = this.settings;
    const loaded = loadKubeconfig(s.kubeconfig);
    const hubs = s.hub ? fleetContexts(loaded.kubeConfig, [s.hub]) : { contexts: [], unknown: [] };
    const found = fleetContexts(loaded.kubeConfig, s.contexts);
    // "Every context" does not include the hub itself: it is where members are read, not one of them.
    const contexts = s.contexts.length ? found.contexts : found.contexts.filter((c) => c.name !== s.hub);
    this.startErrors = [
      ...loaded.errors,
      ...found.unknown.map((name) => `Context "${name}" (setting kplane.fleet.contexts) is not in the kubeconfig; run "kplane: Add Clusters from Kubeconfig…" to choose again.`),
      ...hubs.unknown.map((name) => `Hub context "${name}" (setting kplane.fleet.hub) is not in the kubeconfig; fix the setting or the kubeconfig.`),
    ];
    // Shown in the tree with the errors, and logged: a context whose API server is not verified.
    for (const c of [...contexts, ...hubs.contexts]) if (c.insecure) this.startErrors.push(insecureContextWarning(c));
    if (!contexts.length && !hubs.contexts.length && !this.startErrors.length) this.startErrors.push('No kubeconfig contexts found. Set KUBECONFIG or kplane.fleet.kubeconfig, then run "kplane: Add Clusters from Kubeconfig…".');
    for (const e of this.startErrors) this.log.warn(e);
    this.contexts = contexts;
    this.watcher = new FleetWatcher(this.model, {
      ...DEFAULT_WATCH_OPTIONS,
      namespace: s.namespace,
      requestTimeoutMs: s.timeoutMs,
      log: (level, message) => this.log[level](message),
    });
    this.watcher.setContexts(contexts);
    this.watcher.setHubs(hubs.contexts);
    // Heartbeats of 10s and more: a 2s tick is plenty to notice one 3x overdue.
    this.watcher.startTicker(2000);
    this.log.info(`watching ${contexts.length} cluster(s) in namespace ${s.namespace}: ${contexts.map((c) => c.name).join(', ')}${s.hub ? `; and the members of hub ${s.hub}` : ''}`);
    this.onDidStartEmitter.fire();
  }

  /** The client that reads and writes the cluster's profiles (a hub member's: its hub's); undefined until ready() resolved or when the id is not in the fleet. */
  client(id: string): KubeClient | undefined {
    return this.watcher?.client(id);
  }

  /** Where the cluster's profiles are written: its API server, or its namespace on its hub. */
  target(id: string): ProfileTarget | undefined {
    return this.watcher?.target(id);
  }

  context(id: string): FleetContext | undefined {
    return this.contexts.find((c) => c.name === id);
  }

  refresh(id?: string): void {
    if (!this.watcher) return this.ensureStarted();
    this.watcher.refresh(id);
  }

  /** The context names in the fleet (after ready()). */
  contextNames(): string[] {
    return this.contexts.map((c) => c.name);
  }

  get timeoutMs(): number {
    return this.settings.timeoutMs;
  }

  get namespace(): string {
    return this.settings.namespace;
  }

  dispose(): void {
    this.granted.dispose();
    this.watcher?.dispose();
    this.onDidStartEmitter.dispose();
  }
}
