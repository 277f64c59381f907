/**
 * The fleet: one record per cluster (kubeconfig context) and the state derived from it. Adapters
 * feed observations in (agent and profile objects from the watch, connection changes); views
 * subscribe to `onChange` and receive only the ids of clusters whose derived view changed, so a
 * status write on one cluster of 1,000 refreshes one tree node, not the tree.
 *
 * Pure: no timers, no I/O; the clock is injected and `tick()` is called by the adapter that owns
 * a timer (staleness moves with time, not with events).
 */
import { expandedOrStored, type AgentEvent, type ClusterAgent, type ClusterProfile } from '@kplane/profile';
import { checkAgent, checkProfile } from './clusterObjects.js';
import { appendEvents, catchUpEvents } from './eventCatchUp.js';
import {
  CLUSTER_STATES,
  DEFAULT_STATE_OPTIONS,
  deriveState,
  nextStateChange,
  profileState,
  type ClusterRecord,
  type Connection,
  type DerivedState,
  type DisplayState,
  type ProfileState,
  type StateOptions,
} from './clusterState.js';
import { matchesSelector, type Selector } from './selector.js';
import { observeLease, parseHubMemberId, type LeaseObject } from './hubMembers.js';

/** What views, the CLI and reports show for one cluster. */
export interface ClusterView extends DerivedState {
  id: string;
  server?: string;
  /** Hub members: the hub context they are read through. */
  hub?: string;
  displayName: string;
  labels: Record<string, string>;
  agentVersion?: string;
  kubernetesVersion?: string;
  nodes?: { total: number; ready: number };
  profiles: ProfileView[];
  /** Milliseconds since epoch the connection entered its current kind (for "unreachable for 2m"). */
  connectionSince: number;
  /** The agent's cluster id (status.clusterId): the same cluster read directly and through a hub. */
  clusterId?: string;
  /** A direct cluster: the same cluster is also a member of these hubs (shown once, as this entry). */
  alsoOnHub?: { id: string; hub: string; state: DisplayState }[];
  /** A hub member that is also in the kubeconfig: list() leaves it out, the direct entry `shownAs` stands for it. */
  shownAs?: string;
}

export interface ProfileView {
  key: string;
  name: string;
  namespace: string;
  version: string;
  appliedVersion?: string;
  state: ProfileState;
  generation?: number;
  observedGeneration?: number;
}

export interface FleetSummary {
  total: number;
  byState: Record<DisplayState, number>;
  /** The status bar's three buckets: ✓ healthy, ⚠ needs attention, ✗ broken or unknown. */
  ok: number;
  warn: number;
  bad: number;
}

export interface EventsNotice {
  cluster: string;
  fresh: AgentEvent[];
  lost: number;
  /** True when these came in after the cluster was unreachable: the plane caught up on them. */
  caughtUp: boolean;
  /** True on the first read of this cluster's agent: the backlog, not news. */
  initial: boolean;
}

type Listener<T> = (value: T) => void;

const EVENT_LOG_LIMIT = 500;

/**
 * How often tick() announces the hub members whose lastSeen a Lease renewal moved without
 * changing their state (FleetModel.setLease): views that show "♥ 40s ago" catch up within this.
 */
export const LAST_SEEN_NOTICE_MS = 30_000;

export class FleetModel {
  private readonly records = new Map<string, ClusterRecord>();
  private readonly views = new Map<string, ClusterView>();
  private readonly changeListeners = new Set<Listener<string[]>>();
  private readonly eventListeners = new Set<Listener<EventsNotice>>();
  /** Clusters that were unreachable since their last agent read: their next events are a catch-up. */
  private readonly wasAway = new Set<string>();
  /** Inside batch(): ids to recompute and announce once at its end. */
  private pending: Set<string> | undefined;
  /** When each cluster's derived state next changes with time alone (clusterState.ts nextStateChange). */
  private readonly due = new Map<string, number>();
  /** Agent cluster id → the fleet ids reporting it (a cluster in the kubeconfig and on a hub), and back. */
  private readonly byClusterId = new Map<string, Set<string>>();
  private readonly clusterIdOf = new Map<string, string>();
  /** Ids that gained or lost a twin while another id was recomputed: their views change too. */
  private readonly twinsMoved = new Set<string>();
  /** Hub members whose lastSeen moved with a renewal that kept their state, not announced yet; since when. */
  private readonly renewed = new Set<string>();
  private renewedSince = 0;

