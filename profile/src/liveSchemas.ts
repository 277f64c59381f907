/**
 * A target cluster's own API as a KubeSchemaData: its discovery (every group/version and kind it
 * serves, CRDs included) and the OpenAPI v3 documents of the group/versions a profile uses,
 * trimmed to what validation, completion and hover need. Pure: plane/src/cluster/liveSchemas.ts
 * fetches and caches the documents; this only reads them.
 *
 * Every input comes from a cluster and may be hostile: any JSON shape, huge, deep. The readers
 * here never throw on a shape, keep only the keys and value types they know, stop at
 * MAX_SCHEMA_DEPTH and MAX_SCHEMA_NODES, and report what they dropped as `problems`.
 */
import type { KubeSchema, KubeSchemaData, KubeScope } from './kubeTypes.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Json, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

/** Deeper schema nodes are kept as "anything goes" (a real CRD schema is rarely 20 deep). */
export const MAX_SCHEMA_DEPTH = 48;
/** Schema nodes kept from one group/version document; the rest of it is not checked. */
export const MAX_SCHEMA_NODES = 400_000;
const MAX_DESCRIPTION = 200;
const MAX_ENUM = 256;
const REF_PREFIX = '#/components/schemas/';
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const LIST_TYPES = new Set(['atomic', 'set', 'map']);

/** group/version → kind → scope, from discovery. */
export type ServedKinds = Record<string, Record<string, KubeScope>>;

/**
 * Aggregated discovery (`/api` and `/apis` with Accept
 * application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList) → the kinds one can
 * create, by group/version. Unknown shapes are skipped.
 */
export function servedKindsOf(...lists: unknown[]): ServedKinds {
  const served: ServedKinds = Object.create(null) as ServedKinds;
  for (const list of lists) {
    const items = isObj(list) && Array.isArray(list.items) ? list.items : [];
    for (const group of items.slice(0, 10_000)) {
      if (!isObj(group)) continue;
      const name = isObj(group.metadata) && typeof group.metadata.name === 'string' ? group.metadata.name : '';
      for (const version of Array.isArray(group.versions) ? group.versions.slice(0, 100) : []) {
        if (!isObj(version) || typeof version.version !== 'string' || !Array.isArray(version.resources)) continue;
        const gv = name ? `${name}/${version.version}` : version.version;
        const kinds: Record<string, KubeScope> = served[gv] ?? (Object.create(null) as Record<string, KubeScope>);
        for (const r of version.resources.slice(0, 10_000)) {
          if (!isObj(r) || !isObj(r.responseKind) || typeof r.responseKind.kind !== 'string' || typeof r.resource !== 'string') continue;
          const verbs = Array.isArray(r.verbs) ? r.verbs : [];
          if (!verbs.includes('create')) continue;
          kinds[r.responseKind.kind] = r.scope === 'Cluster' ? 'Cluster' : 'Namespaced';
        }
        if (Object.keys(kinds).length) served[gv] = kinds;
      }
    }
  }
  return served;
}

/** The first sentence of a description, at most 200 characters: enough for a hover. */
export function shortDescription(text: string): string {
  const first = text.slice(0, 4000).split(/\n\n/)[0].replace(/\s+/g, ' ').trim();
  const sentence = /^(.+?\.)(\s|$)/.exec(first)?.[1] ?? first;
  return sentence.length > MAX_DESCRIPTION ? `${sentence.slice(0, MAX_DESCRIPTION - 3)}...` : sentence;
}

interface TrimBudget {
  nodes: number;
  cut: boolean;
}

