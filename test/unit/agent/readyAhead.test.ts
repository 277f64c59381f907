/**
 * A profile's Ready status counts for the profiles that depend on it from the moment the agent
 * sends it, not only once the API server has stored it (agent/src/controller/steps/status.ts,
 * readyAhead): on a split stack that write takes seconds, and the dependents waited for it.
 */
import assert from 'node:assert/strict';
import { StatusWriter, Logger } from '@kplane/agent';
import type { ClusterProfile } from '@kplane/profile';

const KEY = 'kplane-system/crds';
const profile = (generation: number): ClusterProfile =>
  ({ apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'crds', namespace: 'kplane-system', generation, resourceVersion: '7' }, spec: { version: '1.0.0', layers: [{ name: 'l', manifests: [] }] } }) as unknown as ClusterProfile;
const run = (state: 'Ready' | 'Failed') =>
  ({ layers: [{ status: { name: 'l', state, resources: 1, ready: state === 'Ready' ? 1 : 0, ...(state === 'Failed' ? { message: 'x' } : {}) }, errors: state === 'Failed' ? ['x'] : [], drifted: 0, ...(state === 'Failed' ? { blocks: 'failed' } : {}) }], total: 1, hash: 'h', pruned: 0 }) as never;

function harness() {
  const writes: { resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  const queued: string[] = [];
  const observed: unknown[] = [];
  const deps = {
    api: { request: () => new Promise((resolve, reject) => writes.push({ resolve, reject })) },
    event: () => undefined,
    observeProfile: (o: unknown) => observed.push(o),
    queueDependents: (namespace: string, name: string) => queued.push(`${namespace}/${name}`),
    scalingStatus: () => undefined,
    now: () => new Date('2026-12-01T10:00:00Z'),
  };
  const writer = new StatusWriter(deps as never, { report: () => [] } as never);
  const ctx = (p: ClusterProfile) =>
    ({ key: KEY, profile: p, previous: {}, secrets: [], log: new Logger({}, 'error', () => undefined), now: new Date('2026-12-01T10:00:00Z'), mode: 'enforce', paused: false, resyncMs: 600_000, adopting: new Set(), signal: new AbortController().signal }) as never;
  return { writer, writes, queued, observed, ctx };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('agent: dependents go on from a Ready status in flight', () => {
  it('counts the Ready being written, queues the dependents before the write ends, and leaves it to the cache once written', async () => {
    const h = harness();
    const cached = profile(2);
    assert.equal(h.writer.readyAhead(KEY, cached), cached);
    const done = h.writer.report(h.ctx(cached), run('Ready'));
    await tick();
    assert.equal(h.writes.length, 1, 'the status write was not sent');
    assert.deepEqual(h.queued, [KEY], 'the dependents were not queued before the write ended');
    const seen = h.writer.readyAhead(KEY, cached);
    assert.equal(seen?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(seen?.status?.observedGeneration, 2);
    // A newer generation (edited meanwhile) is not Ready by this write.
    const edited = profile(3);
    assert.equal(h.writer.readyAhead(KEY, edited), edited);
    h.writes[0].resolve({ ...cached, status: seen?.status });
    await done;
    assert.equal(h.writer.readyAhead(KEY, cached), cached);
    assert.equal(h.observed.length, 1);
  });

  it('a failed write takes it back', async () => {
    const h = harness();
    const cached = profile(2);
    const done = h.writer.report(h.ctx(cached), run('Ready'));
    await tick();
    h.writes[0].reject(new Error('boom'));
    await assert.rejects(done, /boom/);
    assert.equal(h.writer.readyAhead(KEY, cached), cached);
  });

  it('a status that is not Ready is not announced', async () => {
    const h = harness();
    const cached = profile(2);
    const done = h.writer.report(h.ctx(cached), run('Failed'));
    await tick();
    assert.equal(h.writes.length, 1);
    assert.deepEqual(h.queued, []);
    assert.equal(h.writer.readyAhead(KEY, cached), cached);
    h.writes[0].resolve(cached);
    await done;
  });
});

describe('agent: the cache after a status write answered with metadata only', () => {
  it("holds the run's spec under the answer's metadata, unless the spec changed meanwhile: then nothing, and the watch brings it", async () => {
    const h = harness();
    const read = profile(2);
    const first = h.writer.report(h.ctx(read), run('Failed'));
    await tick();
    h.writes[0].resolve({ metadata: { ...read.metadata, resourceVersion: '8' } });
    await first;
    assert.equal(h.observed.length, 1);
    const stored = h.observed[0] as ClusterProfile;
    assert.equal(stored.metadata.resourceVersion, '8');
    assert.deepEqual(stored.spec, read.spec);
    // Edited while the run worked: the answer's generation is 3, the run's spec is generation 2's.
    const second = h.writer.report(h.ctx(read), run('Failed'));
    await tick();
    h.writes[1].resolve({ metadata: { ...read.metadata, generation: 3, resourceVersion: '9' } });
    await second;
    assert.equal(h.observed.length, 1, 'an old spec was cached under the new generation');
  });
});