  constructor(
    private readonly now: () => number,
    private options: StateOptions = DEFAULT_STATE_OPTIONS,
  ) {}

  /** Subscribe to changed cluster ids. Returns an unsubscribe function. */
  onChange(listener: Listener<string[]>): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onEvents(listener: Listener<EventsNotice>): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  setOptions(options: StateOptions): void {
    this.options = options;
    this.notify([...this.records.keys()]);
  }

  ids(): string[] {
    return [...this.records.keys()];
  }

  get(id: string): ClusterView | undefined {
    return this.views.get(id);
  }

  record(id: string): ClusterRecord | undefined {
    return this.records.get(id);
  }

  /** One entry per cluster: a hub member that is also read directly is shown as the direct entry (ClusterView.shownAs). */
  list(): ClusterView[] {
    return [...this.views.values()].filter((v) => v.shownAs === undefined);
  }

  /**
   * Adds directly watched clusters not yet present and removes those not listed; hub members are
   * not touched (their hub's watch adds and removes them). Returns whether anything changed.
   */
  setClusters(clusters: readonly { id: string; server?: string }[]): boolean {
    const wanted = new Set(clusters.map((c) => c.id));
    let changed = false;
    for (const [id, record] of [...this.records]) {
      if (record.hub === undefined && !wanted.has(id)) changed = this.removeCluster(id) || changed;
    }
    for (const c of clusters) changed = this.addCluster(c.id, c.server ? { server: c.server } : {}) || changed;
    return changed;
  }

  /** Adds one cluster if it is not there yet; `hub` marks a member read through that hub. */
  addCluster(id: string, options: { server?: string; hub?: string; connection?: Connection } = {}): boolean {
    if (this.records.has(id)) return false;
    this.records.set(id, {
      id,
      ...(options.server ? { server: options.server } : {}),
      ...(options.hub !== undefined ? { hub: options.hub } : {}),
      connection: options.connection ?? { kind: 'connecting', since: this.now() },
      ...(options.connection?.kind === 'connected' ? { lastContact: this.now() } : {}),
      profiles: new Map(),
      events: [],
      lostEvents: 0,
    });
    // In a batch the view is made once, at its end.
    if (this.pending) this.pending.add(id);
    else this.recompute(id);
    return true;
  }

  /** Removes one cluster; views hear of it as a changed id that get() no longer finds. */
  removeCluster(id: string): boolean {
    if (!this.records.delete(id)) return false;
    const twins = this.twins(id);
    this.index(id, undefined);
    this.twinsMoved.clear();
    this.views.delete(id);
    this.due.delete(id);
    this.wasAway.delete(id);
    this.renewed.delete(id);
    if (this.pending) this.pending.add(id);
    // The twin that stood for it, or was hidden behind it, changes.
    this.notify(twins);
    return true;
  }

  /**
   * Runs `work` and announces every cluster it changed once, at the end: a hub's list of 10,000
   * members is one change notice, not 30,000.
   */
  batch<T>(work: () => T): T {
    if (this.pending) return work();
    const pending = (this.pending = new Set());
    try {
      return work();
    } finally {
      this.pending = undefined;
      const changed = this.withTwins([...pending].filter((id) => !this.records.has(id) || this.recompute(id)));
      if (changed.length) for (const l of this.changeListeners) l(changed);
    }
  }

