/**
 * Hub mode names (docs/hub.md), shared by `kplane hub join/leave` (plane/), the plane's hub
 * fleet source and the agent in hub mode, so the three cannot drift apart.
 */

/** Each member's namespace on the hub is this prefix + the member name. */
export const HUB_NAMESPACE_PREFIX = 'kplane-member-';
/** On the hub: the member namespace's label; on the member: the kplane-hub Secret's label. */
export const LABEL_HUB_MEMBER = 'kplane.dev/hub-member';
/** On a member's local copy of a hub profile: the hub namespace it came from. */
export const LABEL_HUB_SOURCE = 'kplane.dev/hub-source';
/** On a member's local copy: the hub object's uid and the hub generation its spec was copied from. */
export const ANNOTATION_HUB_UID = 'kplane.dev/hub-uid';
export const ANNOTATION_HUB_GENERATION = 'kplane.dev/hub-generation';
/** The hub identity of a member's agent (ServiceAccount, Role and RoleBinding in its hub namespace). */
export const HUB_AGENT_ACCOUNT = 'kplane-agent';
/** The heartbeat Lease in the member's hub namespace. */
export const HUB_LEASE_NAME = 'agent-heartbeat';
/** The member's Secret (in the agent namespace) holding the hub kubeconfig: keys `kubeconfig`, `member`. */
export const HUB_SECRET_NAME = 'kplane-hub';
/**
 * Metadata that clears an object's managedFields (the documented way: a list of one empty entry).
 * The hub's ClusterAgents and Leases are written by `kplane hub join` once and then by merge
 * patches only, which record no field owner once the list is gone; so the hub stops building,
 * storing and sending ownership no one reads. On a bed hub: 3.1-3.2 ms of kube-apiserver CPU per
 * heartbeat or status write instead of 5.1-5.7 ms, and a ClusterAgent list half the bytes
 * (README, "Hub mode: the plane side").
 */
export const UNTRACKED_FIELDS = { managedFields: [{}] } as const;
/** Default heartbeat (Lease renewal) interval of an agent in hub mode. */
export const HUB_HEARTBEAT_DEFAULT = '60s';

/** A member name becomes part of a namespace name: a DNS label short enough for the prefix. */
const MEMBER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const MEMBER_NAME_MAX = 63 - HUB_NAMESPACE_PREFIX.length;

/** Why `name` cannot be a member name, or undefined when it can. */
export function memberNameProblem(name: string): string | undefined {
  if (!name) return 'a member name is required';
  if (name.length > MEMBER_NAME_MAX) return `member name "${name}" is ${name.length} characters; at most ${MEMBER_NAME_MAX} fit in its hub namespace name (${HUB_NAMESPACE_PREFIX}<name>)`;
  if (!MEMBER_NAME.test(name)) return `member name "${name}" is not a DNS label: use lowercase letters, digits and '-', starting and ending with a letter or digit`;
  return undefined;
}

export function hubNamespaceFor(member: string): string {
  return `${HUB_NAMESPACE_PREFIX}${member}`;
}

/** The member of a hub namespace, or undefined for any other namespace. */
export function memberOfHubNamespace(namespace: string): string | undefined {
  return namespace.startsWith(HUB_NAMESPACE_PREFIX) && namespace.length > HUB_NAMESPACE_PREFIX.length ? namespace.slice(HUB_NAMESPACE_PREFIX.length) : undefined;
}
