import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RenderedLayer } from '@kplane/profile';
import { planLayers, decodeInventory, encodeInventory, mergeInventory, pruneSet, managedDiff, decideScale, readFieldPath, appendEvent, eventsAfter, restoreLog, redact, MASK, fingerprint, ownerOf, withOwnership, profileCounts, statusChanged } from '@kplane/agent/core';

const layer = (name: string, dependsOn: string[] = []): RenderedLayer => ({ name, dependsOn, wait: false, manifests: [] });

describe('agent core: layer plan', () => {
  it('keeps list order when nothing depends on anything', () => {
    assert.deepEqual(planLayers([layer('a'), layer('b'), layer('c')]).order.map((l) => l.name), ['a', 'b', 'c']);
  });
  it('puts a layer after the layers it depends on, otherwise list order', () => {
    const plan = planLayers([layer('app', ['crds']), layer('crds'), layer('extra')]);
    assert.deepEqual(plan.order.map((l) => l.name), ['crds', 'app', 'extra']);
    assert.deepEqual(plan.problems, []);
  });
  it('reports a cycle and an unknown dependency instead of looping, located in the spec', () => {
    const plan = planLayers([layer('a', ['b']), layer('b', ['a']), layer('c', ['nope'])]);
    assert.deepEqual(plan.problems, [
      'spec.layers[2].dependsOn[0]: dependsOn names "nope", but no layer has that name: use one of a, b, or remove it.',
      'spec.layers[1].dependsOn[0]: Layers depend on each other in a cycle: a → b → a. Remove one of these dependsOn entries.',
    ]);
  });
  it('always orders dependencies first (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(7), { maxLength: 3 }), { minLength: 1, maxLength: 8 }), (deps) => {
        // Only backward edges, so the graph is acyclic whatever the shuffle.
        const layers = deps.map((d, i) => layer(`l${i}`, i ? [...new Set(d.map((x) => `l${x % i}`))] : []));
        const order = planLayers([...layers].reverse()).order.map((l) => l.name);
        for (const l of layers) for (const dep of l.dependsOn) assert.ok(order.indexOf(dep) < order.indexOf(l.name));
      }),
    );
  });
});

describe('agent core: inventory', () => {
  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, namespace: 'x' });
  it('prunes exactly what left the profile, matching by group/kind/namespace/name', () => {
    const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'x' };
    assert.deepEqual(pruneSet([cm('a'), cm('b'), deploy], [cm('b'), { ...deploy, apiVersion: 'apps/v1beta2' }]), [cm('a')]);
  });
  it('round-trips through ConfigMap data and shrugs off garbage', () => {
    const entries = mergeInventory([cm('b'), cm('a'), cm('b')]);
    assert.equal(entries.length, 2);
    assert.deepEqual(decodeInventory(encodeInventory(entries)), entries);
    assert.deepEqual(decodeInventory({ objects: 'not json' }), []);
    assert.deepEqual(decodeInventory({ objects: '[{"kind":1}]' }), []);
    assert.deepEqual(decodeInventory(undefined), []);
  });
});

describe('agent core: drift', () => {
  const desired = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } } },
  };
  const live = structuredClone({
    ...desired,
    metadata: { ...desired.metadata, uid: 'u', resourceVersion: '5', annotations: { other: 'x' } },
    spec: { ...desired.spec, strategy: { type: 'RollingUpdate' }, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27', imagePullPolicy: 'Always', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } } },
    status: { replicas: 2 },
  });
  it('sees no drift in fields others own (defaults, status, extra list entries)', () => {
    assert.deepEqual(managedDiff(desired, live), []);
    const more = structuredClone(live);
    more.spec.template.spec.containers.push({ name: 'sidecar', image: 'envoy', imagePullPolicy: 'Always', ports: [] });
    assert.deepEqual(managedDiff(desired, more), []);
  });
  it('names the managed fields that changed', () => {
    const changed = structuredClone(live);
    changed.spec.replicas = 5;
    changed.spec.template.spec.containers[0].image = 'evil';
    changed.metadata.labels = { app: 'other' };
    assert.deepEqual(managedDiff(desired, changed).sort(), ['metadata.labels.app', 'spec.replicas', 'spec.template.spec.containers[0].image']);
  });
  it('treats 80 and "80" alike, and skips ignored (server-normalised) paths', () => {
    const changed = structuredClone(live);
    (changed.spec as any).replicas = '2';
    assert.deepEqual(managedDiff(desired, changed), []);
    changed.spec.template.spec.containers[0].image = 'x';
    assert.deepEqual(managedDiff(desired, changed, new Set(['spec.template.spec.containers[0].image'])), []);
  });
});

