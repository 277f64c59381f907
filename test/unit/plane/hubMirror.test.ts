import { strict as assert } from 'node:assert';
import type { ClusterAgent, ClusterProfile } from '@kplane/profile';
import { FleetModel, HubMirror, LAST_SEEN_NOTICE_MS, hubMemberId, memberOfNamespace, observeLease, parseHubMemberId, parseSelector, type LeaseObject, type Selector } from '@kplane/plane';

const parseOk = (text: string): Selector => {
  const parsed = parseSelector(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.selector;
};

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
/** Leases carry MicroTime: six fractional digits. */
const micro = (ms: number) => iso(ms).replace('Z', '000Z');

function agent(namespace: string, opts: { labels?: Record<string, string>; ready?: boolean; name?: string; clusterId?: string } = {}): ClusterAgent {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterAgent',
    metadata: { name: opts.name ?? 'agent', namespace },
    spec: { labels: opts.labels ?? {}, displayName: undefined },
    status: {
      ...(opts.clusterId ? { clusterId: opts.clusterId } : {}),
      // Written once, long ago: in hub mode the Lease is the heartbeat, not this.
      heartbeatTime: iso(T0 - 3_600_000),
      agentVersion: '0.1.0',
      nodes: { total: 3, ready: 3 },
      conditions: opts.ready === false ? [{ type: 'Ready', status: 'False', reason: 'NoPermission', message: 'cannot list nodes', lastTransitionTime: iso(T0) }] : [],
      events: [],
      nextSeq: 0,
    },
  };
}

function profile(namespace: string, name: string): ClusterProfile {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name, namespace, generation: 1 },
    spec: { version: '1.0.0', layers: [] },
    status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True', reason: 'Applied', message: '', lastTransitionTime: iso(T0) }] },
  };
}

function lease(namespace: string, renewed: number, seconds = 180, name = 'agent-heartbeat'): LeaseObject {
  return { metadata: { name, namespace }, spec: { holderIdentity: 'agent', leaseDurationSeconds: seconds, renewTime: micro(renewed) } };
}

function setup() {
  const clock = { now: T0 };
  const model = new FleetModel(() => clock.now);
  const mirror = new HubMirror('hub-1', model, () => clock.now);
  const changes: string[][] = [];
  model.onChange((ids) => changes.push(ids));
  return { clock, model, mirror, changes };
}

const A = hubMemberId('hub-1', 'edge-a');
const B = hubMemberId('hub-1', 'edge-b');

