/**
 * What every watch of the plane shares, a cluster's (./clusterWatch.ts) or a hub's
 * (../hub/hubWatch.ts): rounds of list-then-watch that relist after any break (level-triggered,
 * so nothing missed while away is lost), at once on 410 Gone or a refresh, after a jittered
 * exponential backoff (@kplane/kube's backoffDelay) on failure; and a watch stream followed from a
 * resourceVersion, renewed when the server ends it, with a deadline to connect and an idle limit.
 */
import { backoffDelay, KubeError, type WatchEvent, type KubeClient } from '@kplane/kube';

export type WatchLog = (level: 'info' | 'warn' | 'error' | 'debug', message: string) => void;

/** The watch's resourceVersion expired (410 Gone), or a refresh was asked for: relist now. */
export class Relist extends Error {}

export interface StreamOptions {
  /** Deadline for a watch to connect. */
  requestTimeoutMs: number;
  /** Server-side watch duration; the watch is renewed from its resourceVersion after it. */
  watchSeconds: number;
}

/**
 * Follows a watch from `resourceVersion` until `signal` aborts; throws Relist on 410 Gone and
 * KubeError on any other failure. `onEvent` gets every event but bookmarks.
 */
export async function followWatch(
  client: KubeClient,
  path: string,
  query: Record<string, string | undefined>,
  resourceVersion: string,
  signal: AbortSignal,
  options: StreamOptions,
  onEvent: (event: WatchEvent) => void,
  onContact?: () => void,
): Promise<void> {
  let version = resourceVersion;
  while (!signal.aborted) {
    const seconds = Math.round(options.watchSeconds * (0.9 + Math.random() * 0.2));
    try {
      await client.watch(
        path,
        { ...query, resourceVersion: version, allowWatchBookmarks: true, timeoutSeconds: seconds },
        (event) => {
          version = event.object?.metadata?.resourceVersion ?? version;
          onContact?.();
          if (event.type !== 'BOOKMARK') onEvent(event);
        },
        // Bookmarks arrive about once a minute; silence well beyond the watch's own end is a dead connection.
        { connectTimeoutMs: options.requestTimeoutMs, idleMs: (seconds + 30) * 1000, signal },
      );
    } catch (err) {
      if (err instanceof KubeError && err.status === 410) throw new Relist(`${path}: resourceVersion ${version} expired`);
      throw err;
    }
  }
}

/**
 * The retry loop around list + watch rounds. A subclass lists and watches in round(); a round
 * that ends by Relist starts over at once; any other failure goes to failed(), which says how long
 * to wait (usually nextBackoff()) before the next round.
 */
export abstract class RelistLoop {
  private stopped = false;
  private current: AbortController | undefined;
  private wake: (() => void) | undefined;
  /** Failed rounds in a row. */
  private attempt = 0;
  /** Resolves once the first list succeeded or failed: the CLI waits on this. */
  readonly settled: Promise<void>;
  private settleNow!: () => void;

  constructor(protected readonly log: WatchLog | undefined, private readonly backoff: { backoffInitialMs: number; backoffMaxMs: number }) {
    this.settled = new Promise((resolve) => (this.settleNow = resolve));
  }

  /** Lists (the round is healthy once it did: call listed()) and watches until the signal aborts or something breaks. */
  protected abstract round(signal: AbortSignal): Promise<void>;
  /** A round failed with `err` (not Relist): record it and return how long to wait. */
  protected abstract failed(err: unknown): number;
  protected abstract name(): string;

  start(): this {
    void this.loop();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.current?.abort();
    this.wake?.();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Relist now (the Refresh command), skipping any backoff wait. */
  refresh(): void {
    this.attempt = 0;
    this.current?.abort(new Relist('refresh'));
    this.wake?.();
  }

  /** The list part of a round worked: reset the backoff. */
  protected listed(): void {
    this.attempt = 0;
    this.settleNow();
  }

  protected settle(): void {
    this.settleNow();
  }

  protected nextBackoff(): number {
    return backoffDelay(this.attempt++, { initialMs: this.backoff.backoffInitialMs, maxMs: this.backoff.backoffMaxMs });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const round = (this.current = new AbortController());
      try {
        await this.round(round.signal);
        // A round only ends by throwing, unless stopped.
      } catch (err) {
        round.abort();
        if (this.stopped) break;
        if (err instanceof Relist || round.signal.reason instanceof Relist) {
          this.log?.('debug', `${this.name()}: relisting (${err instanceof Error ? err.message : 'refresh'})`);
          continue;
        }
        await this.sleep(this.failed(err));
      }
    }
  }

  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
