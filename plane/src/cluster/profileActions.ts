/**
 * What the plane writes to a cluster's API server, and nothing more: ClusterProfile specs, by
 * server-side apply with field manager `kplane`. It never talks to agents. The target is a
 * cluster's own API server (a KubeClient), or a hub member's namespace on its hub.
 */
import { PLANE_FIELD_MANAGER, PROFILE_PLURAL, API_VERSION, type ClusterProfile } from '@kplane/profile';
import { describeChange, desiredObject, storedObject, type ProfileChange } from '../fleet/profileChange.js';
import { KubeError, type KubeClient } from '@kplane/kube';

/** Where a cluster's profiles are written; `namespace` (hub members) replaces the profile's own. */
export interface ProfileTarget {
  client: KubeClient;
  namespace?: string;
}

export type Target = KubeClient | ProfileTarget;

export function asTarget(target: Target): ProfileTarget {
  return 'client' in target ? target : { client: target };
}

const APPLY = 'application/apply-patch+yaml';
const MERGE = 'application/merge-patch+json';

function path(namespace: string, name?: string): string {
  return `/apis/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/${PROFILE_PLURAL}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export async function readProfile(client: KubeClient, namespace: string, name: string, timeoutMs: number): Promise<ClusterProfile | undefined> {
  try {
    return await client.request<ClusterProfile>('GET', path(namespace, name), { timeoutMs });
  } catch (err) {
    if (err instanceof KubeError && err.status === 404 && err.reason === 'NotFound' && !/the server could not find the requested resource/.test(err.message)) return undefined;
    throw err;
  }
}

/** Server-side apply of the profile's spec (big layers compressed: storedObject); `dryRun` asks the server what would happen without writing. */
export async function applyProfile(target: Target, profile: ClusterProfile, options: { dryRun: boolean; timeoutMs: number }): Promise<ClusterProfile> {
  const { client, namespace } = asTarget(target);
  const object = storedObject(profile, namespace);
  return client.request<ClusterProfile>('PATCH', path(object.metadata.namespace!, object.metadata.name), {
    query: { fieldManager: PLANE_FIELD_MANAGER, force: true, ...(options.dryRun ? { dryRun: 'All' } : {}) },
    // JSON is YAML: the apply content type takes it as is.
    body: JSON.stringify(object),
    contentType: APPLY,
    timeoutMs: options.timeoutMs,
  });
}

/** Dry-run on the real API server, then what would change compared to the live object. */
export async function previewApply(target: Target, profile: ClusterProfile, timeoutMs: number): Promise<{ change: ProfileChange; live?: ClusterProfile; after: ClusterProfile }> {
  const { client, namespace } = asTarget(target);
  const object = desiredObject(profile, namespace);
  const live = await readProfile(client, object.metadata.namespace!, object.metadata.name, timeoutMs);
  const after = await applyProfile(target, profile, { dryRun: true, timeoutMs });
  return { change: describeChange(live, after), ...(live ? { live } : {}), after };
}

/** Pause or resume: a merge patch of spec.paused, so the profile's other fields keep their owner. */
export async function setPaused(target: Target, namespace: string, name: string, paused: boolean, timeoutMs: number): Promise<ClusterProfile> {
  const { client, namespace: inNamespace } = asTarget(target);
  return client.request<ClusterProfile>('PATCH', path(inNamespace ?? namespace, name), {
    query: { fieldManager: `${PLANE_FIELD_MANAGER}-pause` },
    body: { spec: { paused } },
    contentType: MERGE,
    timeoutMs,
  });
}

/** Deletes the profile; the agent's finalizer cleans up what it applied. */
export async function removeProfile(target: Target, namespace: string, name: string, timeoutMs: number): Promise<void> {
  const { client, namespace: inNamespace } = asTarget(target);
  try {
    await client.request('DELETE', path(inNamespace ?? namespace, name), { timeoutMs });
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) return;
    throw err;
  }
}
