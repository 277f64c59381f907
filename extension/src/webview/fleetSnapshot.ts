/**
 * The dashboard's view of the fleet, read from the fleet model (plane/src/fleet): the derived
 * state per cluster plus the agent and profile objects it keeps, shaped as media/src/protocol.ts's
 * FleetSnapshot. Sensitive values never leave the host: the snapshot carries status only.
 */
import type { ClusterProfile } from '@kplane/profile';
import type { ClusterView, FleetSnapshot, ProfileView } from '@kplane/media';
import type { FleetModel } from '@kplane/plane';
import { profileState } from '@kplane/plane';

export type FleetReader = Pick<FleetModel, 'list' | 'record'>;

/** The dashboard's timeline shows at most this many entries per cluster. */
export const EVENTS_PER_CLUSTER = 100;

export function fleetSnapshot(model: FleetReader, now: Date): FleetSnapshot {
  const clusters = model.list().map((view): ClusterView => {
    const record = model.record(view.id);
    const agent = record?.agent;
    return {
      context: view.id,
      displayName: view.displayName,
      state: view.state,
      stateDetail: view.reason,
      ...(view.lastKnown ? { lastKnown: view.lastKnown } : {}),
      labels: view.labels,
      ...(view.agentVersion ? { agentVersion: view.agentVersion } : {}),
      ...(view.kubernetesVersion ? { kubernetesVersion: view.kubernetesVersion } : {}),
      ...(view.nodes ? { nodes: view.nodes } : {}),
      ...(view.lastSeen ? { lastSeen: view.lastSeen } : {}),
      conditions: agent?.status?.conditions ?? [],
      profiles: [...(record?.profiles.values() ?? [])].map(profileView).sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
      // The plane's own event log (it includes events caught up after an outage), newest
      // EVENTS_PER_CLUSTER only: the timeline shows no more, and 1,000 clusters × 500 events
      // would make every snapshot megabytes.
      events: (record?.events ?? []).slice(-EVENTS_PER_CLUSTER),
      ...(view.alsoOnHub?.length ? { alsoOnHub: view.alsoOnHub.map((m) => ({ hub: m.hub, context: m.id, state: m.state })) } : {}),
    };
  });
  return { takenAt: now.toISOString(), clusters };
}

function profileView(p: ClusterProfile): ProfileView {
  const status = p.status ?? {};
  return {
    namespace: p.metadata.namespace ?? '',
    name: p.metadata.name,
    version: p.spec?.version ?? '',
    ...(status.appliedVersion ? { appliedVersion: status.appliedVersion } : {}),
    state: profileState(p),
    paused: p.spec?.paused === true,
    conditions: status.conditions ?? [],
    layers: status.layers ?? [],
    drift: status.drift ?? [],
    scaling: status.scaling ?? [],
  };
}
