import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import type { AgentEvent, ClusterAgent, ClusterProfile, Condition } from '@kplane/profile';
import {
  FleetModel,
  catchUpEvents,
  deriveState,
  matchesSelector,
  parseMaxUnavailable,
  parseSelector,
  planBatches,
  reportMarkdown,
  shouldHalt,
  statusJson,
  type ClusterRecord,
} from '@kplane/plane';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function agent(opts: { heartbeat?: number; interval?: string; labels?: Record<string, string>; ready?: boolean; events?: AgentEvent[]; nextSeq?: number } = {}): ClusterAgent {
  const conditions: Condition[] = opts.ready === false ? [{ type: 'Ready', status: 'False', reason: 'NoPermission', message: 'cannot list nodes', lastTransitionTime: iso(T0) }] : [];
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterAgent',
    metadata: { name: 'agent', namespace: 'kplane-system' },
    spec: { labels: opts.labels ?? {}, heartbeatInterval: opts.interval ?? '10s' },
    status: {
      heartbeatTime: iso(opts.heartbeat ?? T0),
      agentVersion: '0.1.0',
      nodes: { total: 3, ready: 3 },
      conditions,
      events: opts.events ?? [],
      nextSeq: opts.nextSeq ?? 0,
    },
  };
}

function profile(name: string, status: { ready?: boolean; drifted?: number; failed?: number; paused?: boolean } = {}): ClusterProfile {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, namespace: 'kplane-system', generation: 2 },
    spec: { version: '1.0.0', layers: [], ...(status.paused ? { paused: true } : {}) },
    status: {
      observedGeneration: 2,
      appliedVersion: '1.0.0',
      conditions: [{ type: 'Ready', status: status.ready === false ? 'False' : 'True', reason: 'x', message: '', lastTransitionTime: iso(T0) }],
      resources: { total: 4, ready: 4, drifted: status.drifted ?? 0, failed: status.failed ?? 0, pruned: 0 },
    },
  };
}

function record(partial: Partial<ClusterRecord>): ClusterRecord {
  return { id: 'c', connection: { kind: 'connected', since: T0 }, lastContact: T0, profiles: new Map(), events: [], lostEvents: 0, ...partial };
}

const ev = (seq: number): AgentEvent => ({ seq, time: iso(T0 + seq), severity: 'Normal', reason: 'Applied', message: `event ${seq}` });