  /** A hub member's heartbeat Lease (undefined: it has none, or it was deleted). */
  setLease(id: string, lease: LeaseObject | undefined): void {
    const record = this.records.get(id);
    if (!record) return;
    const previous = record.heartbeat;
    const heartbeat = observeLease(previous, lease, this.now());
    if (heartbeat === previous) return;
    if (heartbeat) record.heartbeat = heartbeat;
    else delete record.heartbeat;
    // In a batch (a watch hand-over), an id already pending is recomputed at its end anyway.
    if (previous && heartbeat && !this.pending?.has(id) && this.renewedInPlace(id, record)) return;
    this.notify([id]);
  }

  /**
   * A renewal that leaves the member's state as it was (the common case: fresh stays fresh) moves
   * only its view's lastSeen and the time its state next changes with age, with no recompute of
   * the view and no change notice: at 10,000 members the 167 renewals a second were two thirds of
   * the plane's watch events (bench:hub). tick() announces those ids together, every
   * LAST_SEEN_NOTICE_MS, and turns the member Stale when its Lease ages past the threshold.
   * False when the state changes (Stale → fresh, …) or may: the caller recomputes and notifies.
   */
  private renewedInPlace(id: string, record: ClusterRecord): boolean {
    const view = this.views.get(id);
    if (!view || record.connection.kind === 'unreachable') return false;
    const now = this.now();
    const derived = deriveState(record, now, this.options);
    // The view's other fields come from what a Lease does not hold (agent, profiles, connection, twins).
    if (derived.state !== view.state || derived.reason !== view.reason || derived.lastKnown !== view.lastKnown) return false;
    if (derived.lastSeen !== view.lastSeen) {
      // A new object, not an edit: a view handed out earlier stays as it was.
      this.views.set(id, { ...view, lastSeen: derived.lastSeen });
      if (!this.renewed.size) this.renewedSince = now;
      this.renewed.add(id);
    }
    const next = nextStateChange(record, now, this.options);
    if (next === Infinity) this.due.delete(id);
    else this.due.set(id, next);
    return true;
  }

  setConnection(id: string, connection: Connection): void {
    const record = this.records.get(id);
    if (!record) return;
    if (record.connection.kind === connection.kind && connection.kind !== 'unreachable') return;
    if (connection.kind === 'unreachable' && record.connection.kind === 'unreachable') {
      // Keep the time it first went away; only the error text may change.
      connection = { ...connection, since: record.connection.since };
    }
    record.connection = connection;
    if (connection.kind === 'connected') record.lastContact = this.now();
    if (connection.kind === 'unreachable') this.wasAway.add(id);
    this.notify([id]);
  }

  /** The API server answered (any list, event or bookmark). */
  touch(id: string): void {
    const record = this.records.get(id);
    if (record) record.lastContact = this.now();
  }

  setCrdsInstalled(id: string, installed: boolean): void {
    const record = this.records.get(id);
    if (!record) return;
    record.lastContact = this.now();
    if (record.crdsInstalled === installed) return;
    record.crdsInstalled = installed;
    if (!installed) {
      record.agent = undefined;
      record.profiles.clear();
    }
    this.notify([id]);
  }

  /**
   * `agent` undefined: the ClusterAgent object does not exist (deleted or never created). What a
   * cluster sends is checked at this boundary (./clusterObjects.ts): any shape is accepted.
   */
  setAgent(id: string, raw: ClusterAgent | undefined): void {
    const record = this.records.get(id);
    if (!record) return;
    const checked = raw === undefined ? { object: undefined, problems: [] } : checkAgent(raw);
    const agent = checked.object;
    this.unexpected(record).agent = checked.problems;
    record.lastContact = this.now();
    record.agent = agent;
    record.crdsInstalled = true;
    if (agent) {
      const caughtUp = this.wasAway.delete(id);
      const initial = record.nextSeq === undefined;
      const { fresh, lost, nextSeq } = catchUpEvents(record.nextSeq, agent.status);
      record.nextSeq = nextSeq;
      record.lostEvents += lost;
      record.events = appendEvents(record.events, fresh, EVENT_LOG_LIMIT);
      if (fresh.length || lost) for (const l of this.eventListeners) l({ cluster: id, fresh, lost, caughtUp, initial });
    }
    this.notify([id]);
  }

