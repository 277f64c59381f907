/**
 * The agent in hub mode (docs/hub.md), beside the normal agent, which goes on enforcing the local
 * profiles whatever happens to the hub:
 * - profiles: the hub namespace's ClusterProfiles are watched and copied into the local agent
 *   namespace (spec, paused included), local copies whose hub object is gone are deleted, and each
 *   copy's status is mirrored onto the hub object when it changed. Level-triggered: each pass
 *   compares the hub's list with the local copies, so a relist after an outage picks up every
 *   change (and removal) made meanwhile, not a replay of edits.
 * - ClusterAgent status: the summary written to the hub when it changed, and the event stream
 *   caught up by seq (../core/hubMirror.ts), under the hub object's resourceVersion, so a write
 *   whose answer was lost is read back instead of sent twice; unsent events wait in ./hubOutbox.ts.
 * - heartbeat: the Lease agent-heartbeat, renewed every interval (a cheap write, not a status write).
 */
import {
  AGENT_OBJECT_NAME,
  AGENT_PLURAL,
  ANNOTATION_HUB_GENERATION,
  ANNOTATION_HUB_UID,
  API_VERSION,
  HUB_LEASE_NAME,
  LABEL_HUB_SOURCE,
  PROFILE_KIND,
  PROFILE_PLURAL,
  UNTRACKED_FIELDS,
  type AgentEvent,
  type ClusterAgent,
  type ClusterAgentStatus,
  type ClusterProfile,
} from '@kplane/profile';
import { Informer, KubeError, delay, type KubeClient, type KubeObject } from '@kplane/kube';
import { canonicalJson, hubProfileStatus, mergeEvents, nextEventWrite, summaryOf, summarySignature, type HubEventState } from '../core/hubMirror.js';
import type { Logger } from '../controller/logger.js';
import { HubOutbox } from './hubOutbox.js';

export interface HubSyncOptions {
  hub: KubeClient;
  local: KubeClient;
  /** The member's namespace on the hub. */
  hubNamespace: string;
  /** The agent's namespace on its own cluster, where local copies live. */
  localNamespace: string;
  identity: string;
  heartbeatMs: number;
  log: Logger;
  /** The agent's local profiles (its informer's store, keyed namespace/name). */
  localProfiles: () => ReadonlyMap<string, KubeObject>;
  /** Lets the agent's profile cache see a copy written here before its watch does. */
  observeLocal: (obj: KubeObject) => void;
  /** The events the agent holds now, its next seq, and the last status it wrote locally. */
  events: () => readonly AgentEvent[];
  nextSeq: () => number;
  summary: () => ClusterAgentStatus | undefined;
}

const MAX_BACKOFF_MS = 15_000;
/** While cut off, new events reach the outbox within this long. */
const OUTBOX_SAVE_DELAY_MS = 1_000;
/** A full compare of every hub profile with its local copy, in case a watch event went missing. */
const RESYNC_MS = 5 * 60_000;
const microTime = (d: Date) => d.toISOString().replace('Z', '000Z');

export class HubSync {
  private informer?: Informer;
  /** The current informer has listed the hub's profiles at least once: only then is a missing hub profile really gone. */
  private listed = false;
  private lastError = '';
  private pending: AgentEvent[] = [];
  /** The hub ClusterAgent as last read or written; undefined = read it before the next write. */
  private hubAgent?: { resourceVersion: string; state: HubEventState; signature: string };
  private readonly dirty = new Set<string>();
  private readonly outbox: HubOutbox;
  private kickPublish = new AbortController();
  private kickProfiles = new AbortController();
  private kickLease = new AbortController();
  /** false from the first failed hub request until one succeeds again. */
  connected = true;
  private outboxDirty = false;
  readonly stats = { statusWrites: 0, eventsSent: 0, profileCopies: 0, profileDeletes: 0, statusMirrors: 0, leaseRenewals: 0 };

  constructor(private readonly o: HubSyncOptions) {
    this.outbox = new HubOutbox(o.local, o.localNamespace);
  }

