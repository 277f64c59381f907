/**
 * The agent's Resource-metric scaling is the HPA's algorithm (kubernetes
 * pkg/controller/podautoscaler, replica_calculator.go and horizontal.go at v1.36): integer
 * milli-units and truncated utilization, the 10 % tolerance, pods without a metric and pods not
 * yet ready, then the scale-down stabilization window, min/max and the policy's cooldown.
 * Each case is worked out by hand from those rules; the cluster test scalingVsHpa.test.ts checks
 * the same decisions against the real HPA controller.
 */
import assert from 'node:assert/strict';
import { isProblem, normalizeScale, quantityMilli, resourceReplicas, type PodMetricSample, type ResourceReplicasInput, type ScalePod } from '@kplane/agent/core';

const now = new Date('2026-01-01T12:00:00Z');
const ago = (s: number): Date => new Date(now.getTime() - s * 1000);

/** A Running, Ready pod started 10 minutes ago (past the HPA's 5 min CPU initialization). */
function pod(name: string, requestMilli: number | undefined = 500, extra: Partial<ScalePod> = {}): ScalePod {
  return { name, phase: 'Running', startTime: ago(600), ready: { status: 'True', lastTransitionTime: ago(590) }, containers: [{ name: 'app', requestMilli }], ...extra };
}
const sample = (valueMilli: number, timestamp = ago(5)): PodMetricSample => ({ valueMilli, timestamp, windowMs: 10_000 });

function calc(pods: ScalePod[], usage: Record<string, number>, target: ResourceReplicasInput['target'], extra: Partial<ResourceReplicasInput> = {}) {
  const result = resourceReplicas({ currentReplicas: pods.length, resource: 'cpu', target, pods, metrics: new Map(Object.entries(usage).map(([k, v]) => [k, sample(v)])), now, ...extra });
  if (isProblem(result)) assert.fail(`unexpected problem ${result.problem}: ${result.message}`);
  return result;
}

