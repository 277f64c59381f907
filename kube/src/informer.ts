/**
 * An informer: list, then watch from the list's resourceVersion, keeping a store of objects by
 * namespace/name. It is the one list + watch loop (./watchLoop.ts) over one collection: a watch
 * that ends is resumed from the last resourceVersion seen; a 410 Gone (resourceVersion too old)
 * relists; errors back off exponentially (up to 30 s) so an API server restart is survived
 * without a storm.
 */
import type { KubeClient } from './kubeClient.js';
import { KubeError, type WatchEvent } from './errors.js';
import { followWatch, RelistLoop, type WatchCursor } from './watchLoop.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export type InformerHandler = (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject, previous?: KubeObject) => void;

export function storeKey(obj: { metadata: { name: string; namespace?: string } }): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

const WATCH_SECONDS = 300;

/** How many delivered versions per key observe() remembers. */
const DELIVERED_PER_KEY = 8;
/** Deleted keys whose delivered versions are kept for observe() (see there), oldest dropped first. */
const DELETED_KEYS_KEPT = 1024;

export interface InformerOptions {
  labelSelector?: string;
  onError?: (err: unknown, attempt: number) => void;
  /** Called when the informer relists: the watch's resourceVersion expired (410 Gone), or refresh(). */
  onRelist?: () => void;
  /** First retry delay; doubles per failure up to 30 s (default 200 ms). */
  backoffBaseMs?: number;
  kind?: string;
  apiVersion?: string;
  /**
   * What the store keeps of each object, from the list, the watch and observe(): e.g. digests
   * in place of big fields nobody reads from the cache. It gets the object without
   * managedFields and must not change it (observe() callers keep using theirs).
   */
  transform?: (obj: KubeObject) => KubeObject;
}

export class Informer extends RelistLoop {
  readonly store = new Map<string, KubeObject>();
  /** Recent resourceVersions delivered per key, for observe(); see there. */
  private readonly delivered = new Map<string, string[]>();
  /** Keys deleted while their delivered versions are kept, oldest first (a Map keeps insertion order). */
  private readonly deleted = new Map<string, true>();
  private readonly cursor: WatchCursor = { resourceVersion: '' };
  private syncedResolve!: () => void;
  private syncedReject!: (err: unknown) => void;
  private hasSynced = false;
  /**
   * Resolves after the first full list; rejects (and the informer stops) when that list is
   * refused for good (401/403/404: no permission, or the kind is not served), so nobody waits
   * forever on a kind the agent may not watch.
   */
  readonly synced = new Promise<void>((resolve, reject) => {
    this.syncedResolve = resolve;
    this.syncedReject = reject;
  });

  constructor(
    private readonly api: KubeClient,
    /** Collection path, e.g. /apis/apps/v1/deployments. */
    readonly path: string,
    private readonly handler: InformerHandler,
    private readonly options: InformerOptions = {},
  ) {
    super({ backoffInitialMs: options.backoffBaseMs ?? 200, backoffMaxMs: 30_000 });
  }

  protected name(): string {
    return this.path;
  }

  /** Lists only at first and after a 410: a watch that broke resumes from the last resourceVersion seen. */
  protected async round(signal: AbortSignal): Promise<void> {
    if (this.mustList) await this.list(signal);
    // The server ends the watch after watchSeconds and sends bookmarks about once a minute;
    // silence well past that is a half-open connection, which only followWatch's idle limit notices.
    await followWatch(this.api, this.path, this.cursor, {
      signal,
      requestTimeoutMs: 60_000,
      watchSeconds: WATCH_SECONDS,
      query: { labelSelector: this.options.labelSelector },
      onEvent: (event) => this.onEvent(event),
      // The server answered: the next failure starts the backoff over.
      onContact: () => (this.failures = 0),
    });
  }

  protected failed(err: unknown): number {
    if (!this.hasSynced && err instanceof KubeError && [401, 403, 404].includes(err.status ?? 0)) {
      this.stop();
      this.syncedReject(err);
      return 0;
    }
    const wait = this.nextBackoff();
    this.options.onError?.(err, this.failures);
    return wait;
  }

  protected override relisting(): void {
    this.options.onRelist?.();
  }

