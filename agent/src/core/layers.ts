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

/** A layer whose objects could not even be rendered (a Helm chart that cannot be fetched or rendered). */
export function failedLayer(layer: { name: string }, message: string): LayerReport {
  return { errors: [message], drifted: 0, status: { name: layer.name, state: 'Failed', resources: 0, ready: 0, message }, blocks: `waiting for layer "${layer.name}", which failed` };
}

/** What a Helm layer's parts add to its status. */
export interface ChartInfo {
  chart: string;
  version?: string;
  warning?: string;
}

/**
 * One report per profile layer: the consecutive phases of a Helm layer (CRDs, pre hooks,
 * objects, post hooks) are summed, and the layer takes the state of its first phase that is not
 * Ready. Chart and version are shown; during an upgrade, the version applied before as well.
 */
export function mergeLayerReports(parts: readonly { report: LayerReport; chart?: ChartInfo }[], previous: readonly LayerStatus[] = []): LayerReport[] {
  const out: LayerReport[] = [];
  let i = 0;
  while (i < parts.length) {
    const name = parts[i].report.status.name;
    let j = i;
    while (j < parts.length && parts[j].report.status.name === name) j++;
    const group = parts.slice(i, j);
    i = j;
    const chart = group[0].chart;
    if (group.length === 1 && !chart) {
      out.push(group[0].report);
      continue;
    }
    const first = group.find((p) => p.report.status.state !== 'Ready')?.report ?? group[group.length - 1].report;
    const status: LayerStatus = {
      name,
      state: first.status.state,
      resources: group.reduce((n, p) => n + p.report.status.resources, 0),
      ready: group.reduce((n, p) => n + p.report.status.ready, 0),
    };
    const message = first.status.message ?? chart?.warning;
    if (message !== undefined) status.message = message;
    if (chart) {
      status.chart = chart.chart;
      if (chart.version) status.chartVersion = chart.version;
      const before = previous.find((l) => l.name === name);
      const from = before && before.chartVersion !== chart.version ? (before.state === 'Ready' ? before.chartVersion : (before.previousChartVersion ?? before.chartVersion)) : undefined;
      if (from && status.state !== 'Ready') status.previousChartVersion = from;
    }
    out.push({
      status,
      errors: group.flatMap((p) => p.report.errors),
      drifted: group.reduce((n, p) => n + p.report.drifted, 0),
      blocks: group.find((p) => p.report.blocks)?.report.blocks,
    });
  }
  return out;
}
