/**
 * Local scaling: every period, each profile's scaling policies read their metric in the cluster
 * (an object's field, or metrics.k8s.io pod usage when it is served), decide with the pure rule
 * of core/scaling.ts, and, on a change, ask the reconciler to apply the new replica count (the
 * agent is the only writer of the target's spec.replicas, so enforcing never undoes scaling).
 */
import { objectKey, parseDuration, type ClusterProfile, type ObjectRef, type ScalingPolicy, type ScalingStatus } from '@kplane/profile';
import { averagePodUsage, decideScale, parseQuantity, readFieldPath, type PodUsage } from '../core/scaling.js';
import { ApiError, type KubeApi } from '../k8s/apiClient.js';
import { objectPath, type Discovery } from '../k8s/discovery.js';
import type { Logger } from './logger.js';

/** A metric reading: the value, or why there is none (shown in status.scaling[].reason). */
type Reading = { value: number; pods?: number } | { unavailable: string };

interface PolicyState {
  status: ScalingStatus;
  lastChange?: Date;
  target?: ObjectRef;
}

export class Scaler {
  /** profile key → policy name → state */
  private readonly state = new Map<string, Map<string, PolicyState>>();

  constructor(
    private readonly api: KubeApi,
    private readonly discovery: Discovery,
    private readonly log: Logger,
    private readonly onChange: (profileKey: string, profile: ClusterProfile, policy: ScalingPolicy, status: ScalingStatus) => void,
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

  /** One pass over every policy of one profile. */
  async evaluate(profileKey: string, profile: ClusterProfile, now: Date): Promise<void> {
    const policies = profile.spec?.scaling ?? [];
    if (!policies.length || profile.spec.paused) return;
    const states = this.restore(profileKey, profile);
    for (const policy of policies) {
      const prior = states.get(policy.name);
      try {
        const reading = await this.readMetric(policy);
        const metricValue = 'value' in reading ? reading.value : undefined;
        const live = await this.liveReplicas(policy.target);
        // Decisions build on the last decision (the agent applies it); status shows what runs.
        const current = (prior && hasScaled(prior.status) ? prior.status.desired : undefined) ?? live ?? policy.minReplicas;
        const decision = decideScale({
          current,
          metricValue: metricValue ?? NaN,
          // Resource targets are quantities (200m, 256Mi); Object targets are plain numbers.
          targetAverageValue: parseQuantity(policy.metric.targetAverageValue),
          minReplicas: policy.minReplicas,
          maxReplicas: policy.maxReplicas,
          cooldownMs: parseDuration(policy.cooldown ?? '') ?? 0,
          pods: 'value' in reading ? reading.pods : undefined,
          lastChange: prior?.lastChange,
          now,
        });
        const status: ScalingStatus = {
          name: policy.name,
          current: live ?? current,
          desired: decision.desired,
          ...(metricValue !== undefined ? { metricValue } : {}),
          lastDecision: decision.change ? decision.reason : (prior?.status.lastDecision ?? decision.reason),
          lastDecisionTime: decision.change ? iso(now) : (prior?.status.lastDecisionTime ?? iso(now)),
          reason: 'unavailable' in reading ? `MetricUnavailable: ${reading.unavailable}` : decision.message,
        };
        const next: PolicyState = { status, lastChange: decision.change ? now : prior?.lastChange, target: policy.target };
        states.set(policy.name, next);
        if (decision.change) {
          this.log.info('scaling decision', { profile: profileKey, policy: policy.name, from: current, to: decision.desired, metricValue, reason: decision.message });
          this.onChange(profileKey, profile, policy, status);
        } else if (prior?.status.reason !== status.reason) {
          this.onChange(profileKey, profile, policy, status);
        }
      } catch (err) {
        this.log.warn('scaling policy could not be evaluated', { profile: profileKey, policy: policy.name, err });
      }
    }
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
        states.set(s.name, { status: { ...s }, target: policy.target, lastChange: applied && s.lastDecisionTime ? new Date(s.lastDecisionTime) : undefined });
      }
      this.state.set(profileKey, states);
    }
    return states;
  }

  forget(profileKey: string): void {
    this.state.delete(profileKey);
  }

  private async readMetric(policy: ScalingPolicy): Promise<Reading> {
    const metric = policy.metric;
    if (metric.type === 'Object') {
      const { apiVersion, kind, name, namespace, fieldPath } = metric.object;
      const where = `${kind} ${namespace ? `${namespace}/` : ''}${name}`;
      const info = await this.discovery.resource(apiVersion, kind);
      if (!info) return { unavailable: `${apiVersion} ${kind} is not served by this cluster; check metric.object.apiVersion and kind` };
      const obj = await this.api.getOrUndefined(objectPath(info, metric.object));
      if (obj === undefined) return { unavailable: `${where} does not exist; create it or fix metric.object` };
      const value = readFieldPath(obj, fieldPath);
      return value === undefined ? { unavailable: `${where} has no number at ${fieldPath}` } : { value };
    }
    if (!Number.isFinite(parseQuantity(metric.targetAverageValue))) {
      return { unavailable: `targetAverageValue "${metric.targetAverageValue}" is not a quantity; write it like 200m (cpu) or 256Mi (memory)` };
    }
    // Resource metric: average usage over the target's pods, from metrics.k8s.io when served.
    const target = await this.liveObject(policy.target);
    const ref = `${policy.target.kind} ${policy.target.namespace ?? 'default'}/${policy.target.name}`;
    if (!target) return { unavailable: `the target ${ref} does not exist yet` };
    const selector = target.spec?.selector?.matchLabels as Record<string, string> | undefined;
    if (!selector) return { unavailable: `the target ${ref} has no spec.selector.matchLabels to find its pods` };
    const labelSelector = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
    let pods: { items: PodUsage[] };
    try {
      pods = await this.api.request('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${policy.target.namespace ?? 'default'}/pods`, { query: { labelSelector } });
    } catch (err) {
      // 404: no APIService for metrics.k8s.io (the aggregated API that metrics-server provides).
      if (err instanceof ApiError && err.status === 404) {
        return { unavailable: 'metrics.k8s.io is not served by this cluster (no metrics-server); install metrics-server, or use an Object metric' };
      }
      return { unavailable: `reading metrics.k8s.io failed: ${(err as Error).message}` };
    }
    const items = pods.items ?? [];
    const value = averagePodUsage(items, metric.resource.name);
    return value === undefined ? { unavailable: `metrics.k8s.io has no ${metric.resource.name} usage for the pods of ${ref} (${labelSelector}) yet` } : { value, pods: items.length };
  }

  private async liveObject(ref: ObjectRef): Promise<any> {
    const info = await this.discovery.resource(ref.apiVersion, ref.kind);
    return info ? this.api.getOrUndefined(objectPath(info, ref)) : undefined;
  }

  private async liveReplicas(ref: ObjectRef): Promise<number | undefined> {
    const obj = await this.liveObject(ref);
    return typeof obj?.spec?.replicas === 'number' ? obj.spec.replicas : undefined;
  }
}

// Kept here too for callers that imported it from the scaler before it moved to the pure core.
export { parseQuantity };

/** Whether the policy's replicas are the agent's own decision (else the manifest's stand). */
function hasScaled(status: ScalingStatus): boolean {
  return status.lastDecision === 'ScaledUp' || status.lastDecision === 'ScaledDown';
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
