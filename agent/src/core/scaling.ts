/**
 * Local scaling decisions: the HPA's formula for an average-value target (desired =
 * ceil(metric / target)), clamped to min/max, and held while the cooldown since the last change
 * runs. Pure, clock injected.
 */
export interface ScaleInput {
  current: number;
  metricValue: number;
  targetAverageValue: number;
  minReplicas: number;
  maxReplicas: number;
  cooldownMs: number;
  /** When replicas were last changed by a decision, if ever. */
  lastChange?: Date;
  now: Date;
}

export interface ScaleDecision {
  desired: number;
  change: boolean;
  reason: 'ScaledUp' | 'ScaledDown' | 'AtDesired' | 'Cooldown' | 'InvalidMetric';
  message: string;
}

export function decideScale(input: ScaleInput): ScaleDecision {
  const { current, metricValue, targetAverageValue, minReplicas, maxReplicas } = input;
  if (!Number.isFinite(metricValue) || !(targetAverageValue > 0)) {
    return { desired: current, change: false, reason: 'InvalidMetric', message: `metric value ${metricValue} or target ${targetAverageValue} is not usable` };
  }
  const raw = Math.ceil(metricValue / targetAverageValue);
  const desired = Math.min(maxReplicas, Math.max(minReplicas, raw));
  const inputs = `metric ${metricValue} / target ${targetAverageValue} → ${raw}, bounds [${minReplicas}, ${maxReplicas}]`;
  if (desired === current) return { desired, change: false, reason: 'AtDesired', message: `${inputs}: stays at ${current}` };
  if (input.lastChange) {
    const waited = input.now.getTime() - input.lastChange.getTime();
    if (waited < input.cooldownMs) {
      const left = Math.ceil((input.cooldownMs - waited) / 1000);
      return { desired: current, change: false, reason: 'Cooldown', message: `${inputs}: would scale ${current}→${desired}, cooldown has ${left}s left` };
    }
  }
  return { desired, change: true, reason: desired > current ? 'ScaledUp' : 'ScaledDown', message: `${inputs}: scaled ${current}→${desired}` };
}

/** Reads a numeric value at a simple JSONPath-like field path (.data.depth, .status.queue[0].len). */
export function readFieldPath(obj: unknown, fieldPath: string): number | undefined {
  const parts = fieldPath
    .replace(/^\{?\$?\.?/, '')
    .replace(/\}$/, '')
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '');
  let cur: any = obj;
  for (const part of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = cur[part];
  }
  if (typeof cur === 'number') return cur;
  if (typeof cur === 'string' && cur.trim() !== '' && Number.isFinite(Number(cur))) return Number(cur);
  return undefined;
}