const refName = (ref: string): string => (ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref);
const scalar = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** One OpenAPI schema node → the trimmed KubeSchema; bounded by depth and the document's budget. */
function trim(node: unknown, depth: number, budget: TrimBudget): KubeSchema {
  if (!isObj(node)) return {};
  if (depth > MAX_SCHEMA_DEPTH || budget.nodes <= 0) {
    budget.cut = true;
    return { 'x-kubernetes-preserve-unknown-fields': true };
  }
  budget.nodes--;
  const out: KubeSchema = {};
  const ref = own(node, '$ref');
  if (typeof ref === 'string') out.$ref = refName(ref);
  const allOf = own(node, 'allOf');
  if (Array.isArray(allOf)) {
    const first = allOf[0];
    if (allOf.length === 1 && isObj(first) && typeof first.$ref === 'string') out.$ref = refName(first.$ref);
    else out.allOf = allOf.slice(0, 16).map((n) => trim(n, depth + 1, budget));
  }
  const type = own(node, 'type');
  if (typeof type === 'string' && TYPES.has(type)) out.type = type as KubeSchema['type'];
  const format = own(node, 'format');
  if (typeof format === 'string' && format.length < 64) out.format = format;
  const enumValues = own(node, 'enum');
  if (Array.isArray(enumValues) && enumValues.length <= MAX_ENUM && enumValues.every(scalar)) out.enum = enumValues;
  for (const key of ['minimum', 'maximum'] as const) {
    const v = own(node, key);
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  }
  for (const key of ['x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource'] as const) {
    if (own(node, key) === true) out[key] = true;
  }
  const listType = own(node, 'x-kubernetes-list-type');
  if (typeof listType === 'string' && LIST_TYPES.has(listType)) out['x-kubernetes-list-type'] = listType as KubeSchema['x-kubernetes-list-type'];
  const mapKeys = own(node, 'x-kubernetes-list-map-keys');
  if (Array.isArray(mapKeys) && mapKeys.length <= 16 && mapKeys.every((k) => typeof k === 'string')) out['x-kubernetes-list-map-keys'] = mapKeys as string[];
  const required = own(node, 'required');
  if (Array.isArray(required)) {
    const names = required.filter((r): r is string => typeof r === 'string').slice(0, 1000);
    if (names.length) out.required = [...new Set(names)].sort();
  }
  // Scalar defaults only: list-map keys need them (ports' protocol defaults to TCP).
  const dflt = own(node, 'default');
  if (dflt !== undefined && scalar(dflt)) out.default = dflt;
  const description = own(node, 'description');
  if (typeof description === 'string' && description) out.description = shortDescription(description);
  const properties = own(node, 'properties');
  if (isObj(properties)) {
    const props: Record<string, KubeSchema> = Object.create(null) as Record<string, KubeSchema>;
    for (const k of Object.keys(properties).sort()) {
      if (budget.nodes <= 0) {
        budget.cut = true;
        // A half-read object must not turn its other fields into "unknown field" errors.
        out['x-kubernetes-preserve-unknown-fields'] = true;
        break;
      }
      props[k] = trim(properties[k], depth + 1, budget);
    }
    out.properties = props;
  }
  const items = own(node, 'items');
  if (isObj(items)) out.items = trim(items, depth + 1, budget);
  const extra = own(node, 'additionalProperties');
  if (extra === true || extra === false) out.additionalProperties = extra;
  else if (isObj(extra)) out.additionalProperties = trim(extra, depth + 1, budget);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = own(node, key);
    if (Array.isArray(branches)) out[key] = branches.slice(0, 16).map((n) => trim(n, depth + 1, budget));
  }
  return out;
}

/** The release a `/version` answer names (its gitVersion, e.g. v1.36.3), or `unknown`. */
export function kubernetesReleaseOf(version: unknown): string {
  return isObj(version) && typeof version.gitVersion === 'string' && version.gitVersion.length < 100 ? version.gitVersion : 'unknown';
}

/**
 * group/version → the URL of its document (serverRelativeURL, with its ?hash=), from the
 * `/openapi/v3` index. Entries that are not a plain group/version, or whose URL is not under
 * /openapi/v3/ or is over 1,000 characters, are left out.
 */
