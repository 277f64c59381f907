/** What the agent applies: the rendered manifest plus ownership labels. */
import {
  AGENT_FIELD_MANAGER,
  LABEL_LAYER,
  LABEL_MANAGED_BY,
  LABEL_PROFILE,
  LABEL_PROFILE_NAMESPACE,
  objectKey,
  type Manifest,
  type ObjectRef,
} from '@kplane/profile';

export interface ProfileId {
  namespace: string;
  name: string;
}

export function ownershipLabels(profile: ProfileId, layer: string): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: AGENT_FIELD_MANAGER,
    [LABEL_PROFILE]: profile.name,
    [LABEL_PROFILE_NAMESPACE]: profile.namespace,
    [LABEL_LAYER]: layer,
  };
}

export function withOwnership(manifest: Manifest, profile: ProfileId, layer: string): Manifest {
  const metadata = { ...manifest.metadata, labels: { ...(manifest.metadata.labels ?? {}), ...ownershipLabels(profile, layer) } };
  return { ...manifest, metadata };
}

/** The profile a live object belongs to, from its labels. */
export function ownerOf(labels: Record<string, string> | undefined): ProfileId | undefined {
  if (!labels || labels[LABEL_MANAGED_BY] !== AGENT_FIELD_MANAGER || !labels[LABEL_PROFILE]) return undefined;
  return { name: labels[LABEL_PROFILE], namespace: labels[LABEL_PROFILE_NAMESPACE] ?? '' };
}

export function sameObject(a: ObjectRef, b: ObjectRef): boolean {
  return objectKey(a) === objectKey(b);
}

/** Sets spec.replicas where a scaling policy decided it, so enforcing does not undo scaling. */
export function withReplicas(manifest: Manifest, replicas: number): Manifest {
  const spec = { ...((manifest.spec as Record<string, unknown>) ?? {}), replicas };
  return { ...manifest, spec };
}

/** A stable fingerprint of what is applied (FNV-1a over canonical JSON), for status.appliedHash. */
export function fingerprint(value: unknown): string {
  const text = canonical(value);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
