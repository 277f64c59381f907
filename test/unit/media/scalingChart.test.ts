import { strict as assert } from 'node:assert';
import type { ScalingStatus } from '@kplane/profile';
import { scalingChart } from '@kplane/media';

describe('dashboard scaling timeline', () => {
  const status = (history: ScalingStatus['history'], target = '50% of requests'): ScalingStatus => ({ name: 'web', current: 2, desired: 2, target, history });

  it('draws replicas as steps and utilization as a line over the decisions, with the target', () => {
    const chart = scalingChart(
      status([
        { time: '2026-01-01T00:00:00Z', current: 2, desired: 2, utilization: 40 },
        { time: '2026-01-01T00:01:00Z', current: 2, desired: 4, utilization: 100, decision: 'ScaledUp' },
        { time: '2026-01-01T00:02:00Z', current: 4, desired: 4, utilization: 50 },
      ]),
      360,
      120,
    );
    assert.ok(chart);
    assert.equal(chart.replicasMax, 4);
    assert.equal(chart.metricMax, 100);
    assert.equal(chart.metricLabel, '% of requests');
    // Plot: x 28..320, y 8..104. Replicas 2 → y 56, 4 → y 8; the step rises at the second decision.
    assert.equal(chart.replicas, '28,56 174,56 174,8 320,8 320,8');
    assert.equal(chart.metric, '28,65.6 174,8 320,56');
    assert.equal(chart.targetY, 56);
    assert.deepEqual(chart.points.map((p) => p.decision), [undefined, 'ScaledUp', undefined]);
  });

  it('uses the metric value when there is no utilization, and needs two records', () => {
    const chart = scalingChart(status([{ time: '2026-01-01T00:00:00Z', current: 1, desired: 1, metricValue: 0.3 }, { time: '2026-01-01T00:00:30Z', current: 1, desired: 2, metricValue: 0.45 }], '200m per pod'));
    assert.ok(chart);
    assert.equal(chart.metricLabel, 'metric');
    assert.equal(chart.metricMax, 0.5);
    assert.equal(chart.targetY, undefined);
    assert.equal(scalingChart(status([{ time: '2026-01-01T00:00:00Z', current: 1, desired: 1 }])), undefined);
    assert.equal(scalingChart(status(undefined)), undefined);
  });
});