  private get hubProfilesPath(): string {
    return `/apis/${API_VERSION}/namespaces/${this.o.hubNamespace}/${PROFILE_PLURAL}`;
  }

  private get localProfilesPath(): string {
    return `/apis/${API_VERSION}/namespaces/${this.o.localNamespace}/${PROFILE_PLURAL}`;
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const restored = await this.restoreOutbox(signal);
    // The agent's own log decides which seqs exist: an outbox event at or past its nextSeq was
    // stored by an agent that died before its local status had it, and the seq will be reused.
    const next = this.o.nextSeq();
    this.pending = mergeEvents(restored.filter((e) => e.seq < next), this.o.events());
    this.o.log.info('hub mode', { hub: this.o.hub.server, namespace: this.o.hubNamespace, pendingEvents: this.pending.length });
    await Promise.all([this.watchLoop(signal), this.profileLoop(signal), this.publishLoop(signal), this.leaseLoop(signal)]);
  }

  /** A new agent event (from the reporter), with its seq. */
  onEvent(event: AgentEvent): void {
    this.pending = mergeEvents(this.pending, [event]);
    this.kickPublish.abort();
    // Cut off, the publish loop sleeps in its backoff (up to 15 s): store new events well
    // before that, so a crash meanwhile loses none beyond the local status window.
    if (!this.connected) this.scheduleOutboxSave();
  }

  private outboxTimer: NodeJS.Timeout | undefined;
  private scheduleOutboxSave(): void {
    if (this.outboxTimer) return;
    this.outboxTimer = setTimeout(() => {
      this.outboxTimer = undefined;
      if (!this.connected) void this.saveOutbox();
    }, OUTBOX_SAVE_DELAY_MS);
    this.outboxTimer.unref();
  }

  /** The agent wrote its local status. */
  onStatus(): void {
    this.kickPublish.abort();
  }

  /** A local profile changed: if it is (or collides with) a hub profile, compare again. */
  onLocalProfile(obj: KubeObject): void {
    if (obj.metadata.namespace !== this.o.localNamespace) return;
    if (obj.metadata.labels?.[LABEL_HUB_SOURCE] !== undefined || this.informer?.store.has(`${this.o.hubNamespace}/${obj.metadata.name}`)) {
      this.dirty.add(obj.metadata.name);
      this.kickProfiles.abort();
    }
  }

