/**
 * Rolling a profile out over many clusters: in batches, never more than `maxUnavailable` clusters
 * changing at once, stopping when failures exceed the budget (the same idea as a Deployment's
 * rolling update, applied to a fleet).
 */

/** `maxUnavailable` as a count ("2") or a percentage of the targets ("25%"), at least 1. */
export function parseMaxUnavailable(text: string | number, targets: number): { ok: true; value: number } | { ok: false; error: string } {
  const raw = String(text).trim();
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(raw);
  if (percent) {
    const value = Number(percent[1]);
    if (value <= 0 || value > 100) return { ok: false, error: `maxUnavailable "${raw}": a percentage must be between 1% and 100%` };
    return { ok: true, value: Math.max(1, Math.floor((targets * value) / 100)) };
  }
  if (/^\d+$/.test(raw) && Number(raw) >= 1) return { ok: true, value: Number(raw) };
  return { ok: false, error: `maxUnavailable "${raw}": write a whole number of clusters (e.g. 2) or a percentage (e.g. 25%)` };
}

/** Splits targets, in order, into batches of at most `maxUnavailable`. */
export function planBatches<T>(targets: readonly T[], maxUnavailable: number): T[][] {
  if (!Number.isInteger(maxUnavailable) || maxUnavailable < 1) throw new Error(`planBatches: maxUnavailable must be a positive integer, got ${maxUnavailable}`);
  const batches: T[][] = [];
  for (let i = 0; i < targets.length; i += maxUnavailable) batches.push(targets.slice(i, i + maxUnavailable));
  return batches;
}

export type ClusterOutcome = { cluster: string; result: 'applied' | 'unchanged' | 'failed' | 'skipped'; message: string };

/** Stop rolling out once more clusters failed than the rollout may leave unavailable. */
export function shouldHalt(outcomes: readonly ClusterOutcome[], maxUnavailable: number): boolean {
  return outcomes.filter((o) => o.result === 'failed').length >= maxUnavailable;
}
