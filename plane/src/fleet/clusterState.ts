/**
 * What the management plane knows about one cluster, and the state it derives from that.
 * Pure: time comes in as `now` (milliseconds), so staleness is testable with a fake clock.
 *
 * The plane is honest about what it does not know (rancher/dashboard#14966 shows disconnected
 * clusters as Ready): a cluster it cannot reach is Unreachable, keeping the last state it did
 * know and since when; an agent that stopped writing heartbeats is Stale, "last seen …".
 */
import { getCondition, parseDuration, type AgentEvent, type ClusterAgent, type ClusterProfile } from '@kplane/profile';
import type { MemberHeartbeat } from './hubMembers.js';

export const CLUSTER_STATES = ['Healthy', 'Degraded', 'Drifted', 'Paused', 'NoAgent', 'Stale', 'Unreachable'] as const;
export type ClusterState = (typeof CLUSTER_STATES)[number];
/** Before the first answer (or the first timeout) the plane does not claim anything. */
export type DisplayState = ClusterState | 'Connecting';

export type Connection =
  | { kind: 'connecting'; since: number }
  | { kind: 'connected'; since: number }
  | { kind: 'unreachable'; since: number; error: string };

/** Everything observed about a cluster through its API server. */
export interface ClusterRecord {
  /** The kubeconfig context name: the cluster's identity in the fleet. */
  id: string;
  /** The API server URL, for tooltips and reports. */
  server?: string;
  connection: Connection;
  /** Last time the API server answered anything (ms). */
  lastContact?: number;
  /** undefined until known; false when the kplane CRDs are not installed. */
  crdsInstalled?: boolean;
  agent?: ClusterAgent;
  /** By namespace/name. */
  profiles: Map<string, ClusterProfile>;
  /** Agent events seen so far (newest last), bounded. */
  events: AgentEvent[];
  /** seq of the next event we expect; events before it have been shown. */
  nextSeq?: number;
  /** Events that fell off the agent's bounded list before the plane could read them. */
  lostEvents: number;
  /** Hub members only: the hub context they are read through (`connection` is the hub's). */
  hub?: string;
  /** Hub members only: the agent's heartbeat Lease on the hub, as observed (./hubMembers.ts). */
  heartbeat?: MemberHeartbeat;
  /** What the boundary check (./clusterObjects.ts) found wrong in the objects read: the ClusterAgent's, and each profile's (by key). */
  unexpected?: { agent: string[]; profiles: Map<string, string[]> };
}

export type ProfileState = 'Ready' | 'Pending' | 'Drifted' | 'Failed' | 'Paused';

export interface StateOptions {
  /** A heartbeat older than this many intervals makes the cluster Stale (default 3). */
  staleMultiplier: number;
  /** Used when the agent does not say its heartbeat interval. */
  defaultHeartbeatMs: number;
}

export const DEFAULT_STATE_OPTIONS: StateOptions = { staleMultiplier: 3, defaultHeartbeatMs: 30_000 };

export interface DerivedState {
  state: DisplayState;
  /** One sentence, for tooltips and the CLI. */
  reason: string;
  /** For Unreachable: what was known when the cluster was last reachable. */
  lastKnown?: ClusterState;
  /** ISO time the plane last heard from this cluster's agent (heartbeat) or API server. */
  lastSeen?: string;
}

export function profileState(profile: ClusterProfile): ProfileState {
  const status = profile.status;
  if (profile.spec?.paused) return 'Paused';
  const ready = getCondition(status?.conditions, 'Ready');
  const generation = profile.metadata.generation;
  const current = generation === undefined || status?.observedGeneration === undefined || status.observedGeneration >= generation;
  if ((status?.resources?.failed ?? 0) > 0 || status?.layers?.some((l) => l.state === 'Failed') || getCondition(status?.conditions, 'SpecValid')?.status === 'False') {
    return 'Failed';
  }
  if ((status?.resources?.drifted ?? 0) > 0 || getCondition(status?.conditions, 'InSync')?.status === 'False') return 'Drifted';
  if (ready?.status === 'True' && current) return 'Ready';
  return 'Pending';
}