  setProfile(id: string, raw: ClusterProfile): void {
    const record = this.records.get(id);
    if (!record) return;
    const { object: profile, problems } = checkProfile(raw);
    const unexpected = this.unexpected(record);
    if (profile) {
      unexpected.profiles.delete(WATCHED_UNUSABLE);
      if (problems.length) unexpected.profiles.set(profileKey(profile), problems);
      else unexpected.profiles.delete(profileKey(profile));
    } else unexpected.profiles.set(WATCHED_UNUSABLE, problems);
    record.lastContact = this.now();
    record.crdsInstalled = true;
    if (profile) record.profiles.set(profileKey(profile), expanded(profile, record.profiles.get(profileKey(profile))));
    this.notify([id]);
  }

  deleteProfile(id: string, key: string): void {
    const record = this.records.get(id);
    record?.unexpected?.profiles.delete(key);
    if (record?.profiles.delete(key)) this.notify([id]);
  }

  /** After a (re)list: the full set replaces what was known. */
  replaceProfiles(id: string, raw: readonly ClusterProfile[]): void {
    const record = this.records.get(id);
    if (!record) return;
    const unexpected = this.unexpected(record);
    unexpected.profiles = new Map();
    const profiles: ClusterProfile[] = [];
    const unusable: string[] = [];
    for (const item of Array.isArray(raw) ? raw : []) {
      const { object, problems } = checkProfile(item);
      if (object) {
        profiles.push(object);
        if (problems.length) unexpected.profiles.set(profileKey(object), problems);
      } else unusable.push(...problems);
    }
    if (!Array.isArray(raw)) unusable.push(`the ClusterProfile list is not a list`);
    if (unusable.length) unexpected.profiles.set(LISTED_UNUSABLE, unusable);
    record.lastContact = this.now();
    record.crdsInstalled = true;
    record.profiles = new Map(profiles.map((p) => [profileKey(p), expanded(p, record.profiles.get(profileKey(p)))]));
    this.notify([id]);
  }

  private unexpected(record: ClusterRecord): NonNullable<ClusterRecord['unexpected']> {
    return (record.unexpected ??= { agent: [], profiles: new Map() });
  }

  /**
   * Re-derives, at the current time, the clusters whose state time alone may have changed
   * (a heartbeat or Lease that crossed a threshold); notifies only real changes.
   */
  tick(): void {
    const now = this.now();
    const due: string[] = [];
    for (const [id, at] of this.due) if (at <= now) due.push(id);
    if (due.length) this.notify(due);
    if (this.renewed.size && now - this.renewedSince >= LAST_SEEN_NOTICE_MS) {
      // Their views are current already (renewedInPlace): only the news is late.
      const ids = [...this.renewed];
      this.renewed.clear();
      for (const l of this.changeListeners) l(ids);
    }
  }

  /**
   * The clusters whose labels match, each once. A hub member shown as its direct twin keeps its
   * own labels (the hub's, from join): it is a target when they match and the twin's do not, so
   * a selector over hub labels still reaches it, through the hub, and never twice.
   */
  select(selector: Selector): ClusterView[] {
    return [...this.views.values()].filter((c) => {
      if (!matchesSelector(selector, c.labels)) return false;
      const twin = c.shownAs === undefined ? undefined : this.views.get(c.shownAs);
      return !twin || !matchesSelector(selector, twin.labels);
    });
  }

  summary(): FleetSummary {
    return summarize(this.list());
  }

