/**
 * Local scaling: every period, each profile's scaling policies read their metric in the cluster
 * (an object's field, or metrics.k8s.io pod usage when it is served), decide with the pure rule
 * of core/scaling.ts, and, on a change, ask the reconciler to apply the new replica count (the
 * agent is the only writer of the target's spec.replicas, so enforcing never undoes scaling).
 */
import { objectKey, parseDuration, type ClusterProfile, type ObjectRef, type ScalingPolicy, type ScalingStatus } from '@kplane/profile';
import { decideScale, readFieldPath } from '../core/scaling.js';
import type { KubeApi } from '../k8s/apiClient.js';
import { objectPath, type Discovery } from '../k8s/discovery.js';
import type { Logger } from './logger.js';

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
    for (const s of policies.values()) if (s.target && objectKey(s.target) === objectKey(target) && s.status.lastDecision !== undefined) return s.status.desired;
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
        const metricValue = await this.readMetric(policy);
        const live = await this.liveReplicas(policy.target);
        // Decisions build on the last decision (the agent applies it); status shows what runs.
        const current = prior?.status.desired ?? live ?? policy.minReplicas;
        const decision = decideScale({
          current,
          metricValue: metricValue ?? NaN,
          targetAverageValue: Number(policy.metric.targetAverageValue),
          minReplicas: policy.minReplicas,
          maxReplicas: policy.maxReplicas,
          cooldownMs: parseDuration(policy.cooldown ?? '') ?? 0,
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
          reason: metricValue === undefined ? 'MetricUnavailable: could not read the metric' : decision.message,
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

  private async readMetric(policy: ScalingPolicy): Promise<number | undefined> {
    const metric = policy.metric;
    if (metric.type === 'Object') {
      const info = await this.discovery.resource(metric.object.apiVersion, metric.object.kind);
      if (!info) return undefined;
      const obj = await this.api.getOrUndefined(objectPath(info, metric.object));
      return obj === undefined ? undefined : readFieldPath(obj, metric.object.fieldPath);
    }
    // Resource metric: average usage over the target's pods, from metrics.k8s.io when served.
    const target = await this.liveObject(policy.target);
    const selector = target?.spec?.selector?.matchLabels as Record<string, string> | undefined;
    if (!selector) return undefined;
    const labelSelector = Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await this.api
      .request<{ items: { containers: { usage: Record<string, string> }[] }[] }>('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${policy.target.namespace ?? 'default'}/pods`, { query: { labelSelector } })
      .catch(() => undefined);
    if (!pods?.items.length) return undefined;
    const total = pods.items.reduce((sum, pod) => sum + pod.containers.reduce((s, c) => s + parseQuantity(c.usage[metric.resource.name] ?? '0'), 0), 0);
    return total / pods.items.length;
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

/** Kubernetes quantities as numbers (cpu in cores, memory in bytes). */
export function parseQuantity(text: string): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(String(text).trim());
  if (!match) return NaN;
  const scale: Record<string, number> = { '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };
  return Number(match[1]) * (scale[match[2]] ?? NaN);
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
