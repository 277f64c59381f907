import { strict as assert } from 'node:assert';
import type { ClusterAgent, ClusterProfile } from '@kplane/profile';
import { FleetModel, HubMirror, hubMemberId } from '@kplane/plane';
import { EVENTS_PER_CLUSTER, fleetSnapshot } from '@kplane/extension';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const agent = (heartbeat: number): ClusterAgent => ({
  apiVersion: 'kplane.dev/v1alpha1',
  kind: 'ClusterAgent',
  metadata: { name: 'agent', namespace: 'kplane-system' },
  spec: { displayName: 'eu-prod-1', labels: { env: 'prod' }, heartbeatInterval: '10s' },
  status: {
    heartbeatTime: iso(heartbeat),
    agentVersion: '0.1.0',
    nodes: { total: 2, ready: 2 },
    conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: 'ok', lastTransitionTime: iso(T0) }],
    events: [{ seq: 0, time: iso(T0), severity: 'Normal', reason: 'Applied', message: 'applied web 1.0.0', profile: 'kplane-system/web' }],
    nextSeq: 1,
  },
});

const profile: ClusterProfile = {
  apiVersion: 'kplane.dev/v1alpha1',
  kind: 'ClusterProfile',
  metadata: { name: 'web', namespace: 'kplane-system', generation: 2 },
  spec: { version: '1.1.0', variables: [{ name: 'token', type: 'string', sensitive: true }], values: { token: 's3cret' }, layers: [{ name: 'base', manifests: [] }] },
  status: {
    observedGeneration: 2,
    appliedVersion: '1.1.0',
    conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', message: 'ok', lastTransitionTime: iso(T0) }],
    layers: [{ name: 'base', state: 'Ready', resources: 1, ready: 1 }],
    drift: [{ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'queue', fields: ['data.depth'], detectedTime: iso(T0), correctedTime: iso(T0 + 2000) }],
  },
};

describe('dashboard fleet snapshot', () => {
  it('carries state, labels, conditions, profiles and events from the fleet model, and no spec values', () => {
    let now = T0;
    const model = new FleetModel(() => now);
    model.setClusters([{ id: 'kplane-1' }, { id: 'kplane-2' }]);
    model.setConnection('kplane-1', { kind: 'connected', since: now });
    model.setAgent('kplane-1', agent(now));
    model.setProfile('kplane-1', profile);
    model.setConnection('kplane-2', { kind: 'unreachable', since: now, error: 'connect ECONNREFUSED' });
    now += 1000;
    const snap = fleetSnapshot(model, new Date(now));
    assert.equal(snap.takenAt, '2026-01-01T12:00:01.000Z');
    const [one, two] = [...snap.clusters].sort((a, b) => a.context.localeCompare(b.context));
    assert.equal(one.state, 'Healthy');
    assert.equal(one.displayName, 'eu-prod-1');
    assert.deepEqual(one.labels, { env: 'prod' });
    assert.deepEqual(one.conditions.map((c) => c.type), ['Ready']);
    assert.deepEqual(one.events.map((e) => e.reason), ['Applied']);
    assert.deepEqual(one.profiles.map((p) => [p.name, p.version, p.appliedVersion, p.state, p.layers.length, p.drift.length]), [['web', '1.1.0', '1.1.0', 'Ready', 1, 1]]);
    assert.ok(!JSON.stringify(snap).includes('s3cret'), 'a spec value reached the webview');
    assert.equal(two.state, 'Unreachable');
    assert.match(two.stateDetail ?? '', /ECONNREFUSED/);
  });

  it('sends only the newest events of each cluster', () => {
    const model = new FleetModel(() => T0);
    model.setClusters([{ id: 'kplane-1' }]);
    model.setConnection('kplane-1', { kind: 'connected', since: T0 });
    const busy = agent(T0);
    busy.status!.events = Array.from({ length: 250 }, (_, seq) => ({ seq, time: iso(T0 + seq * 1000), severity: 'Normal' as const, reason: 'Tick', message: `event ${seq}` }));
    busy.status!.nextSeq = 250;
    model.setAgent('kplane-1', busy);
    const events = fleetSnapshot(model, new Date(T0)).clusters[0].events;
    assert.equal(events.length, EVENTS_PER_CLUSTER);
    assert.deepEqual([events[0].seq, events[events.length - 1].seq], [250 - EVENTS_PER_CLUSTER, 249]);
  });

  it('a direct cluster that is also a hub member carries alsoOnHub with the member\'s state; the member is not listed twice', () => {
    const model = new FleetModel(() => T0);
    const mirror = new HubMirror('hub-1', model, () => T0);
    const twin = (namespace: string): ClusterAgent => ({ ...agent(T0), metadata: { name: 'agent', namespace }, status: { ...agent(T0).status!, clusterId: 'uid-1' } });
    model.setClusters([{ id: 'kplane-1' }]);
    model.setConnection('kplane-1', { kind: 'connected', since: T0 });
    model.setAgent('kplane-1', twin('kplane-system'));
    const lease = { metadata: { name: 'agent-heartbeat', namespace: 'kplane-member-edge-a' }, spec: { leaseDurationSeconds: 180, renewTime: new Date(T0).toISOString().replace('Z', '000Z') } };
    mirror.replace({ agents: [twin('kplane-member-edge-a')], profiles: [], leases: [lease] });
    const snap = fleetSnapshot(model, new Date(T0));
    assert.deepEqual(snap.clusters.map((c) => c.context), ['kplane-1']);
    assert.deepEqual(snap.clusters[0].alsoOnHub, [{ hub: 'hub-1', context: hubMemberId('hub-1', 'edge-a'), state: 'Healthy' }]);
  });
});
