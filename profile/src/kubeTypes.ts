/**
 * The Kubernetes types a manifest is checked against: the built-in API of one Kubernetes release
 * (generated from a real kube-apiserver by scripts/gen-kube-schemas.mjs, loaded by the caller,
 * since this package reads no files) and the kinds a profile's own CustomResourceDefinitions add.
 * Pure: lookups over plain data.
 */
import { groupOf, isKnownClusterScoped } from './identity.js';

/**
 * One schema node, trimmed to what validation and hover need. Built-in nodes refer to shared
 * definitions by name (`$ref`); CRD schemas are inline trees.
 */
export interface KubeSchema {
  $ref?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, KubeSchema>;
  additionalProperties?: KubeSchema | boolean;
  items?: KubeSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  anyOf?: KubeSchema[];
  oneOf?: KubeSchema[];
  allOf?: KubeSchema[];
  minimum?: number;
  maximum?: number;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

export type KubeScope = 'Namespaced' | 'Cluster';

/** The checked-in data file, decompressed (see scripts/gen-kube-schemas.mjs). */
export interface KubeSchemaData {
  /** The release the data was read from, e.g. "v1.36.3". */
  kubernetes: string;
  /** groupVersion → kind → [scope, name of its definition in `schemas`]. */
  groupVersions: Record<string, Record<string, [KubeScope, string]>>;
  schemas: Record<string, KubeSchema>;
  /**
   * Discovery lists everything the API serves (a live cluster): a group it does not list is not
   * served there. The built-in set knows only Kubernetes' own groups; any other is someone's CRD.
   */
  complete?: boolean;
}

export interface KubeKind {
  apiVersion: string;
  kind: string;
  scope: KubeScope;
  schema: KubeSchema;
  /** Where the kind comes from: "Kubernetes v1.36.3" or "CustomResourceDefinition widgets.example.com". */
  source: string;
}

/** A kind made known by a CustomResourceDefinition of the profile. */
export interface CustomKind {
  group: string;
  kind: string;
  scope: KubeScope;
  /** Served versions → their openAPIV3Schema (undefined: no schema, nothing to check). */
  versions: Map<string, KubeSchema | undefined>;
  crd: string;
  /** The CRD manifest it was read from (identity tells an unchanged CRD). */
  source?: object;
}

export class KubeTypes {
  private readonly groups = new Set<string>();
  private readonly kindsByName = new Map<string, string[]>();
  private readonly custom = new Map<string, CustomKind>();

  constructor(
    readonly data: KubeSchemaData,
    custom: readonly CustomKind[] = [],
  ) {
    for (const [gv, kinds] of Object.entries(data.groupVersions)) {
      this.groups.add(groupOf(gv));
      for (const kind of Object.keys(kinds)) {
        const list = this.kindsByName.get(kind) ?? [];
        list.push(gv);
        this.kindsByName.set(kind, list);
      }
    }
    for (const c of custom) this.custom.set(`${c.group}/${c.kind}`, c);
  }

  private lastCustom?: { custom: readonly CustomKind[]; types: KubeTypes };

  /**
   * The same built-in types plus these custom kinds (a profile's CRDs). The same CRDs as last time
   * (the same objects: an edit elsewhere keeps them) give the same instance, so what was checked
   * against it can be reused.
   */
  withCustomKinds(custom: readonly CustomKind[]): KubeTypes {
    if (!custom.length) return this;
    const last = this.lastCustom;
    if (last && last.custom.length === custom.length && last.custom.every((c, i) => c.source === custom[i].source)) return last.types;
    const types = new KubeTypes(this.data, custom);
    this.lastCustom = { custom, types };
    return types;
  }

  get release(): string {
    return this.data.kubernetes;
  }

  /**
   * A target cluster's live API (../liveSchemas.ts) rather than the built-in one. Clusters of the
   * same release and CRDs share one instance, so it carries no cluster name: findings get theirs
   * from ./validation/targetFindings.ts.
   */
  get live(): boolean {
    return this.data.complete === true;
  }

  /** For messages: "Kubernetes 1.36.3". */
  get label(): string {
    return `Kubernetes ${this.data.kubernetes.replace(/^v/, '')}`;
  }

  /** A definition by name (the target of a `$ref`). */
  definition(name: string): KubeSchema | undefined {
    return Object.hasOwn(this.data.schemas, name) ? this.data.schemas[name] : undefined;
  }

  /** Whether the built-in API serves this group (any version). Custom groups are not built in. */
  isBuiltinGroup(group: string): boolean {
    return this.groups.has(group);
  }

  servesGroupVersion(apiVersion: string): boolean {
    return Object.hasOwn(this.data.groupVersions, apiVersion);
  }

  /** The kind's type at this apiVersion, built in or from a CRD of the profile. */
  kind(apiVersion: string, kind: string): KubeKind | undefined {
    const byKind = Object.hasOwn(this.data.groupVersions, apiVersion) ? this.data.groupVersions[apiVersion] : undefined;
    const builtin = byKind && Object.hasOwn(byKind, kind) ? byKind[kind] : undefined;
    if (builtin) return { apiVersion, kind, scope: builtin[0], schema: { $ref: builtin[1] }, source: `Kubernetes ${this.data.kubernetes}${this.live ? ' (live cluster)' : ''}` };
    const custom = this.custom.get(`${groupOf(apiVersion)}/${kind}`);
    const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
    if (custom && custom.versions.has(version)) {
      return { apiVersion, kind, scope: custom.scope, schema: custom.versions.get(version) ?? { 'x-kubernetes-preserve-unknown-fields': true }, source: `CustomResourceDefinition ${custom.crd}` };
    }
    return undefined;
  }

