/**
 * Reads the cluster's local policy (../core/policy.ts) from its ConfigMap beside the agent. Read
 * fresh for each reconcile (at most once a second), so an edit takes effect at the next run of
 * each profile; the agent runtime polls it too, and queues every profile when it changed.
 * Fails closed: a policy that cannot be read or parsed refuses every profile, saying why.
 */
import { errorText } from './steps/context.js';
import { DEFAULT_POLICY, POLICY_CONFIGMAP, POLICY_KEY, parsePolicy, type LocalPolicy } from '../core/policy.js';
import type { KubeClient } from '@kplane/kube';

export type LoadedPolicy = { ok: true; policy: LocalPolicy; version: string } | { ok: false; message: string; version: string };

const MAX_AGE_MS = 1_000;

export class LocalPolicySource {
  private last?: { at: number; loaded: LoadedPolicy };

  constructor(
    private readonly api: Pick<KubeClient, 'getOrUndefined'>,
    readonly namespace: string,
    readonly name = POLICY_CONFIGMAP,
  ) {}

  get source(): string {
    return `ConfigMap ${this.namespace}/${this.name}`;
  }

  async current(maxAgeMs = MAX_AGE_MS): Promise<LoadedPolicy> {
    if (this.last && Date.now() - this.last.at < maxAgeMs) return this.last.loaded;
    const loaded = await this.read();
    this.last = { at: Date.now(), loaded };
    return loaded;
  }

  private async read(): Promise<LoadedPolicy> {
    let cm: { metadata?: { resourceVersion?: string }; data?: Record<string, string> } | undefined;
    try {
      cm = await this.api.getOrUndefined(`/api/v1/namespaces/${this.namespace}/configmaps/${this.name}`);
    } catch (err) {
      return { ok: false, version: 'unreadable', message: `cannot read the cluster's local policy (${this.source}): ${errorText(err)}; nothing is applied until it can be read (the agent needs get on it)` };
    }
    if (!cm) return { ok: true, policy: DEFAULT_POLICY, version: 'default' };
    const version = cm.metadata?.resourceVersion ?? '?';
    const text = cm.data?.[POLICY_KEY];
    if (text === undefined) return { ok: false, version, message: `${this.source} has no key ${POLICY_KEY}; nothing is applied until the cluster's admin adds it (or deletes the ConfigMap for the default policy)` };
    const parsed = parsePolicy(text, this.source);
    if (!parsed.policy) return { ok: false, version, message: `the cluster's local policy is invalid, so nothing is applied: ${parsed.problems.join('; ')}` };
    return { ok: true, policy: parsed.policy, version };
  }
}
