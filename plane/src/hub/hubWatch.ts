/**
 * A hub, watched: one list + watch over all namespaces per kind (ClusterAgents, ClusterProfiles,
 * heartbeat Leases), demultiplexed by namespace `kplane-member-<name>` into fleet members
 * `hub:<context>/<name>` of the FleetModel (docs/hub.md). However many members, the plane holds
 * three watch streams to one API server, where direct mode holds two per cluster.
 *
 * The retry rules are direct mode's (@kplane/kube's RelistLoop): relist on 410 Gone, backoff on
 * failure, every request with a deadline. When the hub cannot be reached its members turn
 * Unreachable with their last known state; a member whose Lease is not renewed turns Stale, then
 * Unreachable, on its own (../fleet/clusterState.ts).
 */
import { AGENT_OBJECT_NAME, AGENT_PLURAL, API_VERSION, HUB_LEASE_NAME, PROFILE_PLURAL, type ClusterAgent, type ClusterProfile } from '@kplane/profile';
import { followWatch, KubeError, RelistLoop, type KubeClient, type WatchLog } from '@kplane/kube';
import type { FleetModel } from '../fleet/fleetModel.js';
import { memberNamespace, parseHubMemberId, type LeaseObject } from '../fleet/hubMembers.js';
import { HubMirror, type HubKind } from '../fleet/hubMirror.js';

export interface HubWatchOptions {
  /** Deadline for each list page and for a watch to connect. */
  requestTimeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  watchSeconds: number;
  /** Items per list page: a hub of 10,000 members is listed in pages, not one 30 MB answer. */
  pageSize?: number;
  /** Each watch is read at most this often (KubeClient WatchOptions.coalesceMs); 0: as events come. */
  coalesceMs?: number;
  log?: WatchLog;
}

export const DEFAULT_HUB_WATCH_OPTIONS: HubWatchOptions = {
  requestTimeoutMs: 10_000,
  backoffInitialMs: 500,
  backoffMaxMs: 30_000,
  watchSeconds: 300,
  pageSize: 500,
  coalesceMs: 100,
};

/** Where the plane writes a member's profiles: the hub's client and the member's namespace. */
export interface HubTarget {
  client: KubeClient;
  namespace: string;
}

interface Collection {
  path: string;
  /** Server-side filter: only the objects the contract names (other Leases live on every API server). */
  fieldSelector?: string;
}

const AGENTS: Collection = { path: `/apis/${API_VERSION}/${AGENT_PLURAL}`, fieldSelector: `metadata.name=${AGENT_OBJECT_NAME}` };
const PROFILES: Collection = { path: `/apis/${API_VERSION}/${PROFILE_PLURAL}` };
const LEASES: Collection = { path: '/apis/coordination.k8s.io/v1/leases', fieldSelector: `metadata.name=${HUB_LEASE_NAME}` };

type Item = { metadata: { name: string; namespace?: string; resourceVersion?: string; managedFields?: unknown } };

export class HubWatch extends RelistLoop {
  /** Set while the hub cannot be listed (no CRDs, no access, unreachable): for the CLI and the log. */
  problem: string | undefined;
  private readonly mirror: HubMirror;

  constructor(
    /** The hub's kubeconfig context. */
    readonly context: string,
    readonly client: KubeClient,
    private readonly model: FleetModel,
    private readonly options: HubWatchOptions = DEFAULT_HUB_WATCH_OPTIONS,
  ) {
    super(options);
    this.mirror = new HubMirror(context, model, Date.now);
  }

  override stop(): void {
    super.stop();
    this.client.close();
    this.mirror.clear();
  }

  /** Fleet ids of the members known now. */
  memberIds(): string[] {
    return this.mirror.memberIds();
  }

  /** The hub and namespace to write `id`'s profiles to, or undefined when `id` is not a member of this hub. */
  target(id: string): HubTarget | undefined {
    const parsed = parseHubMemberId(id);
    if (!parsed || parsed.hub !== this.context) return undefined;
    return { client: this.client, namespace: memberNamespace(parsed.name) };
  }

  protected name(): string {
    return `hub ${this.context}`;
  }

  protected async round(signal: AbortSignal): Promise<void> {
    const [agents, profiles, leases] = await Promise.all([this.list(AGENTS, signal), this.list(PROFILES, signal), this.list(LEASES, signal)]);
    this.mirror.replace({ agents: agents.items as ClusterAgent[], profiles: profiles.items as ClusterProfile[], leases: leases.items as LeaseObject[] });
    this.problem = undefined;
    this.listed();
    await Promise.race([
      this.follow(AGENTS, 'agent', agents.resourceVersion, signal),
      this.follow(PROFILES, 'profile', profiles.resourceVersion, signal),
      this.follow(LEASES, 'lease', leases.resourceVersion, signal),
    ]);
  }

  protected failed(err: unknown): number {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof KubeError && err.status === 429) return this.nextBackoff();
    if (err instanceof KubeError && err.status === 404) {
      this.problem = `hub ${this.context} does not serve the kplane CRDs; run "kplane hub init --context ${this.context}"`;
    } else if (err instanceof KubeError && (err.status === 401 || err.status === 403)) {
      this.problem = `hub ${this.context} refuses to list members (${err.status}): the plane needs list/watch on clusteragents, clusterprofiles and leases in all namespaces; ${message}`;
    } else {
      this.problem = `hub ${this.context} unreachable: ${message.replace(`${this.context}: `, '')}`;
    }
    // Members keep their last known state; the connection is the hub's, shared by all.
    this.mirror.disconnected(message.replace(`${this.context}: `, ''));
    this.settle();
    const wait = err instanceof KubeError && err.status === 404 ? this.options.backoffMaxMs : this.nextBackoff();
    this.log?.('warn', `${this.problem}; retrying in ${Math.round(wait / 1000)}s`);
    return wait;
  }

  /** A whole collection over all namespaces, page by page, at one resourceVersion. */
  private async list(collection: Collection, signal: AbortSignal): Promise<{ items: Item[]; resourceVersion: string }> {
    const items: Item[] = [];
    let next: string | undefined;
    let resourceVersion = '';
    do {
      // A continue token that outlived etcd's compaction (a slow list of a big hub) fails with
      // 410 Gone, and the loop starts the list over.
      const page = await this.client.request<{ items: Item[]; metadata: { resourceVersion: string; continue?: string } }>('GET', collection.path, {
        query: { limit: this.options.pageSize ?? 500, continue: next, fieldSelector: collection.fieldSelector },
        timeoutMs: this.options.requestTimeoutMs,
        signal,
      });
      for (const item of page.items) {
        // managedFields are most of a small object and the plane never reads them (as the agent's informer).
        delete item.metadata.managedFields;
        items.push(item);
      }
      resourceVersion = page.metadata.resourceVersion;
      next = page.metadata.continue || undefined;
    } while (next);
    return { items, resourceVersion };
  }

  private follow(collection: Collection, kind: HubKind, resourceVersion: string, signal: AbortSignal): Promise<void> {
    return followWatch(this.client, collection.path, { resourceVersion }, {
      ...this.options,
      signal,
      query: { fieldSelector: collection.fieldSelector },
      // One change notice per hand-over (options.coalesceMs), not per event.
      batch: (deliver) => this.model.batch(deliver),
      onEvent: (event) => {
        const object = event.object as Item | undefined;
        if (!object?.metadata || event.type === 'BOOKMARK') return;
        delete object.metadata.managedFields;
        this.mirror.apply(kind, event.type, object);
      },
    });
  }
}