  /** The custom kind of a group, whatever the version (to tell "unknown version" from "unknown kind"). */
  customKind(group: string, kind: string): CustomKind | undefined {
    return this.custom.get(`${group}/${kind}`);
  }

  /** Built-in apiVersions that serve a kind of this name, e.g. Deployment → ["apps/v1"]. */
  apiVersionsOf(kind: string): string[] {
    return this.kindsByName.get(kind) ?? [];
  }

  /** Scope of a kind, built in or custom; undefined when unknown. */
  scopeOf(apiVersion: string, kind: string): KubeScope | undefined {
    const known = this.kind(apiVersion, kind);
    if (known) return known.scope;
    const group = groupOf(apiVersion);
    const custom = this.custom.get(`${group}/${kind}`);
    if (custom) return custom.scope;
    // Another version of the same group (e.g. a removed beta) has the same scope.
    for (const gv of this.apiVersionsOf(kind)) if (groupOf(gv) === group) return this.data.groupVersions[gv][kind][0];
    return undefined;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The kinds CustomResourceDefinition manifests define (apiextensions.k8s.io/v1), read defensively:
 * a CRD with a broken shape adds what it can and nothing else.
 */
export function customKindsOf(manifests: readonly unknown[]): CustomKind[] {
  const kinds: CustomKind[] = [];
  for (const m of manifests) {
    if (!isObj(m) || m.kind !== 'CustomResourceDefinition' || typeof m.apiVersion !== 'string' || !m.apiVersion.startsWith('apiextensions.k8s.io/')) continue;
    const spec = isObj(m.spec) ? m.spec : undefined;
    const names = isObj(spec?.names) ? spec.names : undefined;
    const group = spec?.group;
    const kind = names?.kind;
    if (typeof group !== 'string' || typeof kind !== 'string') continue;
    const versions = new Map<string, KubeSchema | undefined>();
    // apiextensions.k8s.io/v1beta1 had one spec.validation for every version.
    const shared = isObj(spec?.validation) && isObj(spec.validation.openAPIV3Schema) ? (spec.validation.openAPIV3Schema as KubeSchema) : undefined;
    if (Array.isArray(spec?.versions)) {
      for (const v of spec.versions) {
        if (!isObj(v) || typeof v.name !== 'string' || v.served === false) continue;
        const schema = isObj(v.schema) && isObj(v.schema.openAPIV3Schema) ? (v.schema.openAPIV3Schema as KubeSchema) : shared;
        versions.set(v.name, schema);
      }
    }
    if (typeof spec?.version === 'string' && !versions.has(spec.version)) versions.set(spec.version, shared);
    const metadata = isObj(m.metadata) ? m.metadata : undefined;
    kinds.push({ source: m, group, kind, scope: spec?.scope === 'Cluster' ? 'Cluster' : 'Namespaced', versions, crd: typeof metadata?.name === 'string' ? metadata.name : `${String(names?.plural ?? kind.toLowerCase())}.${group}` });
  }
  return kinds;
}

/**
 * Whether a kind is cluster-scoped, as these CRDs' spec.scope says for their kinds and `fallback`
 * (the built-in list by default; the agent passes discovery) for any other. Without it, the
 * kinds of a profile's own CRDs (a cert-manager ClusterIssuer) count as namespaced wherever no
 * live cluster is asked: they get a layer's namespace in validation and rendering.
 */
export function scopeWithCustomKinds(custom: readonly CustomKind[], fallback: (apiVersion: string, kind: string) => boolean = isKnownClusterScoped): (apiVersion: string, kind: string) => boolean {
  if (!custom.length) return fallback;
  const scopes = new Map(custom.map((c) => [`${c.group}/${c.kind}`, c.scope]));
  return (apiVersion, kind) => {
    const scope = scopes.get(`${groupOf(apiVersion)}/${kind}`);
    return scope ? scope === 'Cluster' : fallback(apiVersion, kind);
  };
}

/** scopeWithCustomKinds of the CustomResourceDefinitions among `objects` (a profile's manifests, a chart's output). */
export function scopeWithCrds(objects: readonly unknown[], fallback?: (apiVersion: string, kind: string) => boolean): (apiVersion: string, kind: string) => boolean {
  return scopeWithCustomKinds(customKindsOf(objects), fallback);
}

/**
 * The schema of a field of a manifest of this kind (`path` from the manifest's top, e.g.
 * ['spec', 'template', 'spec', 'containers', 0, 'image']), for hover and completion; undefined
 * when the kind or the field is unknown. $refs and one-element allOf are followed.
 */
export function kubeSchemaAt(kube: KubeTypes, apiVersion: string, kind: string, path: readonly (string | number)[]): KubeSchema | undefined {
  const known = kube.kind(apiVersion, kind);
  if (!known) return undefined;
  const resolve = (s: KubeSchema | undefined): KubeSchema | undefined => {
    let node = s;
    for (let i = 0; node && i < 8; i++) {
      if (node.$ref) node = kube.definition(node.$ref);
      else if (node.allOf?.length === 1 && !node.type && !node.properties) node = node.allOf[0];
      else break;
    }
    return node;
  };
  let node = resolve(known.schema);
  for (let i = 0; node && i < path.length && i < 64; i++) {
    const step = path[i];
    // A CRD's schema describes metadata barely: the API's ObjectMeta speaks for it.
    if (i === 0 && step === 'metadata') node = resolve({ $ref: 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' });
    else if (typeof step === 'number') node = resolve(node.items);
    else if (node.properties && Object.hasOwn(node.properties, step)) node = resolve(node.properties[step]);
    else node = typeof node.additionalProperties === 'object' ? resolve(node.additionalProperties) : undefined;
  }
  return node;
}