  private async list(signal: AbortSignal): Promise<void> {
    const list = await this.api.request<{ metadata: { resourceVersion: string }; items: KubeObject[] }>('GET', this.path, {
      query: { labelSelector: this.options.labelSelector },
      timeoutMs: 60_000,
      signal,
    });
    const seen = new Set<string>();
    for (const listed of list.items) {
      slim(listed);
      // Lists omit apiVersion/kind on items; put them back so handlers see whole objects.
      if (this.options.kind) listed.kind = this.options.kind;
      if (this.options.apiVersion) listed.apiVersion = this.options.apiVersion;
      const item = this.keep(listed);
      const key = storeKey(item);
      seen.add(key);
      const previous = this.store.get(key);
      this.store.set(key, item);
      this.deliver(key, item.metadata.resourceVersion);
      if (!previous) this.handler('ADDED', item);
      else if (previous.metadata.resourceVersion !== item.metadata.resourceVersion) this.handler('MODIFIED', item, previous);
    }
    for (const [key, obj] of [...this.store]) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.forget(key);
        this.handler('DELETED', obj);
      }
    }
    this.cursor.resourceVersion = list.metadata.resourceVersion;
    this.hasSynced = true;
    this.listed();
    this.syncedResolve();
  }

  private onEvent(event: WatchEvent<KubeObject>): void {
    const obj = this.keep(slim(event.object));
    const key = storeKey(obj);
    const previous = this.store.get(key);
    if (event.type === 'DELETED') {
      this.store.delete(key);
      this.deliver(key, obj.metadata.resourceVersion);
      this.forget(key);
      this.handler('DELETED', obj, previous);
      return;
    }
    this.store.set(key, obj);
    this.deliver(key, obj.metadata.resourceVersion);
    this.handler(previous ? 'MODIFIED' : 'ADDED', obj, previous);
  }

  /**
   * Records an object the agent itself just wrote, unless the store already holds that version or
   * a later one. resourceVersions are opaque (API conventions: compare them only for equality),
   * so "later" is decided by the watch's order instead: the watch delivers the event of our write
   * before any later change, so if it has not delivered our version yet, nothing newer is in the
   * store either. The last DELIVERED_PER_KEY versions the watch delivered per key are kept, for
   * deleted keys too: the answer to our write can come after the watch delivered that version and
   * then its deletion (someone deleted the object at once; seen in test/faults/hubOutage.test.ts
   * under load), and storing it then would keep a deleted object in the cache, where no later
   * event removes it and drift on it goes unseen.
   */
  observe(written: KubeObject): void {
    slim(written);
    const obj = this.keep(written);
    const key = storeKey(obj);
    // The write that removed the last finalizer of an object being deleted deleted it; its watch
    // DELETED event may already have come, and putting the answer back would leave a ghost.
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers as unknown[] | undefined)?.length) {
      this.store.delete(key);
      return;
    }
    const version = obj.metadata.resourceVersion;
    if (version !== undefined && this.delivered.get(key)?.includes(version)) return;
    this.store.set(key, obj);
  }

  /** The key is gone from the store: its delivered versions stay a while (bounded in keys), for observe(). */
  private forget(key: string): void {
    this.deleted.delete(key);
    this.deleted.set(key, true);
    if (this.deleted.size <= DELETED_KEYS_KEPT) return;
    const oldest = this.deleted.keys().next().value as string;
    this.deleted.delete(oldest);
    if (!this.store.has(oldest)) this.delivered.delete(oldest);
  }

  private keep(obj: KubeObject): KubeObject {
    return this.options.transform ? this.options.transform(obj) : obj;
  }

  /** Remembers that the watch or a list delivered this version of this key (bounded per key). */
  private deliver(key: string, version: string | undefined): void {
    if (version === undefined) return;
    this.deleted.delete(key);
    const seen = this.delivered.get(key) ?? [];
    seen.push(version);
    if (seen.length > DELIVERED_PER_KEY) seen.shift();
    this.delivered.set(key, seen);
  }
}

/**
 * managedFields are often the larger part of an object and the agent never reads them from the
 * cache (controller-runtime strips them for the same reason); dropping them keeps RSS down.
 */
function slim<T extends KubeObject>(obj: T): T {
  if (obj?.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}
