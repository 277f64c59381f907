/**
 * A hub's objects, demultiplexed into fleet members: what HubWatch (plane/src/hub/hubWatch.ts)
 * lists and watches over all namespaces goes through here into the FleetModel, member by member
 * (namespace `kplane-member-<name>` → cluster `hub:<hub>/<name>`). Objects of other namespaces are
 * ignored. Pure, so the demultiplexing is tested without an API server.
 */
import { AGENT_OBJECT_NAME, type ClusterAgent, type ClusterProfile } from '@kplane/profile';
import type { Connection } from './clusterState.js';
import { profileKey, type FleetModel } from './fleetModel.js';
import { HUB_LEASE_NAME } from '@kplane/profile';
import { hubMemberId, memberOfNamespace, type LeaseObject } from './hubMembers.js';

export type HubKind = 'agent' | 'profile' | 'lease';
export type HubEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface HubLists {
  agents: readonly ClusterAgent[];
  profiles: readonly ClusterProfile[];
  leases: readonly LeaseObject[];
}

/** More namespaces than any hub of members has (RHACM: 3,500 per hub); past it the memo starts over. */
const MAX_REMEMBERED_NAMESPACES = 100_000;

export class HubMirror {
  /** Namespace → member id (undefined: not a member's), so an event does not re-check the name. */
  private readonly ids = new Map<string, string | undefined>();

  constructor(
    /** The hub's kubeconfig context. */
    readonly hub: string,
    private readonly model: FleetModel,
    private readonly now: () => number,
  ) {}

  /** Fleet ids of this hub's members known now. */
  memberIds(): string[] {
    return this.model.ids().filter((id) => this.model.record(id)?.hub === this.hub);
  }

  /** After a (re)list: members and their objects replace what was known, in one change notice. */
  replace(lists: HubLists): void {
    this.ids.clear();
    const members = new Map<string, { agent?: ClusterAgent; lease?: LeaseObject; profiles: ClusterProfile[] }>();
    const entry = (namespace: string | undefined) => {
      const id = this.idOf(namespace);
      if (id === undefined) return undefined;
      let found = members.get(id);
      if (!found) members.set(id, (found = { profiles: [] }));
      return found;
    };
    for (const a of lists.agents) {
      const e = a.metadata.name === AGENT_OBJECT_NAME ? entry(a.metadata.namespace) : undefined;
      if (e) e.agent = a;
    }
    for (const l of lists.leases) {
      const e = l.metadata.name === HUB_LEASE_NAME ? entry(l.metadata.namespace) : undefined;
      if (e) e.lease = l;
    }
    for (const p of lists.profiles) entry(p.metadata.namespace)?.profiles.push(p);
    const connection: Connection = { kind: 'connected', since: this.now() };
    this.model.batch(() => {
      for (const id of this.memberIds()) if (!members.has(id)) this.model.removeCluster(id);
      for (const [id, m] of members) {
        this.model.addCluster(id, { hub: this.hub, connection });
        this.model.setConnection(id, connection);
        this.model.setAgent(id, m.agent);
        this.model.replaceProfiles(id, m.profiles);
        this.model.setLease(id, m.lease);
      }
    });
  }

  /** One watch event of one of the three kinds. */
  apply(kind: HubKind, type: HubEventType, object: { metadata: { name: string; namespace?: string } }): void {
    const id = this.idOf(object.metadata?.namespace);
    if (id === undefined) return;
    const deleted = type === 'DELETED';
    if (kind === 'agent' && object.metadata.name !== AGENT_OBJECT_NAME) return;
    if (kind === 'lease' && object.metadata.name !== HUB_LEASE_NAME) return;
    if (!deleted && !this.model.record(id)) this.model.addCluster(id, { hub: this.hub, connection: { kind: 'connected', since: this.now() } });
    if (kind === 'agent') this.model.setAgent(id, deleted ? undefined : (object as ClusterAgent));
    else if (kind === 'lease') this.model.setLease(id, deleted ? undefined : (object as LeaseObject));
    else if (deleted) this.model.deleteProfile(id, profileKey(object as ClusterProfile));
    else this.model.setProfile(id, object as ClusterProfile);
    if (deleted) this.dropIfEmpty(id);
  }

  /** The hub cannot be read: every member keeps its last known state, Unreachable with the hub's error. */
  disconnected(error: string): void {
    const connection: Connection = { kind: 'unreachable', since: this.now(), error };
    this.model.batch(() => {
      for (const id of this.memberIds()) this.model.setConnection(id, connection);
    });
  }

  /** The hub left the fleet (setting changed, session ended). */
  clear(): void {
    this.ids.clear();
    this.model.batch(() => {
      for (const id of this.memberIds()) this.model.removeCluster(id);
    });
  }

  private idOf(namespace: string | undefined): string | undefined {
    if (namespace === undefined) return undefined;
    if (this.ids.has(namespace)) return this.ids.get(namespace);
    const name = memberOfNamespace(namespace);
    const id = name === undefined ? undefined : hubMemberId(this.hub, name);
    // Bounded by the hub's namespaces; a relist starts it over (namespaces deleted meanwhile).
    if (this.ids.size >= MAX_REMEMBERED_NAMESPACES) this.ids.clear();
    this.ids.set(namespace, id);
    return id;
  }

  /** `kplane hub leave` deletes the member's namespace: once nothing of it is left, it leaves the fleet. */
  private dropIfEmpty(id: string): void {
    const record = this.model.record(id);
    if (record && !record.agent && !record.heartbeat && !record.profiles.size) this.model.removeCluster(id);
  }
}
