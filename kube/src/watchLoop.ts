/**
 * The one list + watch loop of kplane, under the agent's Informer (./informer.ts) and the plane's
 * cluster and hub watches (plane/src/cluster/clusterWatch.ts, plane/src/hub/hubWatch.ts): rounds of
 * list-then-watch; a 410 Gone (an expired resourceVersion or list continue token) or a refresh
 * relists at once; any other failure waits a jittered exponential backoff (./backoff.ts). A watch
 * stream is followed from a resourceVersion, renewed when the server ends it, with a deadline to
 * connect and an idle limit. resourceVersions are opaque: only passed back, never compared.
 */
import { backoffDelay } from './backoff.js';
import { hasStatus, type WatchEvent } from './errors.js';
import type { KubeClient, Query } from './kubeClient.js';

export type WatchLog = (level: 'info' | 'warn' | 'error' | 'debug', message: string) => void;

/** Where a watch resumes: followWatch advances it with every event, bookmarks included. */
export interface WatchCursor {
  resourceVersion: string;
}

export interface FollowOptions {
  signal: AbortSignal;
  /** Deadline for a watch to connect. */
  requestTimeoutMs: number;
  /** Server-side watch duration (±10 % jitter); the watch is renewed from its resourceVersion after it. */
  watchSeconds: number;
  /** Selectors; the resourceVersion comes from the cursor. */
  query?: Query;
  /** Every event but bookmarks. */
  onEvent: (event: WatchEvent) => void;
  /** Every event, bookmarks included: the server is there. */
  onContact?: () => void;
  /** As KubeClient.watch's (./kubeClient.ts WatchOptions). */
  coalesceMs?: number;
  batch?: (deliver: () => void) => void;
}

/**
 * Follows a watch from `from` until `options.signal` aborts; rejects with the KubeError of any
 * failure (status 410 when the resourceVersion expired). `from` holds the last resourceVersion
 * seen, so a caller may resume there.
 */
export async function followWatch(client: KubeClient, path: string, from: WatchCursor, options: FollowOptions): Promise<void> {
  const { signal, onEvent, onContact } = options;
  while (!signal.aborted) {
    const seconds = Math.round(options.watchSeconds * (0.9 + Math.random() * 0.2));
    await client.watch(
      path,
      { ...options.query, resourceVersion: from.resourceVersion, timeoutSeconds: seconds },
      (event) => {
        from.resourceVersion = event.object?.metadata?.resourceVersion ?? from.resourceVersion;
        onContact?.();
        if (event.type !== 'BOOKMARK') onEvent(event);
      },
      // Bookmarks arrive about once a minute; silence well beyond the watch's own end is a dead connection.
      { connectTimeoutMs: options.requestTimeoutMs, idleMs: (seconds + 30) * 1000, signal, coalesceMs: options.coalesceMs, batch: options.batch },
    );
  }
}

/** A refresh was asked for: the round's signal aborts with this reason. */
class Relist extends Error {}

export interface LoopOptions {
  /** The first wait after a failure; it doubles per failure in a row up to backoffMaxMs (±20 % jitter). */
  backoffInitialMs: number;
  backoffMaxMs: number;
  log?: WatchLog;
}

/**
 * The retry loop around list + watch rounds. A subclass lists (then calls listed()) and watches in
 * round(); a round that fails with a 410 Gone, or is cut by refresh(), starts over at once with
 * `mustList` set; any other failure goes to failed(), which says how long to wait (usually
 * nextBackoff()) before the next round.
 */
export abstract class RelistLoop {
  private ended = false;
  private running = false;
  private current: AbortController | undefined;
  private wake: (() => void) | undefined;
  /** Failed rounds since the server last answered (nextBackoff() counts them, listed() resets them). */
  protected failures = 0;
  /** The next round must list: at first, and after a 410 Gone or a refresh. listed() clears it. */
  protected mustList = true;
  /** Resolves once the first list succeeded or failed: the CLI waits on this. */
  readonly settled: Promise<void>;
  private settleNow!: () => void;
  protected readonly log: WatchLog | undefined;

  constructor(private readonly loopOptions: LoopOptions) {
    this.log = loopOptions.log;
    this.settled = new Promise((resolve) => (this.settleNow = resolve));
  }

  /** Lists when it must (or always), then watches until the signal aborts or something breaks. */
  protected abstract round(signal: AbortSignal): Promise<void>;
  /** A round failed with `err` (not a 410): record it and return how long to wait. */
  protected abstract failed(err: unknown): number;
  protected abstract name(): string;

  start(): this {
    if (!this.running) {
      this.running = true;
      void this.run();
    }
    return this;
  }

  stop(): void {
    this.ended = true;
    this.current?.abort();
    this.wake?.();
  }

  get stopped(): boolean {
    return this.ended;
  }

  /** Relist now (the Refresh command), skipping any backoff wait. */
  refresh(): void {
    this.failures = 0;
    this.mustList = true;
    this.current?.abort(new Relist('refresh'));
    this.wake?.();
  }

  /** The list part of a round worked: reset the backoff. */
  protected listed(): void {
    this.failures = 0;
    this.mustList = false;
    this.settleNow();
  }

  protected settle(): void {
    this.settleNow();
  }

  /** The wait before the next round; counts a failure. */
  protected nextBackoff(): number {
    return backoffDelay(this.failures++, { initialMs: this.loopOptions.backoffInitialMs, maxMs: this.loopOptions.backoffMaxMs });
  }

  /** A relist is about to happen (410 Gone or refresh). */
  protected relisting(reason: Error): void {
    this.log?.('debug', `${this.name()}: relisting (${reason.message})`);
  }

  private async run(): Promise<void> {
    while (!this.ended) {
      const round = (this.current = new AbortController());
      let failure: unknown;
      try {
        await this.round(round.signal);
      } catch (err) {
        failure = err;
      }
      round.abort();
      if (this.ended) break;
      const relist = round.signal.reason instanceof Relist ? round.signal.reason : hasStatus(failure, 410) ? failure : undefined;
      if (relist) {
        this.mustList = true;
        this.relisting(relist);
        continue;
      }
      // A round only ends without failure when its signal aborted: stopped, or refreshed.
      if (failure !== undefined) await this.sleep(this.failed(failure));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.ended) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
