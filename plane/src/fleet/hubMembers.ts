/**
 * Hub mode, the plane's side (docs/hub.md): a hub is a Kubernetes API server on which each member
 * cluster `<name>` has namespace `kplane-member-<name>` holding its ClusterAgent `agent`, the
 * ClusterProfiles assigned to it and a heartbeat Lease `agent-heartbeat`. The plane reads all of
 * them with one list + watch per kind and shows each member as fleet cluster `hub:<hub>/<name>`.
 *
 * Pure: names, and the Lease's age as the plane observes it.
 */

import { HUB_HEARTBEAT_DEFAULT, hubNamespaceFor, memberNameProblem, memberOfHubNamespace, parseDuration } from '@kplane/profile';

/** A Lease without leaseDurationSeconds: the agent's default heartbeat times 3 (docs/hub.md). */
export const DEFAULT_LEASE_DURATION_MS = 3 * (parseDuration(HUB_HEARTBEAT_DEFAULT) ?? 60_000);

const ID_PREFIX = 'hub:';

/** The member's name for a hub namespace, or undefined when the namespace is not a member's. */
export function memberOfNamespace(namespace: string | undefined): string | undefined {
  const name = namespace === undefined ? undefined : memberOfHubNamespace(namespace);
  return name !== undefined && !memberNameProblem(name) ? name : undefined;
}

export function memberNamespace(name: string): string {
  return hubNamespaceFor(name);
}

/** Fleet id of a hub member: `hub:<hub context>/<member>`. */
export function hubMemberId(hub: string, name: string): string {
  return `${ID_PREFIX}${hub}/${name}`;
}

export function isHubMemberId(id: string): boolean {
  return id.startsWith(ID_PREFIX);
}

/**
 * The hub context and member name of a hub member id. Context names may hold '/' (EKS ARNs do);
 * member names never do, so the last '/' splits them.
 */
export function parseHubMemberId(id: string): { hub: string; name: string } | undefined {
  if (!isHubMemberId(id)) return undefined;
  const slash = id.lastIndexOf('/');
  if (slash <= ID_PREFIX.length) return undefined;
  const name = id.slice(slash + 1);
  return memberNameProblem(name) ? undefined : { hub: id.slice(ID_PREFIX.length, slash), name };
}

/** The fields of a coordination.k8s.io/v1 Lease the plane reads. */
export interface LeaseObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string; acquireTime?: string };
}

/** A member's heartbeat as the plane observed it. */
export interface MemberHeartbeat {
  /** spec.renewTime as written by the member (its clock). */
  renewTime: string;
  /** When the plane takes the renewal to have happened (its clock), see observeLease. */
  renewedAt: number;
  durationMs: number;
}

/**
 * The heartbeat after seeing `lease` at `now`. Ages are measured on the plane's clock, as
 * kube-controller-manager does for node Leases: a renewTime that changed since the last
 * observation was renewed now, whatever the member's clock says. Only a first observation
 * (the plane just started) has nothing to compare with; it trusts renewTime but never places it
 * in the future, so a member whose clock runs ahead is not fresh for longer than its Lease.
 */
export function observeLease(previous: MemberHeartbeat | undefined, lease: LeaseObject | undefined, now: number): MemberHeartbeat | undefined {
  const renewTime = lease?.spec?.renewTime ?? lease?.spec?.acquireTime;
  const renewed = renewTime ? Date.parse(renewTime) : NaN;
  if (!renewTime || Number.isNaN(renewed)) return undefined;
  const seconds = lease?.spec?.leaseDurationSeconds;
  const durationMs = typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : DEFAULT_LEASE_DURATION_MS;
  if (previous?.renewTime === renewTime) return previous.durationMs === durationMs ? previous : { ...previous, durationMs };
  return { renewTime, renewedAt: previous ? now : Math.min(renewed, now), durationMs };
}
