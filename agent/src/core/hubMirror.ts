/**
 * Hub mode, pure parts (docs/hub.md): which events the hub lacks and the status write that sends
 * them, what of the agent's summary is worth a hub write, and a local profile status restated in
 * the hub object's generations.
 */
import { STATUS_LIMITS, type AgentEvent, type ClusterAgentStatus, type ClusterProfileStatus } from '@kplane/profile';

/** The hub ClusterAgent's event stream as last read or written. */
export interface HubEventState {
  events: AgentEvent[];
  /** undefined: the hub has never had an event from this member (a fresh join). */
  nextSeq?: number;
}

/** `a` and `b` merged by seq (each seq once, `b`'s copy wins), oldest first. */
export function mergeEvents(a: readonly AgentEvent[], b: readonly AgentEvent[]): AgentEvent[] {
  const bySeq = new Map<number, AgentEvent>();
  for (const e of a) bySeq.set(e.seq, e);
  for (const e of b) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}

export interface HubEventWrite {
  /** The hub's new status.events: its window, the sent events appended, the newest `limit` kept. */
  events: AgentEvent[];
  nextSeq: number;
  /** The events this write adds to the hub's stream, oldest first. */
  sent: AgentEvent[];
  /** The hub's counter was ahead of this agent's (its local state was recreated): the stream starts over. */
  reset: boolean;
}

/**
 * The next status write of the catch-up, or undefined when the hub has every event. It sends the
 * events with seq ≥ the hub's nextSeq, oldest first, at most `limit` per write: a plane watching
 * the hub sees each write, so a backlog longer than the hub's window still reaches it whole, in
 * order, each seq once. Events the agent no longer holds (older than `pending[0]`) cannot be
 * sent; the plane counts them as lost from the seq gap (plane/src/fleet/eventCatchUp.ts).
 */
export function nextEventWrite(hub: HubEventState, pending: readonly AgentEvent[], localNextSeq: number, limit: number = STATUS_LIMITS.events): HubEventWrite | undefined {
  if (hub.nextSeq !== undefined && hub.nextSeq > localNextSeq) {
    // Our counter restarted below the hub's: continuing from the hub's nextSeq would send nothing
    // ever again. Start the hub's stream over with what we hold (the plane reads a counter that
    // went backwards as a recreated agent).
    const events = pending.slice(-limit);
    return { events, nextSeq: localNextSeq, sent: events, reset: true };
  }
  const from = hub.nextSeq ?? 0;
  const sent = pending.filter((e) => e.seq >= from).slice(0, limit);
  if (!sent.length) return undefined;
  const kept = hub.events.filter((e) => e.seq < sent[0].seq);
  const events = [...kept, ...sent].slice(-limit);
  return { events, nextSeq: sent[sent.length - 1].seq + 1, sent, reset: false };
}

/** What of a ClusterAgent status is worth a hub write: not the heartbeat time, not a condition's transition time. */
export function summarySignature(status: ClusterAgentStatus | undefined): string {
  if (!status) return '';
  return canonicalJson({
    clusterId: status.clusterId,
    agentVersion: status.agentVersion,
    kubernetesVersion: status.kubernetesVersion,
    nodes: status.nodes,
    profiles: status.profiles,
    conditions: status.conditions?.map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
  });
}

/** The summary fields of a ClusterAgent status (no events, no heartbeat). */
export function summaryOf(status: ClusterAgentStatus): ClusterAgentStatus {
  const { clusterId, agentVersion, kubernetesVersion, nodes, profiles, conditions } = status;
  return { ...(clusterId ? { clusterId } : {}), agentVersion, kubernetesVersion, nodes, profiles, conditions };
}

/**
 * A local copy's status restated for the hub object. observedGeneration values count the local
 * copy's generations; the hub's plane compares them with the hub object's. The copy's current
 * generation carries `copiedFrom` (the hub generation its spec was copied from); an older one
 * becomes "older than that", so nothing looks current that is not.
 */
export function hubProfileStatus(local: ClusterProfileStatus, localGeneration: number, copiedFrom: number): ClusterProfileStatus {
  const map = (g: number | undefined) => (g === undefined ? undefined : g === localGeneration ? copiedFrom : Math.max(0, Math.min(g, copiedFrom - 1)));
  const out: ClusterProfileStatus = { ...local };
  if (local.observedGeneration !== undefined) out.observedGeneration = map(local.observedGeneration);
  if (local.conditions) out.conditions = local.conditions.map((c) => (c.observedGeneration === undefined ? c : { ...c, observedGeneration: map(c.observedGeneration)! }));
  return out;
}

/** JSON with sorted keys and no undefined members, for comparing specs and statuses. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
