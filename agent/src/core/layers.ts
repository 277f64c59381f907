/**
 * A layer's state after its objects were applied (or left alone): Failed when an object could
 * not be applied, Waiting while a `wait: true` layer is not healthy yet, Paused, or Ready. A
 * failed or waiting layer blocks the layers after it; `blocks` says why, for their status.
 */
import { describeObject, type LayerStatus, type ObjectRef } from '@kplane/profile';
import { objectHealth, waitingMessage } from './health.js';

/** What the apply step did with one object. */
export interface ObjectResult {
  ref: ObjectRef;
  /** The live object after this run (what was applied, or what the cache holds). */
  live?: Parameters<typeof objectHealth>[0];
  /** It differs from the profile and was left so (monitor mode, paused). */
  drifted?: boolean;
  /** Why it could not be applied; already masked. */
  error?: string;
}

export interface LayerReport {
  status: LayerStatus;
  /** Why objects could not be applied, one per object (masked). */
  errors: string[];
  /** Objects left differing from the profile. */
  drifted: number;
  /** Set when later layers must wait: why they do. */
  blocks?: string;
}

export function reportLayer(layer: { name: string; wait: boolean }, results: readonly ObjectResult[], paused: boolean): LayerReport {
  const errors = results.flatMap((r) => (r.error ? [r.error] : []));
  const healths = results.map((r) => objectHealth(r.live));
  const ready = healths.filter((h) => h.ready).length;
  const base = { name: layer.name, resources: results.length, ready };
  const counts = { errors, drifted: results.filter((r) => r.drifted).length };
  if (errors.length) {
    return { ...counts, status: { ...base, state: 'Failed', message: errors[0] }, blocks: `waiting for layer "${layer.name}", which failed` };
  }
  if (paused) return { ...counts, status: { ...base, state: 'Paused' } };
  if (layer.wait && ready < results.length) {
    const message = waitingMessage(results.map((r, i) => ({ object: describeObject(r.ref), health: healths[i] })));
    return { ...counts, status: { ...base, state: healths.some((h) => h.failed) ? 'Failed' : 'Waiting', message }, blocks: `waiting for layer "${layer.name}" to become healthy` };
  }
  return { ...counts, status: { ...base, state: 'Ready' } };
}

/** A layer not reached because an earlier one blocks. */
export function blockedLayer(layer: { name: string }, resources: number, paused: boolean, why: string): LayerReport {
  return { errors: [], drifted: 0, status: { name: layer.name, state: paused ? 'Paused' : 'Pending', resources, ready: 0, message: why } };
}