  private notify(ids: string[]): void {
    if (this.pending) {
      for (const id of ids) this.pending.add(id);
      return;
    }
    const changed = ids.filter((id) => this.recompute(id));
    const all = this.withTwins(changed);
    if (all.length) for (const l of this.changeListeners) l(all);
  }

  /**
   * `changed` and the twins whose views that changes: a direct entry shows its hub twins' states,
   * and a hub member is hidden while a direct twin exists. Recomputed in waves until none changes:
   * a direct entry recomputed before its twin read the twin's old state, so a twin that changes
   * sends its own twins round again. A view reads its twins' states, never their twin fields, so
   * this ends by the third wave (member changes, direct entry re-reads it, member unchanged); the
   * bound is a guard.
   */
  private withTwins(changed: string[]): string[] {
    let wave: Set<string> | undefined;
    const addTwins = (id: string) => {
      for (const twin of this.twins(id)) (wave ??= new Set()).add(twin);
    };
    for (const id of this.twinsMoved) (wave ??= new Set()).add(id);
    this.twinsMoved.clear();
    for (const id of changed) addTwins(id);
    // The common case, no twins at all (hub members never read directly): nothing to allocate.
    if (!wave) return changed;
    const out = new Set(changed);
    for (let pass = 0; wave && pass < 4; pass++) {
      const current: Set<string> = wave;
      wave = undefined;
      for (const id of current) {
        if (!this.records.has(id)) out.add(id);
        else if (this.recompute(id)) {
          out.add(id);
          addTwins(id);
        }
      }
      for (const id of this.twinsMoved) (wave ??= new Set()).add(id);
      this.twinsMoved.clear();
    }
    return [...out];
  }

  /** The other fleet ids with the same agent cluster id. */
  private twins(id: string): string[] {
    const cid = this.clusterIdOf.get(id);
    const same = cid === undefined ? undefined : this.byClusterId.get(cid);
    return same ? [...same].filter((x) => x !== id) : [];
  }

  /** Files `id` under `clusterId`; the ids that gained or lost it as a twin go to twinsMoved. */
  private index(id: string, clusterId: string | undefined): void {
    const previous = this.clusterIdOf.get(id);
    if (previous === clusterId) return;
    for (const x of this.twins(id)) this.twinsMoved.add(x);
    if (previous !== undefined) {
      const set = this.byClusterId.get(previous)!;
      set.delete(id);
      if (!set.size) this.byClusterId.delete(previous);
      this.clusterIdOf.delete(id);
    }
    if (clusterId !== undefined) {
      let set = this.byClusterId.get(clusterId);
      if (!set) this.byClusterId.set(clusterId, (set = new Set()));
      set.add(id);
      this.clusterIdOf.set(id, clusterId);
      for (const x of this.twins(id)) this.twinsMoved.add(x);
    }
  }

  /** Returns true when the cluster's view changed. */
  private recompute(id: string): boolean {
    const record = this.records.get(id);
    if (!record) return false;
    const now = this.now();
    const view = toView(record, deriveState(record, now, this.options));
    const cid = view.clusterId;
    this.index(id, cid);
    if (cid !== undefined) {
      const twins = this.twins(id).filter((x) => this.records.has(x));
      if (record.hub === undefined) {
        const onHubs = twins
          .map((x) => ({ x, r: this.records.get(x)! }))
          .filter(({ r }) => r.hub !== undefined)
          .map(({ x, r }) => ({ id: x, hub: r.hub!, state: this.views.get(x)?.state ?? 'Connecting' }))
          .sort((a, b) => a.id.localeCompare(b.id));
        if (onHubs.length) view.alsoOnHub = onHubs;
      } else {
        // The direct view is live data read from the cluster itself: it stands for both.
        const direct = twins.filter((x) => this.records.get(x)!.hub === undefined).sort()[0];
        if (direct !== undefined) view.shownAs = direct;
      }
    }
    const next = nextStateChange(record, now, this.options);
    if (next === Infinity) this.due.delete(id);
    else this.due.set(id, next);
    // Ages are not part of the view: a tree refresh per second per cluster just to move
    // "12s ago" to "13s ago" would be the full refresh this model exists to avoid. Compared
    // field by field, not as JSON: at 10,000 members the strings were most of a hub's load time.
    const previous = this.views.get(id);
    if (previous && sameJson(previous, view)) return false;
    this.views.set(id, view);
    return true;
  }
}

