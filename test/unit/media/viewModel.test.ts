import { strict as assert } from 'node:assert';
import type { ClusterView, FleetSnapshot, ProfileView } from '@kplane/media';
import { age, buildMatrix, stateCounts, timeline } from '@kplane/media';

const profile = (name: string, over: Partial<ProfileView> = {}): ProfileView => ({
  namespace: 'kplane-system',
  name,
  version: '1.0.0',
  appliedVersion: '1.0.0',
  state: 'Ready',
  paused: false,
  conditions: [],
  layers: [],
  drift: [],
  scaling: [],
  ...over,
});
const cluster = (context: string, over: Partial<ClusterView> = {}): ClusterView => ({
  context,
  displayName: context,
  state: 'Healthy',
  labels: {},
  conditions: [],
  profiles: [],
  events: [],
  ...over,
});

describe('dashboard view model', () => {
  it('builds the clusters × profiles matrix with versions, gaps and rollouts', () => {
    const snapshot: FleetSnapshot = {
      takenAt: '2026-01-01T00:00:00Z',
      clusters: [
        cluster('b', { profiles: [profile('web', { version: '1.1.0', appliedVersion: '1.0.0', state: 'Pending' })] }),
        cluster('a', { profiles: [profile('web'), profile('base', { state: 'Drifted' })] }),
        cluster('c', { state: 'Unreachable', profiles: [profile('web')] }),
      ],
    };
    const m = buildMatrix(snapshot);
    assert.deepEqual(m.profiles, ['kplane-system/base', 'kplane-system/web']);
    assert.deepEqual(m.rows.map((r) => r.cluster.context), ['a', 'b', 'c']);
    assert.deepEqual(m.rows.map((r) => r.cells.map((c) => [c.label, c.state])), [
      [['1.0.0', 'drifted'], ['1.0.0', 'ready']],
      [['—', 'absent'], ['1.0.0 → 1.1.0', 'pending']],
      // An unreachable cluster's profiles are last known, never shown as ready.
      [['—', 'absent'], ['1.0.0', 'unknown']],
    ]);
    assert.equal(m.rows[1].cells[1].versionSkew, true);
    assert.deepEqual(stateCounts(snapshot), { Healthy: 2, Unreachable: 1 });
  });

  it('formats ages against the snapshot time', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    assert.equal(age(undefined, now), 'never');
    assert.equal(age('garbage', now), 'unknown');
    assert.equal(age('2026-01-01T12:00:05Z', now), 'just now');
    assert.equal(age('2026-01-01T11:59:48Z', now), '12s ago');
    assert.equal(age('2026-01-01T11:56:00Z', now), '4m ago');
    assert.equal(age('2026-01-01T09:00:00Z', now), '3h ago');
    assert.equal(age('2025-12-30T12:00:00Z', now), '2d ago');
  });

  it('merges events and drift into one timeline, newest first, without duplicates', () => {
    const c = cluster('a', {
      events: [
        { seq: 1, time: '2026-01-01T10:00:00Z', severity: 'Normal', reason: 'Applied', message: 'applied web 1.0.0', profile: 'kplane-system/web' },
        { seq: 2, time: '2026-01-01T10:05:00Z', severity: 'Warning', reason: 'DriftDetected', message: 'ConfigMap web/queue: data.depth', profile: 'kplane-system/web' },
      ],
      profiles: [
        profile('web', {
          drift: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'queue', fields: ['data.depth'], detectedTime: '2026-01-01T10:05:00Z', correctedTime: '2026-01-01T10:05:02Z' }],
        }),
      ],
    });
    const t = timeline(c);
    assert.deepEqual(t.map((e) => [e.time.slice(11, 19), e.reason]), [
      ['10:05:02', 'DriftCorrected'],
      ['10:05:00', 'DriftDetected'],
      ['10:00:00', 'Applied'],
    ]);
  });
});
