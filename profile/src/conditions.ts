/**
 * Conditions with Kubernetes API-convention semantics: one entry per type, and
 * `lastTransitionTime` moves only when `status` flips, never on a reason or message change.
 */
import { STATUS_LIMITS, type Condition, type ConditionStatus } from './types.js';

export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
}

/** Returns a new list with `update` merged in; `now` is injected so tests can fix the clock. */
export function setCondition(conditions: readonly Condition[] | undefined, update: ConditionUpdate, now: Date): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === update.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: truncate(update.message, STATUS_LIMITS.conditionMessage),
    lastTransitionTime:
      previous && previous.status === update.status ? previous.lastTransitionTime : now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...(update.observedGeneration !== undefined ? { observedGeneration: update.observedGeneration } : {}),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

export function getCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/** True when the two lists say the same thing (order of types ignored). */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = [...(a ?? [])].sort((x, y) => x.type.localeCompare(y.type));
  const right = [...(b ?? [])].sort((x, y) => x.type.localeCompare(y.type));
  return left.length === right.length && left.every((c, i) => JSON.stringify(c) === JSON.stringify(right[i]));
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A Helm layer's chart as people read it: "web 1.1.0", or "web 1.0.0 → 1.1.0" while the agent
 * upgrades it; undefined for a manifests layer. Shared by the tree, the dashboard and the CLI.
 */
export function layerChartText(layer: { chart?: string; chartVersion?: string; previousChartVersion?: string }): string | undefined {
  if (!layer.chart) return undefined;
  const version = layer.previousChartVersion && layer.previousChartVersion !== layer.chartVersion ? `${layer.previousChartVersion} → ${layer.chartVersion ?? '?'}` : layer.chartVersion;
  return version ? `${layer.chart} ${version}` : layer.chart;
}
