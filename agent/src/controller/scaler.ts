/**
 * Local scaling: every period, each profile's scaling policies read their metric in the cluster
 * (an object's field, or metrics.k8s.io pod usage with the target's pods), decide with the pure
 * rules of core/scaling.ts (the HPA's algorithm for Resource metrics), and, on a change, ask the
 * reconciler to apply the new replica count (the agent is the only writer of the target's
 * spec.replicas, so enforcing never undoes scaling). Every decision is kept in status with its
 * inputs; bad input (no pods, no requests, a quantity that does not parse, min above max,
 * metrics.k8s.io down) is said in status and changes nothing.
 *
 * A decision that changes the replicas is also written at once (writeReplicas), so the new
 * count does not wait behind the profile's full reconcile, which then applies the same value
 * and records the status.
 */
import { objectKey, parseDuration, type ClusterProfile, type ObjectRef, type ScalingPolicy, type ScalingRecord, type ScalingStatus } from '@kplane/profile';
import {
  formatMilli,
  isProblem,
  normalizeScale,
  parseQuantity,
  quantityMilli,
  readFieldPath,
  resourceReplicas,
  type PodMetricSample,
  type ResourceRecommendation,
  type ScalePod,
  type ScalingProblem,
  type TimedRecommendation,
} from '../core/scaling.js';
import { KubeError, type KubeClient, objectPath, type Discovery } from '@kplane/kube';
import type { Logger } from './logger.js';

/** What one evaluation found: a recommendation with its inputs, or why there is none. */
type Evaluation =
  | { recommended: number; current: number; metricValue?: number; resource?: ResourceRecommendation; target: string; explanation: string }
  | { problem: ScalingProblem | 'MetricUnavailable'; message: string; current?: number };

interface PolicyState {
  status: ScalingStatus;
  lastChange?: Date;
  target?: ObjectRef;
  recommendations: TimedRecommendation[];
}

/**
 * The field manager of the immediate replica write. A separate name, because a partial
 * server-side apply under the agent's own manager would drop every other field it owns; the
 * reconciler's forced apply takes spec.replicas back with the same value.
 */
export const SCALER_FIELD_MANAGER = 'kplane-agent-scaler';

/** The HPA's default scale-down window (behavior.scaleDown.stabilizationWindowSeconds). */
const DEFAULT_RESOURCE_SCALE_DOWN_WINDOW_MS = 300_000;
const HISTORY_LIMIT = 60;

export class Scaler {
  /** profile key → policy name → state */
  private readonly state = new Map<string, Map<string, PolicyState>>();
  /**
   * Namespaces where several Resource policies read pods: per pass, their pods and pod metrics
   * are listed once and filtered here by each target's selector, instead of two requests per
   * policy (bench:scaling, agent CPU with 51 policies).
   */
  private shared = new Set<string>();
  private readonly passLists = new Map<string, Promise<{ items?: any[] }>>();

  constructor(
    private readonly api: KubeClient,
    private readonly discovery: Discovery,
    private readonly log: Logger,
    private readonly onChange: (profileKey: string, profile: ClusterProfile, policy: ScalingPolicy, status: ScalingStatus) => void,
    /**
     * The target as the agent's own watch of its kind last saw it, if it watches that kind and
     * the object is one it manages; otherwise the scaler reads it from the API server.
     */
    private readonly cached?: (ref: ObjectRef) => Promise<unknown> | undefined,
  ) {}

  replicasFor(profileKey: string, profile: ClusterProfile, target: ObjectRef): number | undefined {
    const policies = this.restore(profileKey, profile);
    // Only a decision that scaled overrides the manifest's replicas: a policy whose metric never
    // could be read (or that never had to move) leaves the profile's own value in place.
    for (const s of policies.values()) {
      if (s.target && objectKey(s.target) === objectKey(target) && hasScaled(s.status)) return s.status.desired;
    }
    return undefined;
  }

  statusFor(profileKey: string): ScalingStatus[] | undefined {
    const policies = this.state.get(profileKey);
    return policies ? [...policies.values()].map((s) => s.status) : undefined;
  }

