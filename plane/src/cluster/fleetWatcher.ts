/**
 * Owns one ClusterWatch per fleet context and the clock tick that moves staleness along.
 */
import type { FleetModel } from '../fleet/fleetModel.js';
import { ClusterWatch, DEFAULT_WATCH_OPTIONS, type WatchOptions } from './clusterWatch.js';
import { KubeClient } from '@kplane/kube/client';
import type { FleetContext } from './kubeconfigContexts.js';

export class FleetWatcher {
  private readonly watches = new Map<string, ClusterWatch>();
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
      const watch = new ClusterWatch(context.name, new KubeClient(context.kubeConfig, context.name, this.options.requestTimeoutMs, this.options.http2 ?? true), this.model, {
        ...this.options,
        namespace: context.kplaneNamespace ?? this.options.namespace,
        gate: this.gate,
      });
      this.watches.set(context.name, watch.start());
    }
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

  client(id: string): KubeClient | undefined {
    return this.watches.get(id)?.client;
  }

  refresh(id?: string): void {
    if (id) this.watches.get(id)?.refresh();
    else for (const w of this.watches.values()) w.refresh();
  }

  /** Resolves when every cluster has answered or failed once (or after `timeoutMs`). */
  async settled(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.watches.values()].map((w) => w.settled)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  dispose(): void {
    this.stopTicker();
    for (const w of this.watches.values()) w.stop();
    this.watches.clear();
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
