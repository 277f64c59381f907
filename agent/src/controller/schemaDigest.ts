/**
 * What the agent's cache keeps of a CustomResourceDefinition. An operator's CRD is mostly its
 * versions' OpenAPI schemas (0.5–1 MB of JSON each, twice that on the heap), which nothing reads
 * from the cache: health needs the status, drift only whether the schema is still the one found
 * in sync. So a big schema is kept as a digest of the live schema (the Informer's `transform`),
 * and drift detection (./steps/drift.ts) compares digests with the digests it saw in sync, and
 * reads the whole object from the API server when they differ.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '@kplane/kube';

/** The key of the object that stands in for a digested schema. */
export const DIGEST_KEY = 'kplane.dev/sha256';
/** Schemas smaller than this are kept as they are: a digest saves little and costs a GET on change. */
export const DIGEST_MIN_BYTES = 16 * 1024;

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCrd(obj: KubeObject): boolean {
  return obj.kind === 'CustomResourceDefinition' && typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('apiextensions.k8s.io/');
}

/**
 * The object as the cache keeps it: a CRD's big `spec.versions[].schema` replaced by
 * `{ "kplane.dev/sha256": <digest of its JSON> }`; any other object as it is. Never changes `obj`.
 * The digest is of the JSON as the API server sent it, so equal digests mean an equal live schema
 * (the server writes a CRD's fields in a fixed order); it is never compared with a profile's.
 */
export function digestSchemas(obj: KubeObject): KubeObject {
  if (!isCrd(obj) || !isObject(obj.spec) || !Array.isArray(obj.spec.versions)) return obj;
  let changed = false;
  const versions = (obj.spec.versions as unknown[]).map((version) => {
    if (!isObject(version) || !isObject(version.schema) || DIGEST_KEY in version.schema) return version;
    const digest = digestOf(version.schema);
    if (digest === undefined) return version;
    changed = true;
    return { ...version, schema: { [DIGEST_KEY]: digest } };
  });
  return changed ? { ...obj, spec: { ...obj.spec, versions } } : obj;
}

/**
 * Digests by schema object: the answer to an apply is digested twice (the cache keeps it, drift
 * detection remembers it), and a 0.7 MB schema costs milliseconds to serialize and hash.
 */
const digests = new WeakMap<Obj, string | null>();

/** The digest of a big schema; undefined for one under DIGEST_MIN_BYTES. */
function digestOf(schema: Obj): string | undefined {
  let digest = digests.get(schema);
  if (digest === undefined) {
    const json = JSON.stringify(schema);
    digest = json.length < DIGEST_MIN_BYTES ? null : createHash('sha256').update(json).digest('hex');
    digests.set(schema, digest);
  }
  return digest ?? undefined;
}

/**
 * The digests an object carries (of digestSchemas' form), as one string with the paths they
 * stand at, or undefined when it carries none.
 */
export function digestsOf(obj: KubeObject): { signature: string; paths: string[] } | undefined {
  if (!isCrd(obj) || !isObject(obj.spec) || !Array.isArray(obj.spec.versions)) return undefined;
  const parts: string[] = [];
  const paths: string[] = [];
  (obj.spec.versions as unknown[]).forEach((version, i) => {
    if (!isObject(version) || !isObject(version.schema)) return;
    const digest = version.schema[DIGEST_KEY];
    if (typeof digest !== 'string') return;
    parts.push(`${i}:${String(version.name)}:${digest}`);
    paths.push(`spec.versions[${i}].schema`);
  });
  return parts.length ? { signature: parts.join(','), paths } : undefined;
}
