/**
 * A hostile or broken cluster: ClusterAgent and ClusterProfile objects of any shape (fast-check's
 * arbitrary JSON in every field) go through the fleet model's boundary (plane/src/fleet/clusterObjects.ts)
 * and then everything that shows them: derived state, summary, reports, the dashboard snapshot
 * and its view model, Open Status YAML. Nothing may throw, and a malformed object makes the
 * cluster say so instead of staying "Connecting".
 */
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { FleetModel, reportJson, reportMarkdown, statusDocument, statusJson } from '@kplane/plane';
import { fleetSnapshot } from '@kplane/extension';
import { buildMatrix, stateCounts, timeline } from '@kplane/media';

const T0 = Date.parse('2026-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const odd = fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true, withBoxedValues: true, withMap: true, withSet: true, withDate: true, withBigInt: true, withSparseArray: true });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, odd);

const condition = fc.record({ type: maybe(fc.constantFrom('Ready', 'Applied')), status: maybe(fc.constantFrom('True', 'False')), reason: maybe(fc.string()), message: maybe(fc.string()), lastTransitionTime: maybe(fc.constant(iso(T0))) }, { requiredKeys: [] });
const agentArb = fc.record({
  apiVersion: maybe(fc.constant('kplane.dev/v1alpha1')),
  kind: maybe(fc.constant('ClusterAgent')),
  metadata: maybe(fc.record({ name: maybe(fc.constant('agent')), namespace: maybe(fc.constant('kplane-system')), labels: odd }, { requiredKeys: [] })),
  spec: maybe(fc.record({ displayName: odd, labels: maybe(fc.dictionary(fc.string(), fc.string())), heartbeatInterval: maybe(fc.constant('10s')) }, { requiredKeys: [] })),
  status: maybe(fc.record({
    heartbeatTime: maybe(fc.constant(iso(T0))),
    agentVersion: odd,
    kubernetesVersion: odd,
    nodes: maybe(fc.record({ total: maybe(fc.nat()), ready: maybe(fc.nat()) })),
    profiles: odd,
    conditions: maybe(fc.array(maybe(condition), { maxLength: 3 })),
    events: maybe(fc.array(maybe(fc.record({ seq: maybe(fc.nat(5)), time: maybe(fc.constant(iso(T0))), severity: maybe(fc.constantFrom('Normal', 'Warning')), reason: maybe(fc.string()), message: maybe(fc.string()), profile: odd }, { requiredKeys: [] })), { maxLength: 3 })),
    nextSeq: maybe(fc.nat(5)),
  }, { requiredKeys: [] })),
}, { requiredKeys: [] });
const profileArb = fc.record({
  apiVersion: maybe(fc.constant('kplane.dev/v1alpha1')),
  kind: maybe(fc.constant('ClusterProfile')),
  metadata: maybe(fc.record({ name: maybe(fc.constantFrom('web', 'db')), namespace: maybe(fc.constant('kplane-system')), generation: maybe(fc.nat(3)), deletionTimestamp: odd }, { requiredKeys: [] })),
  spec: maybe(fc.record({ version: maybe(fc.constant('1.0.0')), paused: odd, reconcile: odd, variables: odd, values: odd, layers: odd }, { requiredKeys: [] })),
  status: maybe(fc.record({
    observedGeneration: maybe(fc.nat(3)),
    appliedVersion: odd,
    conditions: maybe(fc.array(maybe(condition), { maxLength: 3 })),
    layers: maybe(fc.array(maybe(fc.record({ name: maybe(fc.string()), state: maybe(fc.constantFrom('Ready', 'Failed')), resources: maybe(fc.nat()), ready: maybe(fc.nat()), message: odd }, { requiredKeys: [] })), { maxLength: 2 })),
    resources: odd,
    drift: maybe(fc.array(maybe(fc.record({ apiVersion: maybe(fc.constant('v1')), kind: maybe(fc.constant('ConfigMap')), name: maybe(fc.string()), fields: maybe(fc.array(fc.string())), detectedTime: odd, correctedTime: odd }, { requiredKeys: [] })), { maxLength: 2 })),
    scaling: odd,
  }, { requiredKeys: [] })),
}, { requiredKeys: [] });

function showEverything(model: FleetModel, now: number): void {
  const views = model.list();
  model.summary();
  statusJson(views);
  reportJson(views, now);
  reportMarkdown(views, now);
  const snapshot = fleetSnapshot(model, new Date(now));
  buildMatrix(snapshot);
  stateCounts(snapshot);
  for (const c of snapshot.clusters) timeline(c);
  JSON.stringify(snapshot);
  for (const id of model.ids()) {
    const record = model.record(id)!;
    statusDocument(record.agent);
    for (const p of record.profiles.values()) statusDocument(p);
  }
}

describe('hostile cluster status (property)', () => {
  it('any shape of ClusterAgent and ClusterProfile, listed or watched, never throws in the model or anything that shows it', () => {
    fc.assert(
      fc.property(maybe(agentArb), fc.array(maybe(profileArb), { maxLength: 3 }), maybe(profileArb), (agent, profiles, watched) => {
        const model = new FleetModel(() => T0);
        model.setClusters([{ id: 'c' }]);
        model.setConnection('c', { kind: 'connected', since: T0 });
        model.setAgent('c', agent as never);
        model.replaceProfiles('c', profiles as never);
        model.setProfile('c', watched as never);
        model.tick();
        showEverything(model, T0 + 1000);
        const view = model.get('c')!;
        assert.notEqual(view.state, 'Connecting', `a cluster that answered stays Connecting: ${view.reason}`);
      }),
      { numRuns: 400, seed: 20261201 },
    );
  });

  it('a malformed object is reported on the cluster (Degraded, "unexpected ..."), and a good one later clears it', () => {
    const model = new FleetModel(() => T0);
    model.setClusters([{ id: 'c' }]);
    model.setConnection('c', { kind: 'connected', since: T0 });
    model.setAgent('c', { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent' }, status: { heartbeatTime: iso(T0), conditions: 'all good', events: [{ seq: 'one' }] } } as never);
    model.replaceProfiles('c', [{ metadata: { name: 'web' }, status: { layers: {} } }, 'not an object', { metadata: {} }] as never);
    let view = model.get('c')!;
    assert.equal(view.state, 'Degraded');
    assert.match(view.reason, /^unexpected objects from the cluster: ClusterAgent agent: status\.conditions is not a list \(a string\); ClusterAgent agent: status\.events\[0\]\.seq is not a number/);
    assert.match(view.reason, /ClusterProfile web: status\.layers is not a list \(an object\) \(and 2 more\)$/);
    assert.deepEqual([...model.record('c')!.unexpected!.profiles.values()].flat().slice(1), ['a ClusterProfile that is not an object (a string), ignored', 'a ClusterProfile without metadata.name, ignored']);
    assert.deepEqual([...model.record('c')!.profiles.keys()], ['/web']);
    model.setAgent('c', { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent' }, status: { heartbeatTime: iso(T0), conditions: [] } } as never);
    model.replaceProfiles('c', []);
    view = model.get('c')!;
    assert.equal(view.state, 'Healthy', view.reason);
  });
});
