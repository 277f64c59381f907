/**
 * What a unit test of ProfileReconciler gives it: the test's own fakes of the API, discovery, the
 * profile cache and the informers, and for the rest the defaults here (the default local policy,
 * no schema check, a silent logger, a fixed clock, no metrics, events or scaling).
 */
import { Logger, type ProfileReconciler } from '@kplane/agent';
import { DEFAULT_POLICY } from '@kplane/agent/core';

type Deps = ConstructorParameters<typeof ProfileReconciler>[0];

export function reconcilerDeps(fakes: Pick<Deps, 'api' | 'discovery' | 'profileCache' | 'informerFor'> & Partial<Deps>): Deps {
  const namespace = fakes.namespace ?? 'kplane-system';
  return {
    charts: {} as never,
    policy: { namespace, current: async () => ({ ok: true, policy: DEFAULT_POLICY, version: '1' }) } as never,
    log: new Logger({}, 'error', () => undefined),
    metrics: { observe: () => undefined, inc: () => undefined } as never,
    namespace,
    validateSchemas: false,
    observeProfile: () => undefined,
    queueDependents: () => undefined,
    event: () => undefined,
    scaledReplicas: () => undefined,
    scalingStatus: () => undefined,
    now: () => new Date('2026-12-01T10:00:00Z'),
    ...fakes,
  };
}
