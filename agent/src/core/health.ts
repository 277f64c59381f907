/**
 * When a live object counts as healthy, for every kind, in the spirit of kstatus
 * (kubernetes-sigs/cli-utils pkg/kstatus, used by Flux): first what every object says the same
 * way (being deleted, a generation its controller has not observed yet, Stalled / Reconciling),
 * then the kind's own rule where the built-in API has one, then the Ready / Available /
 * Established conditions any kind may report, custom resources included. An object that reports
 * nothing is healthy once it exists.
 */

export type HealthState = 'Healthy' | 'Progressing' | 'Failed' | 'Terminating' | 'Missing';

export interface Health {
  ready: boolean;
  /** Set when the object says it cannot become ready on its own (Stalled, a failed Job). */
  failed?: boolean;
  state: HealthState;
  /** CamelCase, from the object's own condition where it gave one. */
  reason: string;
  message: string;
}

export interface KubeCondition {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
  message?: unknown;
  observedGeneration?: unknown;
}

/** The shape health looks at; a live object from the API server or a recorded one. */
export interface HealthInput {
  apiVersion?: string;
  kind?: string;
  metadata?: { generation?: unknown; deletionTimestamp?: unknown; [k: string]: unknown };
  spec?: any;
  status?: any;
}

/** The conditions any kind may report that say whether it serves its purpose. */
export const READINESS_CONDITIONS = ['Ready', 'Available', 'Established'] as const;

const healthy = (reason: string, message: string): Health => ({ ready: true, state: 'Healthy', reason, message });
const progressing = (reason: string, message: string): Health => ({ ready: false, state: 'Progressing', reason, message });
const failed = (reason: string, message: string): Health => ({ ready: false, failed: true, state: 'Failed', reason, message });

export function objectHealth(obj: HealthInput | undefined): Health {
  if (!obj) return { ready: false, state: 'Missing', reason: 'NotFound', message: 'not found' };
  if (obj.metadata?.deletionTimestamp) return { ready: false, state: 'Terminating', reason: 'Terminating', message: 'being deleted' };
  const generation = int(obj.metadata?.generation);
  const observed = int(obj.status?.observedGeneration);
  if (generation !== undefined && observed !== undefined && observed < generation) {
    return progressing('LatestGenerationNotObserved', `generation ${generation} not observed yet (status is for ${observed})`);
  }
  const stalled = findCondition(obj, 'Stalled');
  if (stalled?.status === 'True') return failed(text(stalled.reason) || 'Stalled', describeCondition(stalled));
  const reconciling = findCondition(obj, 'Reconciling');
  if (reconciling?.status === 'True') return progressing(text(reconciling.reason) || 'Reconciling', describeCondition(reconciling));

  // A kind with a rule of its own is judged by it alone: its rule reads the conditions that mean
  // something for it (a completed Pod is Ready=False, a PDB with no disruption left is
  // DisruptionAllowed=False, and both are fine).
  const rule = KIND_RULES[groupKind(obj)];
  if (rule) return rule(obj);

  for (const type of READINESS_CONDITIONS) {
    const c = findCondition(obj, type);
    if (!c) continue;
    if (c.status !== 'True') return progressing(text(c.reason) || `Not${type}`, describeCondition(c));
    const conditionGeneration = int(c.observedGeneration);
    if (generation !== undefined && conditionGeneration !== undefined && conditionGeneration < generation) {
      return progressing('LatestGenerationNotObserved', `${type} is for generation ${conditionGeneration}, not ${generation} yet`);
    }
  }
  const reported = READINESS_CONDITIONS.find((type) => findCondition(obj, type));
  return reported ? healthy(reported, describeCondition(findCondition(obj, reported)!)) : healthy('Exists', 'exists');
}

export interface NamedHealth {
  /** How the user knows the object, e.g. `APIService v1.metrics.k8s.io`. */
  object: string;
  health: Health;
}

const MAX_NAMED = 5;
const MAX_OBJECT_MESSAGE = 200;

/**
 * What a waiting layer says: how many objects are healthy, then each that is not and why (the
 * first few, failures first), bounded so status stays small.
 */
export function waitingMessage(items: readonly NamedHealth[]): string {
  const notReady = items.filter((i) => !i.health.ready);
  const ordered = [...notReady.filter((i) => i.health.failed), ...notReady.filter((i) => !i.health.failed)];
  const named = ordered.slice(0, MAX_NAMED).map((i) => `${i.object}: ${truncate(i.health.message, MAX_OBJECT_MESSAGE)}`);
  const more = ordered.length > MAX_NAMED ? `; and ${ordered.length - MAX_NAMED} more not healthy` : '';
  return `${items.length - notReady.length}/${items.length} healthy; ${named.join('; ')}${more}`;
}

type Rule = (obj: HealthInput) => Health;

