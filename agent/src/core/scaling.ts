/**
 * Local scaling decisions: the HPA's formula for an average-value target (desired =
 * ceil(metric / target), or ceil(average × pods / target) for a per-pod Resource metric), clamped to min/max, and held while the cooldown since the last change
 * runs. Pure, clock injected.
 */
export interface ScaleInput {
  current: number;
  metricValue: number;
  targetAverageValue: number;
  /**
   * Resource metrics only: how many pods `metricValue` is the average of. The HPA's rule is then
   * ceil(average × pods / target), the replicas that bring each pod back to the target; an
   * Object metric is already a total to spread, ceil(metric / target).
   */
  pods?: number;
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
  // Quantities are parsed to floats (200m → 0.2), so 0.6 / 0.2 may come out as 3.0000000000000004;
  // the HPA computes in milli-units and gets exactly 3. Round the ratio before ceil to agree.
  const total = input.pods === undefined ? metricValue : metricValue * input.pods;
  const raw = Math.ceil(Math.round((total / targetAverageValue) * 1e9) / 1e9);
  const desired = Math.min(maxReplicas, Math.max(minReplicas, raw));
  const metric = input.pods === undefined ? `metric ${metricValue}` : `average ${metricValue} × ${input.pods} pod(s)`;
  const inputs = `${metric} / target ${targetAverageValue} → ${raw}, bounds [${minReplicas}, ${maxReplicas}]`;
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

const QUANTITY_SUFFIX: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, Pi: 1024 ** 5, Ei: 1024 ** 6,
};

/** Kubernetes quantities as numbers (cpu in cores, memory in bytes); NaN when `text` is not one. */
export function parseQuantity(text: string | number): number {
  if (typeof text === 'number') return text;
  const match = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([a-zA-Z]*)$/.exec(String(text).trim());
  if (!match) return NaN;
  return Number(match[1]) * (QUANTITY_SUFFIX[match[2]] ?? NaN);
}

/** One pod of a metrics.k8s.io PodMetricsList (only what scaling reads). */
export interface PodUsage {
  containers: { usage?: Record<string, string> }[];
}

/**
 * The value a Resource metric compares with its target: per pod, the sum of its containers'
 * usage; then the average over pods (what the HPA calls AverageValue). Undefined when there are
 * no pods or a usage is not a quantity, so no decision is made on half the data.
 */
export function averagePodUsage(pods: PodUsage[], resource: string): number | undefined {
  if (!pods.length) return undefined;
  let total = 0;
  for (const pod of pods) {
    for (const container of pod.containers ?? []) {
      const usage = parseQuantity(container.usage?.[resource] ?? '0');
      if (!Number.isFinite(usage)) return undefined;
      total += usage;
    }
  }
  return total / pods.length;
}
