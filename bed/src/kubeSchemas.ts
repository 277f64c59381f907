/**
 * Reads the built-in API of a real kube-apiserver (OpenAPI v3 of every served group/version, and
 * discovery for kinds and scopes) and trims it to what manifest validation and hover need. Used
 * by scripts/gen-kube-schemas.mjs (writes the checked-in files) and by the cluster test that
 * fails when they differ from what the bed's API server serves.
 */
import { request } from 'node:https';
import { brotliCompressSync, constants } from 'node:zlib';
import { kubeClient } from './client.js';
import type { TestCluster } from './cluster.js';

type Json = Record<string, unknown>;
// The shapes of KubeSchemaData in @kplane/profile (profile/src/kubeTypes.ts), kept structural so
// that the bed needs no build dependency on the profile package.
type KubeSchema = Json;
type KubeScope = 'Namespaced' | 'Cluster';
interface KubeSchemaData {
  kubernetes: string;
  groupVersions: Record<string, Record<string, [KubeScope, string]>>;
  schemas: Record<string, KubeSchema>;
}
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

async function getJson(cluster: TestCluster, path: string): Promise<Json> {
  const kc = kubeClient(cluster);
  const opts: { headers?: Record<string, string> } & Record<string, unknown> = { method: 'GET' };
  await kc.applyToHTTPSOptions(opts as never);
  const url = new URL(cluster.server + path);
  return new Promise((resolve, reject) => {
    const req = request({ ...opts, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers: { ...(opts.headers ?? {}), accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`GET ${path}: HTTP ${res.statusCode}`));
        else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The first sentence of a description, at most 200 characters: enough for a hover. */
function shortDescription(text: string): string {
  const first = text.split(/\n\n/)[0].replace(/\s+/g, ' ').trim();
  const sentence = /^(.+?\.)(\s|$)/.exec(first)?.[1] ?? first;
  return sentence.length > 200 ? `${sentence.slice(0, 197)}...` : sentence;
}

const REF_PREFIX = '#/components/schemas/';

/** One OpenAPI node → the trimmed KubeSchema (allOf of one $ref collapsed, unknown keys dropped). */
function trim(node: unknown): KubeSchema {
  if (!isObj(node)) return {};
  const out: Json = {};
  if (typeof node.$ref === 'string') out.$ref = node.$ref.replace(REF_PREFIX, '');
  if (Array.isArray(node.allOf) && node.allOf.length === 1 && isObj(node.allOf[0]) && typeof node.allOf[0].$ref === 'string') {
    out.$ref = node.allOf[0].$ref.replace(REF_PREFIX, '');
  } else if (Array.isArray(node.allOf)) out.allOf = node.allOf.map(trim);
  for (const key of ['type', 'format', 'enum', 'minimum', 'maximum', 'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys']) {
    if (node[key] !== undefined) out[key] = node[key];
  }
  if (Array.isArray(node.required) && node.required.length) out.required = [...(node.required as string[])].sort();
  // Scalar defaults only: list-map keys need them (ports' protocol defaults to TCP).
  if (node.default !== undefined && (typeof node.default !== 'object' || node.default === null)) out.default = node.default;
  if (typeof node.description === 'string' && node.description) out.description = shortDescription(node.description);
  if (isObj(node.properties)) {
    out.properties = Object.fromEntries(Object.keys(node.properties).sort().map((k) => [k, trim((node.properties as Json)[k])]));
  }
  if (isObj(node.items)) out.items = trim(node.items);
  if (node.additionalProperties === true || node.additionalProperties === false) out.additionalProperties = node.additionalProperties;
  else if (isObj(node.additionalProperties)) out.additionalProperties = trim(node.additionalProperties);
  for (const key of ['anyOf', 'oneOf'] as const) if (Array.isArray(node[key])) out[key] = (node[key] as unknown[]).map(trim);
  return out as KubeSchema;
}

/** Keys sorted at every level, so the output is the same for the same API. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (!isObj(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted(value[k])]));
}

export interface KubeApiSnapshot {
  data: KubeSchemaData;
  /** "group/Kind" of every cluster-scoped built-in kind, sorted. */
  clusterScoped: string[];
}

/**
 * The built-in API of `cluster`: every group/version discovery lists (except those served by
 * CRDs), its kinds with scope, and the trimmed OpenAPI v3 definitions they use.
 */
export async function readKubeApi(cluster: TestCluster): Promise<KubeApiSnapshot> {
  const version = await getJson(cluster, '/version');
  const crds = await getJson(cluster, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions');
  const crdGroups = new Set(((crds.items as Json[]) ?? []).map((c) => String((c.spec as Json).group)));
  const groupVersions = ['v1'];
  const apis = await getJson(cluster, '/apis');
  for (const g of (apis.groups as Json[]) ?? []) {
    if (crdGroups.has(String(g.name))) continue;
    for (const v of (g.versions as Json[]) ?? []) groupVersions.push(String(v.groupVersion));
  }
  const index = await getJson(cluster, '/openapi/v3');
  const paths = (index.paths ?? {}) as Record<string, { serverRelativeURL: string }>;
  const kinds: KubeSchemaData['groupVersions'] = {};
  const schemas: Record<string, KubeSchema> = {};
  const clusterScoped = new Set<string>();
  for (const gv of groupVersions.sort()) {
    const resources = await getJson(cluster, gv === 'v1' ? '/api/v1' : `/apis/${gv}`);
    const byKind: Record<string, [KubeScope, string]> = {};
    const openapiPath = gv === 'v1' ? 'api/v1' : `apis/${gv}`;
    const doc = paths[openapiPath] ? await getJson(cluster, paths[openapiPath].serverRelativeURL) : {};
    const components = (isObj(doc.components) && isObj(doc.components.schemas) ? doc.components.schemas : {}) as Json;
    // Definition of each kind of this group/version, by x-kubernetes-group-version-kind.
    const definitionOf = new Map<string, string>();
    for (const [name, schema] of Object.entries(components)) {
      const gvks = isObj(schema) && Array.isArray(schema['x-kubernetes-group-version-kind']) ? (schema['x-kubernetes-group-version-kind'] as Json[]) : [];
      for (const gvk of gvks) {
        const apiVersion = gvk.group ? `${String(gvk.group)}/${String(gvk.version)}` : String(gvk.version);
        if (apiVersion === gv) definitionOf.set(String(gvk.kind), name);
      }
    }
    for (const r of (resources.resources as Json[]) ?? []) {
      const name = String(r.name);
      if (name.includes('/')) continue; // subresources (status, scale, …)
      const kind = String(r.kind);
      const definition = definitionOf.get(kind);
      const verbs = (r.verbs as string[]) ?? [];
      // Only kinds one can write in a manifest: created, and with a schema.
      if (!definition || !verbs.includes('create')) continue;
      const scope: KubeScope = r.namespaced ? 'Namespaced' : 'Cluster';
      byKind[kind] = [scope, definition];
      if (scope === 'Cluster') clusterScoped.add(`${gv.includes('/') ? gv.slice(0, gv.indexOf('/')) : ''}/${kind}`);
    }
    if (!Object.keys(byKind).length) continue;
    kinds[gv] = byKind;
    for (const [name, schema] of Object.entries(components)) schemas[name] ??= trim(schema);
  }
  // Quantity is a string in OpenAPI, but the API server reads numbers too (cpu: 1): mark it so.
  const quantity = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
  if (schemas[quantity]) schemas[quantity] = { ...schemas[quantity], type: undefined, format: 'quantity' };
  const used = reachable(kinds, schemas);
  const data: KubeSchemaData = {
    kubernetes: String(version.gitVersion),
    groupVersions: kinds,
    schemas: Object.fromEntries([...used].sort().map((n) => [n, schemas[n]])),
  };
  return { data: sorted(JSON.parse(JSON.stringify(data))) as KubeSchemaData, clusterScoped: [...clusterScoped].sort() };
}

/** Definitions reachable from a kind (the rest, e.g. DeleteOptions or lists, is not needed). */
function reachable(kinds: KubeSchemaData['groupVersions'], schemas: Record<string, KubeSchema>): Set<string> {
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObj(node)) return;
    if (typeof node.$ref === 'string' && !seen.has(node.$ref)) {
      seen.add(node.$ref);
      visit(schemas[node.$ref]);
    }
    for (const [k, v] of Object.entries(node)) if (k !== '$ref' && typeof v === 'object') visit(v);
  };
  for (const byKind of Object.values(kinds)) for (const [, def] of Object.values(byKind)) visit({ $ref: def });
  return seen;
}

/** The checked-in files' contents, from a snapshot: deterministic for the same API. */
export function renderKubeApiFiles(snapshot: KubeApiSnapshot): { schemasModule: string; scopesModule: string; rawBytes: number; compressedBytes: number } {
  const json = JSON.stringify(snapshot.data);
  const compressed = brotliCompressSync(Buffer.from(json, 'utf8'), {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: json.length },
  });
  const base64 = compressed.toString('base64');
  const header = `// Generated by scripts/gen-kube-schemas.mjs from kube-apiserver ${snapshot.data.kubernetes} of the test bed. Do not edit.\n`;
  const schemasModule =
    header +
    '// The built-in API (discovery + trimmed OpenAPI v3) as brotli-compressed JSON (KubeSchemaData of @kplane/profile), in base64\n' +
    '// so that the tsc output and the esbuild bundles carry it alike; ./kubeSchemaLoader.ts decodes it on first use.\n' +
    `export const KUBERNETES_RELEASE = ${JSON.stringify(snapshot.data.kubernetes)};\n` +
    `export const KUBE_SCHEMAS_BROTLI_BASE64 =\n  '${base64}';\n`;
  const scopesModule =
    header +
    '/** "group/Kind" of every cluster-scoped built-in kind (discovery: namespaced=false). */\n' +
    `export const BUILTIN_CLUSTER_SCOPED: readonly string[] = [\n${snapshot.clusterScoped.map((k) => `  ${JSON.stringify(k)},`).join('\n')}\n];\n`;
  return { schemasModule, scopesModule, rawBytes: json.length, compressedBytes: compressed.length };
}
