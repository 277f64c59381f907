/**
 * The agent's event log, kept in ClusterAgent status: bounded, with a `seq` that only grows.
 * `nextSeq` is persisted with the events, so an agent that restarts continues where the last
 * one stopped and a reader that remembers its last seq knows exactly what it missed.
 */
import { STATUS_LIMITS, type AgentEvent } from '@kplane/profile';

export interface EventLog {
  events: AgentEvent[];
  nextSeq: number;
}

/** The log as found in a ClusterAgent status; nextSeq never goes below what its events imply. */
export function restoreLog(status: { events?: AgentEvent[]; nextSeq?: number } | undefined): EventLog {
  const events = [...(status?.events ?? [])].sort((a, b) => a.seq - b.seq);
  const last = events.length ? events[events.length - 1].seq + 1 : 1;
  return { events, nextSeq: Math.max(status?.nextSeq ?? 1, last) };
}

export function appendEvent(log: EventLog, event: Omit<AgentEvent, 'seq'>, limit: number = STATUS_LIMITS.events): EventLog {
  const events = [...log.events, { seq: log.nextSeq, ...event }];
  return { events: events.slice(Math.max(0, events.length - limit)), nextSeq: log.nextSeq + 1 };
}

/** Events a reader that has seen everything up to `afterSeq` has not seen yet. */
export function eventsAfter(log: EventLog, afterSeq: number): { events: AgentEvent[]; missed: number } {
  const events = log.events.filter((e) => e.seq > afterSeq);
  const first = log.events[0]?.seq ?? log.nextSeq;
  return { events, missed: Math.max(0, first - afterSeq - 1) };
}
