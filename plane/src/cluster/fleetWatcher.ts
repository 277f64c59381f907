/**
 * Owns one ClusterWatch per directly watched context, one HubWatch per hub, and the clock tick
 * that moves staleness along. A fleet may mix both: direct clusters are kubeconfig contexts,
 * hub members are `hub:<context>/<name>`.
 */
import type { FleetModel } from '../fleet/fleetModel.js';
import { parseHubMemberId } from '../fleet/hubMembers.js';
import { ClusterWatch, DEFAULT_WATCH_OPTIONS, type WatchOptions } from './clusterWatch.js';
import { KubeClient, kubeConfigConnection } from '@kplane/kube';
import type { FleetContext } from './kubeconfigContexts.js';
import { DEFAULT_HUB_WATCH_OPTIONS, HubWatch } from '../hub/hubWatch.js';
import type { ProfileTarget } from './profileActions.js';

export class FleetWatcher {
  private readonly watches = new Map<string, ClusterWatch>();
  private readonly hubs = new Map<string, HubWatch>();
  private ticker: ReturnType<typeof setInterval> | undefined;
  private readonly gate: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(
    readonly model: FleetModel,
    private options: WatchOptions = DEFAULT_WATCH_OPTIONS,
    concurrentLists = 32,
  ) {
    this.gate = semaphore(concurrentLists);
  }

  /** Starts watches for new contexts and stops those no longer wanted. */
  setContexts(contexts: readonly FleetContext[]): void {
    const wanted = new Map(contexts.map((c) => [c.name, c]));
    for (const [id, watch] of this.watches) {
      if (!wanted.has(id)) {
        watch.stop();
        this.watches.delete(id);
      }
    }
    this.model.setClusters(contexts.map((c) => ({ id: c.name, server: c.server })));
    for (const context of contexts) {
      if (this.watches.has(context.name)) continue;
      const watch = new ClusterWatch(context.name, new KubeClient(kubeConfigConnection(context.kubeConfig), { context: context.name, http2: this.options.http2 ?? true }), this.model, {
        ...this.options,
        namespace: context.kplaneNamespace ?? this.options.namespace,
        gate: this.gate,
      });
      this.watches.set(context.name, watch.start());
    }
  }

  /** Starts a HubWatch per hub context not yet watched and stops (and forgets the members of) the others. */
  setHubs(hubs: readonly FleetContext[]): void {
    const wanted = new Set(hubs.map((h) => h.name));
    for (const [name, hub] of this.hubs) {
      if (!wanted.has(name)) {
        hub.stop();
        this.hubs.delete(name);
      }
    }
    for (const hub of hubs) {
      if (this.hubs.has(hub.name)) continue;
      const client = new KubeClient(kubeConfigConnection(hub.kubeConfig), { context: hub.name, http2: this.options.http2 ?? true });
      const watch = new HubWatch(hub.name, client, this.model, { ...DEFAULT_HUB_WATCH_OPTIONS, ...this.options });
      this.hubs.set(hub.name, watch.start());
    }
  }

  /** Problems of the hubs (no CRDs, no access, unreachable), each naming the hub and what to do. */
  hubProblems(): string[] {
    return [...this.hubs.values()].flatMap((h) => (h.problem ? [h.problem] : []));
  }

  /** Re-derives states every `ms` so heartbeats go Stale without an event. */
  startTicker(ms: number): void {
    this.stopTicker();
    this.ticker = setInterval(() => this.model.tick(), ms);
    this.ticker.unref?.();
  }

  stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** The client that reads and writes `id`'s profiles: its own, or its hub's. */
  client(id: string): KubeClient | undefined {
    return this.target(id)?.client;
  }

  /** Where `id`'s profiles are written: its own API server, or its namespace on its hub. */
  target(id: string): ProfileTarget | undefined {
    const direct = this.watches.get(id);
    if (direct) return { client: direct.client };
    const member = parseHubMemberId(id);
    return member ? this.hubs.get(member.hub)?.target(id) : undefined;
  }

  refresh(id?: string): void {
    const member = id !== undefined ? parseHubMemberId(id) : undefined;
    if (member) this.hubs.get(member.hub)?.refresh();
    else if (id) this.watches.get(id)?.refresh();
    else for (const w of [...this.watches.values(), ...this.hubs.values()]) w.refresh();
  }

  /** Resolves when every cluster has answered or failed once (or after `timeoutMs`). */
  async settled(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.watches.values(), ...this.hubs.values()].map((w) => w.settled)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  dispose(): void {
    this.stopTicker();
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
    for (const h of this.hubs.values()) h.stop();
    this.hubs.clear();
  }
}

function semaphore(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
