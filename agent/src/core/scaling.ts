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

// ---------------------------------------------------------------------------------------------
// Resource metrics the way the HPA computes them (kubernetes pkg/controller/podautoscaler,
// replica_calculator.go and horizontal.go, v1.36): integer milli-units, the 10 % tolerance, pods
// not yet ready and pods without a metric, then the scale-down stabilization window, min/max and
// (ours) the cooldown. Pure: the pods, their metrics and the clock are given.
// ---------------------------------------------------------------------------------------------

const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_POWER: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };

/**
 * A quantity in milli-units, rounded up like resource.Quantity.MilliValue(): 250000000n → 250,
 * 1Gi → 1073741824000. Exact (BigInt), so 3 × 100m is 300 and never 300.00000000000006.
 * NaN when `text` is not a quantity.
 */
export function quantityMilli(text: string | number): number {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? Math.ceil(text * 1000 - 1e-9) : NaN;
  const match = /^([0-9]+)(?:\.([0-9]*))?([a-zA-Z]*)$/.exec(String(text).trim()) ?? /^()\.([0-9]+)([a-zA-Z]*)$/.exec(String(text).trim());
  if (!match) return NaN;
  const [, whole, fraction = '', suffix] = match;
  const digits = BigInt(`${whole}${fraction}` || '0');
  let numerator = digits;
  let denominator = 10n ** BigInt(fraction.length);
  if (suffix in DECIMAL_EXPONENT) {
    const exp = DECIMAL_EXPONENT[suffix] + 3;
    if (exp >= 0) numerator *= 10n ** BigInt(exp);
    else denominator *= 10n ** BigInt(-exp);
  } else if (suffix in BINARY_POWER) {
    numerator *= 1000n * 1024n ** BigInt(BINARY_POWER[suffix]);
  } else return NaN;
  return Number((numerator + denominator - 1n) / denominator);
}

/** A pod of the scale target, as far as the HPA looks at it. */
export interface ScalePod {
  name: string;
  /** status.phase: Pending, Running, Succeeded, Failed. */
  phase?: string;
  /** metadata.deletionTimestamp is set. */
  deleting?: boolean;
  startTime?: Date;
  /** The PodReady condition, if the pod has one. */
  ready?: { status: string; lastTransitionTime?: Date };
  /** Each container's request of the resource, in milli-units; undefined when it requests none. */
  containers: { name: string; requestMilli?: number }[];
}

/** A pod's usage from metrics.k8s.io: the sum of its containers, in milli-units. */
export interface PodMetricSample {
  valueMilli: number;
  timestamp: Date;
  windowMs: number;
}

export type ResourceTarget = { utilization: number } | { averageMilli: number };

export interface ResourceReplicasInput {
  /** The target's spec.replicas. */
  currentReplicas: number;
  resource: string;
  target: ResourceTarget;
  pods: ScalePod[];
  /** By pod name; pods of the metrics API that are not in `pods` count as the HPA counts them. */
  metrics: Map<string, PodMetricSample>;
  now: Date;
  /** Default 0.1, the HPA's --horizontal-pod-autoscaler-tolerance. */
  tolerance?: number;
  /** Default 5 min (--horizontal-pod-autoscaler-cpu-initialization-period). */
  cpuInitializationPeriodMs?: number;
  /** Default 30 s (--horizontal-pod-autoscaler-initial-readiness-delay). */
  initialReadinessDelayMs?: number;
}

export type ScalingProblem = 'NoPods' | 'NoMetrics' | 'MissingRequests' | 'InvalidQuantity' | 'InvalidRange' | 'MetricsUnavailable' | 'TargetMissing';

/** What a Resource metric recommends, with the numbers it came from (shown in status). */
export interface ResourceRecommendation {
  replicas: number;
  /** Percent of requests over the pods with a metric (utilization targets; truncated, as the HPA). */
  utilization?: number;
  /** Average usage per pod with a metric, milli-units (truncated, as the HPA). */
  averageMilli: number;
  usageMilli: number;
  requestsMilli?: number;
  readyPods: number;
  /** Pending, or not ready / too fresh for a CPU sample: left out (counted as 0 on a scale-up). */
  unreadyPods: number;
  /** Without a metric: counted as at target on a scale-down, as 0 on a scale-up. */
  missingPods: number;
  /** Being deleted or Failed. */
  ignoredPods: number;
  /** One line: how the recommendation was reached. */
  explanation: string;
}

