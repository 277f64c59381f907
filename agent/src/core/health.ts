/**
 * When a live object counts as healthy, the rules `wait: true` layers use: workloads available
 * at their current generation, Jobs complete, CRDs established, everything else present.
 */
export interface Health {
  ready: boolean;
  /** Set when the object can no longer become ready on its own (a failed Job). */
  failed?: boolean;
  message: string;
}

type Obj = { kind?: string; metadata?: { generation?: unknown; [k: string]: unknown }; spec?: any; status?: any };

function conditionTrue(obj: Obj, type: string): boolean {
  return Array.isArray(obj.status?.conditions) && obj.status.conditions.some((c: any) => c?.type === type && c?.status === 'True');
}

function observedCurrent(obj: Obj): boolean {
  const generation = obj.metadata?.generation as number | undefined;
  return generation === undefined || (obj.status?.observedGeneration ?? 0) >= generation;
}

export function objectHealth(obj: Obj | undefined): Health {
  if (!obj) return { ready: false, message: 'not found' };
  const s = obj.status ?? {};
  switch (obj.kind) {
    case 'Deployment': {
      const want = obj.spec?.replicas ?? 1;
      if (!observedCurrent(obj)) return { ready: false, message: 'rollout not observed yet' };
      const available = s.availableReplicas ?? 0;
      const updated = s.updatedReplicas ?? 0;
      const ready = available >= want && updated >= want && (s.replicas ?? 0) <= want;
      return { ready, message: `${available}/${want} available, ${updated} updated` };
    }
    case 'StatefulSet': {
      const want = obj.spec?.replicas ?? 1;
      if (!observedCurrent(obj)) return { ready: false, message: 'rollout not observed yet' };
      const ready = (s.readyReplicas ?? 0) >= want && (s.updatedReplicas ?? 0) >= want;
      return { ready, message: `${s.readyReplicas ?? 0}/${want} ready` };
    }
    case 'DaemonSet': {
      if (!observedCurrent(obj)) return { ready: false, message: 'rollout not observed yet' };
      const want = s.desiredNumberScheduled ?? 0;
      const ready = (s.numberAvailable ?? 0) >= want && (s.updatedNumberScheduled ?? 0) >= want;
      return { ready, message: `${s.numberAvailable ?? 0}/${want} available` };
    }
    case 'Job':
      if (conditionTrue(obj, 'Complete')) return { ready: true, message: 'complete' };
      if (conditionTrue(obj, 'Failed')) return { ready: false, failed: true, message: 'job failed' };
      return { ready: false, message: `${s.succeeded ?? 0} succeeded, ${s.active ?? 0} active` };
    case 'CustomResourceDefinition':
      return conditionTrue(obj, 'Established') ? { ready: true, message: 'established' } : { ready: false, message: 'not established yet' };
    default:
      return { ready: true, message: 'present' };
  }
}