describe('agent core: scaling decisions', () => {
  const base = { current: 2, targetAverageValue: 10, minReplicas: 1, maxReplicas: 5, cooldownMs: 60_000, now: new Date('2026-01-01T00:10:00Z') };
  it('scales to ceil(metric/target) within bounds', () => {
    assert.deepEqual([decideScale({ ...base, metricValue: 35 }).desired, decideScale({ ...base, metricValue: 35 }).reason], [4, 'ScaledUp']);
    assert.equal(decideScale({ ...base, metricValue: 1000 }).desired, 5);
    assert.equal(decideScale({ ...base, metricValue: 0 }).desired, 1);
    assert.equal(decideScale({ ...base, metricValue: 15 }).reason, 'AtDesired');
  });
  it('holds during the cooldown and says how long is left', () => {
    const held = decideScale({ ...base, metricValue: 35, lastChange: new Date('2026-01-01T00:09:30Z') });
    assert.equal(held.change, false);
    assert.equal(held.reason, 'Cooldown');
    assert.match(held.message, /30s left/);
    assert.equal(decideScale({ ...base, metricValue: 35, lastChange: new Date('2026-01-01T00:09:00Z') }).change, true);
  });
  it('refuses an unusable metric', () => {
    assert.equal(decideScale({ ...base, metricValue: NaN }).reason, 'InvalidMetric');
  });
  it('reads numbers at field paths, including numeric strings', () => {
    assert.equal(readFieldPath({ data: { depth: '42' } }, '.data.depth'), 42);
    assert.equal(readFieldPath({ status: { q: [{ len: 3 }] } }, '{.status.q[0].len}'), 3);
    assert.equal(readFieldPath({ data: { depth: 'many' } }, '.data.depth'), undefined);
    assert.equal(readFieldPath({}, '.data.depth'), undefined);
  });
});

describe('agent core: event log', () => {
  it('continues seq from a restored status and never reuses one', () => {
    let log = restoreLog({ events: [{ seq: 7, time: 't', severity: 'Normal', reason: 'A', message: 'm' }], nextSeq: 8 });
    log = appendEvent(log, { time: 't', severity: 'Normal', reason: 'B', message: 'm' });
    assert.deepEqual(log.events.map((e) => e.seq), [7, 8]);
    assert.equal(restoreLog({ events: [{ seq: 9, time: 't', severity: 'Normal', reason: 'A', message: 'm' }], nextSeq: 3 }).nextSeq, 10);
    assert.equal(restoreLog(undefined).nextSeq, 1);
  });
  it('stays bounded with contiguous, increasing seq; a reader learns exactly what it missed (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 10 }), fc.nat(70), (n, limit, seen) => {
        let log = restoreLog(undefined);
        for (let i = 0; i < n; i++) log = appendEvent(log, { time: 't', severity: 'Normal', reason: 'R', message: String(i) }, limit);
        assert.ok(log.events.length <= limit);
        log.events.forEach((e, i) => i && assert.equal(e.seq, log.events[i - 1].seq + 1));
        assert.equal(log.nextSeq, n + 1);
        const after = eventsAfter(log, Math.min(seen, n));
        assert.equal(after.missed + after.events.length, n - Math.min(seen, n));
      }),
    );
  });
});

describe('agent core: objects, status, redaction', () => {
  it('labels what it owns and finds the owner back', () => {
    const owned = withOwnership({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { x: 'y' } } }, { namespace: 'kplane-system', name: 'p' }, 'base');
    assert.equal(owned.metadata.labels?.x, 'y');
    assert.deepEqual(ownerOf(owned.metadata.labels), { namespace: 'kplane-system', name: 'p' });
    assert.equal(ownerOf({ x: 'y' }), undefined);
  });
  it('fingerprints independently of key order', () => {
    assert.equal(fingerprint({ a: 1, b: [1, { c: 2, d: 3 }] }), fingerprint({ b: [1, { d: 3, c: 2 }], a: 1 }));
    assert.notEqual(fingerprint({ a: 1 }), fingerprint({ a: 2 }));
  });
  it('detects status changes ignoring key order and undefined', () => {
    assert.equal(statusChanged({ appliedVersion: '1', observedGeneration: 2 }, { observedGeneration: 2, appliedVersion: '1', drift: undefined }), false);
    assert.equal(statusChanged({ appliedVersion: '1' }, { appliedVersion: '2' }), true);
  });
  it('counts profiles for the ClusterAgent', () => {
    const c = (type: string, status: 'True' | 'False', reason = 'X') => ({ type, status, reason, message: '', lastTransitionTime: '' });
    const counts = profileCounts([
      { status: { conditions: [c('Ready', 'True'), c('InSync', 'True')] } },
      { status: { conditions: [c('Ready', 'False'), c('InSync', 'False')] } },
      { status: { conditions: [c('SpecValid', 'False', 'ValidationFailed')] } },
      {},
    ]);
    assert.deepEqual(counts, { total: 4, ready: 1, drifted: 1, failed: 1 });
  });
  it('masks every secret, longest first', () => {
    assert.equal(redact('token=hunter22 and hunter2', ['hunter2', 'hunter22']), `token=${MASK} and ${MASK}`);
    assert.equal(redact('short ab', ['ab']), 'short ab');
  });
});