describe('fleet model', () => {
  describe('state derivation', () => {
    it('is Healthy when the heartbeat is fresh and every profile is ready', () => {
      const r = record({ agent: agent(), profiles: new Map([['a', profile('a')]]) });
      assert.equal(deriveState(r, T0 + 1000).state, 'Healthy');
    });

    it('orders problems: Degraded over Drifted over Paused', () => {
      const profiles = new Map([['a', profile('a', { drifted: 1 })], ['b', profile('b', { paused: true })]]);
      assert.equal(deriveState(record({ agent: agent(), profiles }), T0).state, 'Drifted');
      profiles.set('c', profile('c', { failed: 2 }));
      assert.equal(deriveState(record({ agent: agent(), profiles }), T0).state, 'Degraded');
      assert.equal(deriveState(record({ agent: agent(), profiles: new Map([['b', profile('b', { paused: true })]]) }), T0).state, 'Paused');
      assert.equal(deriveState(record({ agent: agent({ ready: false }) }), T0).state, 'Degraded');
    });

    it('is NoAgent without CRDs or without a ClusterAgent', () => {
      assert.equal(deriveState(record({ crdsInstalled: false }), T0).state, 'NoAgent');
      assert.equal(deriveState(record({ crdsInstalled: true }), T0).state, 'NoAgent');
      assert.match(deriveState(record({ crdsInstalled: false }), T0).reason, /Install or Upgrade Agent/);
    });

    it('turns Stale only after 3x the heartbeat interval, and says when it was last seen', () => {
      const r = record({ agent: agent({ interval: '10s' }) });
      assert.equal(deriveState(r, T0 + 30_000).state, 'Healthy');
      const stale = deriveState(r, T0 + 30_001);
      assert.equal(stale.state, 'Stale');
      assert.equal(stale.lastSeen, iso(T0));
      assert.equal(deriveState(r, T0 + 50_000, { staleMultiplier: 6, defaultHeartbeatMs: 30_000 }).state, 'Healthy');
    });

    it('keeps the last known state of an Unreachable cluster as of when it went away', () => {
      const r = record({ agent: agent({ interval: '10s' }), profiles: new Map([['a', profile('a', { drifted: 1 })]]), connection: { kind: 'unreachable', since: T0 + 5000, error: 'ECONNREFUSED' } });
      // Hours later the heartbeat is ancient, but the last known state is what held at T0+5s.
      const d = deriveState(r, T0 + 3_600_000);
      assert.equal(d.state, 'Unreachable');
      assert.equal(d.lastKnown, 'Drifted');
      assert.equal(d.lastSeen, iso(T0));
      assert.match(d.reason, /ECONNREFUSED/);
    });

    it('claims nothing before the first answer', () => {
      assert.equal(deriveState(record({ connection: { kind: 'connecting', since: T0 }, lastContact: undefined }), T0).state, 'Connecting');
    });
  });

  describe('missed-event catch-up by seq', () => {
    it('treats everything as fresh on the first read', () => {
      assert.deepEqual(catchUpEvents(undefined, { events: [ev(3), ev(4)], nextSeq: 5 }), { fresh: [ev(3), ev(4)], lost: 0, nextSeq: 5 });
    });

    it('returns only events at or after the expected seq', () => {
      const r = catchUpEvents(4, { events: [ev(2), ev(3), ev(4), ev(5)], nextSeq: 6 });
      assert.deepEqual(r.fresh.map((e) => e.seq), [4, 5]);
      assert.equal(r.lost, 0);
      assert.equal(r.nextSeq, 6);
    });

    it('counts the events that fell off the bounded list while away', () => {
      const r = catchUpEvents(10, { events: [ev(15), ev(16)], nextSeq: 17 });
      assert.deepEqual(r.fresh.map((e) => e.seq), [15, 16]);
      assert.equal(r.lost, 5);
    });

    it('never loses or repeats an event across any sequence of reads (property)', () => {
      // The agent writes events 0..n-1 and keeps the newest `cap`; the reader looks at arbitrary
      // points. Every event is either delivered once or counted as lost.
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 12 }), (cap, writes) => {
          let written = 0;
          let expected: number | undefined;
          const seen: number[] = [];
          let lost = 0;
          let base: number | undefined;
          for (const burst of writes) {
            written += burst;
            const events = Array.from({ length: Math.min(cap, written) }, (_, i) => ev(written - Math.min(cap, written) + i));
            const r = catchUpEvents(expected, { events, nextSeq: written });
            base ??= r.fresh.length ? r.fresh[0].seq : r.nextSeq;
            seen.push(...r.fresh.map((e) => e.seq));
            lost += r.lost;
            expected = r.nextSeq;
          }
          assert.equal(new Set(seen).size, seen.length);
          // The first read may start mid-stream; from then on nothing goes missing unaccounted.
          assert.equal(seen.length + lost, written - (base ?? written));
        }),
      );
    });

    it('shows caught-up events once a cluster comes back', () => {
      let now = T0;
      const model = new FleetModel(() => now);
      model.setClusters([{ id: 'edge' }]);
      const notices: { fresh: number[]; lost: number; caughtUp: boolean; initial: boolean }[] = [];
      model.onEvents((n) => notices.push({ fresh: n.fresh.map((e) => e.seq), lost: n.lost, caughtUp: n.caughtUp, initial: n.initial }));
      model.setAgent('edge', agent({ events: [ev(0), ev(1)], nextSeq: 2 }));
      model.setConnection('edge', { kind: 'unreachable', since: now, error: 'timeout' });
      now += 60_000;
      model.setConnection('edge', { kind: 'connected', since: now });
      model.setAgent('edge', agent({ heartbeat: now, events: [ev(4), ev(5), ev(6)], nextSeq: 7 }));
      assert.deepEqual(notices, [
        { fresh: [0, 1], lost: 0, caughtUp: false, initial: true },
        { fresh: [4, 5, 6], lost: 2, caughtUp: true, initial: false },
      ]);
      assert.equal(model.record('edge')!.lostEvents, 2);
    });
  });

  describe('label-selector targeting', () => {
    const labels = { env: 'prod', tier: 'edge', region: 'eu' };
    const match = (text: string, l: Record<string, string> = labels) => {
      const parsed = parseSelector(text);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
      return matchesSelector(parsed.selector, l);
    };

    it('supports equality, sets, existence and negation', () => {
      assert.equal(match('env=prod,tier in (edge,core),!canary'), true);
      assert.equal(match('env==prod'), true);
      assert.equal(match('env!=prod'), false);
      assert.equal(match('tier notin (edge)'), false);
      assert.equal(match('tier notin (core)'), true);
      assert.equal(match('canary'), false);
      assert.equal(match('region'), true);
      assert.equal(match('env=prod,canary', { ...labels, canary: 'true' }), true);
      assert.equal(match(''), true);
      assert.equal(match('missing!=x'), true, 'like Kubernetes, != matches clusters without the label');
    });

    it('rejects bad selectors with a message naming the problem', () => {
      for (const [text, pattern] of [
        ['tier in (edge', /not closed/],
        ['env=pr od', /not a valid value/],
        ['=prod', /cannot read|not a valid label key/],
        ['a)', /unexpected "\)"/],
      ] as const) {
        const r = parseSelector(text);
        assert.equal(r.ok, false, text);
        if (!r.ok) {
          assert.match(r.error, pattern);
          assert.ok(r.error.includes(text), `the error names the selector: ${r.error}`);
        }
      }
    });

    it('targets clusters in the model by their ClusterAgent labels', () => {
      const model = new FleetModel(() => T0);
      model.setClusters([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
      model.setAgent('a', agent({ labels: { env: 'prod', tier: 'edge' } }));
      model.setAgent('b', agent({ labels: { env: 'prod', tier: 'core', canary: 'yes' } }));
      model.setAgent('c', agent({ labels: { env: 'dev' } }));
      const parsed = parseSelector('env=prod,!canary');
      assert.ok(parsed.ok);
      assert.deepEqual(model.select(parsed.selector).map((c) => c.id), ['a']);
    });
  });

  describe('change notification', () => {
    it('notifies only the cluster that changed, and nothing when nothing changed', () => {
      let now = T0;
      const model = new FleetModel(() => now);
      model.setClusters(Array.from({ length: 100 }, (_, i) => ({ id: `c${i}` })));
      for (let i = 0; i < 100; i++) model.setAgent(`c${i}`, agent());
      const changes: string[][] = [];
      const seen = () => changes as string[][];
      model.onChange((ids) => changes.push(ids));
      model.setAgent('c7', agent());
      assert.equal(seen().length, 0, 'same status again is no change');
      model.setProfile('c7', profile('p', { drifted: 1 }));
      assert.deepEqual(changes, [['c7']]);
      now += 31_000;
      model.tick();
      assert.equal(changes.length, 2);
      assert.equal(changes[1].length, 100, 'all heartbeats went stale at once');
      assert.equal(model.summary().byState.Stale, 100);
    });
  });

  describe('apply planning', () => {
    it('splits targets into batches of maxUnavailable', () => {
      assert.deepEqual(planBatches(['a', 'b', 'c', 'd', 'e'], 2), [['a', 'b'], ['c', 'd'], ['e']]);
      assert.deepEqual(planBatches([], 3), []);
      assert.throws(() => planBatches(['a'], 0));
    });

    it('reads maxUnavailable as a count or a percentage', () => {
      assert.deepEqual(parseMaxUnavailable('25%', 10), { ok: true, value: 2 });
      assert.deepEqual(parseMaxUnavailable('1%', 10), { ok: true, value: 1 });
      assert.deepEqual(parseMaxUnavailable(3, 10), { ok: true, value: 3 });
      const bad = parseMaxUnavailable('lots', 10);
      assert.equal(bad.ok, false);
      assert.match(bad.ok ? '' : bad.error, /"lots".*whole number/);
    });

    it('halts when failures reach the budget', () => {
      assert.equal(shouldHalt([{ cluster: 'a', result: 'failed', message: '' }], 2), false);
      assert.equal(shouldHalt([{ cluster: 'a', result: 'failed', message: '' }, { cluster: 'b', result: 'failed', message: '' }], 2), true);
    });
  });

  describe('reports', () => {
    it('renders status JSON with exactly the promised fields, and Markdown naming every cluster', () => {
      const model = new FleetModel(() => T0);
      model.setClusters([{ id: 'up' }, { id: 'down' }, { id: 'silent' }]);
      model.setAgent('up', agent());
      model.setProfile('up', profile('web'));
      model.setAgent('down', agent());
      model.setConnection('down', { kind: 'unreachable', since: T0, error: 'ECONNREFUSED' });
      const json = statusJson(model.list());
      assert.deepEqual(Object.keys(json), ['clusters']);
      assert.deepEqual(Object.keys(json.clusters[0]), ['context', 'state', 'lastSeen', 'profiles']);
      assert.deepEqual(json.clusters.map((c) => c.state), ['Healthy', 'Unreachable', 'Unreachable']);
      const md = reportMarkdown(model.list(), T0);
      assert.match(md, /\| up \| Healthy \|/);
      assert.match(md, /Unreachable \(was Healthy\)/);
      assert.match(md, /\| silent \|/);
    });
  });
});