describe('agent core: the HPA algorithm for Resource metrics', () => {
  it('reads quantities exactly, in milli-units rounded up like Quantity.MilliValue()', () => {
    assert.equal(quantityMilli('250000000n'), 250);
    assert.equal(quantityMilli('100m'), 100);
    assert.equal(quantityMilli('1'), 1000);
    assert.equal(quantityMilli('1.5'), 1500);
    assert.equal(quantityMilli('.5'), 500);
    assert.equal(quantityMilli('1n'), 1);
    assert.equal(quantityMilli('64Mi'), 64 * 1024 ** 2 * 1000);
    assert.equal(quantityMilli('2k'), 2_000_000);
    for (const bad of ['', 'm', '200x', '-1', '1.2.3', 'Mi256', 'lots']) assert.ok(Number.isNaN(quantityMilli(bad)), `"${bad}" read as a quantity`);
  });

  it('utilization: ceil(usage/requests / target × ready pods), the percent truncated as the HPA does', () => {
    // 3 pods at 400m of 500m = 80 % against 50 % → ratio 1.6 → ceil(4.8) = 5.
    const r = calc([pod('a'), pod('b'), pod('c')], { a: 400, b: 400, c: 400 }, { utilization: 50 });
    assert.equal(r.replicas, 5);
    assert.equal(r.utilization, 80);
    assert.equal(r.usageMilli, 1200);
    assert.equal(r.requestsMilli, 1500);
    assert.equal(r.readyPods, 3);
    // 1001m of 2000m is 50.05 % → 50 (integer), exactly on target.
    assert.equal(calc([pod('a', 1000), pod('b', 1000)], { a: 501, b: 500 }, { utilization: 50 }).utilization, 50);
  });

  it('holds within the 10 % tolerance, inclusive, and moves just outside it', () => {
    const three = [pod('a'), pod('b'), pod('c')];
    assert.equal(calc(three, { a: 275, b: 275, c: 275 }, { utilization: 50 }).replicas, 3, '55 % vs 50 % is ratio 1.10: held');
    assert.equal(calc(three, { a: 280, b: 280, c: 280 }, { utilization: 50 }).replicas, 4, '56 % vs 50 % is ratio 1.12: ceil(3.36) = 4');
    assert.equal(calc(three, { a: 225, b: 225, c: 225 }, { utilization: 50 }).replicas, 3, '45 % is ratio 0.90: held');
    assert.equal(calc(three, { a: 220, b: 220, c: 220 }, { utilization: 50 }).replicas, 3, '44 % is ratio 0.88: ceil(2.64) = 3');
    assert.equal(calc(three, { a: 100, b: 100, c: 100 }, { utilization: 50 }).replicas, 2, '20 % is ratio 0.4: ceil(1.2) = 2');
  });

  it('average value: ceil(average / target × pods) in milli-units', () => {
    // 400m, 450m, 500m average 450m against 200m → 2.25 × 3 = 6.75 → 7.
    assert.equal(calc([pod('a'), pod('b'), pod('c')], { a: 400, b: 450, c: 500 }, { averageMilli: 200 }).replicas, 7);
    // 3 × 100m against 100m: exactly 3, never 4 from floating point.
    assert.equal(calc([pod('a'), pod('b'), pod('c')], { a: 100, b: 100, c: 100 }, { averageMilli: 100 }).replicas, 3);
  });

  it('pods without a metric: at 100 % of their request on a scale-down, idle on a scale-up', () => {
    // Scale-down: 3 pods at 10 %, one without a metric counted at 100 %: (150 + 500) / 2000 = 32 % → 0.64 × 4 → 3.
    const down = calc([pod('a'), pod('b'), pod('c'), pod('d')], { a: 50, b: 50, c: 50 }, { utilization: 50 });
    assert.equal(down.replicas, 3);
    assert.equal(down.missingPods, 1);
    // Scale-up: 2 pods at 100 %, one missing counted at 0: 1000 / 1500 = 66 % → 1.32 × 3 = 3.96 → 4 (not 2 × 2 = 4 by luck: see next).
    assert.equal(calc([pod('a'), pod('b'), pod('c')], { a: 500, b: 500 }, { utilization: 50 }).replicas, 4);
    // 2 at 60 %, 1 missing: 600/1500 = 40 % → the direction flips (1.2 → 0.8): held at 3.
    assert.equal(calc([pod('a'), pod('b'), pod('c')], { a: 300, b: 300 }, { utilization: 50 }).replicas, 3);
  });

  it('cpu samples of pods not ready yet are left out, and count as idle on a scale-up', () => {
    // c started 20 s ago and turned ready 10 s ago; its sample (5 s old, 10 s window) started before that.
    const fresh = pod('c', 500, { startTime: ago(20), ready: { status: 'True', lastTransitionTime: ago(10) } });
    const up = calc([pod('a'), pod('b'), fresh], { a: 500, b: 500, c: 500 }, { utilization: 50 });
    // Ratio 2 over a, b; c counted as 0: 1000/1500 = 66 % → 1.32 × 3 → 4 (5 had c's sample counted).
    assert.equal(up.replicas, 4);
    assert.equal(up.unreadyPods, 1);
    // On a scale-down, the unready pod is just left out: 2 pods at 10 % → ratio 0.2 × 2 → 1.
    assert.equal(calc([pod('a'), pod('b'), fresh], { a: 50, b: 50, c: 500 }, { utilization: 50 }).replicas, 1);
    // Pending pods are unready; pods being deleted and Failed pods are ignored.
    const r = calc([pod('a'), pod('b', 500, { phase: 'Pending' }), pod('c', 500, { deleting: true }), pod('d', 500, { phase: 'Failed' })], { a: 250, c: 500, d: 500 }, { utilization: 50 });
    assert.deepEqual([r.replicas, r.readyPods, r.unreadyPods, r.ignoredPods], [4, 1, 1, 2]);
    // Memory does not look at readiness.
    const mem = resourceReplicas({ currentReplicas: 3, resource: 'memory', target: { utilization: 50 }, pods: [pod('a'), pod('b'), fresh], metrics: new Map([['a', sample(500)], ['b', sample(500)], ['c', sample(500)]]), now });
    assert.ok(!isProblem(mem) && mem.replicas === 6 && mem.readyPods === 3);
  });

  it('bad input is a problem with a message, never a number', () => {
    const problem = (input: Partial<ResourceReplicasInput>) => {
      const r = resourceReplicas({ currentReplicas: 2, resource: 'cpu', target: { utilization: 50 }, pods: [pod('a'), pod('b')], metrics: new Map([['a', sample(100)], ['b', sample(100)]]), now, ...input });
      assert.ok(isProblem(r), `expected a problem, got ${JSON.stringify(r)}`);
      return r;
    };
    assert.equal(problem({ pods: [] }).problem, 'NoPods');
    assert.equal(problem({ metrics: new Map() }).problem, 'NoMetrics');
    const noRequests = problem({ pods: [pod('a'), { ...pod('b'), containers: [{ name: 'app', requestMilli: 500 }, { name: 'sidecar' }] }] });
    assert.equal(noRequests.problem, 'MissingRequests');
    assert.match(noRequests.message, /container "sidecar" requests no cpu/);
    const allUnready = problem({ pods: [pod('a', 500, { phase: 'Pending' }), pod('b', 500, { phase: 'Pending' })] });
    assert.equal(allUnready.problem, 'NoMetrics');
  });
});