export function openApiPathsOf(index: unknown): Record<string, string> {
  const paths: Record<string, string> = {};
  const listed = isObj(index) && isObj(index.paths) ? index.paths : {};
  for (const [p, v] of Object.entries(listed)) {
    const url = isObj(v) ? v.serverRelativeURL : undefined;
    if (typeof url !== 'string' || !url.startsWith('/openapi/v3/') || url.length > 1000) continue;
    const gv = p === 'api/v1' ? 'v1' : p.startsWith('apis/') ? p.slice('apis/'.length) : undefined;
    if (gv && /^[a-z0-9.-]+\/[a-z0-9]+$|^v1$/.test(gv)) paths[gv] = url;
  }
  return paths;
}

/** What one group/version's OpenAPI v3 document adds to a schema set. */
export interface GroupVersionSchemas {
  /** kind → name of its definition among `schemas`. */
  kinds: Record<string, string>;
  schemas: Record<string, KubeSchema>;
  /** Dropped parts, for a message (a cut-off schema is not checked beyond the cut). */
  problems: string[];
}

/**
 * The definitions of one group/version document (`/openapi/v3/apis/<group>/<version>`), and which
 * definition is each kind of that group/version (by x-kubernetes-group-version-kind).
 */
export function groupVersionSchemasOf(groupVersion: string, document: unknown): GroupVersionSchemas {
  const problems: string[] = [];
  const components = isObj(document) && isObj(document.components) && isObj(document.components.schemas) ? document.components.schemas : undefined;
  if (!components) return { kinds: {}, schemas: {}, problems: [`the OpenAPI document of ${groupVersion} has no components.schemas`] };
  const kinds: Record<string, string> = Object.create(null) as Record<string, string>;
  const schemas: Record<string, KubeSchema> = Object.create(null) as Record<string, KubeSchema>;
  const budget: TrimBudget = { nodes: MAX_SCHEMA_NODES, cut: false };
  for (const name of Object.keys(components)) {
    const schema = components[name];
    if (!isObj(schema)) continue;
    const gvks = own(schema, 'x-kubernetes-group-version-kind');
    for (const gvk of Array.isArray(gvks) ? gvks.slice(0, 64) : []) {
      if (!isObj(gvk) || typeof gvk.kind !== 'string' || typeof gvk.version !== 'string') continue;
      const apiVersion = gvk.group ? `${String(gvk.group)}/${gvk.version}` : gvk.version;
      if (apiVersion === groupVersion) kinds[gvk.kind] = name;
    }
    schemas[name] = trim(schema, 0, budget);
  }
  // Quantity is a string in OpenAPI, but the API server reads numbers too (cpu: 1): as built in.
  const quantity = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
  if (schemas[quantity]) schemas[quantity] = { ...schemas[quantity], type: undefined, format: 'quantity' };
  if (budget.cut) problems.push(`the OpenAPI document of ${groupVersion} is larger or deeper than kplane reads (${MAX_SCHEMA_NODES} nodes, depth ${MAX_SCHEMA_DEPTH}); fields beyond that are not checked`);
  return { kinds, schemas, problems };
}

/**
 * A target's schema set: every kind discovery lists (scope known, so a kind not served is
 * reported), with the schemas of the group/versions read so far. `complete` tells validation that
 * a group not listed is not served by that cluster (unlike the built-in set, where an unknown
 * group is someone's CRD).
 */
export function liveSchemaData(kubernetes: string, served: ServedKinds, documents: ReadonlyMap<string, GroupVersionSchemas>): KubeSchemaData {
  const groupVersions: KubeSchemaData['groupVersions'] = {};
  const schemas: Record<string, KubeSchema> = {};
  for (const gv of Object.keys(served).sort()) {
    const doc = documents.get(gv);
    const byKind: Record<string, [KubeScope, string]> = {};
    // A kind of a group/version not read (yet) has no definition: checked for being served only.
    for (const kind of Object.keys(served[gv]).sort()) byKind[kind] = [served[gv][kind], doc?.kinds[kind] ?? ''];
    groupVersions[gv] = byKind;
    if (doc) for (const name of Object.keys(doc.schemas)) if (!Object.hasOwn(schemas, name)) schemas[name] = doc.schemas[name];
  }
  return { kubernetes, groupVersions, schemas, complete: true };
}
