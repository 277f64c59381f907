/**
 * The audit's regular-expression denial of service against a real agent (issue 10, finding 1):
 * profiles whose variables have catastrophic-backtracking patterns, with values that fail them.
 * With backtracking, `(a+)+$` on 26 `a`s and a `!` blocked the agent's event loop for over 7 s, so
 * /healthz timed out and the kubelet would restart it into the same profile; 40 characters would
 * take years. Patterns are RE2 now (profile/src/pattern.ts), linear in the subject: every
 * /healthz probe, each 100 ms from before the profiles are applied until the agent has reported
 * on all of them, must be answered within 1 s.
 */
import assert from 'node:assert/strict';
import { waitFor } from '@kplane/bed';
import { useAgentBed } from './agentBed.js';
import type { ClusterProfile } from '@kplane/profile';

const NS = 'kplane-system';
const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;

/** Known catastrophic patterns with a subject that makes a backtracking engine try every split. */
const HOSTILE: [string, string][] = [
  ['(a+)+$', `${'a'.repeat(40)}!`],
  ['(a|aa)+$', `${'a'.repeat(60)}!`],
  ['^(a|a?)+$', `${'a'.repeat(40)}!`],
  ['^(\\w+\\s?)*$', `${'word '.repeat(12)}word!`],
  ['(.*a){20}', `${'a'.repeat(19)}${'b'.repeat(30)}`],
];

function profile(i: number, pattern: string, value: string): ClusterProfile {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: `redos-${i}`, namespace: NS },
    spec: {
      version: '1.0.0',
      variables: [{ name: 'subject', type: 'string', pattern }],
      values: { subject: value },
      layers: [{ name: 'base', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `redos-${i}`, namespace: NS }, data: { subject: '${subject}' } }] }],
    },
  } as ClusterProfile;
}

describe('agent /healthz while it reconciles profiles with catastrophic patterns (cluster)', function () {
  const bed = useAgentBed({ cluster: { name: 'health-redos' }, agentArgs: ['--heartbeat', '5s'] });

  it('answers every /healthz probe within 1 s, and reports each value as not matching its pattern', async function () {
    this.timeout(120_000);
    const base = await bed.agent.metricsUrl();
    const healthz = `${base}/healthz`;
    // Start-up (lists, discovery) is not the subject: probing starts once the caches are synced.
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, { what: 'the agent ready', timeoutMs: 60_000, intervalMs: 100 });
    // The agent's first reconcile of any profile stalls its loop for about 1 s on the loaded test
    // machine (seen with benign patterns as well: one-time set-up, not the patterns), so a
    // profile with a benign pattern goes first and the probes measure the hostile ones.
    await bed.api.apply(`${PROFILES}/redos-99`, profile(99, '^b+$', 'aaa!'), 'kplane');
    await waitFor(async () => (await bed.api.request<ClusterProfile>('GET', `${PROFILES}/redos-99`)).status?.conditions?.some((c) => c.type === 'SpecValid'), { what: 'the warm-up profile reported', timeoutMs: 60_000, intervalMs: 100 });
    const t0 = performance.now();
    const probes: { at: number; ms: number; status: number | string }[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const started = performance.now();
        let status: number | string;
        try {
          status = (await fetch(healthz, { signal: AbortSignal.timeout(1000) })).status;
        } catch (err) {
          status = err instanceof Error ? err.name : String(err);
        }
        probes.push({ at: Math.round(started - t0), ms: Math.round(performance.now() - started), status });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await waitFor(() => probes.length >= 10, { what: '10 baseline probes', timeoutMs: 30_000, intervalMs: 50 });
      console.log(`    baseline: ${JSON.stringify(probes.map((p) => p.ms))}`);
      await Promise.all(HOSTILE.map(([pattern, value], i) => bed.api.apply(`${PROFILES}/redos-${i}`, profile(i, pattern, value), 'kplane')));
      for (const [i, [pattern]] of HOSTILE.entries()) {
        const p = await waitFor(async () => {
          const got = await bed.api.request<ClusterProfile>('GET', `${PROFILES}/redos-${i}`);
          return got.status?.observedGeneration === got.metadata.generation && got.status?.conditions?.some((c) => c.type === 'SpecValid') ? got : undefined;
        }, { what: `profile redos-${i} (${pattern}) reported`, timeoutMs: 60_000, intervalMs: 100 });
        const specValid = p.status!.conditions!.find((c) => c.type === 'SpecValid')!;
        assert.equal(specValid.status, 'False', `${pattern}: ${specValid.message}`);
        assert.ok(specValid.message.includes(`does not match the pattern ${pattern}`), `${pattern}: ${specValid.message}`);
      }
      // A few more probes after the last report: the agent keeps re-checking on its own resyncs.
      const until = probes.length + 10;
      await waitFor(() => probes.length >= until, { what: '10 more probes', timeoutMs: 30_000, intervalMs: 50 });
    } finally {
      probing = false;
      await prober;
    }
    const failed = probes.filter((p) => p.status !== 200 || p.ms >= 1000);
    const slowest = Math.max(...probes.map((p) => p.ms));
    console.log(`    /healthz: ${probes.length} probes, slowest ${slowest.toFixed(0)} ms: ${JSON.stringify(probes.map((p) => p.ms))}`);
    assert.ok(probes.length >= 15, `${probes.length} probes`);
    assert.deepEqual(failed, [], `probes not answered within 1 s (of ${probes.length})`);
  });
});