export type ResourceResult = ResourceRecommendation | { problem: ScalingProblem; message: string };

export function isProblem(result: ResourceResult | NormalizedScale | { problem: ScalingProblem; message: string }): result is { problem: ScalingProblem; message: string } {
  return 'problem' in result;
}

const MINUTE = 60_000;

/** The replicas a Resource metric recommends, before stabilization and bounds (HPA GetResourceReplicas / GetRawResourceReplicas). */
export function resourceReplicas(input: ResourceReplicasInput): ResourceResult {
  const tolerance = input.tolerance ?? 0.1;
  const cpuInit = input.cpuInitializationPeriodMs ?? 5 * MINUTE;
  const readinessDelay = input.initialReadinessDelayMs ?? 30_000;
  const utilizationTarget = 'utilization' in input.target ? input.target.utilization : undefined;
  if (!input.pods.length) return { problem: 'NoPods', message: 'no pods match the target\'s selector, so there is no usage to scale on' };
  if (!input.metrics.size) return { problem: 'NoMetrics', message: 'metrics.k8s.io returned no pod metrics for the target\'s pods yet' };

  // Group the pods as the HPA does.
  const metrics = new Map<string, number>([...input.metrics].map(([name, m]) => [name, m.valueMilli]));
  let readyPods = 0;
  const unready = new Set<string>();
  const missing = new Set<string>();
  const ignored = new Set<string>();
  for (const pod of input.pods) {
    if (pod.deleting || pod.phase === 'Failed') {
      ignored.add(pod.name);
      continue;
    }
    if (pod.phase === 'Pending') {
      unready.add(pod.name);
      continue;
    }
    const metric = input.metrics.get(pod.name);
    if (!metric) {
      missing.add(pod.name);
      continue;
    }
    if (input.resource === 'cpu') {
      let isUnready: boolean;
      if (!pod.ready || !pod.startTime) isUnready = true;
      else if (pod.startTime.getTime() + cpuInit > input.now.getTime()) {
        // Still initializing: a sample counts only once a whole window was measured after the pod turned ready.
        const since = pod.ready.lastTransitionTime?.getTime() ?? 0;
        isUnready = pod.ready.status === 'False' || metric.timestamp.getTime() < since + metric.windowMs;
      } else {
        // Later: left out only if it is unready and has never been ready.
        const since = pod.ready.lastTransitionTime?.getTime() ?? 0;
        isUnready = pod.ready.status === 'False' && pod.startTime.getTime() + readinessDelay > since;
      }
      if (isUnready) {
        unready.add(pod.name);
        continue;
      }
    }
    readyPods++;
  }
  for (const name of [...ignored, ...unready]) metrics.delete(name);
  if (!metrics.size) return { problem: 'NoMetrics', message: `none of the ${input.pods.length} pod(s) has a usable metric yet (${unready.size} not ready, ${missing.size} without a metric)` };

  // Requests (utilization only): every container must request the resource.
  let requests: Map<string, number> | undefined;
  if (utilizationTarget !== undefined) {
    requests = new Map();
    const without: string[] = [];
    for (const pod of input.pods) {
      let sum = 0;
      for (const c of pod.containers) {
        if (c.requestMilli === undefined) without.push(`${c.name} (pod ${pod.name})`);
        else sum += c.requestMilli;
      }
      requests.set(pod.name, sum);
    }
    if (without.length) {
      const names = [...new Set(without.map((w) => w.replace(/ \(pod .*\)$/, '')))];
      return {
        problem: 'MissingRequests',
        message: `targetAverageUtilization is a percent of ${input.resource} requests, but container${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')} request${names.length > 1 ? '' : 's'} no ${input.resource}; add resources.requests.${input.resource} or use targetAverageValue`,
      };
    }
  }

  type Ratio = { ratio: number; utilization?: number; averageMilli: number; usageMilli: number; requestsMilli?: number; counted: number };
  const ratioOf = (values: Map<string, number>): Ratio | undefined => {
    let usage = 0;
    let count = 0;
    if (requests && utilizationTarget !== undefined) {
      let requested = 0;
      for (const [name, value] of values) {
        const request = requests.get(name);
        if (request === undefined) continue; // a metric of a pod the lister no longer has
        usage += value;
        requested += request;
        count++;
      }
      if (requested === 0) return undefined;
      const utilization = Math.trunc((usage * 100) / requested);
      return { ratio: utilization / utilizationTarget, utilization, averageMilli: Math.trunc(usage / count), usageMilli: usage, requestsMilli: requested, counted: values.size };
    }
    for (const value of values.values()) usage += value;
    count = values.size;
    const target = (input.target as { averageMilli: number }).averageMilli;
    const averageMilli = Math.trunc(usage / count);
    return { ratio: averageMilli / target, averageMilli, usageMilli: usage, counted: count };
  };
  const first = ratioOf(metrics);
  if (!first) return { problem: 'NoMetrics', message: 'the pod metrics match none of the target\'s pods' };
  const within = (ratio: number): boolean => 1 - tolerance <= ratio && ratio <= 1 + tolerance;
  const targetText = utilizationTarget !== undefined ? `${utilizationTarget}% of requests` : `${formatMilli((input.target as { averageMilli: number }).averageMilli, input.resource)} per pod`;
  const measured = first.utilization !== undefined ? `${first.utilization}% of requests` : `${formatMilli(first.averageMilli, input.resource)} per pod`;
  const counts = { readyPods, unreadyPods: unready.size, missingPods: missing.size, ignoredPods: ignored.size };
  const result = (replicas: number, how: string): ResourceRecommendation => ({
    replicas,
    ...(first.utilization !== undefined ? { utilization: first.utilization } : {}),
    averageMilli: first.averageMilli,
    usageMilli: first.usageMilli,
    ...(first.requestsMilli !== undefined ? { requestsMilli: first.requestsMilli } : {}),
    ...counts,
    explanation: `${measured} over ${readyPods} ready pod(s) vs target ${targetText} (ratio ${first.ratio.toFixed(2)}): ${how}`,
  });

  const scaleUpWithUnready = unready.size > 0 && first.ratio > 1;
  if (!scaleUpWithUnready && !missing.size) {
    if (within(first.ratio)) return result(input.currentReplicas, `within the ${Math.round(tolerance * 100)}% tolerance, stays at ${input.currentReplicas}`);
    const replicas = Math.ceil(first.ratio * readyPods);
    return result(replicas, `ceil(${first.ratio.toFixed(2)} × ${readyPods}) = ${replicas}`);
  }
  // Pods without a metric: at target on a scale-down (utilization: 100 % of requests, or the
  // target when above 100 %), idle on a scale-up; pods not ready: idle on a scale-up.
  const adjusted = new Map(metrics);
  if (missing.size && first.ratio !== 1) {
    for (const name of missing) {
      if (first.ratio < 1) {
        adjusted.set(name, requests && utilizationTarget !== undefined ? Math.trunc(((requests.get(name) ?? 0) * Math.max(100, utilizationTarget)) / 100) : (input.target as { averageMilli: number }).averageMilli);
      } else adjusted.set(name, 0);
    }
  }
  if (scaleUpWithUnready) for (const name of unready) adjusted.set(name, 0);
  const second = ratioOf(adjusted)!;
  const note = `${missing.size ? `${missing.size} pod(s) without a metric counted as ${first.ratio < 1 ? 'at target' : 'idle'}` : ''}${missing.size && scaleUpWithUnready ? ', ' : ''}${scaleUpWithUnready ? `${unready.size} pod(s) not ready counted as idle` : ''}`;
  if (within(second.ratio) || (first.ratio < 1 && second.ratio > 1) || (first.ratio > 1 && second.ratio < 1)) {
    return result(input.currentReplicas, `${note}, the ratio becomes ${second.ratio.toFixed(2)}: stays at ${input.currentReplicas}`);
  }
  const replicas = Math.ceil(second.ratio * adjusted.size);
  if ((second.ratio < 1 && replicas > input.currentReplicas) || (second.ratio > 1 && replicas < input.currentReplicas)) {
    return result(input.currentReplicas, `${note}, ceil(${second.ratio.toFixed(2)} × ${adjusted.size}) = ${replicas} would scale the other way: stays at ${input.currentReplicas}`);
  }
  return result(replicas, `${note}: ceil(${second.ratio.toFixed(2)} × ${adjusted.size}) = ${replicas}`);
}