  /** Starts a pass over `profiles`: lists made during it are shared by the policies of a namespace. */
  beginPass(profiles: ClusterProfile[]): void {
    this.passLists.clear();
    const perNamespace = new Map<string, number>();
    for (const profile of profiles) {
      if (profile.spec?.paused) continue;
      for (const policy of profile.spec?.scaling ?? []) {
        if (policy.metric?.type !== 'Resource') continue;
        const ns = policy.target?.namespace ?? 'default';
        perNamespace.set(ns, (perNamespace.get(ns) ?? 0) + 1);
      }
    }
    this.shared = new Set([...perNamespace].filter(([, n]) => n > 1).map(([ns]) => ns));
  }

  /**
   * A list of `path` narrowed to `selector` (`labelSelector` is its query form): one request per
   * pass in a shared namespace, else a selector query.
   */
  private async listSelected(path: string, ns: string, selector: Record<string, string>, labelSelector: string): Promise<{ items?: any[] }> {
    if (!this.shared.has(ns)) return this.api.request('GET', path, { query: { labelSelector } });
    let whole = this.passLists.get(path);
    if (!whole) {
      whole = this.api.request<{ items?: any[] }>('GET', path);
      this.passLists.set(path, whole);
    }
    const list = await whole;
    return { items: (list.items ?? []).filter((item) => matchesLabels(item?.metadata?.labels, selector)) };
  }

  /** One pass over every policy of one profile. */
  async evaluate(profileKey: string, profile: ClusterProfile, now: Date): Promise<void> {
    const policies = profile.spec?.scaling ?? [];
    if (!policies.length || profile.spec.paused) return;
    const states = this.restore(profileKey, profile);
    for (const policy of policies) {
      const prior = states.get(policy.name);
      try {
        const next = await this.decide(policy, prior, now);
        states.set(policy.name, next);
        const changed = hasScaled(next.status) && next.lastChange === now;
        if (changed) {
          this.log.info('scaling decision', { profile: profileKey, policy: policy.name, from: next.status.current, to: next.status.desired, reason: next.status.reason });
          this.onChange(profileKey, profile, policy, next.status);
        } else if (worthWriting(prior?.status, next.status)) {
          // Status is written through a reconcile, so a metric that wiggles within 5 % does not
          // rewrite it every period: only a new timeline record, a new problem or a new decision.
          this.onChange(profileKey, profile, policy, next.status);
        }
      } catch (err) {
        this.log.warn('scaling policy could not be evaluated', { profile: profileKey, policy: policy.name, err });
      }
    }
  }

  private async decide(policy: ScalingPolicy, prior: PolicyState | undefined, now: Date): Promise<PolicyState> {
    const targetObject = await this.liveObject(policy.target);
    const live = typeof targetObject?.spec?.replicas === 'number' ? (targetObject.spec.replicas as number) : undefined;
    // Decisions build on the last decision (the agent applies it); status shows what runs.
    const current = (prior && hasScaled(prior.status) ? prior.status.desired : undefined) ?? live ?? policy.minReplicas;
    const evaluation = await this.evaluatePolicy(policy, current, targetObject, now);
    const base = { target: policy.target, recommendations: prior?.recommendations ?? [] };
    if ('problem' in evaluation) {
      // Bad input or a metric that cannot be read: hold the replicas and say why.
      const held = prior && hasScaled(prior.status) ? `; holding ${current} replica(s)` : '';
      const status: ScalingStatus = {
        ...(prior?.status ?? {}),
        name: policy.name,
        current: live ?? current,
        desired: current,
        lastDecision: prior?.status.lastDecision ?? 'InvalidMetric',
        lastDecisionTime: prior?.status.lastDecisionTime ?? iso(now),
        reason: `${evaluation.problem}: ${evaluation.message}${held}`,
      };
      return { ...base, status, lastChange: prior?.lastChange };
    }
    const scaleDownWindowMs = parseDuration(policy.scaleDownStabilization ?? '') ?? (policy.metric.type === 'Resource' ? DEFAULT_RESOURCE_SCALE_DOWN_WINDOW_MS : 0);
    const normalized = normalizeScale({
      current,
      recommended: evaluation.recommended,
      history: base.recommendations,
      scaleDownWindowMs,
      minReplicas: policy.minReplicas,
      maxReplicas: policy.maxReplicas,
      cooldownMs: parseDuration(policy.cooldown ?? '') ?? 0,
      lastChange: prior?.lastChange,
      now,
    });
    if (isProblem(normalized)) {
      const status: ScalingStatus = { ...(prior?.status ?? {}), name: policy.name, current: live ?? current, desired: current, lastDecision: prior?.status.lastDecision ?? 'InvalidMetric', lastDecisionTime: prior?.status.lastDecisionTime ?? iso(now), reason: `${normalized.problem}: ${normalized.message}` };
      return { ...base, status, lastChange: prior?.lastChange };
    }
    const r = evaluation.resource;
    const status: ScalingStatus = {
      name: policy.name,
      current: live ?? current,
      desired: normalized.desired,
      ...(evaluation.metricValue !== undefined ? { metricValue: evaluation.metricValue } : {}),
      ...(r?.utilization !== undefined ? { utilization: r.utilization } : {}),
      target: evaluation.target,
      ...(r ? { usage: r.usageMilli / 1000, readyPods: r.readyPods, ignoredPods: r.unreadyPods, missingPods: r.missingPods } : {}),
      ...(r?.requestsMilli !== undefined ? { requests: r.requestsMilli / 1000 } : {}),
      lastDecision: normalized.change ? normalized.reason : (prior?.status.lastDecision ?? normalized.reason),
      lastDecisionTime: normalized.change ? iso(now) : (prior?.status.lastDecisionTime ?? iso(now)),
      // The HPA rules may already end in "stays at N" (tolerance, missing metrics); say it once.
      reason: evaluation.explanation.endsWith(normalized.message) ? evaluation.explanation : `${evaluation.explanation}; ${normalized.message}`,
    };
    status.history = record(prior?.status.history, { time: iso(now), current: live ?? current, desired: normalized.desired, ...pickMetric(status), decision: normalized.reason }, normalized.change);
    return { ...base, recommendations: normalized.history, status, lastChange: normalized.change ? now : prior?.lastChange };
  }

