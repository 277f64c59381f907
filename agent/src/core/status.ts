/** Summaries the agent reports: profile counts for ClusterAgent status, and change detection. */
import { isConditionTrue, type ClusterProfile, type ClusterProfileStatus } from '@kplane/profile';

export function profileCounts(profiles: readonly Pick<ClusterProfile, 'status'>[]): { total: number; ready: number; drifted: number; failed: number } {
  let ready = 0;
  let drifted = 0;
  let failed = 0;
  for (const p of profiles) {
    const conditions = p.status?.conditions;
    if (isConditionTrue(conditions, 'Ready')) ready++;
    if (conditions?.some((c) => c.type === 'InSync' && c.status === 'False')) drifted++;
    if (conditions?.some((c) => (c.type === 'SpecValid' || c.type === 'Applied') && c.status === 'False' && c.reason !== 'Progressing' && c.reason !== 'Paused')) failed++;
  }
  return { total: profiles.length, ready, drifted, failed };
}

/** Status is written only when it says something new. */
export function statusChanged(previous: ClusterProfileStatus | undefined, next: ClusterProfileStatus): boolean {
  return JSON.stringify(sortKeys(previous ?? {})) !== JSON.stringify(sortKeys(next));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
