/**
 * One watch per cluster on its ClusterAgent and ClusterProfiles (list, then watch from the list's
 * resourceVersion), feeding the fleet model. Level-triggered like an informer: after any break it
 * relists, so nothing missed while away is lost; on 410 Gone it relists at once; on failure it
 * marks the cluster Unreachable and retries with jittered exponential backoff. Every request has
 * a deadline, and each cluster runs its own loop, so a dead API server never holds up the others.
 */
import { AGENT_OBJECT_NAME, AGENT_PLURAL, API_VERSION, PROFILE_PLURAL, type ClusterAgent, type ClusterProfile } from '@kplane/profile';
import type { FleetModel } from '../fleet/fleetModel.js';
import { profileKey } from '../fleet/fleetModel.js';
import { backoffDelay, KubeError, type WatchEvent } from '@kplane/kube';
import type { KubeClient } from '@kplane/kube/client';

export interface WatchOptions {
  namespace: string;
  /** Deadline for each list and for a watch to connect. */
  requestTimeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Server-side watch duration; the watch is renewed from its resourceVersion after it. */
  watchSeconds: number;
  log?: (level: 'info' | 'warn' | 'error' | 'debug', message: string) => void;
  /** Watches over shared HTTP/2 sessions (default true). */
  http2?: boolean;
  /** Limits how many clusters list at once, so 1,000 contexts on one API server do not trip its inflight limit. */
  gate?: <T>(work: () => Promise<T>) => Promise<T>;
}

export const DEFAULT_WATCH_OPTIONS: WatchOptions = {
  namespace: 'kplane-system',
  requestTimeoutMs: 10_000,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  watchSeconds: 300,
};

class Gone extends Error {}

export class ClusterWatch {
  private stopped = false;
  private round: AbortController | undefined;
  private wake: (() => void) | undefined;
  /** Failed rounds in a row; the wait before the next one is backoffDelay(attempt) of @kplane/kube. */
  private attempt = 0;
  /** Resolves once the first list succeeded or failed: the CLI waits on this. */
  readonly settled: Promise<void>;
  private settle!: () => void;

  constructor(
    readonly id: string,
    readonly client: KubeClient,
    private readonly model: FleetModel,
    private readonly options: WatchOptions = DEFAULT_WATCH_OPTIONS,
  ) {
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  start(): this {
    void this.loop();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.round?.abort();
    this.wake?.();
    this.client.close();
  }

  /** Relist now (the Refresh command), skipping any backoff wait. */
  refresh(): void {
    this.attempt = 0;
    this.round?.abort(new Gone('refresh'));
    this.wake?.();
  }

  private get base(): string {
    return `/apis/${API_VERSION}/namespaces/${encodeURIComponent(this.options.namespace)}`;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const round = (this.round = new AbortController());
      try {
        const versions = await this.list(round.signal);
        this.model.setConnection(this.id, { kind: 'connected', since: Date.now() });
        this.settle();
        this.attempt = 0;
        // Both watches run until either breaks; then the round ends and everything is relisted.
        await Promise.race([
          this.watchForever(AGENT_PLURAL, versions.agents, round.signal, (e) => this.onAgent(e)),
          this.watchForever(PROFILE_PLURAL, versions.profiles, round.signal, (e) => this.onProfile(e)),
        ]);
      } catch (err) {
        round.abort();
        if (this.stopped) break;
        if (err instanceof Gone || round.signal.reason instanceof Gone) {
          this.log('debug', `${this.id}: relisting (${err instanceof Error ? err.message : 'refresh'})`);
          continue;
        }
        if (err instanceof KubeError && err.status === 404) {
          // The kplane CRDs are not installed: reachable, but no agent. Check again later.
          this.model.setConnection(this.id, { kind: 'connected', since: Date.now() });
          this.model.setCrdsInstalled(this.id, false);
          this.settle();
          await this.sleep(this.options.backoffMaxMs);
          continue;
        }
        if (err instanceof KubeError && err.status === 429) {
          // Too many requests: the server is there, just busy. Not Unreachable; try again soon.
          await this.sleep(this.nextBackoff());
          continue;
        }
        const message = err instanceof Error ? err.message : String(err);
        this.model.setConnection(this.id, { kind: 'unreachable', since: Date.now(), error: message.replace(`${this.id}: `, '') });
        this.settle();
        const wait = this.nextBackoff();
        this.log('warn', `${message}; retrying in ${Math.round(wait / 1000)}s`);
        await this.sleep(wait);
      }
    }
  }

  private nextBackoff(): number {
    return backoffDelay(this.attempt++, { initialMs: this.options.backoffInitialMs, maxMs: this.options.backoffMaxMs });
  }

  private async list(signal: AbortSignal): Promise<{ agents: string; profiles: string }> {
    const opts = { timeoutMs: this.options.requestTimeoutMs, signal };
    const gate = this.options.gate ?? ((work) => work());
    const [agents, profiles] = await gate(() => Promise.all([
      this.client.request<{ items: ClusterAgent[]; metadata: { resourceVersion: string } }>('GET', `${this.base}/${AGENT_PLURAL}`, opts),
      this.client.request<{ items: ClusterProfile[]; metadata: { resourceVersion: string } }>('GET', `${this.base}/${PROFILE_PLURAL}`, opts),
    ]));
    this.model.setAgent(this.id, agents.items.find((a) => a.metadata.name === AGENT_OBJECT_NAME));
    this.model.replaceProfiles(this.id, profiles.items);
    return { agents: agents.metadata.resourceVersion, profiles: profiles.metadata.resourceVersion };
  }

  private async watchForever(plural: string, resourceVersion: string, signal: AbortSignal, handle: (e: WatchEvent) => void): Promise<void> {
    let version = resourceVersion;
    while (!signal.aborted) {
      const seconds = Math.round(this.options.watchSeconds * (0.9 + Math.random() * 0.2));
      try {
        await this.client.watch(
          `${this.base}/${plural}`,
          { resourceVersion: version, allowWatchBookmarks: true, timeoutSeconds: seconds },
          (event) => {
            version = event.object?.metadata?.resourceVersion ?? version;
            this.model.touch(this.id);
            if (event.type !== 'BOOKMARK') handle(event);
          },
          // Bookmarks arrive about once a minute; silence well beyond the watch's own end is a dead connection.
          { connectTimeoutMs: this.options.requestTimeoutMs, idleMs: (seconds + 30) * 1000, signal },
        );
      } catch (err) {
        if (err instanceof KubeError && err.status === 410) throw new Gone(`${plural}: resourceVersion ${version} expired`);
        throw err;
      }
    }
  }

  private onAgent(event: WatchEvent): void {
    const agent = event.object as ClusterAgent;
    if (agent.metadata?.name !== AGENT_OBJECT_NAME) return;
    this.model.setAgent(this.id, event.type === 'DELETED' ? undefined : agent);
  }

  private onProfile(event: WatchEvent): void {
    const profile = event.object as ClusterProfile;
    if (event.type === 'DELETED') this.model.deleteProfile(this.id, profileKey(profile));
    else this.model.setProfile(this.id, profile);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private log(level: 'info' | 'warn' | 'error' | 'debug', message: string): void {
    this.options.log?.(level, message);
  }
}
