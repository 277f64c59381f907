import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AgentEvent } from '@kplane/profile';
import { appendEvent, hubProfileStatus, mergeEvents, nextEventWrite, summarySignature, type EventLog, type HubEventState } from '@kplane/agent/core';

const ev = (seq: number): AgentEvent => ({ seq, time: '2026-12-01T00:00:00Z', severity: 'Normal', reason: 'R', message: `e${seq}` });

describe('agent core: hub event catch-up', () => {
  it('sends exactly the events with seq >= the hub nextSeq, oldest first, keeping the hub window', () => {
    const hub: HubEventState = { events: [ev(1), ev(2), ev(3)], nextSeq: 4 };
    const write = nextEventWrite(hub, [ev(2), ev(3), ev(4), ev(5)], 6, 4)!;
    assert.deepEqual(write.sent.map((e) => e.seq), [4, 5]);
    assert.deepEqual(write.events.map((e) => e.seq), [2, 3, 4, 5]);
    assert.equal(write.nextSeq, 6);
    assert.equal(nextEventWrite({ events: write.events, nextSeq: 6 }, [ev(5)], 6, 4), undefined);
  });

  it('a backlog longer than the window goes in window-sized writes', () => {
    const pending = Array.from({ length: 7 }, (_, i) => ev(i + 10));
    const first = nextEventWrite({ events: [], nextSeq: 10 }, pending, 17, 3)!;
    assert.deepEqual(first.sent.map((e) => e.seq), [10, 11, 12]);
    const second = nextEventWrite({ events: first.events, nextSeq: first.nextSeq }, pending, 17, 3)!;
    assert.deepEqual(second.sent.map((e) => e.seq), [13, 14, 15]);
  });

  it('a fresh hub gets what the agent holds; a hub ahead of the agent starts over', () => {
    assert.deepEqual(nextEventWrite({ events: [] }, [ev(40), ev(41)], 42)!.sent.map((e) => e.seq), [40, 41]);
    const reset = nextEventWrite({ events: [ev(90)], nextSeq: 91 }, [ev(1), ev(2)], 3)!;
    assert.equal(reset.reset, true);
    assert.deepEqual(reset.events.map((e) => e.seq), [1, 2]);
    assert.equal(reset.nextSeq, 3);
  });

  it('property: through lost writes, lost answers and outages, a watcher of the hub sees every seq once, in order', () => {
    // Each step: the agent logs some events, then tries one write; the hub may be down (nothing
    // written), or may apply the write and lose the answer (the agent must read the hub again).
    const step = fc.record({ newEvents: fc.nat(5), outcome: fc.constantFrom('ok', 'down', 'answerLost') });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (steps, limit) => {
        let log: EventLog = { events: [], nextSeq: 1 };
        let pending: AgentEvent[] = [];
        let hub: HubEventState = { events: [] };
        let known: HubEventState | undefined = hub; // the agent's view of the hub; undefined = read it first
        const watched: number[] = [];
        const attempt = (outcome: string) => {
          if (!known) {
            if (outcome === 'down') return;
            known = hub;
          }
          pending = pending.filter((e) => known!.nextSeq === undefined || e.seq >= known!.nextSeq);
          const write = nextEventWrite(known, pending, log.nextSeq, limit);
          if (!write) return;
          if (outcome === 'down') {
            known = undefined;
            return;
          }
          // The write is applied only under the resourceVersion it was computed from (here: the
          // hub state the agent knows is the hub's current state, since the agent is its only writer).
          assert.equal(known, hub);
          hub = { events: write.events, nextSeq: write.nextSeq };
          watched.push(...write.sent.map((e) => e.seq));
          pending = pending.filter((e) => e.seq >= write.nextSeq);
          known = outcome === 'answerLost' ? undefined : hub;
        };
        for (const s of steps) {
          for (let i = 0; i < s.newEvents; i++) {
            log = appendEvent(log, { time: 't', severity: 'Normal', reason: 'R', message: 'm' }, 3);
            pending = mergeEvents(pending, [log.events[log.events.length - 1]]);
          }
          attempt(s.outcome);
        }
        // The hub comes back for good: catch up.
        for (let i = 0; i < 1000 && (pending.length || !known); i++) attempt('ok');
        assert.deepEqual(watched, Array.from({ length: log.nextSeq - 1 }, (_, i) => i + 1));
      }),
      { numRuns: 300 },
    );
  });
});

describe('agent core: hub status mirror', () => {
  it('restates observedGeneration in the hub object\'s generations', () => {
    const status = { observedGeneration: 3, conditions: [{ type: 'Ready', status: 'True' as const, reason: 'Applied', message: '', lastTransitionTime: 't', observedGeneration: 3 }, { type: 'InSync', status: 'True' as const, reason: 'InSync', message: '', lastTransitionTime: 't', observedGeneration: 2 }] };
    const hub = hubProfileStatus(status, 3, 7);
    assert.equal(hub.observedGeneration, 7);
    assert.deepEqual(hub.conditions!.map((c) => c.observedGeneration), [7, 2]);
    assert.equal(hubProfileStatus({ observedGeneration: 2 }, 3, 7).observedGeneration, 2);
    assert.equal(hubProfileStatus({ observedGeneration: 2 }, 3, 1).observedGeneration, 0);
  });

  it('a heartbeat or a condition\'s transition time alone is no summary change', () => {
    const base = { agentVersion: '0.1.0', nodes: { total: 1, ready: 1 }, conditions: [{ type: 'Ready', status: 'True' as const, reason: 'Running', message: 'm', lastTransitionTime: 'a' }] };
    assert.equal(summarySignature({ ...base, heartbeatTime: 'x' }), summarySignature({ ...base, heartbeatTime: 'y', conditions: [{ ...base.conditions[0], lastTransitionTime: 'b' }] }));
    assert.notEqual(summarySignature(base), summarySignature({ ...base, nodes: { total: 2, ready: 1 } }));
  });
});
