/**
 * What the plane writes to a cluster's API server, and nothing more: ClusterProfile specs, by
 * server-side apply with field manager `kplane`. It never talks to agents.
 */
import { PLANE_FIELD_MANAGER, PROFILE_PLURAL, API_VERSION, type ClusterProfile } from '@kplane/profile';
import { describeChange, desiredObject, type ProfileChange } from '../fleet/profileChange.js';
import { KubeError, type KubeClient } from '@kplane/kube/client';

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

/** Server-side apply of the profile's spec; `dryRun` asks the server what would happen without writing. */
export async function applyProfile(client: KubeClient, profile: ClusterProfile, options: { dryRun: boolean; timeoutMs: number }): Promise<ClusterProfile> {
  const object = desiredObject(profile);
  return client.request<ClusterProfile>('PATCH', path(object.metadata.namespace!, object.metadata.name), {
    query: { fieldManager: PLANE_FIELD_MANAGER, force: true, ...(options.dryRun ? { dryRun: 'All' } : {}) },
    // JSON is YAML: the apply content type takes it as is.
    body: JSON.stringify(object),
    contentType: APPLY,
    timeoutMs: options.timeoutMs,
  });
}

/** Dry-run on the real API server, then what would change compared to the live object. */
export async function previewApply(client: KubeClient, profile: ClusterProfile, timeoutMs: number): Promise<{ change: ProfileChange; live?: ClusterProfile; after: ClusterProfile }> {
  const object = desiredObject(profile);
  const live = await readProfile(client, object.metadata.namespace!, object.metadata.name, timeoutMs);
  const after = await applyProfile(client, profile, { dryRun: true, timeoutMs });
  return { change: describeChange(live, after), ...(live ? { live } : {}), after };
}

/** Pause or resume: a merge patch of spec.paused, so the profile's other fields keep their owner. */
export async function setPaused(client: KubeClient, namespace: string, name: string, paused: boolean, timeoutMs: number): Promise<ClusterProfile> {
  return client.request<ClusterProfile>('PATCH', path(namespace, name), {
    query: { fieldManager: `${PLANE_FIELD_MANAGER}-pause` },
    body: { spec: { paused } },
    contentType: MERGE,
    timeoutMs,
  });
}

/** Deletes the profile; the agent's finalizer cleans up what it applied. */
export async function removeProfile(client: KubeClient, namespace: string, name: string, timeoutMs: number): Promise<void> {
  try {
    await client.request('DELETE', path(namespace, name), { timeoutMs });
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) return;
    throw err;
  }
}
