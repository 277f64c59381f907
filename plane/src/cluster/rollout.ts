/**
 * Applies a profile to many clusters in batches of `maxUnavailable`: write the spec (server-side
 * apply), then wait until each cluster's agent reports Ready for that generation before the next
 * batch; stop when failures reach the budget. Waiting reads the fleet model, which the cluster
 * watches keep current, so there is no polling.
 */
import type { ClusterProfile } from '@kplane/profile';
import { planBatches, shouldHalt, type ClusterOutcome } from '../fleet/applyPlan.js';
import { profileState } from '../fleet/clusterState.js';
import { profileKey, type FleetModel } from '../fleet/fleetModel.js';
import { desiredObject } from '../fleet/profileChange.js';
import { applyProfile, asTarget, type Target } from './profileActions.js';

export interface RolloutOptions {
  profile: ClusterProfile;
  targets: readonly string[];
  /** Where each target's profile is written: its API server, or its namespace on a hub. */
  client: (id: string) => Target | undefined;
  model: FleetModel;
  maxUnavailable: number;
  requestTimeoutMs: number;
  /** How long to wait for each batch's agents to report Ready; 0 = do not wait. */
  readyTimeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (message: string, done: number, total: number) => void;
}

export async function rollOut(o: RolloutOptions): Promise<ClusterOutcome[]> {
  const outcomes: ClusterOutcome[] = [];
  const batches = planBatches(o.targets, o.maxUnavailable);
  for (const [index, batch] of batches.entries()) {
    if (o.signal?.aborted || shouldHalt(outcomes, o.maxUnavailable)) {
      const why = o.signal?.aborted ? 'cancelled' : `stopped after ${outcomes.filter((x) => x.result === 'failed').length} failure(s) (maxUnavailable ${o.maxUnavailable})`;
      for (const id of batch) outcomes.push({ cluster: id, result: 'skipped', message: why });
      continue;
    }
    o.onProgress?.(`batch ${index + 1}/${batches.length}: ${batch.join(', ')}`, outcomes.length, o.targets.length);
    const results = await Promise.all(batch.map((id) => applyOne(o, id)));
    outcomes.push(...results);
  }
  o.onProgress?.('done', outcomes.length, o.targets.length);
  return outcomes;
}

async function applyOne(o: RolloutOptions, id: string): Promise<ClusterOutcome> {
  const client = o.client(id);
  if (!client) return { cluster: id, result: 'failed', message: `${id} is not in the fleet; add its context with "Add Clusters from Kubeconfig…"` };
  // The key the fleet model knows this profile by on this cluster (a hub member's is in its hub namespace).
  const key = profileKey(desiredObject(o.profile, asTarget(client).namespace));
  const before = o.model.record(id)?.profiles.get(key)?.metadata.generation;
  let written: ClusterProfile;
  try {
    written = await applyProfile(client, o.profile, { dryRun: false, timeoutMs: o.requestTimeoutMs });
  } catch (err) {
    return { cluster: id, result: 'failed', message: `${err instanceof Error ? err.message : String(err)}` };
  }
  const generation = written.metadata.generation ?? 0;
  const unchanged = before !== undefined && before === generation;
  if (o.readyTimeoutMs <= 0) return { cluster: id, result: unchanged ? 'unchanged' : 'applied', message: `generation ${generation} written` };
  const verdict = await waitForAgent(o.model, id, key, generation, o.readyTimeoutMs, o.signal);
  if (verdict === 'Ready') return { cluster: id, result: unchanged ? 'unchanged' : 'applied', message: `agent reports Ready (generation ${generation})` };
  if (verdict === 'Failed') return { cluster: id, result: 'failed', message: `the agent reports Failed for generation ${generation}; open the cluster's status for the reason` };
  if (verdict === 'Paused') return { cluster: id, result: 'applied', message: `written, but reconciliation is paused on ${id}; resume it to roll out` };
  return {
    cluster: id,
    result: 'failed',
    message: `written, but the agent did not report Ready within ${Math.round(o.readyTimeoutMs / 1000)}s (${o.model.get(id)?.reason ?? 'no status'}); check the agent on ${id} or run "Install or Upgrade Agent"`,
  };
}

function waitForAgent(model: FleetModel, id: string, key: string, generation: number, timeoutMs: number, signal?: AbortSignal): Promise<'Ready' | 'Failed' | 'Paused' | 'Timeout'> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const profile = model.record(id)?.profiles.get(key);
      if (!profile || (profile.status?.observedGeneration ?? -1) < generation) return false;
      const state = profileState(profile);
      if (state === 'Ready' || state === 'Drifted') finish('Ready');
      else if (state === 'Failed' || state === 'Paused') finish(state);
      else return false;
      return true;
    };
    const timer = setTimeout(() => finish('Timeout'), timeoutMs);
    const unsubscribe = model.onChange((ids) => {
      if (ids.includes(id)) check();
    });
    const onAbort = () => finish('Timeout');
    signal?.addEventListener('abort', onAbort);
    function finish(v: 'Ready' | 'Failed' | 'Paused' | 'Timeout') {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(v);
    }
    check();
  });
}
