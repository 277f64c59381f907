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
import { followWatch, KubeError, RelistLoop, type WatchEvent, type KubeClient } from '@kplane/kube';

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

export class ClusterWatch extends RelistLoop {
  constructor(
    readonly id: string,
    readonly client: KubeClient,
    private readonly model: FleetModel,
    private readonly options: WatchOptions = DEFAULT_WATCH_OPTIONS,
  ) {
    super(options);
  }

  override stop(): void {
    super.stop();
    this.client.close();
  }

  protected name(): string {
    return this.id;
  }

  private get base(): string {
    return `/apis/${API_VERSION}/namespaces/${encodeURIComponent(this.options.namespace)}`;
  }

  /** Always lists: a cluster back from a failure is listed afresh, and marked connected by that list. */
  protected async round(signal: AbortSignal): Promise<void> {
    const versions = await this.list(signal);
    this.model.setConnection(this.id, { kind: 'connected', since: Date.now() });
    this.listed();
    // Both watches run until either breaks; then the round ends and everything is relisted.
    await Promise.race([
      this.follow(AGENT_PLURAL, versions.agents, signal, (e) => this.onAgent(e)),
      this.follow(PROFILE_PLURAL, versions.profiles, signal, (e) => this.onProfile(e)),
    ]);
  }

  protected failed(err: unknown): number {
    if (err instanceof KubeError && err.status === 404) {
      // The kplane CRDs are not installed: reachable, but no agent. Check again later.
      this.model.setConnection(this.id, { kind: 'connected', since: Date.now() });
      this.model.setCrdsInstalled(this.id, false);
      this.settle();
      return this.options.backoffMaxMs;
    }
    // Too many requests: the server is there, just busy. Not Unreachable; try again soon.
    if (err instanceof KubeError && err.status === 429) return this.nextBackoff();
    const message = err instanceof Error ? err.message : String(err);
    this.model.setConnection(this.id, { kind: 'unreachable', since: Date.now(), error: message.replace(`${this.id}: `, '') });
    this.settle();
    const wait = this.nextBackoff();
    this.log?.('warn', `${message}; retrying in ${Math.round(wait / 1000)}s`);
    return wait;
  }

  private async list(signal: AbortSignal): Promise<{ agents: string; profiles: string }> {
    const opts = { timeoutMs: this.options.requestTimeoutMs, signal };
    const gate = this.options.gate ?? ((work) => work());
    const [agents, profiles] = await gate(() => Promise.all([
      this.client.request<{ items: ClusterAgent[]; metadata: { resourceVersion: string } }>('GET', `${this.base}/${AGENT_PLURAL}`, opts),
      this.client.request<{ items: ClusterProfile[]; metadata: { resourceVersion: string } }>('GET', `${this.base}/${PROFILE_PLURAL}`, opts),
    ]));
    // Shapes are checked at the model's boundary (fleet/clusterObjects.ts); only the lists themselves here.
    const items = (list: unknown, plural: string): unknown[] => {
      const x = (list as { items?: unknown } | undefined)?.items;
      if (!Array.isArray(x)) throw new Error(`${this.id}: the API server answered the list of ${plural} with something that is not a list`);
      return x;
    };
    this.model.setAgent(this.id, items(agents, AGENT_PLURAL).find((a) => (a as ClusterAgent | null)?.metadata?.name === AGENT_OBJECT_NAME) as ClusterAgent | undefined);
    this.model.replaceProfiles(this.id, items(profiles, PROFILE_PLURAL) as ClusterProfile[]);
    return { agents: String(agents.metadata?.resourceVersion ?? ''), profiles: String(profiles.metadata?.resourceVersion ?? '') };
  }

  private follow(plural: string, resourceVersion: string, signal: AbortSignal, handle: (e: WatchEvent) => void): Promise<void> {
    return followWatch(this.client, `${this.base}/${plural}`, { resourceVersion }, { ...this.options, signal, onEvent: handle, onContact: () => this.model.touch(this.id) });
  }

  private onAgent(event: WatchEvent): void {
    const agent = event.object as ClusterAgent | null;
    if (agent?.metadata?.name !== AGENT_OBJECT_NAME) return;
    this.model.setAgent(this.id, event.type === 'DELETED' ? undefined : agent);
  }

  private onProfile(event: WatchEvent): void {
    const profile = event.object as ClusterProfile;
    if (event.type === 'DELETED') {
      if (typeof profile?.metadata?.name === 'string') this.model.deleteProfile(this.id, profileKey(profile));
    }
    else this.model.setProfile(this.id, profile);
  }
}
