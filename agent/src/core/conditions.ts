/**
 * The conditions of a ClusterProfile, derived from what one reconcile found: pure, so each
 * reason and message is pinned by a unit test (test/unit/agent/conditions.test.ts) and not only
 * by a cluster. Ready sums up Applied and InSync; SpecValid says why nothing was applied.
 */
import { setCondition, type Condition, type ConditionStatus } from '@kplane/profile';
import { redact } from './redact.js';

export type ProfileConditionType = 'Ready' | 'SpecValid' | 'Applied' | 'InSync';

/**
 * Why nothing was applied. ValidationFailed: the validation service found errors; RenderFailed:
 * rendering or the layer plan did; PolicyViolation: the cluster's local policy refuses objects of
 * the profile; PolicyInvalid: the local policy itself cannot be read or is invalid.
 */
export type InvalidReason = 'ValidationFailed' | 'RenderFailed' | 'PolicyViolation' | 'PolicyInvalid';

/** What one reconcile found, as far as the conditions care. */
export type ReconcileOutcome =
  | {
      spec: 'invalid';
      reason: InvalidReason;
      message: string;
    }
  | {
      /** Valid, but profiles it depends on (spec.dependsOn) are not Ready: nothing is applied yet. */
      spec: 'waiting';
      message: string;
    }
  | {
      spec: 'valid';
      version: string;
      mode: 'enforce' | 'monitor';
      paused: boolean;
      /** Objects the profile asks for. */
      total: number;
      /** Objects that could not be applied, and the message of the first failed layer. */
      failed: number;
      failedMessage?: string;
      /** Why later layers were not applied (a failed or not yet healthy layer); undefined when every layer was reached. */
      blocked?: string;
      /** Drift records not corrected yet. */
      openDrift: number;
    };

export interface DerivedCondition {
  type: ProfileConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/** Every layer was reached and nothing is paused: the point at which pruning may run and a version counts as applied. */
export function isComplete(outcome: ReconcileOutcome): boolean {
  return outcome.spec === 'valid' && outcome.blocked === undefined && !outcome.paused;
}

/** The conditions the outcome sets, in the order they are set (InSync is left alone while the spec is invalid or waits). */
export function deriveConditions(outcome: ReconcileOutcome): DerivedCondition[] {
  const c = (type: ProfileConditionType, ok: boolean, reason: string, message: string): DerivedCondition => ({ type, status: ok ? 'True' : 'False', reason, message });
  if (outcome.spec === 'invalid') {
    if (outcome.reason === 'PolicyViolation' || outcome.reason === 'PolicyInvalid') {
      return [
        c('SpecValid', false, outcome.reason, outcome.message),
        c('Applied', false, outcome.reason, "Nothing was applied: the cluster's local policy refuses this profile; see SpecValid."),
        c('Ready', false, outcome.reason, "The cluster's local policy refuses this profile; see SpecValid."),
      ];
    }
    return [
      c('SpecValid', false, outcome.reason, outcome.message),
      c('Applied', false, 'InvalidSpec', 'Nothing was applied because the spec is invalid.'),
      c('Ready', false, 'InvalidSpec', 'The spec is invalid; see SpecValid.'),
    ];
  }
  if (outcome.spec === 'waiting') {
    return [
      c('SpecValid', true, 'Valid', 'The spec is valid.'),
      c('Applied', false, 'DependencyNotReady', outcome.message),
      c('Ready', false, 'DependencyNotReady', outcome.message),
    ];
  }
  const { paused, failed, blocked, openDrift, version } = outcome;
  const complete = isComplete(outcome);
  const monitor = outcome.mode === 'monitor';
  const applied = paused
    ? c('Applied', false, 'Paused', 'The profile is paused: nothing is changed, status is still reported.')
    : failed
      ? c('Applied', false, 'ApplyFailed', outcome.failedMessage ?? 'An object could not be applied.')
      : !complete
        ? c('Applied', false, 'Progressing', blocked ?? 'Applying')
        : c('Applied', true, 'Applied', `All ${outcome.total} object(s) of version ${version} are applied.`);
  const inSync = openDrift
    ? c('InSync', false, monitor ? 'DriftDetected' : 'Correcting', `${openDrift} object(s) differ from the profile${monitor ? ' (monitor mode: not corrected)' : ''}.`)
    : c('InSync', true, 'InSync', 'Every managed field matches the profile.');
  const ready = complete && !failed && !openDrift;
  const readyReason = ready ? 'Ready' : paused ? 'Paused' : failed ? 'ApplyFailed' : !complete ? 'Progressing' : 'Drifted';
  return [
    c('SpecValid', true, 'Valid', 'The spec is valid.'),
    applied,
    inSync,
    c('Ready', ready, readyReason, ready ? `Version ${version} is applied and healthy.` : (blocked ?? 'Not every object matches the profile.')),
  ];
}

/**
 * The conditions list after the derived ones are merged in: messages masked, stamped with the
 * generation they describe, lastTransitionTime moved only where the status flipped.
 */
export function mergeConditions(
  conditions: readonly Condition[] | undefined,
  derived: readonly DerivedCondition[],
  at: { now: Date; generation?: number; secrets: readonly string[] },
): Condition[] {
  let out = [...(conditions ?? [])];
  for (const d of derived) out = setCondition(out, { ...d, message: redact(d.message, at.secrets), observedGeneration: at.generation }, at.now);
  return out;
}

export interface ConditionEvent {
  severity: 'Normal' | 'Warning';
  /** The condition type, followed by the reason unless the condition became True: `Ready`, `AppliedApplyFailed`. */
  reason: string;
  message: string;
}

/** One Event per condition that flipped, or that stayed False for a different reason. */
export function conditionEvents(before: readonly Condition[] | undefined, after: readonly Condition[] | undefined): ConditionEvent[] {
  const events: ConditionEvent[] = [];
  for (const type of ['Ready', 'SpecValid', 'InSync', 'Applied'] satisfies ProfileConditionType[]) {
    const was = before?.find((c) => c.type === type);
    const now = after?.find((c) => c.type === type);
    if (!now || (was?.status === now.status && (now.status !== 'False' || was?.reason === now.reason))) continue;
    const quiet = now.status === 'True' || now.reason === 'Progressing' || now.reason === 'Paused';
    events.push({ severity: quiet ? 'Normal' : 'Warning', reason: `${type}${now.status === 'True' ? '' : now.reason}`, message: `${type}=${now.status}: ${now.message}` });
  }
  return events;
}