export function heartbeatIntervalMs(agent: ClusterAgent | undefined, options: StateOptions): number {
  const parsed = agent?.spec?.heartbeatInterval ? parseDuration(agent.spec.heartbeatInterval) : undefined;
  return parsed && parsed > 0 ? parsed : options.defaultHeartbeatMs;
}

export function deriveState(record: ClusterRecord, now: number, options: StateOptions = DEFAULT_STATE_OPTIONS): DerivedState {
  const { connection } = record;
  if (connection.kind === 'unreachable') {
    // What we knew at the moment the cluster went away, not what would be derived now.
    const known = record.lastContact !== undefined ? deriveReachable(record, connection.since, options) : undefined;
    // A hub member already Unreachable by its Lease keeps the state it had before that.
    const lastKnown = known?.state === 'Unreachable' ? known.lastKnown : known && known.state !== 'Connecting' ? known.state : undefined;
    return {
      state: 'Unreachable',
      reason: record.hub !== undefined ? `hub ${record.hub} unreachable: ${connection.error}` : `API server unreachable: ${connection.error}`,
      ...(lastKnown ? { lastKnown } : {}),
      ...(known?.lastSeen ? { lastSeen: known.lastSeen } : record.lastContact !== undefined ? { lastSeen: iso(record.lastContact) } : {}),
    };
  }
  if (connection.kind === 'connecting' && record.lastContact === undefined) return { state: 'Connecting', reason: 'waiting for the API server' };
  return deriveReachable(record, now, options);
}

function deriveReachable(record: ClusterRecord, now: number, options: StateOptions): DerivedState {
  if (record.crdsInstalled === false) return { state: 'NoAgent', reason: 'the kplane CRDs are not installed; run "Install or Upgrade Agent"' };
  const unexpected = unexpectedReason(record);
  if (unexpected) {
    const heartbeat = record.heartbeat ? iso(record.heartbeat.renewedAt) : record.agent?.status?.heartbeatTime;
    return { state: 'Degraded', reason: unexpected, ...(heartbeat ? { lastSeen: heartbeat } : {}) };
  }
  if (record.heartbeat) return deriveFromLease(record, record.heartbeat, now);
  const agent = record.agent;
  if (!agent) {
    if (record.crdsInstalled === undefined) return { state: 'Connecting', reason: 'reading the ClusterAgent' };
    return { state: 'NoAgent', reason: 'no ClusterAgent object: the agent is not installed or has never started' };
  }
  const heartbeat = agent.status?.heartbeatTime ? Date.parse(agent.status.heartbeatTime) : NaN;
  if (Number.isNaN(heartbeat)) return { state: 'NoAgent', reason: 'the agent has not reported a heartbeat yet' };
  const lastSeen = agent.status!.heartbeatTime!;
  const interval = heartbeatIntervalMs(agent, options);
  if (now - heartbeat > options.staleMultiplier * interval) {
    return { state: 'Stale', reason: `no heartbeat for ${options.staleMultiplier}× the ${Math.round(interval / 1000)}s interval`, lastSeen };
  }
  return deriveHealth(record, lastSeen);
}

/** The cluster's objects did not have the shape the plane reads: say what, for the first few. */
function unexpectedReason(record: ClusterRecord): string | undefined {
  if (!record.unexpected || (!record.unexpected.agent.length && !record.unexpected.profiles.size)) return undefined;
  const problems = [...record.unexpected.agent, ...[...record.unexpected.profiles.values()].flat()];
  if (!problems.length) return undefined;
  return `unexpected objects from the cluster: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`;
}

/**
 * A hub member's agent writes its status only when it changes; its heartbeat is the Lease. Older
 * than the Lease's duration: Stale; older than twice that: Unreachable (cut off from the hub, or
 * stopped), keeping the state it last reported.
 */
