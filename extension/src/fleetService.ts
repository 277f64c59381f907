/**
 * The fleet as the extension holds it: settings → kubeconfig contexts → one watch per cluster →
 * the pure FleetModel. Started lazily (first time a view is shown or a command needs it), so
 * activation does no cluster I/O and does not even load the Kubernetes client. Settings changes
 * restart it.
 */
import * as vscode from 'vscode';
import { DEFAULT_NAMESPACE } from '@kplane/profile';
import { FleetModel } from '@kplane/plane';
import type { FleetWatcher, FleetContext } from '@kplane/plane/cluster';
import type { KubeClient } from '@kplane/kube/client';

export interface FleetSettings {
  kubeconfig: string;
  contexts: string[];
  namespace: string;
  timeoutMs: number;
  staleMultiplier: number;
  groupBy: string;
}

export function readSettings(): FleetSettings {
  const c = vscode.workspace.getConfiguration('kplane');
  return {
    kubeconfig: c.get<string>('fleet.kubeconfig', '') ?? '',
    contexts: c.get<string[]>('fleet.contexts', []) ?? [],
    namespace: c.get<string>('fleet.namespace', DEFAULT_NAMESPACE) || DEFAULT_NAMESPACE,
    timeoutMs: Math.max(1, c.get<number>('watch.timeoutSeconds', 10) ?? 10) * 1000,
    staleMultiplier: Math.max(1, c.get<number>('staleThresholdMultiplier', 3) ?? 3),
    groupBy: c.get<string>('fleet.groupBy', 'env') ?? '',
  };
}

export class FleetService implements vscode.Disposable {
  readonly model: FleetModel;
  private watcher: FleetWatcher | undefined;
  private starting: Promise<void> | undefined;
  private contexts: FleetContext[] = [];
  private settings: FleetSettings;
  private readonly onDidStartEmitter = new vscode.EventEmitter<void>();
  /** Fires when the set of contexts changed (start, settings change). */
  readonly onDidStart = this.onDidStartEmitter.event;
  /** Problems with the kubeconfig or context names, shown as tree nodes. */
  errors: string[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.settings = readSettings();
    this.model = new FleetModel(Date.now, { staleMultiplier: this.settings.staleMultiplier, defaultHeartbeatMs: 30_000 });
    this.model.onEvents((notice) => {
      // The first read lists up to 200 old events per cluster: at 1,000 clusters, noise, not news.
      if (notice.initial) return this.log.debug(`${notice.cluster}: ${notice.fresh.length} earlier agent event(s) on record`);
      if (notice.lost) this.log.warn(`${notice.cluster}: ${notice.lost} agent event(s) were lost while the plane was not watching (the agent keeps a bounded list)`);
      const prefix = notice.caughtUp ? 'caught up' : 'event';
      for (const e of notice.fresh) this.log[e.severity === 'Warning' ? 'warn' : 'info'](`${notice.cluster}: ${prefix} #${e.seq} ${e.time} ${e.reason}: ${e.message}`);
    });
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
      this.errors = [`kplane could not start watching the fleet: ${err instanceof Error ? err.message : String(err)}. See the kplane output.`];
      this.log.error(this.errors[0]);
      this.onDidStartEmitter.fire();
    });
    return this.starting;
  }

  async restart(): Promise<void> {
    await this.starting;
    this.watcher?.dispose();
    this.watcher = undefined;
    this.settings = readSettings();
    this.model.setOptions({ staleMultiplier: this.settings.staleMultiplier, defaultHeartbeatMs: 30_000 });
    this.starting = undefined;
    await this.ready();
  }

  private async start(): Promise<void> {
    const { DEFAULT_WATCH_OPTIONS, FleetWatcher, fleetContexts, loadKubeconfig } = await import('./runtime.js');
    const s = this.settings;
    const loaded = loadKubeconfig(s.kubeconfig);
    const { contexts, unknown } = fleetContexts(loaded.kubeConfig, s.contexts);
    this.errors = [
      ...loaded.errors,
      ...unknown.map((name) => `Context "${name}" (setting kplane.fleet.contexts) is not in the kubeconfig; run "kplane: Add Clusters from Kubeconfig…" to choose again.`),
    ];
    if (!contexts.length && !this.errors.length) this.errors.push('No kubeconfig contexts found. Set KUBECONFIG or kplane.fleet.kubeconfig, then run "kplane: Add Clusters from Kubeconfig…".');
    for (const e of this.errors) this.log.warn(e);
    this.contexts = contexts;
    this.watcher = new FleetWatcher(this.model, {
      ...DEFAULT_WATCH_OPTIONS,
      namespace: s.namespace,
      requestTimeoutMs: s.timeoutMs,
      log: (level, message) => this.log[level](message),
    });
    this.watcher.setContexts(contexts);
    // Heartbeats of 10s and more: a 2s tick is plenty to notice one 3x overdue.
    this.watcher.startTicker(2000);
    this.log.info(`watching ${contexts.length} cluster(s) in namespace ${s.namespace}: ${contexts.map((c) => c.name).join(', ')}`);
    this.onDidStartEmitter.fire();
  }

  /** The cluster's client; undefined until ready() resolved or when the id is not in the fleet. */
  client(id: string): KubeClient | undefined {
    return this.watcher?.client(id);
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
    this.watcher?.dispose();
    this.onDidStartEmitter.dispose();
  }
}