describe('hub mode in the plane: demultiplexing and Lease age', () => {
  it('names: member namespaces, ids, and ids of contexts that hold "/"', () => {
    assert.equal(memberOfNamespace('kplane-member-edge-a'), 'edge-a');
    assert.equal(memberOfNamespace('kplane-system'), undefined);
    assert.equal(memberOfNamespace('kplane-member-'), undefined);
    assert.equal(memberOfNamespace('kplane-member-Bad_Name'), undefined);
    assert.equal(A, 'hub:hub-1/edge-a');
    assert.deepEqual(parseHubMemberId('hub:arn:aws:eks:eu-west-1:1:cluster/hub/edge-a'), { hub: 'arn:aws:eks:eu-west-1:1:cluster/hub', name: 'edge-a' });
    assert.equal(parseHubMemberId('edge-a'), undefined);
    assert.equal(parseHubMemberId('hub:ctx/'), undefined);
  });

  it('splits one list over all namespaces into members, ignoring other namespaces and other names', () => {
    const { model, mirror, changes } = setup();
    mirror.replace({
      agents: [agent('kplane-member-edge-a', { labels: { env: 'prod' } }), agent('kplane-member-edge-b', { labels: { env: 'dev' } }), agent('kplane-system'), agent('kplane-member-edge-c', { name: 'other' })],
      profiles: [profile('kplane-member-edge-a', 'base'), profile('kplane-member-edge-a', 'web'), profile('kplane-member-edge-b', 'base'), profile('default', 'stray')],
      leases: [lease('kplane-member-edge-a', T0), lease('kplane-member-edge-b', T0), lease('kube-node-lease', T0, 40, 'node-1'), lease('kplane-member-edge-a', T0, 180, 'something-else')],
    });
    assert.deepEqual(model.ids().sort(), [A, B]);
    assert.deepEqual(changes.length, 1, 'one change notice for the whole list');
    assert.deepEqual(changes[0].sort(), [A, B]);
    const a = model.get(A)!;
    assert.equal(a.hub, 'hub-1');
    assert.equal(a.displayName, 'edge-a');
    assert.deepEqual(a.labels, { env: 'prod' });
    assert.deepEqual(a.profiles.map((p) => p.key), ['kplane-member-edge-a/base', 'kplane-member-edge-a/web']);
    assert.equal(a.state, 'Healthy', `${a.state}: ${a.reason}`);
    assert.deepEqual(model.get(B)!.profiles.map((p) => p.name), ['base']);
  });

  it('keeps direct clusters and hub members apart in a mixed fleet', () => {
    const { model, mirror } = setup();
    model.setClusters([{ id: 'prod-1' }]);
    mirror.replace({ agents: [agent('kplane-member-edge-a')], profiles: [], leases: [lease('kplane-member-edge-a', T0)] });
    model.setClusters([{ id: 'prod-1' }, { id: 'prod-2' }]);
    assert.deepEqual(model.ids().sort(), [A, 'prod-1', 'prod-2']);
    mirror.replace({ agents: [], profiles: [], leases: [] });
    assert.deepEqual(model.ids().sort(), ['prod-1', 'prod-2'], 'an empty hub removes only its own members');
  });

  it('adds a member on its first event and removes it when its last object is deleted', () => {
    const { model, mirror } = setup();
    mirror.replace({ agents: [], profiles: [], leases: [] });
    mirror.apply('agent', 'ADDED', agent('kplane-member-edge-a'));
    assert.equal(model.get(A)?.state, 'Stale', 'no Lease yet: the status heartbeat (an hour old) is all there is');
    mirror.apply('lease', 'ADDED', lease('kplane-member-edge-a', T0));
    assert.equal(model.get(A)?.state, 'Healthy');
    mirror.apply('profile', 'ADDED', profile('kplane-member-edge-a', 'base'));
    assert.equal(model.get(A)?.profiles.length, 1);
    mirror.apply('profile', 'ADDED', profile('elsewhere', 'base'));
    mirror.apply('agent', 'MODIFIED', agent('kplane-system'));
    assert.deepEqual(model.ids(), [A], 'events of other namespaces change nothing');
    mirror.apply('profile', 'DELETED', profile('kplane-member-edge-a', 'base'));
    mirror.apply('agent', 'DELETED', agent('kplane-member-edge-a'));
    assert.deepEqual(model.ids(), [A], 'the Lease is still there');
    mirror.apply('lease', 'DELETED', lease('kplane-member-edge-a', T0));
    assert.deepEqual(model.ids(), [], 'nothing of the member is left (kplane hub leave)');
  });

  it('a relist replaces what was known: members gone while away leave, profiles follow the list', () => {
    const { model, mirror } = setup();
    mirror.replace({ agents: [agent('kplane-member-edge-a'), agent('kplane-member-edge-b')], profiles: [profile('kplane-member-edge-a', 'old')], leases: [] });
    mirror.replace({ agents: [agent('kplane-member-edge-a')], profiles: [profile('kplane-member-edge-a', 'new')], leases: [] });
    assert.deepEqual(model.ids(), [A]);
    assert.deepEqual(model.get(A)!.profiles.map((p) => p.name), ['new']);
  });

  it('derives Stale and Unreachable from the Lease age on the plane clock, keeping the last known state', () => {
    const { clock, model, mirror } = setup();
    mirror.replace({ agents: [agent('kplane-member-edge-a', { ready: false })], profiles: [], leases: [lease('kplane-member-edge-a', T0, 180)] });
    assert.equal(model.get(A)!.state, 'Degraded');
    clock.now = T0 + 180_000;
    model.tick();
    assert.equal(model.get(A)!.state, 'Degraded', 'exactly the duration: not yet stale');
    clock.now = T0 + 181_000;
    model.tick();
    assert.equal(model.get(A)!.state, 'Stale');
    assert.match(model.get(A)!.reason, /Lease on hub hub-1 not renewed within its 180s duration/);
    clock.now = T0 + 361_000;
    model.tick();
    const away = model.get(A)!;
    assert.equal(away.state, 'Unreachable');
    assert.equal(away.lastKnown, 'Degraded');
    assert.equal(away.lastSeen, '2026-01-01T00:00:00Z');
    assert.match(away.reason, /cut off from the hub or its agent stopped/);
    // The member comes back; its clock is 10 minutes slow, so renewTime looks old. A renewal is a renewal.
    clock.now = T0 + 400_000;
    mirror.apply('lease', 'MODIFIED', lease('kplane-member-edge-a', T0 - 600_000 + 400_000, 180));
    assert.equal(model.get(A)!.state, 'Degraded');
    clock.now = T0 + 400_000 + 170_000;
    model.tick();
    assert.equal(model.get(A)!.state, 'Degraded', 'aged from when the plane saw the renewal');
  });

  it('does not take a first sighting of a Lease from a clock that runs ahead as fresher than now', () => {
    const first = observeLease(undefined, lease('kplane-member-edge-a', T0 + 3_600_000, 60), T0)!;
    assert.equal(first.renewedAt, T0);
    assert.equal(first.durationMs, 60_000);
    assert.equal(observeLease(first, lease('kplane-member-edge-a', T0 + 3_600_000, 60), T0 + 50_000), first, 'same renewTime: unchanged, same object');
    assert.equal(observeLease(undefined, { metadata: { name: 'agent-heartbeat' }, spec: {} }, T0), undefined, 'never renewed');
    const old = observeLease(undefined, lease('kplane-member-edge-a', T0 - 500_000), T0)!;
    assert.equal(old.renewedAt, T0 - 500_000, 'a first sighting of an old renewal is old');
  });

  it('a hub that cannot be reached makes every member Unreachable with its last known state, and the hub named', () => {
    const { model, mirror } = setup();
    mirror.replace({ agents: [agent('kplane-member-edge-a'), agent('kplane-member-edge-b', { ready: false })], profiles: [], leases: [lease('kplane-member-edge-a', T0), lease('kplane-member-edge-b', T0)] });
    mirror.disconnected('cannot reach https://127.0.0.1:6443 (ECONNREFUSED)');
    const [a, b] = [model.get(A)!, model.get(B)!];
    assert.deepEqual([a.state, a.lastKnown, b.state, b.lastKnown], ['Unreachable', 'Healthy', 'Unreachable', 'Degraded']);
    assert.match(a.reason, /^hub hub-1 unreachable: cannot reach/);
    mirror.replace({ agents: [agent('kplane-member-edge-a')], profiles: [], leases: [lease('kplane-member-edge-a', T0)] });
    assert.equal(model.get(A)!.state, 'Healthy');
  });

  it('a tick re-derives exactly the members whose Lease crossed a threshold', () => {
    const { clock, model, mirror, changes } = setup();
    mirror.replace({ agents: [agent('kplane-member-edge-a'), agent('kplane-member-edge-b')], profiles: [], leases: [lease('kplane-member-edge-a', T0 - 100_000, 180), lease('kplane-member-edge-b', T0, 180)] });
    changes.length = 0;
    clock.now = T0 + 80_001;
    model.tick();
    assert.deepEqual(changes, [[A]], 'edge-a is 180.001 s old, edge-b 80 s');
    assert.deepEqual([model.get(A)!.state, model.get(B)!.state], ['Stale', 'Healthy']);
  });

  it('a Lease renewal that keeps the state moves lastSeen without a change notice; tick announces it later, and still turns an unrenewed Lease Stale', () => {
    const { clock, model, mirror, changes } = setup();
    mirror.replace({ agents: [agent('kplane-member-edge-a'), agent('kplane-member-edge-b')], profiles: [], leases: [lease('kplane-member-edge-a', T0, 180), lease('kplane-member-edge-b', T0, 180)] });
    changes.length = 0;
    const before = model.get(A)!;
    clock.now = T0 + 60_000;
    mirror.apply('lease', 'MODIFIED', lease('kplane-member-edge-a', T0 + 60_000, 180));
    assert.deepEqual(changes, [], 'fresh stays fresh: no change notice per renewal');
    assert.equal(model.get(A)!.state, 'Healthy');
    assert.equal(model.get(A)!.lastSeen, '2026-01-01T00:01:00Z', 'the view read now has the renewal');
    assert.equal(before.lastSeen, '2026-01-01T00:00:00Z', 'a view handed out before is not edited');
    clock.now = T0 + 60_000 + LAST_SEEN_NOTICE_MS - 1;
    model.tick();
    assert.deepEqual(changes, []);
    clock.now = T0 + 60_000 + LAST_SEEN_NOTICE_MS;
    model.tick();
    assert.deepEqual(changes, [[A]], 'the moved lastSeen, announced once with the others');
    changes.length = 0;
    clock.now = T0 + 180_001;
    model.tick();
    assert.deepEqual(changes, [[B]], 'edge-b was not renewed; edge-a was, 120 s ago');
    assert.deepEqual([model.get(A)!.state, model.get(B)!.state], ['Healthy', 'Stale']);
    changes.length = 0;
    clock.now = T0 + 60_000 + 180_001;
    model.tick();
    assert.deepEqual(changes, [[A]], 'the renewed Lease ages past its duration from the renewal on');
    assert.equal(model.get(A)!.state, 'Stale');
    changes.length = 0;
    mirror.apply('lease', 'MODIFIED', lease('kplane-member-edge-b', clock.now, 180));
    assert.deepEqual(changes, [[B]], 'a renewal that changes the state is announced at once');
    assert.equal(model.get(B)!.state, 'Healthy');
  });

  it('in one watch hand-over (a batch), renewals that keep the state announce nothing, and the others are announced once', () => {
    const { clock, model, mirror, changes } = setup();
    mirror.replace({ agents: [agent('kplane-member-edge-a'), agent('kplane-member-edge-b')], profiles: [], leases: [lease('kplane-member-edge-a', T0, 180), lease('kplane-member-edge-b', T0, 180)] });
    changes.length = 0;
    clock.now = T0 + 60_000;
    model.batch(() => {
      mirror.apply('lease', 'MODIFIED', lease('kplane-member-edge-a', clock.now, 180));
      mirror.apply('agent', 'MODIFIED', agent('kplane-member-edge-b', { ready: false }));
      mirror.apply('lease', 'MODIFIED', lease('kplane-member-edge-b', clock.now, 180));
    });
    assert.deepEqual(changes, [[B]], 'edge-a only renewed: no notice; edge-b changed: one notice for its two events');
    assert.equal(model.get(A)!.lastSeen, '2026-01-01T00:01:00Z');
    assert.deepEqual([model.get(A)!.state, model.get(B)!.state], ['Healthy', 'Degraded']);
  });

  it('a tick with nothing overdue announces nothing, at 10,000 members', () => {
    const { clock, model, mirror, changes } = setup();
    const names = Array.from({ length: 10_000 }, (_, i) => `m${i}`);
    mirror.replace({ agents: names.map((n) => agent(`kplane-member-${n}`)), profiles: [], leases: names.map((n) => lease(`kplane-member-${n}`, T0)) });
    changes.length = 0;
    clock.now = T0 + 60_000;
    model.tick();
    assert.equal(changes.length, 0);
    assert.equal(model.summary().byState.Healthy, 10_000);
  });
});