function deriveFromLease(record: ClusterRecord, heartbeat: MemberHeartbeat, now: number): DerivedState {
  const lastSeen = iso(heartbeat.renewedAt);
  // No age in reasons: they are part of the view's signature, and a changing one would refresh every stale member on every tick.
  const lease = Math.round(heartbeat.durationMs / 1000);
  if (!record.agent) return { state: 'NoAgent', reason: 'the agent renews its heartbeat Lease but has not written its ClusterAgent status to the hub yet', lastSeen };
  if (now - heartbeat.renewedAt > 2 * heartbeat.durationMs) {
    const known = deriveHealth(record, lastSeen).state;
    return {
      state: 'Unreachable',
      reason: `heartbeat Lease on hub ${record.hub} not renewed within twice its ${lease}s duration: the member is cut off from the hub or its agent stopped`,
      lastKnown: known,
      lastSeen,
    };
  }
  if (now - heartbeat.renewedAt > heartbeat.durationMs) return { state: 'Stale', reason: `heartbeat Lease on hub ${record.hub} not renewed within its ${lease}s duration`, lastSeen };
  return deriveHealth(record, lastSeen);
}

/** The state from what the agent reports, once its heartbeat is known to be fresh. */
function deriveHealth(record: ClusterRecord, lastSeen: string): DerivedState & { state: ClusterState } {
  const agent = record.agent!;
  const agentReady = getCondition(agent.status?.conditions, 'Ready');
  const profiles = [...record.profiles.values()];
  const states = profiles.map((p) => ({ name: p.metadata.name, state: profileState(p) }));
  const named = (s: ProfileState) => states.filter((p) => p.state === s).map((p) => p.name);
  if (agentReady?.status === 'False') return { state: 'Degraded', reason: `agent not ready: ${agentReady.reason}: ${agentReady.message}`, lastSeen };
  if (named('Failed').length) return { state: 'Degraded', reason: `failed: ${named('Failed').join(', ')}`, lastSeen };
  if (named('Pending').length) return { state: 'Degraded', reason: `not ready yet: ${named('Pending').join(', ')}`, lastSeen };
  if (named('Drifted').length) return { state: 'Drifted', reason: `drifted: ${named('Drifted').join(', ')}`, lastSeen };
  if (named('Paused').length) return { state: 'Paused', reason: `reconciliation paused: ${named('Paused').join(', ')}`, lastSeen };
  return { state: 'Healthy', reason: profiles.length ? `${profiles.length} profile(s) ready` : 'agent running, no profiles', lastSeen };
}

/**
 * The earliest time after `now` at which deriveState could answer differently with nothing
 * observed in between: a heartbeat or Lease crossing its Stale or Unreachable threshold. Infinity
 * when only an observation can change the state. Lets a tick re-derive the few clusters that are
 * due instead of all of them (10,000 hub members every 2 s otherwise).
 */
export function nextStateChange(record: ClusterRecord, now: number, options: StateOptions = DEFAULT_STATE_OPTIONS): number {
  if (record.connection.kind === 'unreachable') return Infinity;
  // Thresholds are "older than": the state flips just after the threshold time.
  const after = (t: number) => (t >= now ? t + 1 : Infinity);
  if (record.heartbeat) {
    const { renewedAt, durationMs } = record.heartbeat;
    return Math.min(after(renewedAt + durationMs), after(renewedAt + 2 * durationMs));
  }
  if (record.agent?.status?.heartbeatTime) {
    const heartbeat = Date.parse(record.agent.status.heartbeatTime);
    if (!Number.isNaN(heartbeat)) return after(heartbeat + options.staleMultiplier * heartbeatIntervalMs(record.agent, options));
  }
  return Infinity;
}

/** "12s ago", "5m ago", "2h ago", "3d ago". */
export function formatAge(fromIso: string | number | undefined, now: number): string {
  if (fromIso === undefined) return 'never';
  const from = typeof fromIso === 'number' ? fromIso : Date.parse(fromIso);
  if (Number.isNaN(from)) return 'unknown';
  const s = Math.max(0, Math.round((now - from) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** Whole seconds, as Kubernetes writes times: "2026-01-01T00:00:00Z". */
function iso(ms: number): string {
  const text = new Date(ms).toISOString();
  // Years 0-9999 are 24 characters; others keep the replace.
  return text.length === 24 ? `${text.slice(0, 19)}Z` : text.replace(/\.\d{3}Z$/, 'Z');
}