/** 250m, 1.5 (cores); 64Mi (bytes) for display. */
export function formatMilli(milli: number, resource: string): string {
  if (resource === 'memory') {
    const bytes = milli / 1000;
    for (const [suffix, size] of [['Gi', 1024 ** 3], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
      if (bytes >= size) return `${Number((bytes / size).toFixed(1))}${suffix}`;
    }
    return `${Math.round(bytes)}`;
  }
  return milli % 1000 === 0 ? `${milli / 1000}` : `${Math.round(milli)}m`;
}

/** A recommendation of the past, for the scale-down stabilization window. */
export interface TimedRecommendation {
  time: Date;
  replicas: number;
}

export interface NormalizeInput {
  current: number;
  /** What the metric recommends now (before stabilization and bounds). */
  recommended: number;
  /** Recommendations of the past (any age; those outside the window are dropped). */
  history: TimedRecommendation[];
  scaleDownWindowMs: number;
  minReplicas: number;
  maxReplicas: number;
  cooldownMs: number;
  lastChange?: Date;
  now: Date;
}

export interface NormalizedScale {
  desired: number;
  change: boolean;
  reason: 'ScaledUp' | 'ScaledDown' | 'AtDesired' | 'Cooldown' | 'ScaleDownStabilized';
  message: string;
  /** The history to keep: the window's recommendations plus this one. */
  history: TimedRecommendation[];
}

/**
 * From a recommendation to the replicas to run (HPA normalizeDesiredReplicasWithBehaviors, with
 * scale-up unlimited): scale down no lower than the highest recommendation of the window, keep
 * within [min, max], and hold while the policy's cooldown since the last change runs.
 */
export function normalizeScale(input: NormalizeInput): NormalizedScale | { problem: ScalingProblem; message: string } {
  const { current, recommended, minReplicas, maxReplicas, now } = input;
  if (minReplicas > maxReplicas) {
    return { problem: 'InvalidRange', message: `minReplicas ${minReplicas} is above maxReplicas ${maxReplicas}; fix the profile (make minReplicas at most maxReplicas)` };
  }
  const cutoff = now.getTime() - input.scaleDownWindowMs;
  const kept = input.history.filter((r) => r.time.getTime() > cutoff && r.time.getTime() <= now.getTime());
  const highest = kept.reduce((m, r) => Math.max(m, r.replicas), recommended);
  let stabilized = Math.max(current, recommended);
  if (stabilized > highest) stabilized = highest;
  const history = [...kept, { time: now, replicas: recommended }].slice(-200);
  const desired = Math.min(maxReplicas, Math.max(minReplicas, stabilized));
  const bounds = desired !== stabilized ? ` (bounded to [${minReplicas}, ${maxReplicas}])` : '';
  if (desired === current) {
    if (stabilized !== recommended && recommended < current) {
      return { desired, change: false, reason: 'ScaleDownStabilized', message: `recommends ${recommended}, but ${highest} was recommended within the last ${Math.round(input.scaleDownWindowMs / 1000)}s: stays at ${current}`, history };
    }
    return { desired, change: false, reason: 'AtDesired', message: `stays at ${current}${bounds}`, history };
  }
  if (input.lastChange) {
    const waited = now.getTime() - input.lastChange.getTime();
    if (waited < input.cooldownMs) {
      const left = Math.ceil((input.cooldownMs - waited) / 1000);
      return { desired: current, change: false, reason: 'Cooldown', message: `would scale ${current}→${desired}${bounds}, cooldown has ${left}s left`, history };
    }
  }
  const held = stabilized !== recommended && recommended < stabilized ? ` (down to the window's highest recommendation ${highest})` : '';
  return { desired, change: true, reason: desired > current ? 'ScaledUp' : 'ScaledDown', message: `scaled ${current}→${desired}${held}${bounds}`, history };
}