const KIND_RULES: Record<string, Rule> = {
  'apps/Deployment': deploymentHealth,
  'apps/StatefulSet': statefulSetHealth,
  'apps/DaemonSet': daemonSetHealth,
  'apps/ReplicaSet': replicaSetHealth,
  'batch/Job': jobHealth,
  'apiextensions.k8s.io/CustomResourceDefinition': crdHealth,
  'apiregistration.k8s.io/APIService': apiServiceHealth,
  '/PersistentVolumeClaim': pvcHealth,
  '/Service': serviceHealth,
  '/Pod': podHealth,
  'networking.k8s.io/Ingress': ingressHealth,
  'policy/PodDisruptionBudget': pdbHealth,
};

/** Workload controllers always write observedGeneration; until they have, nothing is known. */
function notObserved(obj: HealthInput): Health | undefined {
  const generation = int(obj.metadata?.generation);
  if (generation === undefined) return undefined;
  const observed = int(obj.status?.observedGeneration);
  return observed === undefined || observed < generation ? progressing('LatestGenerationNotObserved', 'rollout not observed yet') : undefined;
}

function deploymentHealth(obj: HealthInput): Health {
  const waiting = notObserved(obj);
  if (waiting) return waiting;
  const progress = findCondition(obj, 'Progressing');
  if (progress?.reason === 'ProgressDeadlineExceeded') return failed('ProgressDeadlineExceeded', describeCondition(progress));
  const s = obj.status ?? {};
  const want = int(obj.spec?.replicas) ?? 1;
  const available = int(s.availableReplicas) ?? 0;
  const updated = int(s.updatedReplicas) ?? 0;
  const message = `${available}/${want} available, ${updated} updated`;
  if (available < want || updated < want) return progressing('LessAvailable', message);
  if ((int(s.replicas) ?? 0) > want) return progressing('ExtraPods', `${message}, ${(int(s.replicas) ?? 0) - want} old pod(s) still terminating`);
  const availableCondition = findCondition(obj, 'Available');
  if (availableCondition && availableCondition.status !== 'True') return progressing('NotAvailable', describeCondition(availableCondition));
  return healthy('Available', message);
}

function statefulSetHealth(obj: HealthInput): Health {
  const waiting = notObserved(obj);
  if (waiting) return waiting;
  const s = obj.status ?? {};
  const want = int(obj.spec?.replicas) ?? 1;
  const readyReplicas = int(s.readyReplicas) ?? 0;
  const message = `${readyReplicas}/${want} ready`;
  if (readyReplicas < want) return progressing('LessReady', message);
  // OnDelete: pods are replaced by hand, so "updated" says nothing about health.
  if (obj.spec?.updateStrategy?.type !== 'OnDelete' && (int(s.updatedReplicas) ?? 0) < want) return progressing('LessUpdated', `${message}, ${int(s.updatedReplicas) ?? 0} updated`);
  return healthy('Ready', message);
}

function daemonSetHealth(obj: HealthInput): Health {
  const waiting = notObserved(obj);
  if (waiting) return waiting;
  const s = obj.status ?? {};
  const want = int(s.desiredNumberScheduled) ?? 0;
  const availableCount = int(s.numberAvailable) ?? 0;
  const message = `${availableCount}/${want} available`;
  if (availableCount < want) return progressing('LessAvailable', message);
  if ((int(s.updatedNumberScheduled) ?? 0) < want) return progressing('LessUpdated', `${message}, ${int(s.updatedNumberScheduled) ?? 0} updated`);
  return healthy('Available', message);
}

function replicaSetHealth(obj: HealthInput): Health {
  const waiting = notObserved(obj);
  if (waiting) return waiting;
  const failure = findCondition(obj, 'ReplicaFailure');
  if (failure?.status === 'True') return progressing(text(failure.reason) || 'ReplicaFailure', describeCondition(failure));
  const want = int(obj.spec?.replicas) ?? 1;
  const availableCount = int(obj.status?.availableReplicas) ?? 0;
  const message = `${availableCount}/${want} available`;
  return availableCount < want ? progressing('LessAvailable', message) : healthy('Available', message);
}

function jobHealth(obj: HealthInput): Health {
  const complete = findCondition(obj, 'Complete');
  if (complete?.status === 'True') return healthy('Complete', 'complete');
  const jobFailed = findCondition(obj, 'Failed');
  if (jobFailed?.status === 'True') return failed(text(jobFailed.reason) || 'JobFailed', `job failed${text(jobFailed.message) ? `: ${text(jobFailed.message)}` : ''}`);
  const s = obj.status ?? {};
  return progressing('JobRunning', `${int(s.succeeded) ?? 0} succeeded, ${int(s.active) ?? 0} active`);
}