  private async restoreOutbox(signal: AbortSignal): Promise<AgentEvent[]> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        return await this.outbox.restore();
      } catch (err) {
        this.o.log.warn('cannot read the hub outbox (configmaps list in the agent namespace); retrying', { err, attempt });
        await delay(Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt), signal);
      }
    }
    return [];
  }

  // --- profiles ---------------------------------------------------------------------------

  /** The hub profile watch; an informer refused for good (401/403 before its first list) is made anew. */
  private async watchLoop(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; !signal.aborted; attempt++) {
      const informer = new Informer(this.o.hub, this.hubProfilesPath, (_type, obj) => {
        this.dirty.add(obj.metadata.name);
        this.kickProfiles.abort();
      }, {
        kind: PROFILE_KIND,
        apiVersion: API_VERSION,
        backoffBaseMs: 500,
        onError: (err, n) => {
          this.disconnected(err, 'profile watch');
          this.o.log.debug('hub profile watch failed; retrying', { err, attempt: n });
        },
        onRelist: () => this.o.log.info('hub watch expired (410 Gone); relisting'),
      });
      this.informer = informer;
      this.listed = false;
      informer.start();
      const stop = () => informer.stop();
      signal.addEventListener('abort', stop, { once: true });
      try {
        await informer.synced;
        this.listed = true;
        this.o.log.info('hub profiles listed', { count: informer.store.size });
        this.resyncAll();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        return;
      } catch (err) {
        this.o.log.warn('the hub refuses to list this member\'s profiles; check the member\'s hub token (kplane hub join --update)', { err, attempt });
        await delay(Math.min(60_000, 5_000 * attempt), signal);
      } finally {
        signal.removeEventListener('abort', stop);
      }
    }
  }

  private resyncAll(): void {
    for (const obj of this.informer?.store.values() ?? []) this.dirty.add(obj.metadata.name);
    for (const obj of this.o.localProfiles().values()) if (obj.metadata.namespace === this.o.localNamespace && obj.metadata.labels?.[LABEL_HUB_SOURCE] !== undefined) this.dirty.add(obj.metadata.name);
    this.kickProfiles.abort();
  }

  private async profileLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    let lastResync = Date.now();
    while (!signal.aborted) {
      if (this.kickProfiles.signal.aborted) this.kickProfiles = new AbortController();
      const informer = this.informer;
      if (informer && this.listed && !informer.stopped && this.dirty.size) {
        const names = [...this.dirty];
        this.dirty.clear();
        let failed = false;
        for (const name of names) {
          if (signal.aborted) return;
          try {
            await this.syncProfile(informer, name);
          } catch (err) {
            failed = true;
            this.dirty.add(name);
            this.o.log.warn('hub profile sync failed; retrying', { profile: name, err });
          }
        }
        failures = failed ? failures + 1 : 0;
        if (failed) {
          await delay(Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures), signal);
          continue;
        }
      }
      if (Date.now() - lastResync > RESYNC_MS) {
        lastResync = Date.now();
        this.resyncAll();
        continue;
      }
      await delay(RESYNC_MS, AbortSignal.any([signal, this.kickProfiles.signal]));
    }
  }

  /** One profile, both ways: hub spec → local copy (or its deletion), local status → hub status. */
  private async syncProfile(informer: Informer, name: string): Promise<void> {
    const hub = informer.store.get(`${this.o.hubNamespace}/${name}`) as ClusterProfile | undefined;
    const local = this.o.localProfiles().get(`${this.o.localNamespace}/${name}`) as ClusterProfile | undefined;
    const ours = local?.metadata.labels?.[LABEL_HUB_SOURCE] !== undefined;
    if (!hub || hub.metadata.deletionTimestamp) {
      if (local && ours && !local.metadata.deletionTimestamp) {
        this.o.log.info('profile removed on the hub; deleting the local copy', { profile: name });
        await this.o.local.request('DELETE', `${this.localProfilesPath}/${name}`).catch(ignore404);
        this.stats.profileDeletes++;
      }
      return;
    }
    if (local && !ours) {
      this.o.log.warn('a local profile not from the hub has the name of a hub profile; the hub profile is not applied', { profile: name });
      return;
    }
    if (local?.metadata.deletionTimestamp) return; // copied again once the deletion is done
    const hubGeneration = String(hub.metadata.generation ?? 0);
    const labels = { ...(local?.metadata.labels ?? {}), [LABEL_HUB_SOURCE]: this.o.hubNamespace };
    const annotations = { ...(local?.metadata.annotations ?? {}), [ANNOTATION_HUB_UID]: hub.metadata.uid ?? '', [ANNOTATION_HUB_GENERATION]: hubGeneration };
    if (!local) {
      const created = await this.o.local.request<KubeObject>('POST', this.localProfilesPath, {
        body: { apiVersion: API_VERSION, kind: PROFILE_KIND, metadata: { name, namespace: this.o.localNamespace, labels, annotations }, spec: hub.spec },
      });
      this.o.observeLocal(created);
      this.stats.profileCopies++;
      this.o.log.info('profile copied from the hub', { profile: name, hubGeneration });
      return;
    }
    const specDiffers = canonicalJson(local.spec) !== canonicalJson(hub.spec);
    if (specDiffers || canonicalJson(local.metadata.labels) !== canonicalJson(labels) || canonicalJson(local.metadata.annotations) !== canonicalJson(annotations)) {
      // A whole-object update under the copy's resourceVersion: the spec becomes exactly the
      // hub's (fields removed there go here too); a 409 means a newer copy, compared next pass.
      const updated = await this.o.local.request<KubeObject>('PUT', `${this.localProfilesPath}/${name}`, {
        body: { ...local, metadata: { ...local.metadata, labels, annotations }, spec: hub.spec, status: undefined },
      });
      this.o.observeLocal(updated);
      this.stats.profileCopies++;
      this.o.log.info('profile updated from the hub', { profile: name, hubGeneration, spec: specDiffers });
      return;
    }
    if (!local.status) return;
    const copiedFrom = Number(local.metadata.annotations?.[ANNOTATION_HUB_GENERATION] ?? 0);
    const status = hubProfileStatus(local.status, local.metadata.generation ?? 0, copiedFrom);
    if (canonicalJson(status) === canonicalJson(hub.status ?? {})) return;
    const written = await this.hubCall(() =>
      this.o.hub.request<KubeObject>('PATCH', `${this.hubProfilesPath}/${name}/status`, {
        // "add" of /status replaces it whole: the hub copy says exactly what the local one says.
        body: [{ op: 'add', path: '/status', value: status }],
        contentType: 'application/json-patch+json',
      }),
    );
    informer.observe(written);
    this.stats.statusMirrors++;
    // The answer may carry a spec newer than the one compared above (edited meanwhile); once in
    // the cache, a relist would see no change for it, so compare again now.
    if (written.metadata.generation !== hub.metadata.generation || written.metadata.uid !== hub.metadata.uid) {
      this.dirty.add(name);
      this.kickProfiles.abort();
    }
  }

  // --- ClusterAgent status and events --------------------------------------------------------

  private async publishLoop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      if (this.kickPublish.signal.aborted) this.kickPublish = new AbortController();
      let more = false;
      try {
        more = await this.publish();
        failures = 0;
        this.lastError = '';
        if (this.outbox.holding || this.outboxDirty) await this.saveOutbox();
      } catch (err) {
        failures++;
        this.hubAgent = undefined;
        if (err instanceof KubeError && err.status === 409) {
          // The hub object changed under us (the plane edited its spec): read it again.
          await delay(100, signal);
          continue;
        }
        this.disconnected(err, 'status');
        if (this.connected && String(err) !== this.lastError) this.o.log.warn('cannot write the hub ClusterAgent status; retrying', { err });
        this.lastError = String(err);
        if (this.pending.length) {
          this.outboxDirty = true;
          await this.saveOutbox();
        }
        await delay(Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures), signal);
        continue;
      }
      if (more) continue;
      // Wake for a new event or status, and at least every heartbeat to notice a lost connection.
      await delay(this.o.heartbeatMs, AbortSignal.any([signal, this.kickPublish.signal]));
      // Events come in bursts (one per condition flip); one write carries the burst.
      if (!signal.aborted) await delay(200, signal);
    }
  }

  /** One status write if the hub lacks something; true when more events wait for another write. */
  private async publish(): Promise<boolean> {
    const summary = this.o.summary();
    if (!this.hubAgent) {
      const agent = await this.hubCall(() => this.o.hub.request<ClusterAgent>('GET', `/apis/${API_VERSION}/namespaces/${this.o.hubNamespace}/${AGENT_PLURAL}/${AGENT_OBJECT_NAME}`));
      this.hubAgent = { resourceVersion: agent.metadata.resourceVersion ?? '', state: { events: agent.status?.events ?? [], ...(agent.status?.nextSeq !== undefined ? { nextSeq: agent.status.nextSeq } : {}) }, signature: summarySignature(agent.status) };
    }
    const hub = this.hubAgent;
    if (hub.state.nextSeq !== undefined) {
      const from = hub.state.nextSeq;
      this.pending = this.pending.filter((e) => e.seq >= from || from > this.o.nextSeq());
    }
    const write = nextEventWrite(hub.state, this.pending, this.o.nextSeq());
    const summaryChanged = !!summary && summarySignature(summary) !== hub.signature;
    if (!write && !summaryChanged) return false;
    const status: ClusterAgentStatus = {
      ...(summary ? summaryOf(summary) : {}),
      heartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(write ? { events: write.events, nextSeq: write.nextSeq } : {}),
    };
    const written = await this.hubCall(() =>
      this.o.hub.request<ClusterAgent>('PATCH', `/apis/${API_VERSION}/namespaces/${this.o.hubNamespace}/${AGENT_PLURAL}/${AGENT_OBJECT_NAME}/status`, {
        body: { metadata: { resourceVersion: hub.resourceVersion }, status },
        contentType: 'application/merge-patch+json',
      }),
    );
    this.stats.statusWrites++;
    this.hubAgent = { resourceVersion: written.metadata.resourceVersion ?? '', state: { events: written.status?.events ?? [], ...(written.status?.nextSeq !== undefined ? { nextSeq: written.status.nextSeq } : {}) }, signature: summarySignature(written.status) };
    if (write) {
      this.stats.eventsSent += write.sent.length;
      this.pending = this.pending.filter((e) => e.seq >= write.nextSeq);
      if (write.reset) this.o.log.warn('the hub had a higher event seq than this agent (its local state was recreated); the hub\'s event stream starts over', { hubNextSeq: hub.state.nextSeq, nextSeq: write.nextSeq });
      this.outboxDirty = true;
      return this.pending.length > 0 && !write.reset;
    }
    return false;
  }

  private saving: Promise<void> = Promise.resolve();
  /** One save at a time (the timer and the publish loop both save), each storing the pending events of its moment. */
  private saveOutbox(): Promise<void> {
    this.saving = this.saving.then(async () => {
      try {
        await this.outbox.save(this.pending);
        this.outboxDirty = false;
      } catch (err) {
        this.o.log.warn('cannot store unsent hub events in the local cluster; they stay in memory', { err, pending: this.pending.length });
      }
    });
    return this.saving;
  }

  // --- heartbeat -------------------------------------------------------------------------------

  private async leaseLoop(signal: AbortSignal): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${this.o.hubNamespace}/leases`;
    const seconds = Math.max(1, Math.round((this.o.heartbeatMs * 3) / 1000));
    // Whether the hub's Lease carries managedFields (profile/src/hub.ts UNTRACKED_FIELDS); until an answer says not, assume so.
    let tracked = true;
    while (!signal.aborted) {
      if (this.kickLease.signal.aborted) this.kickLease = new AbortController();
      const now = new Date();
      const spec = { holderIdentity: this.o.identity, leaseDurationSeconds: seconds, renewTime: microTime(now) };
      try {
        await this.hubCall(async () => {
          try {
            const renewed = await this.o.hub.request<KubeObject>('PATCH', `${path}/${HUB_LEASE_NAME}`, { body: { ...(tracked ? { metadata: UNTRACKED_FIELDS } : {}), spec }, contentType: 'application/merge-patch+json' });
            tracked = Array.isArray(renewed?.metadata?.managedFields) && renewed.metadata.managedFields.length > 0;
          } catch (err) {
            if (!(err instanceof KubeError && err.status === 404)) throw err;
            // A create always records its manager; the next renewal strips it.
            await this.o.hub.request('POST', path, { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: HUB_LEASE_NAME, namespace: this.o.hubNamespace }, spec: { ...spec, acquireTime: microTime(now) } } });
            tracked = true;
          }
        });
        this.stats.leaseRenewals++;
      } catch (err) {
        this.disconnected(err, 'heartbeat');
      }
      await delay(this.o.heartbeatMs, AbortSignal.any([signal, this.kickLease.signal]));
    }
  }

  // --- connection state ----------------------------------------------------------------------

  /** Runs a hub request, keeping `connected` current: the first success after a failure renews the Lease at once. */
  private async hubCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const result = await fn();
      if (!this.connected) {
        this.connected = true;
        this.o.log.info('hub reachable again', { hub: this.o.hub.server, pendingEvents: this.pending.length });
        this.kickLease.abort();
        this.kickPublish.abort();
      }
      return result;
    } catch (err) {
      this.disconnected(err, 'request');
      throw err;
    }
  }

  private disconnected(err: unknown, what: string): void {
    const unreachable = !(err instanceof KubeError) || err.status === undefined || err.status >= 500;
    if (!unreachable) return;
    if (this.connected) {
      this.connected = false;
      this.o.log.warn('hub unreachable; enforcing local copies, keeping events until it is back', { hub: this.o.hub.server, what, err });
    }
  }
}

function ignore404(err: unknown): void {
  if (!(err instanceof KubeError && err.status === 404)) throw err;
}
