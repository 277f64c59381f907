/**
 * kplane's local autoscaling side by side with the cluster's own HPA controller: two identical
 * Deployments on one bed cluster with metrics-server, one scaled by a kplane policy, one by a
 * real autoscaling/v2 HorizontalPodAutoscaler with the same target (50 % of a 200m request, the
 * same 20 s scale-down window). A scripted load curve (up, plateau, down, spike) is spread over
 * each side's pods; after every step both sides must settle on the same replica count, and over
 * the whole run kplane must not change replicas more often than the HPA. Minutes long, so here
 * (`npm run test:faults`) rather than in `npm test`.
 */
import assert from 'node:assert/strict';
import type { ClusterProfile } from '@kplane/profile';
import { startSideBySide, type SideBySide } from '@kplane/bed';

/** Total millicores per Deployment; with 100m per pod at target, ceil(load / 100) replicas is where both should land. */
const CURVE: { step: string; load: number; expect: number }[] = [
  { step: 'up', load: 450, expect: 5 },
  { step: 'plateau', load: 450, expect: 5 },
  { step: 'down', load: 150, expect: 2 },
  { step: 'spike', load: 700, expect: 7 },
];

describe('scaling side by side with the HPA (faults)', function () {
  this.timeout(900_000);
  let side: SideBySide;

  before(async function () {
    side = await startSideBySide({ name: 'hpa-side', scalingPeriod: '2s', scaleDownWindowS: 20, maxReplicas: 8 });
    // Start from the agreed baseline: 200m over 2 pods is exactly on target.
    await side.metricsServe((n) => Math.round(200 / n), 120_000);
  });
  after(async function () {
    if (this.currentTest?.state === 'failed') console.log(`--- agent log (tail) ---\n${side?.agent.logs().slice(-3000)}`);
    await side?.stop();
  });

  it('takes the same decision as the HPA at every step of up, plateau, down and spike', async function () {
    const rows: string[] = [];
    for (const { step, load, expect } of CURVE) {
      const changedAt = Date.now();
      side.setLoad(load);
      const before = { kplane: side.changes.kplane.length, hpa: side.changes.hpa.length };
      await side.metricsServe((n) => Math.round(load / n), 90_000);
      // Quiet for 40 s: longer than two HPA syncs (15 s) and the 20 s scale-down window.
      const settled = await side.settle(40_000, 240_000);
      const reaction = (s: 'kplane' | 'hpa') => {
        const first = side.changes[s][before[s]];
        return first ? `${((first.at - changedAt) / 1000).toFixed(1)}s` : '—';
      };
      rows.push(`${step.padEnd(8)} load ${String(load).padStart(4)}m: kplane ${settled.kplane}, HPA ${settled.hpa} (expected ${expect}); first change after the load changed (metrics-server scrapes every 10 s): kplane ${reaction('kplane')}, HPA ${reaction('hpa')}`);
      assert.equal(settled.kplane, settled.hpa, `${step}: kplane settled on ${settled.kplane} replicas, the HPA on ${settled.hpa}\n${rows.join('\n')}`);
      assert.equal(settled.hpa, expect, `${step}: the HPA itself settled on ${settled.hpa}, not the ${expect} this curve is built for (the scenario is off)`);
    }
    console.log(rows.map((r) => `      ${r}`).join('\n'));
    const count = (s: { from: number; to: number }[]) => s.map((c) => `${c.from}→${c.to}`).join(' ');
    console.log(`      replica changes: kplane ${side.changes.kplane.length} (${count(side.changes.kplane)}), HPA ${side.changes.hpa.length} (${count(side.changes.hpa)})`);
    assert.ok(side.changes.kplane.length <= side.changes.hpa.length, `kplane changed replicas ${side.changes.kplane.length} times, the HPA ${side.changes.hpa.length}`);

    // Every decision is in status with its inputs, and the timeline holds the curve.
    const profile = await side.api.request<ClusterProfile>('GET', '/apis/kplane.dev/v1alpha1/namespaces/kplane-system/clusterprofiles/side-by-side');
    const s = profile.status!.scaling![0];
    assert.equal(s.target, '50% of requests');
    assert.equal(s.desired, 7);
    assert.ok(s.utilization !== undefined && s.readyPods !== undefined && s.requests !== undefined && s.usage !== undefined, `inputs missing from ${JSON.stringify(s)}`);
    assert.ok((s.history ?? []).some((h) => h.decision === 'ScaledDown') && (s.history ?? []).some((h) => h.decision === 'ScaledUp'), `history lacks the curve: ${JSON.stringify(s.history)}`);
  });
});
