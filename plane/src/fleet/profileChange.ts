/**
 * What applying a profile would change on a cluster, from the live object and the server's
 * dry-run answer (so defaulting and admission are the real cluster's, not a guess).
 */
import { API_VERSION, DEFAULT_NAMESPACE, PROFILE_KIND, compressLayers, expandedOrStored, type ClusterProfile } from '@kplane/profile';

export type ChangeKind = 'create' | 'update' | 'unchanged';

export interface ProfileChange {
  kind: ChangeKind;
  /** e.g. "1.3.0 → 1.4.0" */
  version?: string;
  /** Human-readable changed paths: spec.version, spec.layers[web], spec.values.replicas … */
  paths: string[];
}

/**
 * The object the plane writes: identity and spec only; status belongs to the agent. `inNamespace`
 * replaces the profile's namespace: a hub member's profiles live in its namespace on the hub, and
 * its agent copies them into its own.
 */
export function desiredObject(profile: ClusterProfile, inNamespace?: string): ClusterProfile {
  const { name, namespace, labels, annotations } = profile.metadata;
  return {
    apiVersion: API_VERSION,
    kind: PROFILE_KIND,
    metadata: { name, namespace: inNamespace ?? namespace ?? DEFAULT_NAMESPACE, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    spec: profile.spec,
  };
}

/**
 * What the plane sends when it writes (or dry-runs) a profile: desiredObject, with every manifests
 * layer compressed when the profile is above COMPRESS_ABOVE_BYTES (@kplane/profile storedForm.ts):
 * the API server then patches the status of a big profile in milliseconds instead of seconds.
 */
export function storedObject(profile: ClusterProfile, inNamespace?: string): ClusterProfile {
  return compressLayers(desiredObject(profile, inNamespace));
}

/** Compares the profiles as their manifests read, whether either is stored compressed or not. */
export function describeChange(storedLive: ClusterProfile | undefined, storedAfter: ClusterProfile): ProfileChange {
  const live = storedLive && expandedOrStored(storedLive);
  const after = expandedOrStored(storedAfter);
  if (!live) return { kind: 'create', version: after.spec.version, paths: ['(new profile)'] };
  const paths = diffPaths(live.spec, after.spec, 'spec');
  const labelPaths = diffPaths(live.metadata.labels ?? {}, after.metadata.labels ?? {}, 'metadata.labels');
  const all = [...paths, ...labelPaths];
  if (!all.length) return { kind: 'unchanged', paths: [] };
  const version = live.spec.version !== after.spec.version ? `${live.spec.version} → ${after.spec.version}` : after.spec.version;
  return { kind: 'update', version, paths: all };
}

/** Changed paths, descending into objects and into arrays of named items (layers, variables). */
export function diffPaths(a: unknown, b: unknown, at: string, depth = 0): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (depth >= 3 || !isObject(a) || !isObject(b)) {
    if (Array.isArray(a) && Array.isArray(b) && depth < 3 && [...a, ...b].every((x) => isObject(x) && typeof x.name === 'string')) {
      const byName = (list: unknown[]) => new Map(list.map((x) => [(x as { name: string }).name, x]));
      const left = byName(a);
      const right = byName(b);
      const names = [...new Set([...left.keys(), ...right.keys()])];
      const changed = names.flatMap((n) => diffPaths(left.get(n), right.get(n), `${at}[${n}]`, depth + 1));
      return changed.length ? changed : [`${at} (order)`];
    }
    return [at];
  }
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => diffPaths(a[k], b[k], `${at}.${k}`, depth + 1));
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