/** Deep equality of JSON-shaped values (what JSON.stringify would make equal, for the views here). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Keys of the problems of profiles that could not be kept at all (no name, not an object). */
const LISTED_UNUSABLE = '#listed';
const WATCHED_UNUSABLE = '#watched';

export function profileKey(profile: ClusterProfile): string {
  return `${profile.metadata.namespace ?? ''}/${profile.metadata.name}`;
}

export function summarize(views: readonly ClusterView[]): FleetSummary {
  const byState = Object.fromEntries([...CLUSTER_STATES, 'Connecting'].map((s) => [s, 0])) as Record<DisplayState, number>;
  for (const v of views) byState[v.state]++;
  return {
    total: views.length,
    byState,
    ok: byState.Healthy,
    warn: byState.Drifted + byState.Paused + byState.Stale + byState.Connecting,
    bad: byState.Degraded + byState.NoAgent + byState.Unreachable,
  };
}

function toView(record: ClusterRecord, derived: DerivedState): ClusterView {
  const agent = record.agent;
  const profiles = [...record.profiles.entries()]
    .map(([key, p]) => ({
      key,
      name: p.metadata.name,
      namespace: p.metadata.namespace ?? '',
      version: p.spec?.version ?? '',
      ...(p.status?.appliedVersion ? { appliedVersion: p.status.appliedVersion } : {}),
      state: profileState(p),
      ...(p.metadata.generation !== undefined ? { generation: p.metadata.generation } : {}),
      ...(p.status?.observedGeneration !== undefined ? { observedGeneration: p.status.observedGeneration } : {}),
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
  return {
    id: record.id,
    ...(record.server ? { server: record.server } : {}),
    ...(record.hub !== undefined ? { hub: record.hub } : {}),
    displayName: agent?.spec?.displayName || (record.hub !== undefined ? parseHubMemberId(record.id)?.name : undefined) || record.id,
    labels: { ...(agent?.spec?.labels ?? {}) },
    ...(agent?.status?.agentVersion ? { agentVersion: agent.status.agentVersion } : {}),
    ...(agent?.status?.kubernetesVersion ? { kubernetesVersion: agent.status.kubernetesVersion } : {}),
    ...(agent?.status?.nodes ? { nodes: agent.status.nodes } : {}),
    profiles,
    connectionSince: record.connection.since,
    ...(agent?.status?.clusterId ? { clusterId: agent.status.clusterId } : {}),
    ...derived,
  };
}

/**
 * A profile as the model keeps it: big layers stored compressed (@kplane/profile storedForm.ts)
 * expanded, so every view (drift per layer, Open Status as YAML) sees its manifests. Decoded once
 * per generation: the agent's status writes bring the same spec back every few seconds. A layer
 * that does not decode stays as stored; the agent's SpecValid says why.
 */
function expanded(profile: ClusterProfile, previous: ClusterProfile | undefined): ClusterProfile {
  const layers = (profile.spec as Partial<ClusterProfile['spec']>).layers;
  if (!Array.isArray(layers) || !layers.some((l) => l?.compressedManifests !== undefined)) return profile;
  const same = previous && previous.metadata.uid === profile.metadata.uid && previous.metadata.generation !== undefined && previous.metadata.generation === profile.metadata.generation;
  if (same && !previous.spec.layers?.some((l) => l?.compressedManifests !== undefined)) return { ...profile, spec: previous.spec };
  return expandedOrStored(profile);
}
