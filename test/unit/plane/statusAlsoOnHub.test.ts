/**
 * `kplane status` (table and --output json) and the fleet report say "also on hub" for a cluster
 * read directly and as a hub member (same agent clusterId), which they list once, as the direct
 * context: the fleet model pairs the two (test/unit/plane/hubMirror.test.ts), these renderers
 * must not drop what it found.
 */
import { strict as assert } from 'node:assert';
import type { ClusterAgent } from '@kplane/profile';
import { FleetModel, HubMirror, hubMemberId, reportJson, reportMarkdown, statusJson, statusTable, type LeaseObject } from '@kplane/plane';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function agent(namespace: string, clusterId: string, heartbeat = T0): ClusterAgent {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterAgent',
    metadata: { name: 'agent', namespace },
    spec: { labels: {} },
    status: { clusterId, heartbeatTime: iso(heartbeat), agentVersion: '0.1.0', nodes: { total: 1, ready: 1 }, conditions: [], events: [], nextSeq: 0 },
  };
}

function lease(namespace: string, renewed: number): LeaseObject {
  return { metadata: { name: 'agent-heartbeat', namespace }, spec: { holderIdentity: 'agent', leaseDurationSeconds: 180, renewTime: iso(renewed).replace('Z', '000Z') } };
}

const A = hubMemberId('hub-1', 'edge-a');
const B = hubMemberId('hub-1', 'edge-b');

/** prod-1 in the kubeconfig is hub-1's edge-a; edge-b is on the hub only; dev-1 is direct only. */
function fleet() {
  const clock = { now: T0 };
  const model = new FleetModel(() => clock.now);
  model.setClusters([{ id: 'prod-1' }, { id: 'dev-1' }]);
  const mirror = new HubMirror('hub-1', model, () => clock.now);
  model.setAgent('prod-1', agent('kplane-system', 'uid-1'));
  model.setAgent('dev-1', agent('kplane-system', 'uid-3'));
  mirror.replace({
    agents: [agent('kplane-member-edge-a', 'uid-1'), agent('kplane-member-edge-b', 'uid-2')],
    profiles: [],
    leases: [lease('kplane-member-edge-a', T0), lease('kplane-member-edge-b', T0)],
  });
  return { clock, model };
}

/** What `kplane status --context prod-1,dev-1 --hub hub-1` prints (cli/src/commands/status.ts). */
const sorted = (model: FleetModel) => model.list().sort((a, b) => a.id.localeCompare(b.id));

describe('kplane status and the report: a cluster also on a hub', () => {
  it('the table lists it once and adds a line naming the hub, the member and its state there', () => {
    const { model } = fleet();
    const text = statusTable(sorted(model), T0);
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(1, 4).map((l) => l.split(/\s+/)[0]), ['dev-1', B, 'prod-1']);
    assert.equal(lines.filter((l) => l.includes('edge-a')).length, 1, text);
    assert.equal(lines[lines.length - 1], `prod-1: also on hub hub-1 as ${A} (Healthy there); shown once, from the direct connection`);
    assert.ok(!/dev-1: also|edge-b.*also/.test(text), text);
  });

  it('the line follows the member\'s own state on the hub (its Lease), not the direct one', () => {
    const { clock, model } = fleet();
    clock.now = T0 + 200_000;
    model.tick();
    model.setAgent('prod-1', agent('kplane-system', 'uid-1', clock.now));
    assert.equal(model.get('prod-1')!.state, 'Healthy');
    assert.match(statusTable(sorted(model), clock.now), new RegExp(`prod-1: also on hub hub-1 as hub:hub-1/edge-a \\(Stale there\\)`));
  });

  it('--output json: alsoOnHub on that cluster only; the others keep exactly the promised fields', () => {
    const { model } = fleet();
    const json = statusJson(sorted(model));
    const prod = json.clusters.find((c) => c.context === 'prod-1')!;
    assert.deepEqual(prod.alsoOnHub, [{ hub: 'hub-1', context: A, state: 'Healthy' }]);
    assert.deepEqual(Object.keys(prod), ['context', 'state', 'lastSeen', 'profiles', 'alsoOnHub']);
    for (const c of json.clusters.filter((x) => x.context !== 'prod-1')) assert.deepEqual(Object.keys(c), ['context', 'state', 'lastSeen', 'profiles']);
    assert.deepEqual(JSON.parse(reportJson(sorted(model), T0)).clusters, json.clusters);
  });

  it('the Markdown report says it in the cluster\'s row', () => {
    const { model } = fleet();
    // Markdown escapes: prod\-1, hub\:hub\-1/…
    const md = reportMarkdown(model.list(), T0).replace(/\\(.)/g, '$1');
    const row = md.split('\n').find((l) => l.startsWith('| prod-1 |'))!;
    assert.match(row, /also on hub hub-1 as hub:hub-1\/edge-a \(Healthy there\) \|$/);
    assert.equal(md.split('\n').filter((l) => l.includes('edge-a')).length, 1);
  });
});
