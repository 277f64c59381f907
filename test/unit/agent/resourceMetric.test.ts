/**
 * Scaling on a Resource metric (metrics.k8s.io): quantities, the per-pod average the HPA calls
 * AverageValue, and the decision against a quantity target such as 200m or 256Mi.
 */
import assert from 'node:assert/strict';
import { averagePodUsage, decideScale, parseQuantity } from '@kplane/agent/core';

const pod = (...usages: Record<string, string>[]) => ({ containers: usages.map((usage) => ({ usage })) });

describe('agent core: Resource metric scaling', () => {
  const base = { minReplicas: 1, maxReplicas: 10, cooldownMs: 0, now: new Date('2026-01-01T00:00:00Z') };

  it('parses cpu and memory quantities to cores and bytes', () => {
    assert.equal(parseQuantity('200m'), 0.2);
    assert.equal(parseQuantity('1'), 1);
    assert.equal(parseQuantity('1.5'), 1.5);
    assert.equal(parseQuantity('250000000n'), 0.25);
    assert.equal(parseQuantity('256Mi'), 256 * 1024 ** 2);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.equal(parseQuantity(0.5), 0.5);
    for (const bad of ['', 'm', '200x', '-1', '1.2.3', 'Mi256']) assert.ok(Number.isNaN(parseQuantity(bad)), `"${bad}" parsed as a quantity`);
  });

  it('averages per pod the sum of its containers, not per container', () => {
    // Pod a: 300m + 100m = 400m; pod b: 200m. Per pod: 300m (per container it would be 200m).
    const cpu = averagePodUsage([pod({ cpu: '300m', memory: '100Mi' }, { cpu: '100m', memory: '28Mi' }), pod({ cpu: '200m', memory: '128Mi' })], 'cpu');
    assert.ok(Math.abs(cpu! - 0.3) < 1e-12, `average ${cpu}`);
    const memory = averagePodUsage([pod({ cpu: '300m', memory: '100Mi' }, { cpu: '100m', memory: '28Mi' }), pod({ cpu: '200m', memory: '128Mi' })], 'memory');
    assert.equal(memory, 128 * 1024 ** 2);
  });

  it('has no value without pods or with a usage that is not a quantity', () => {
    assert.equal(averagePodUsage([], 'cpu'), undefined);
    assert.equal(averagePodUsage([pod({ cpu: 'lots' })], 'cpu'), undefined);
  });

  it('scales like the HPA: ceil(average × pods / target) for a cpu target of 200m', () => {
    const decide = (usages: string[], current: number, target = '200m') =>
      decideScale({ ...base, current, metricValue: averagePodUsage(usages.map((cpu) => pod({ cpu })), 'cpu')!, pods: usages.length, targetAverageValue: parseQuantity(target) });
    // 3 pods averaging 450m need 1.35 cores / 200m each = 6.75 → 7 pods (not ceil(450/200) = 3).
    const up = decide(['400m', '450m', '500m'], 3);
    assert.deepEqual(pick(up), [7, 'ScaledUp']);
    assert.match(up.message, /average 0\.45 × 3 pod\(s\) \/ target 0\.2 → 7/);
    // Exactly on target: 3 × 0.1 / 0.1 must be 3, not 4 from the float 3.0000000000000004.
    assert.deepEqual(pick(decide(['100m', '100m', '100m'], 3, '100m')), [3, 'AtDesired']);
    // 2 pods at 50m → 0.1 / 0.2 → 1 (and never below minReplicas).
    assert.deepEqual(pick(decide(['50m', '50m'], 2)), [1, 'ScaledDown']);
  });

  it('scales on memory against a 256Mi target, clamped to maxReplicas', () => {
    const target = parseQuantity('256Mi');
    const pods = [pod({ memory: '700Mi' }), pod({ memory: '1Gi' })];
    const up = decideScale({ ...base, current: 2, metricValue: averagePodUsage(pods, 'memory')!, pods: 2, targetAverageValue: target });
    // (700Mi + 1024Mi) / 2 = 862Mi per pod × 2 pods / 256Mi = 6.73 → 7.
    assert.deepEqual(pick(up), [7, 'ScaledUp']);
    const capped = decideScale({ ...base, current: 2, metricValue: parseQuantity('8Gi'), pods: 2, targetAverageValue: target });
    assert.deepEqual(pick(capped), [10, 'ScaledUp']);
  });

  it('keeps the Object rule (a total, no pod count) unchanged', () => {
    assert.deepEqual(pick(decideScale({ ...base, current: 1, metricValue: 35, targetAverageValue: 10 })), [4, 'ScaledUp']);
  });

  it('makes no decision from an unreadable target quantity', () => {
    const d = decideScale({ ...base, current: 2, metricValue: 0.5, targetAverageValue: parseQuantity('two hundred') });
    assert.deepEqual([d.desired, d.change, d.reason], [2, false, 'InvalidMetric']);
  });
});

function pick(d: { desired: number; reason: string }): [number, string] {
  return [d.desired, d.reason];
}