function crdHealth(obj: HealthInput): Health {
  const names = findCondition(obj, 'NamesAccepted');
  if (names?.status === 'False') return failed(text(names.reason) || 'NamesNotAccepted', describeCondition(names));
  const established = findCondition(obj, 'Established');
  if (established?.status === 'True') return healthy('Established', 'established');
  if (established?.status === 'False' && established.reason !== 'Installing') return failed(text(established.reason) || 'NotEstablished', describeCondition(established));
  return progressing('Installing', 'not established yet');
}

function apiServiceHealth(obj: HealthInput): Health {
  const available = findCondition(obj, 'Available');
  if (!available) return progressing('NotChecked', 'availability not checked yet');
  if (available.status === 'True') return healthy('Available', 'available');
  // FailedDiscoveryCheck, MissingEndpoints, ServiceNotFound: each heals once its backend serves.
  return progressing(text(available.reason) || 'NotAvailable', describeCondition(available));
}

function pvcHealth(obj: HealthInput): Health {
  const phase = text(obj.status?.phase);
  if (phase === 'Bound') return healthy('Bound', 'bound');
  if (phase === 'Lost') return failed('Lost', 'its volume is lost');
  return progressing('NotBound', `not bound yet (phase ${phase || 'unknown'})`);
}

function serviceHealth(obj: HealthInput): Health {
  if (obj.spec?.type !== 'LoadBalancer') return healthy('Exists', 'exists');
  const address = loadBalancerAddress(obj);
  return address ? healthy('LoadBalancerReady', `load balancer at ${address}`) : progressing('NoLoadBalancer', 'no load balancer address yet (does the cluster provide load balancers?)');
}

function ingressHealth(obj: HealthInput): Health {
  const address = loadBalancerAddress(obj);
  return address ? healthy('AddressAssigned', `address ${address}`) : progressing('NoAddress', 'no address yet (is an ingress controller serving its class?)');
}

function pdbHealth(obj: HealthInput): Health {
  // Observed by the disruption controller means its numbers are computed; they are not a
  // health verdict (0 disruptions allowed is normal for one replica with minAvailable: 1).
  const s = obj.status ?? {};
  if (int(s.observedGeneration) === undefined) return progressing('LatestGenerationNotObserved', 'not observed by the disruption controller yet');
  return healthy('Observed', `${int(s.currentHealthy) ?? 0}/${int(s.desiredHealthy) ?? 0} healthy, ${int(s.disruptionsAllowed) ?? 0} disruption(s) allowed`);
}

function podHealth(obj: HealthInput): Health {
  const phase = text(obj.status?.phase);
  if (phase === 'Succeeded') return healthy('Succeeded', 'completed');
  if (phase === 'Failed') return failed('PodFailed', `failed${text(obj.status?.reason) ? ` (${text(obj.status.reason)})` : ''}`);
  const ready = findCondition(obj, 'Ready');
  if (phase === 'Running' && ready?.status === 'True') return healthy('Ready', 'running and ready');
  const crashing = (Array.isArray(obj.status?.containerStatuses) ? obj.status.containerStatuses : [])
    .filter((c: any) => c?.state?.waiting?.reason === 'CrashLoopBackOff')
    .map((c: any) => text(c?.name));
  if (crashing.length) return failed('CrashLoopBackOff', `container(s) crash-looping: ${crashing.join(', ')}`);
  const scheduled = findCondition(obj, 'PodScheduled');
  if (scheduled?.status === 'False') return progressing(text(scheduled.reason) || 'NotScheduled', describeCondition(scheduled));
  return progressing(phase === 'Running' ? 'NotReady' : 'Pending', phase === 'Running' ? 'running, not ready' : `phase ${phase || 'unknown'}`);
}

function loadBalancerAddress(obj: HealthInput): string | undefined {
  const ingress = obj.status?.loadBalancer?.ingress;
  if (!Array.isArray(ingress) || !ingress.length) return undefined;
  return text(ingress[0]?.ip) || text(ingress[0]?.hostname) || 'an unnamed address';
}

function groupKind(obj: HealthInput): string {
  const apiVersion = obj.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  return `${slash < 0 ? '' : apiVersion.slice(0, slash)}/${obj.kind ?? ''}`;
}

export function findCondition(obj: HealthInput, type: string): KubeCondition | undefined {
  const list: unknown = obj.status?.conditions;
  if (!Array.isArray(list)) return undefined;
  return list.find((c): c is KubeCondition => !!c && typeof c === 'object' && (c as KubeCondition).type === type);
}

/** `Available=False (ServiceNotFound): service/default/x is not present` */
export function describeCondition(c: KubeCondition): string {
  const reason = text(c.reason);
  const message = text(c.message);
  return `${text(c.type)}=${text(c.status) || 'Unknown'}${reason ? ` (${reason})` : ''}${message ? `: ${message}` : ''}`;
}

function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}
