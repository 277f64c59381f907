/** Summaries the agent reports: profile counts for ClusterAgent status, and change detection. */
import { isConditionTrue, type ClusterProfile, type ClusterProfileStatus } from '@kplane/profile';
import { canonicalJson } from './hubMirror.js';

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

/**
 * While a profile is in progress (waiting for a dependency, or for a layer to become healthy),
 * its status is written at most this often, counted from the last write or from when the agent
 * first worked on the profile's generation: the API server rewrites the whole stored profile on
 * every status write, which took 1-5 s for a 1.4 MB part of a split stack on the bench machine,
 * and "0/2 healthy" turning into "1/2 healthy" a second later is not worth that. Until then the
 * status keeps its older observedGeneration, which tools (kstatus) read as in progress.
 */
export const PROGRESS_WRITE_MS = 10_000;
/**
 * On a slow API server progress writes are spaced further: at least this many times the last
 * status write took, so they cost at most a tenth of its time (a 1.4 MB part took 5-11 s per
 * write at the bench's load average 20, and three held-back progress writes then fell due
 * together, slowing the writes that mattered), up to PROGRESS_WRITE_MAX_MS.
 */
export const PROGRESS_WRITE_COST_FACTOR = 10;
export const PROGRESS_WRITE_MAX_MS = 60_000;

/** How long progress writes are held back, given how long the last status write took (ms), if known. */
export function progressHoldMs(lastWriteMs: number | undefined): number {
  return Math.min(PROGRESS_WRITE_MAX_MS, Math.max(PROGRESS_WRITE_MS, PROGRESS_WRITE_COST_FACTOR * (lastWriteMs ?? 0)));
}

/**
 * Whether a status write may wait, `sinceMs` after the last write (or the start on this
 * generation): only while it says "in progress" (Ready=False, Progressing or DependencyNotReady,
 * no layer Failed) and within `holdMs` (PROGRESS_WRITE_MS, or progressHoldMs on a slow server). Ready, a failure and an invalid spec go out at once.
 */
export function holdsProgress(next: Pick<ClusterProfileStatus, 'conditions' | 'layers'>, sinceMs: number, holdMs = PROGRESS_WRITE_MS): boolean {
  if (sinceMs >= holdMs) return false;
  const ready = next.conditions?.find((c) => c.type === 'Ready');
  const failing = next.layers?.some((l) => l.state === 'Failed');
  return ready?.status === 'False' && (ready.reason === 'Progressing' || ready.reason === 'DependencyNotReady') && !failing;
}

/** Status is written only when it says something new. */
export function statusChanged(previous: ClusterProfileStatus | undefined, next: ClusterProfileStatus): boolean {
  return statusPatch(previous, next) !== undefined;
}

/**
 * The JSON merge patch (RFC 7386) that turns `previous` into `next`: only the fields that changed,
 * `null` for those that went away, objects patched field by field, arrays whole (merge patch has
 * no other way). undefined when nothing changed. A profile's status of a big stack carries layers,
 * drift and conditions; most runs change one or two of them, and the whole status on every write
 * was most of a write's cost.
 */
export function statusPatch(previous: object | undefined, next: object): Record<string, unknown> | undefined {
  const patch = mergePatch(previous ?? {}, next);
  return patch === SAME ? undefined : (patch as Record<string, unknown>);
}

const SAME = Symbol('same');

function mergePatch(before: unknown, after: unknown): unknown {
  if (!isPlainObject(before) || !isPlainObject(after)) return sameJson(before, after) ? SAME : after === undefined ? null : after;
  const out: Record<string, unknown> = {};
  let changed = false;
  for (const [k, v] of Object.entries(after)) {
    if (v === undefined) continue;
    const p = mergePatch(before[k], v);
    if (p === SAME) continue;
    out[k] = p;
    changed = true;
  }
  for (const [k, v] of Object.entries(before)) {
    if (v === undefined || (k in after && after[k] !== undefined)) continue;
    out[k] = null;
    changed = true;
  }
  return changed ? out : SAME;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