  /** Decisions restored from status, so a restarted agent keeps replicas and cooldowns. */
  private restore(profileKey: string, profile: ClusterProfile): Map<string, PolicyState> {
    let states = this.state.get(profileKey);
    if (!states) {
      states = new Map();
      const policies = new Map((profile.spec?.scaling ?? []).map((p) => [p.name, p]));
      for (const s of profile.status?.scaling ?? []) {
        const policy = policies.get(s.name);
        if (!policy) continue;
        const applied = s.lastDecision === 'ScaledUp' || s.lastDecision === 'ScaledDown';
        states.set(s.name, { status: { ...s }, target: policy.target, lastChange: applied && s.lastDecisionTime ? new Date(s.lastDecisionTime) : undefined, recommendations: [] });
      }
      this.state.set(profileKey, states);
    }
    return states;
  }

  forget(profileKey: string): void {
    this.state.delete(profileKey);
  }

  private async evaluatePolicy(policy: ScalingPolicy, current: number, targetObject: any, now: Date): Promise<Evaluation> {
    const metric = policy.metric;
    if (metric.type === 'Object') {
      const { apiVersion, kind, name, namespace, fieldPath } = metric.object;
      const where = `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
      const info = await this.discovery.resource(apiVersion, kind);
      if (!info) return { problem: 'MetricUnavailable', message: `${apiVersion} ${kind} is not served by this cluster; check metric.object.apiVersion and kind` };
      const obj = await this.api.getOrUndefined(objectPath(info, metric.object));
      if (obj === undefined) return { problem: 'MetricUnavailable', message: `${where} does not exist; create it or fix metric.object` };
      const value = readFieldPath(obj, fieldPath);
      if (value === undefined) return { problem: 'MetricUnavailable', message: `${where} has no number at ${fieldPath}` };
      const target = Number(metric.targetAverageValue);
      if (!(target > 0)) return { problem: 'InvalidQuantity', message: `targetAverageValue ${JSON.stringify(metric.targetAverageValue)} is not a positive number` };
      // An Object metric is a total to spread: ceil(metric / target) (rounded first, so 0.6 / 0.2 is 3).
      const recommended = Math.ceil(Math.round((value / target) * 1e9) / 1e9);
      return { recommended, current, metricValue: value, target: `${target} per replica`, explanation: `metric ${value} / target ${target} → ${recommended}` };
    }
    return this.evaluateResource(policy, current, targetObject, now);
  }

  /** Resource metric: the target's pods and their metrics.k8s.io usage, into the HPA's calculation. */
  private async evaluateResource(policy: ScalingPolicy, current: number, target: any, now: Date): Promise<Evaluation> {
    const metric = policy.metric as Extract<ScalingPolicy['metric'], { type: 'Resource' }>;
    const resource = metric.resource?.name ?? 'cpu';
    const hasValue = metric.targetAverageValue !== undefined;
    const hasUtilization = metric.targetAverageUtilization !== undefined;
    if (hasValue === hasUtilization) {
      return { problem: 'InvalidQuantity', message: 'the metric needs exactly one target, targetAverageValue or targetAverageUtilization; fix the profile' };
    }
    let targetMilli: number | undefined;
    if (hasValue) {
      targetMilli = quantityMilli(metric.targetAverageValue!);
      if (!(targetMilli > 0)) {
        return { problem: 'InvalidQuantity', message: `targetAverageValue "${metric.targetAverageValue}" is not a quantity; write it like 200m (cpu) or 256Mi (memory)` };
      }
    } else if (!(Number.isInteger(metric.targetAverageUtilization) && metric.targetAverageUtilization! > 0)) {
      return { problem: 'InvalidQuantity', message: `targetAverageUtilization ${JSON.stringify(metric.targetAverageUtilization)} is not a positive whole percent` };
    }
    const ns = policy.target.namespace ?? 'default';
    const ref = `${policy.target.kind} ${ns}/${policy.target.name}`;
    if (!target) return { problem: 'TargetMissing', message: `the target ${ref} does not exist yet` };
    const selector = target.spec?.selector?.matchLabels as Record<string, string> | undefined;
    if (!selector) return { problem: 'TargetMissing', message: `the target ${ref} has no spec.selector.matchLabels to find its pods` };
    const labelSelector = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
    let podMetrics: { items?: any[] };
    try {
      podMetrics = await this.listSelected(`/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods`, ns, selector, labelSelector);
    } catch (err) {
      // 404: no APIService for metrics.k8s.io (the aggregated API that metrics-server provides).
      if (err instanceof KubeError && err.status === 404) {
        return { problem: 'MetricUnavailable', message: 'metrics.k8s.io is not served by this cluster (no metrics-server); install metrics-server, or use an Object metric' };
      }
      const why = err instanceof KubeError && err.status === 503 ? 'metrics.k8s.io is unavailable (503: is metrics-server running?)' : `reading metrics.k8s.io failed: ${(err as Error).message}`;
      return { problem: 'MetricsUnavailable', message: why };
    }
    const podList = await this.listSelected(`/api/v1/namespaces/${ns}/pods`, ns, selector, labelSelector);
    const pods: ScalePod[] = [];
    for (const pod of podList.items ?? []) {
      const containers: ScalePod['containers'] = [];
      for (const c of pod.spec?.containers ?? []) {
        const raw = c.resources?.requests?.[resource];
        const requestMilli = raw === undefined ? undefined : quantityMilli(raw);
        if (requestMilli !== undefined && !Number.isFinite(requestMilli)) {
          return { problem: 'InvalidQuantity', message: `pod ${pod.metadata?.name} container "${c.name}" requests ${resource} "${raw}", which is not a quantity` };
        }
        containers.push({ name: c.name, requestMilli });
      }
      const ready = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === 'Ready');
      pods.push({
        name: pod.metadata?.name,
        phase: pod.status?.phase,
        deleting: !!pod.metadata?.deletionTimestamp,
        startTime: pod.status?.startTime ? new Date(pod.status.startTime) : undefined,
        ready: ready ? { status: ready.status, lastTransitionTime: ready.lastTransitionTime ? new Date(ready.lastTransitionTime) : undefined } : undefined,
        containers,
      });
    }
    const metrics = new Map<string, PodMetricSample>();
    for (const item of podMetrics.items ?? []) {
      let sum = 0;
      let missing = !(item.containers?.length > 0);
      for (const c of item.containers ?? []) {
        const usage = c.usage?.[resource];
        if (usage === undefined) {
          missing = true;
          break;
        }
        const milli = quantityMilli(usage);
        if (!Number.isFinite(milli)) return { problem: 'InvalidQuantity', message: `metrics.k8s.io reports ${resource} "${usage}" for pod ${item.metadata?.name}, which is not a quantity` };
        sum += milli;
      }
      if (!missing) metrics.set(item.metadata?.name, { valueMilli: sum, timestamp: new Date(item.timestamp), windowMs: goDurationMs(item.window) });
    }
    const result = resourceReplicas({
      currentReplicas: current,
      resource,
      target: targetMilli !== undefined ? { averageMilli: targetMilli } : { utilization: metric.targetAverageUtilization! },
      pods,
      metrics,
      now,
    });
    if (isProblem(result)) {
      const message = result.problem === 'NoPods' ? `${result.message} (${ref}, ${labelSelector})` : result.message;
      return { problem: result.problem, message };
    }
    const targetText = targetMilli !== undefined ? `${formatMilli(targetMilli, resource)} per pod` : `${metric.targetAverageUtilization}% of requests`;
    return { recommended: result.replicas, current, metricValue: result.averageMilli / 1000, resource: result, target: targetText, explanation: result.explanation };
  }

  /** Writes `replicas` to the target's spec.replicas now (merge patch); false if the kind is not served. */
  async writeReplicas(target: ObjectRef, replicas: number): Promise<boolean> {
    const info = await this.discovery.resource(target.apiVersion, target.kind);
    if (!info) return false;
    await this.api.request('PATCH', objectPath(info, target), {
      body: { spec: { replicas } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: SCALER_FIELD_MANAGER },
    });
    return true;
  }

  private async liveObject(ref: ObjectRef): Promise<any> {
    const cached = ref.namespace ? await this.cached?.(ref) : undefined;
    if (cached) return cached;
    const info = await this.discovery.resource(ref.apiVersion, ref.kind);
    return info ? this.api.getOrUndefined(objectPath(info, ref)) : undefined;
  }

}

/** matchLabels semantics: every key present with the same value. */
function matchesLabels(labels: unknown, selector: Record<string, string>): boolean {
  if (!labels || typeof labels !== 'object') return false;
  const have = labels as Record<string, unknown>;
  return Object.entries(selector).every(([k, v]) => have[k] === v);
}

// Kept here too for callers that imported it from the scaler before it moved to the pure core.
export { parseQuantity };

/** Whether the policy's replicas are the agent's own decision (else the manifest's stand). */
function hasScaled(status: ScalingStatus): boolean {
  return status.lastDecision === 'ScaledUp' || status.lastDecision === 'ScaledDown';
}

function worthWriting(prior: ScalingStatus | undefined, next: ScalingStatus): boolean {
  if (!prior) return true;
  // A problem's reason starts with its name ("MetricsUnavailable: …"); a decision's does not.
  const kind = (reason?: string): string => /^([A-Za-z]+): /.exec(reason ?? '')?.[1] ?? 'Decision';
  return prior.desired !== next.desired || prior.current !== next.current || prior.lastDecision !== next.lastDecision || kind(prior.reason) !== kind(next.reason) || prior.history?.at(-1)?.time !== next.history?.at(-1)?.time;
}

function pickMetric(status: ScalingStatus): Pick<ScalingRecord, 'metricValue' | 'utilization'> {
  return { ...(status.metricValue !== undefined ? { metricValue: status.metricValue } : {}), ...(status.utilization !== undefined ? { utilization: status.utilization } : {}) };
}

/**
 * The timeline for the dashboard: a record when replicas change or the metric moves by 5 % or
 * more since the last record, at most every evaluation, the last HISTORY_LIMIT kept. Small
 * wiggles do not rewrite status.
 */
function record(history: ScalingRecord[] | undefined, next: ScalingRecord, decided: boolean): ScalingRecord[] {
  const list = history ?? [];
  const last = list[list.length - 1];
  const moved = (a?: number, b?: number): boolean => a !== b && (a === undefined || b === undefined || Math.abs(a - b) > 0.05 * Math.max(Math.abs(a), Math.abs(b)));
  if (last && !decided && last.current === next.current && last.desired === next.desired && !moved(last.metricValue, next.metricValue) && !moved(last.utilization, next.utilization)) return list;
  return [...list, next].slice(-HISTORY_LIMIT);
}

/** A metav1.Duration as metrics-server writes it ("10.5s", "1m0.25s"); 0 when absent or odd. */
function goDurationMs(text: unknown): number {
  if (typeof text !== 'string') return 0;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  let total = 0;
  let rest = text;
  while (rest) {
    const match = /^([0-9]+(?:\.[0-9]*)?)(h|ms|m|s|us|µs|ns)/.exec(rest);
    if (!match) return 0;
    total += Number(match[1]) * units[match[2]];
    rest = rest.slice(match[0].length);
  }
  return total;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
