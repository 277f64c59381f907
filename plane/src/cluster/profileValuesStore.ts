/**
 * Reading a ClusterProfile from one cluster's API server, and writing its values back with
 * server-side apply as the management plane (field manager `kplane`): the store behind the
 * dashboard's values editor. Never talks to the agent.
 *
 * The apply sends the profile's whole spec, not only spec.values: under server-side apply a field
 * the manager applied before and leaves out now would be removed, so applying `{spec: {values}}`
 * as `kplane` would delete the layers `kplane` applied earlier.
 */
import { API_VERSION, PLANE_FIELD_MANAGER, PROFILE_KIND, PROFILE_PLURAL, compressLayers, expandedOrStored, type ClusterProfile, type VariableValue } from '@kplane/profile';
import type { KubeClient } from '@kplane/kube';

/** A profile on a cluster of the fleet (the dashboard protocol's ProfileRef). */
export interface ProfileRef {
  context: string;
  namespace: string;
  name: string;
}

/** The slice of KubeClient this needs. */
export type ProfileHttp = Pick<KubeClient, 'request'>;

export interface ProfileValuesStore {
  read(ref: ProfileRef): Promise<ClusterProfile>;
  /** Writes `values` into the profile last read as `base`; fails with a Conflict if it changed since. */
  applyValues(base: ClusterProfile, ref: ProfileRef, values: Record<string, VariableValue>): Promise<ClusterProfile>;
}

const TIMEOUT_MS = 10_000;

function profilePath(ref: Pick<ProfileRef, 'namespace' | 'name'>): string {
  return `/apis/${API_VERSION}/namespaces/${encodeURIComponent(ref.namespace)}/${PROFILE_PLURAL}/${encodeURIComponent(ref.name)}`;
}

/**
 * The server-side apply body: the whole spec with new values, pinned to the read's resourceVersion;
 * big layers compressed as kplane apply writes them (`read` gives them expanded).
 */
export function valuesApplyBody(base: ClusterProfile, values: Record<string, VariableValue>): Record<string, unknown> {
  return compressLayers({
    apiVersion: API_VERSION,
    kind: PROFILE_KIND,
    metadata: {
      name: base.metadata.name,
      namespace: base.metadata.namespace,
      // Optimistic concurrency: the values were checked against this version of the profile.
      ...(base.metadata.resourceVersion ? { resourceVersion: base.metadata.resourceVersion } : {}),
    },
    spec: { ...base.spec, values },
  });
}

/** `notInFleet`: the next step to name when a context has no client (the extension's or the CLI's way to add one). */
export function kubeProfileStore(clientFor: (context: string) => ProfileHttp | undefined, notInFleet: string): ProfileValuesStore {
  const client = (context: string): ProfileHttp => {
    const c = clientFor(context);
    if (!c) throw new Error(`Context "${context}" is not in the fleet: ${notInFleet}.`);
    return c;
  };
  return {
    // Expanded: the values editor validates the stored profile with its manifests.
    read: async (ref) => expandedOrStored(await client(ref.context).request<ClusterProfile>('GET', profilePath(ref), { timeoutMs: TIMEOUT_MS })),
    applyValues: async (base, ref, values) =>
      client(ref.context).request<ClusterProfile>('PATCH', profilePath(ref), {
        query: { fieldManager: PLANE_FIELD_MANAGER, force: true },
        body: valuesApplyBody(base, values),
        contentType: 'application/apply-patch+yaml',
        timeoutMs: TIMEOUT_MS,
      }),
  };
}