describe('agent core: from recommendation to replicas (stabilization, bounds, cooldown)', () => {
  const base = { minReplicas: 1, maxReplicas: 10, cooldownMs: 0, scaleDownWindowMs: 120_000, now };

  it('scales up at once, to no more than maxReplicas', () => {
    const r = normalizeScale({ ...base, current: 2, recommended: 5, history: [] });
    assert.ok(!isProblem(r) && r.desired === 5 && r.reason === 'ScaledUp');
    const capped = normalizeScale({ ...base, current: 2, recommended: 50, history: [] });
    assert.ok(!isProblem(capped) && capped.desired === 10);
  });

  it('scales down only to the highest recommendation of the window', () => {
    const held = normalizeScale({ ...base, current: 5, recommended: 2, history: [{ time: ago(60), replicas: 5 }] });
    assert.ok(!isProblem(held));
    assert.deepEqual([held.desired, held.change, held.reason], [5, false, 'ScaleDownStabilized']);
    const partly = normalizeScale({ ...base, current: 5, recommended: 2, history: [{ time: ago(60), replicas: 3 }, { time: ago(200), replicas: 5 }] });
    assert.ok(!isProblem(partly) && partly.desired === 3 && partly.reason === 'ScaledDown');
    assert.deepEqual(partly.history.map((h) => h.replicas), [3, 2], 'recommendations older than the window are dropped');
    const after = normalizeScale({ ...base, current: 5, recommended: 2, history: [{ time: ago(200), replicas: 5 }] });
    assert.ok(!isProblem(after) && after.desired === 2);
  });

  it('keeps minReplicas, holds during the cooldown, and refuses min above max', () => {
    const floor = normalizeScale({ ...base, scaleDownWindowMs: 0, current: 3, recommended: 0, history: [] });
    assert.ok(!isProblem(floor) && floor.desired === 1);
    const cooling = normalizeScale({ ...base, current: 2, recommended: 6, history: [], cooldownMs: 60_000, lastChange: ago(20) });
    assert.ok(!isProblem(cooling));
    assert.deepEqual([cooling.desired, cooling.change, cooling.reason], [2, false, 'Cooldown']);
    assert.match(cooling.message, /cooldown has 40s left/);
    const bad = normalizeScale({ ...base, minReplicas: 5, maxReplicas: 3, current: 2, recommended: 4, history: [] });
    assert.ok(isProblem(bad) && bad.problem === 'InvalidRange');
    assert.match(bad.message, /minReplicas 5 is above maxReplicas 3/);
  });
});
