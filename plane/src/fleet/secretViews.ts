/**
 * What the extension shows of profiles and their objects, with sensitive values masked
 * structurally before any text is made: Open Status as YAML (the profile's spec.values and
 * defaults of sensitive variables) and Show Drift (the fields where a sensitive variable is
 * substituted, on both the desired and the live side, every value of a Secret, and any raw or
 * escaped occurrence left). Pure: the caller reads the live object.
 */
import { stringify } from 'yaml';
import { MASK, expandManifests, maskSpec, objectKey, redactText, renderProfile, sensitiveNames, sensitiveValues, type ClusterProfileSpec, type ObjectRef } from '@kplane/profile';
import { maskPair, sensitivePaths, type LiveObject } from './liveDiff.js';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A ClusterProfile or ClusterAgent as cluster status YAML shows it: managedFields dropped, the
 * spec's sensitive values masked, anything else left as the cluster has it. Any shape is accepted.
 */
export function statusDocument(object: unknown): string {
  if (!isRecord(object)) return stringify(object ?? null);
  const out: Record<string, unknown> = { ...object };
  if (isRecord(object.metadata)) {
    const { managedFields: _m, ...metadata } = object.metadata;
    out.metadata = metadata;
  }
  if ('spec' in object) out.spec = withSecretsMasked(maskSpec(object.spec));
  const secrets = sensitiveValues(object.spec);
  // Second line: a value echoed into status by someone else (an old agent, an API error).
  return secrets.length ? redactText(stringify(out), secrets) : stringify(out);
}

/** The values of every v1 Secret the spec's layers hold (data, stringData), masked as kplane diff masks them. */
function withSecretsMasked(spec: unknown): unknown {
  if (!isRecord(spec) || !Array.isArray(spec.layers)) return spec;
  const maskSecret = (m: unknown): unknown => {
    if (!isRecord(m) || m.kind !== 'Secret' || m.apiVersion !== 'v1') return m;
    const out: Record<string, unknown> = { ...m };
    for (const field of ['data', 'stringData']) if (isRecord(m[field])) out[field] = Object.fromEntries(Object.keys(m[field]).map((k) => [k, MASK]));
    return out;
  };
  return { ...spec, layers: spec.layers.map((l: unknown) => (isRecord(l) && Array.isArray(l.manifests) ? { ...l, manifests: l.manifests.map(maskSecret) } : l)) };
}

export interface DriftDocuments {
  desired: string;
  live: string;
}

/**
 * The two sides of Show Drift for one object of a profile: the object as the profile renders it
 * and the live object (or a note when it is gone or unreadable), masked alike.
 */
export function driftDocuments(spec: ClusterProfileSpec, ref: ObjectRef, live: LiveObject | undefined | { unreadable: string }, profileName: string): DriftDocuments {
  const key = objectKey(ref);
  const names = sensitiveNames(spec);
  const values = sensitiveValues(spec);
  const rendered = renderProfile(spec).layers;
  let desired: LiveObject | undefined;
  let paths: (string | number)[][] = [];
  rendered.forEach((layer, li) => {
    // Paths come from the manifest as written (lists expanded as rendering expands them), where ${…} still shows.
    const written = expandManifests(spec.layers?.[li]?.manifests ?? [], spec.layers?.[li]?.substitute !== false).map((e) => e.manifest);
    layer.manifests.forEach((m, mi) => {
      if (desired || objectKey({ apiVersion: m.apiVersion, kind: m.kind, name: m.metadata.name, namespace: m.metadata.namespace }) !== key) return;
      desired = m as unknown as LiveObject;
      paths = sensitivePaths(written[mi], names);
    });
  });
  const liveObject = live && !('unreadable' in live) ? trimLive(live) : undefined;
  const isSecret = ref.kind === 'Secret' && (ref.apiVersion ?? 'v1') === 'v1';
  const [a, b] = maskPair(desired, liveObject, { paths, values }, isSecret);
  const desiredText = a ? stringify(a) : `# ${ref.kind} ${ref.name} is not in ${profileName}'s current spec\n`;
  const liveText = live && 'unreadable' in live ? `# ${redactText(live.unreadable, values).replace(/\n/g, ' ')}\n` : b ? stringify(b) : '# (deleted on the cluster)\n';
  return { desired: desiredText, live: liveText };
}

// Server-populated fields hide the drift; keep what a person compares against the profile.
function trimLive(object: LiveObject): LiveObject {
  const { status: _s, ...rest } = object;
  const metadata = { ...(isRecord(rest.metadata) ? rest.metadata : {}) };
  for (const k of ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp']) delete metadata[k];
  return { ...rest, metadata };
}