describe('a cluster both in the kubeconfig and on a hub', () => {
  /** prod-1 in the kubeconfig is hub-1's edge-a (same kube-system uid); edge-b is only on the hub. */
  function twins() {
    const t = setup();
    t.model.setClusters([{ id: 'prod-1' }]);
    t.model.setAgent('prod-1', agent('kplane-system', { clusterId: 'uid-1' }));
    t.mirror.replace({
      agents: [agent('kplane-member-edge-a', { clusterId: 'uid-1' }), agent('kplane-member-edge-b', { clusterId: 'uid-2' })],
      profiles: [],
      leases: [lease('kplane-member-edge-a', T0), lease('kplane-member-edge-b', T0)],
    });
    t.changes.length = 0;
    return t;
  }

  it('is listed once, as the direct entry, which names the hub it is also on', () => {
    const { model } = twins();
    assert.deepEqual(model.list().map((v) => v.id).sort(), [B, 'prod-1']);
    assert.equal(model.summary().total, 2);
    assert.deepEqual(model.get('prod-1')!.alsoOnHub, [{ id: A, hub: 'hub-1', state: 'Healthy' }]);
    // Still there for whoever holds its id (the hub's target for writes).
    assert.equal(model.get(A)!.shownAs, 'prod-1');
    assert.equal(model.get(B)!.shownAs, undefined);
  });

  it('the direct entry follows its hub twin\'s state, and announces it', () => {
    const { clock, model, changes } = twins();
    clock.now = T0 + 200_000;
    model.tick();
    assert.equal(model.get(A)!.state, 'Stale');
    assert.deepEqual(model.get('prod-1')!.alsoOnHub, [{ id: A, hub: 'hub-1', state: 'Stale' }]);
    assert.ok(changes.flat().includes('prod-1'), JSON.stringify(changes));
  });

  it('the direct entry shows its twin\'s new state when its own change comes first, before any tick', () => {
    const { clock, model } = twins();
    // edge-a's Lease is past its 180 s duration, and nothing has ticked yet: the first to notice
    // is a status write on the direct twin, which is recomputed before edge-a is.
    clock.now = T0 + 200_000;
    model.setAgent('prod-1', { ...agent('kplane-system', { clusterId: 'uid-1' }), spec: { labels: { env: 'prod' } } });
    assert.equal(model.get(A)!.state, 'Stale');
    assert.deepEqual(model.get('prod-1')!.alsoOnHub, [{ id: A, hub: 'hub-1', state: 'Stale' }]);
    model.tick();
    assert.deepEqual(model.get('prod-1')!.alsoOnHub, [{ id: A, hub: 'hub-1', state: 'Stale' }]);
  });

  it('the hub member shows again when the direct cluster leaves the kubeconfig, or its agent reports another id', () => {
    const { model, changes } = twins();
    model.setAgent('prod-1', agent('kplane-system', { clusterId: 'uid-9' }));
    assert.equal(model.get(A)!.shownAs, undefined);
    assert.equal(model.get('prod-1')!.alsoOnHub, undefined);
    assert.ok(changes.flat().includes(A), 'the tree hears of the member it must show again');
    model.setAgent('prod-1', agent('kplane-system', { clusterId: 'uid-1' }));
    assert.equal(model.get(A)!.shownAs, 'prod-1');
    changes.length = 0;
    model.setClusters([]);
    assert.deepEqual(model.list().map((v) => v.id).sort(), [A, B]);
    assert.equal(model.get(A)!.shownAs, undefined);
    assert.ok(changes.flat().includes(A));
  });

  it('a selector targets it once: as the direct entry when its labels match, else through the hub by the hub\'s labels', () => {
    const { model, mirror } = twins();
    model.setAgent('prod-1', { ...agent('kplane-system', { clusterId: 'uid-1' }), spec: { labels: { env: 'prod' } } });
    mirror.apply('agent', 'MODIFIED', agent('kplane-member-edge-a', { clusterId: 'uid-1', labels: { env: 'prod', region: 'eu' } }));
    assert.deepEqual(model.select(parseOk('env=prod')).map((v) => v.id), ['prod-1']);
    assert.deepEqual(model.select(parseOk('region=eu')).map((v) => v.id), [A]);
  });

  it('an agent that reports no cluster id (older, or no read access to namespaces) is shown twice, as before', () => {
    const { model, mirror } = setup();
    model.setClusters([{ id: 'prod-1' }]);
    model.setAgent('prod-1', agent('kplane-system'));
    mirror.replace({ agents: [agent('kplane-member-edge-a')], profiles: [], leases: [lease('kplane-member-edge-a', T0)] });
    assert.deepEqual(model.list().map((v) => v.id).sort(), [A, 'prod-1']);
  });
});
