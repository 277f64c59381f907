/**
 * Catching up on agent events by `seq`. The agent keeps a bounded list (`status.events`, oldest
 * first) and `status.nextSeq`; seqs are never reused, even across agent restarts. A reader that
 * remembers the next seq it expects knows exactly which events are new and how many fell off the
 * list while it was not looking (e.g. while the cluster was unreachable).
 */
import type { AgentEvent, ClusterAgentStatus } from '@kplane/profile';

export interface CatchUp {
  /** Events not seen before, oldest first. */
  fresh: AgentEvent[];
  /** Events that were written but fell off the bounded list before this read. */
  lost: number;
  /** The next seq to expect from now on. */
  nextSeq: number;
}

/**
 * `expected` is the seq the reader expects next, or undefined on the first read (then every
 * listed event is fresh and nothing counts as lost: the reader never promised to have seen them).
 */
export function catchUpEvents(expected: number | undefined, status: ClusterAgentStatus | undefined): CatchUp {
  const events = [...(status?.events ?? [])].sort((a, b) => a.seq - b.seq);
  const nextSeq = Math.max(status?.nextSeq ?? 0, events.length ? events[events.length - 1].seq + 1 : 0);
  if (expected === undefined) return { fresh: events, lost: 0, nextSeq };
  if (nextSeq < expected) {
    // The agent's counter went backwards: its state was recreated (e.g. the ClusterAgent was
    // deleted). Everything it lists now is new to us.
    return { fresh: events, lost: 0, nextSeq };
  }
  const fresh = events.filter((e) => e.seq >= expected);
  const oldest = events.length ? events[0].seq : nextSeq;
  const lost = Math.max(0, Math.min(oldest, nextSeq) - expected);
  return { fresh, lost, nextSeq };
}

/** Appends and keeps the newest `limit` events. */
export function appendEvents(log: AgentEvent[], fresh: readonly AgentEvent[], limit: number): AgentEvent[] {
  if (!fresh.length) return log;
  const merged = [...log, ...fresh];
  return merged.length > limit ? merged.slice(merged.length - limit) : merged;
}
