/**
 * Every manifest of a profile against the Kubernetes API it will be applied to: the built-in types
 * of a release (../kubeTypes.ts) plus the profile's own CRDs. A walker over the OpenAPI schema,
 * not ajv: the rules are Kubernetes' own (strict field validation, int-or-string, quantities,
 * list-maps keyed by several fields with defaults, embedded resources, `${var}` typed by its
 * variable), and the walk is driven by the manifest, so a recursive schema costs nothing extra.
 * Pure and total: findings only, bounded by MAX_DEPTH and MAX_FINDINGS per manifest.
 */
import { groupOf } from '../identity.js';
import { isRemovedBy, removedApi } from '../removedApis.js';
import { scanReferences } from '../render.js';
import type { KubeSchema, KubeTypes } from '../kubeTypes.js';
import type { VariableType } from '../types.js';
import type { Finding, JsonPath } from './index.js';
import { closest, describeValue, formatPath, isRecord } from './rules.js';

export interface ManifestCheckOptions {
  kube: KubeTypes;
  /** The Kubernetes release the profile targets (removed APIs); default: the release of `kube`. */
  kubeVersion?: string;
  /** The declared type of a variable, for a value that is exactly `${name}`. */
  variableType(name: string): VariableType | undefined;
}

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const LABEL_SELECTOR = 'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector';
const MAX_DEPTH = 64;
const MAX_FINDINGS = 200;

/** Fields that moved when an API went GA: a hint better than "did you mean". */
const MOVED_FIELDS: Record<string, string> = {
  'io.k8s.api.networking.v1.IngressBackend/serviceName': 'networking.k8s.io/v1 writes the backend as service: { name: NAME, port: { number: 80 } }',
  'io.k8s.api.networking.v1.IngressBackend/servicePort': 'networking.k8s.io/v1 writes the backend as service: { name: NAME, port: { number: 80 } } (or port: { name: http })',
};

const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[munkMGTPE]|[KMGTPE]i)?$/;
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

/**
 * Where the walk is, as a linked list made a JsonPath only for a finding: copying the path array
 * at every node cost most of the walk over a big CRD's deep schema (--cpu-prof, bench:lsp).
 */
interface WalkPath {
  up: WalkPath | undefined;
  key: string | number;
  /** Segments from the profile's root, as JsonPath.length. */
  length: number;
  /** The manifest's own path, on the root link. */
  base?: JsonPath;
}

function down(path: WalkPath, key: string | number): WalkPath {
  return { up: path, key, length: path.length + 1 };
}

function pathOf(path: WalkPath): JsonPath {
  const keys: (string | number)[] = [];
  let link = path;
  for (; link.up; link = link.up) keys.push(link.key);
  return [...(link.base ?? []), ...keys.reverse()];
}

type Walk = {
  kind: string;
  findings: Finding[];
  opts: ManifestCheckOptions;
  /** True inside a CRD's schema: an object schema without properties keeps no fields. */
  structural: boolean;
  /** What the walk reads of each schema node, read once (see Facts). */
  facts: WeakMap<KubeSchema, Facts>;
};

/**
 * What the walk reads of one schema node, its $ref followed, read once per node and kept. The
 * nodes are JSON objects of hundreds of shapes, so each property read on them was a megamorphic
 * lookup, and a manifest node cost some fifteen of them: most of the walk's time over generated
 * profiles of small Deployments (--cpu-prof, bench:lsp). One object of one shape reads fast.
 */
class Facts {
  readonly intOrString: boolean;
  readonly quantity: boolean;
  /** anyOf or oneOf, when the node is nothing else. */
  readonly alternatives: KubeSchema[] | undefined;
  readonly type: string | undefined;
  readonly enum: unknown[] | undefined;
  readonly byte: boolean;
  readonly items: KubeSchema | undefined;
  readonly listType: string | undefined;
  readonly properties: Record<string, KubeSchema> | undefined;
  readonly extra: KubeSchema | boolean | undefined;
  readonly preserve: boolean;
  readonly embedded: boolean;
  readonly required: readonly string[];

  constructor(
    /** The node itself, its $ref (and one-element allOf) followed. */
    readonly schema: KubeSchema,
    /** The $ref of the node as written (ObjectMeta and LabelSelector get checks of their own). */
    readonly ref: string | undefined,
  ) {
    this.intOrString = isIntOrString(schema);
    this.quantity = schema.format === 'quantity';
    const alternatives = schema.anyOf ?? schema.oneOf;
    this.alternatives = alternatives && !schema.type && !schema.properties ? alternatives : undefined;
    this.type = schema.type ?? (schema.properties || schema.additionalProperties ? 'object' : undefined);
    this.enum = schema.enum && schema.enum.length ? schema.enum : undefined;
    this.byte = schema.format === 'byte';
    this.items = schema.items;
    this.listType = schema['x-kubernetes-list-type'];
    this.properties = schema.properties;
    this.extra = schema.additionalProperties;
    this.preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
    this.embedded = schema['x-kubernetes-embedded-resource'] === true;
    this.required = schema.required ?? [];
  }
}

/** Per schema set (definitions by name decide where a $ref leads): schema node → its facts. */
const factsBySet = new WeakMap<object, WeakMap<KubeSchema, Facts>>();

function factsFor(kube: KubeTypes): WeakMap<KubeSchema, Facts> {
  let facts = factsBySet.get(kube.data);
  if (!facts) {
    facts = new WeakMap();
    factsBySet.set(kube.data, facts);
  }
  return facts;
}

function factsOf(raw: KubeSchema, w: Walk): Facts {
  let facts = w.facts.get(raw);
  if (!facts) {
    facts = new Facts(resolve(raw, w.opts.kube), raw.$ref);
    w.facts.set(raw, facts);
  }
  return facts;
}

/** Findings of one manifest (as written, variables not substituted) at `path` in the profile. */
export function checkManifest(manifest: unknown, path: JsonPath, opts: ManifestCheckOptions): Finding[] {
  if (!isRecord(manifest) || typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string') return [];
  const { apiVersion, kind } = manifest;
  if (apiVersion.includes('${') || kind.includes('${')) return [];
  const kube = opts.kube;
  // A live cluster's own release decides for it; --kube-version speaks for the built-in API.
  const target = (kube.live ? undefined : opts.kubeVersion) ?? kube.release;
  const findings: Finding[] = [];
  const at = (field: string): JsonPath => [...path, field];

  const removed = removedApi(apiVersion, kind);
  if (removed) {
    const gone = isRemovedBy(removed.removedIn, target);
    const fix = removed.replacement ? `use apiVersion: ${removed.replacement}${removed.note ? ` (${removed.note})` : ''}` : removed.note ?? 'remove it';
    findings.push({
      code: gone ? 'API_REMOVED' : 'API_DEPRECATED',
      severity: gone ? 'error' : 'warning',
      message: gone
        ? `${kind} ${apiVersion} was removed in Kubernetes ${removed.removedIn} and cannot be applied to ${displayVersion(target)}: ${fix}.`
        : `${kind} ${apiVersion} is removed in Kubernetes ${removed.removedIn}: ${fix} before upgrading.`,
      path: at('apiVersion'),
      data: { kind, ...(removed.replacement ? { replacement: removed.replacement } : {}) },
    });
    return findings;
  }

  const known = kube.kind(apiVersion, kind);
  if (!known) {
    notServed(apiVersion, kind, path, opts, findings);
    return findings;
  }
  const walk: Walk = { kind, findings, opts, structural: !known.schema.$ref, facts: factsFor(kube) };
  const root = resolve(known.schema, kube);
  walkObjectRoot(manifest, root, { up: undefined, key: '', length: path.length, base: path }, walk, known.schema.$ref === undefined);
  return findings.slice(0, MAX_FINDINGS);
}

function displayVersion(version: string): string {
  return `Kubernetes ${version.replace(/^v/, '')}`;
}

function notServed(apiVersion: string, kind: string, path: JsonPath, opts: ManifestCheckOptions, findings: Finding[]): void {
  const kube = opts.kube;
  const group = groupOf(apiVersion);
  const custom = kube.customKind(group, kind);
  if (custom) {
    const versions = [...custom.versions.keys()];
    findings.push({
      code: 'KIND_NOT_SERVED',
      severity: 'error',
      message: `${kind} ${apiVersion} is not served: CustomResourceDefinition ${custom.crd} serves ${versions.map((v) => `${group}/${v}`).join(', ') || 'no version'}; set apiVersion to one of them.`,
      path: [...path, 'apiVersion'],
      data: { kind, ...(versions.length ? { replacement: `${group}/${versions[versions.length - 1]}` } : {}) },
    });
    return;
  }
  if (!kube.isBuiltinGroup(group)) {
    if (kube.live) {
      // A live cluster lists every kind it serves, CRDs included: this one it does not.
      findings.push({
        code: 'KIND_NOT_SERVED_ON_CLUSTER',
        severity: 'error',
        message: `${kind} ${apiVersion} is not served there (no CustomResourceDefinition defines it): install its CRD on that cluster, or add the CRD to a layer of this profile.`,
        path: [...path, 'kind'],
        data: { kind },
      });
    } else {
      // Someone's CRD: nothing to check it against, which is worth knowing but no error.
      findings.push({
        code: 'MANIFEST_KIND_UNKNOWN',
        severity: 'information',
        message: `${kind} ${apiVersion} was not checked: neither ${kube.label} nor a CustomResourceDefinition of this profile defines it. Check it against a cluster that has its CRD (kplane validate --context NAME).`,
        path: [...path, 'kind'],
        data: { kind },
      });
    }
    return;
  }
  const elsewhere = kube.apiVersionsOf(kind);
  const sameGroup = elsewhere.filter((gv) => groupOf(gv) === group);
  const release = kube.label;
  if (kube.servesGroupVersion(apiVersion) || sameGroup.length || elsewhere.length) {
    const best = sameGroup[0] ?? elsewhere[0];
    if (best) {
      findings.push({
        code: 'KIND_NOT_SERVED',
        severity: 'error',
        message: `${kind} is not served by ${apiVersion} in ${release}: ${kind} is served by ${elsewhere.join(', ')}; set apiVersion: ${best}.`,
        path: [...path, 'apiVersion'],
        data: { kind, replacement: best },
      });
      return;
    }
    const kinds = Object.keys(kube.data.groupVersions[apiVersion] ?? {});
    const guess = closest(kind, kinds);
    findings.push({
      code: 'KIND_NOT_SERVED',
      severity: 'error',
      message: `${apiVersion} has no kind ${kind} in ${release}: ${guess ? `did you mean ${guess}?` : 'check the kind, or use the apiVersion of the CRD that defines it.'}`,
      path: [...path, 'kind'],
      data: { kind, ...(guess ? { suggestion: guess } : {}) },
    });
    return;
  }
  // A built-in group at a version the release does not serve by default (an alpha, say), for a
  // kind it does not know either: the cluster may enable it, so only warn.
  findings.push({
    code: 'KIND_NOT_SERVED',
    // A live cluster's discovery is the truth: there it is not served.
    severity: kube.live ? 'error' : 'warning',
    message: kube.live
      ? `${apiVersion} ${kind} is not served there (${release}): check the apiVersion, or enable that API on that cluster.`
      : `${apiVersion} ${kind} is not served by a default ${release} API server: check the apiVersion, or enable that API on your clusters.`,
    path: [...path, 'apiVersion'],
    data: { kind },
  });
}

function resolve(schema: KubeSchema, kube: KubeTypes): KubeSchema {
  let s = schema;
  for (let i = 0; i < 8; i++) {
    if (s.$ref) {
      const target = kube.definition(s.$ref);
      if (!target) return {};
      // The target itself, never a copy: big definitions (JSONSchemaProps) are met on every node.
      s = target;
      continue;
    }
    if (s.allOf && s.allOf.length === 1 && !s.type && !s.properties) {
      s = s.allOf[0];
      continue;
    }
    break;
  }
  return s;
}

/** The top of a manifest: apiVersion, kind and metadata are the API's, whatever a CRD's schema says. */
function walkObjectRoot(value: Record<string, unknown>, schema: KubeSchema, path: WalkPath, w: Walk, custom: boolean): void {
  if (!custom) {
    walkValue(value, schema, path, w, 0, undefined);
    return;
  }
  // A CRD's schema describes apiVersion and kind loosely and metadata barely: use ObjectMeta.
  const properties = { ...(schema.properties ?? {}), apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { $ref: OBJECT_META } } as Record<string, KubeSchema>;
  walkValue(value, { ...schema, type: 'object', properties }, path, w, 0, undefined);
}

type TypeName = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

function typeOfValue(value: unknown): TypeName {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'boolean') return 'boolean';
  return 'object';
}

/** The type a value will have once rendered: `${name}` alone takes its variable's type. */
function renderedType(value: unknown, w: Walk): TypeName | 'unknown' {
  if (typeof value === 'string' && value.startsWith('${') && value.endsWith('}')) {
    const refs = scanReferences(value);
    if (refs.length === 1 && refs[0].start === 0 && refs[0].end === value.length) {
      const type = w.opts.variableType(refs[0].name);
      if (type === undefined) return 'unknown'; // reported elsewhere as undeclared
      return type === 'integer' || type === 'number' || type === 'boolean' ? type : 'string';
    }
  }
  return typeOfValue(value);
}

function hasVariables(value: string): boolean {
  return value.includes('${');
}

function push(w: Walk, finding: Omit<Finding, 'severity'> & { severity?: Finding['severity'] }): void {
  if (w.findings.length < MAX_FINDINGS) w.findings.push({ severity: 'error', ...finding });
}

function where(w: Walk, path: WalkPath, manifestDepth: number): string {
  return `${w.kind} ${formatPath(pathOf(path).slice(manifestDepth))}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function expectedName(schema: KubeSchema): string {
  if (isIntOrString(schema)) return 'integer or string';
  if (schema.format === 'quantity') return 'quantity';
  if (schema.type === 'object') return 'mapping';
  if (schema.type === 'array') return 'list';
  return schema.type ?? 'value';
}

function isIntOrString(schema: KubeSchema): boolean {
  return schema['x-kubernetes-int-or-string'] === true || schema.format === 'int-or-string';
}

function wrongType(value: unknown, schema: KubeSchema, path: WalkPath, w: Walk, base: number, rendered: TypeName | 'unknown'): void {
  const wanted = expectedName(schema);
  const variable = typeof value === 'string' && /^\$\{[^}]*\}$/.test(value) ? ` (variable ${value.slice(2, -1).trim()} is ${article(String(rendered))})` : '';
  const quote = wanted === 'string' && (typeof value === 'number' || typeof value === 'boolean') ? ' YAML reads it as that: put the value in quotes.' : '';
  const unquote = (wanted === 'integer' || wanted === 'number') && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? ' Remove the quotes.' : '';
  push(w, {
    code: 'MANIFEST_WRONG_TYPE',
    message: `${where(w, path, base)} must be ${article(wanted)}, not ${typeof value === 'number' ? 'the number ' : ''}${describeValue(value)}${variable}.${quote}${unquote}`,
    path: pathOf(path),
    data: { expected: wanted },
  });
}

/**
 * Checks `value` against `schema`. `base` is the length of the manifest's own path (messages name
 * fields from the manifest's top). `listKey` marks a list-map item, for messages.
 */
function walkValue(value: unknown, raw: KubeSchema, path: WalkPath, w: Walk, depth: number, base: number | undefined): void {
  const b = base ?? path.length;
  if (depth > MAX_DEPTH || w.findings.length >= MAX_FINDINGS) return;
  if (value === null || value === undefined) return; // null means "unset" to the API server
  const f = factsOf(raw, w);
  const schema = f.schema;
  const rendered = renderedType(value, w);
  if (rendered === 'unknown') return;

  if (f.intOrString) {
    if (rendered !== 'integer' && rendered !== 'string') wrongType(value, schema, path, w, b, rendered);
    return;
  }
  if (f.quantity) {
    if (rendered === 'integer' || rendered === 'number') return;
    if (rendered !== 'string') return wrongType(value, schema, path, w, b, rendered);
    if (typeof value === 'string' && !hasVariables(value) && !QUANTITY.test(value.trim())) {
      push(w, { code: 'MANIFEST_INVALID_FORMAT', message: `${where(w, path, b)} ${describeValue(value)} is not a Kubernetes quantity: write e.g. 500m, 2, 1.5Gi or 256Mi.`, path: pathOf(path) });
    }
    return;
  }
  const alternatives = f.alternatives;
  if (alternatives) {
    // Some branch must fit: try each on a scratch list (branches are small scalar schemas in practice).
    for (const branch of alternatives) {
      const scratch: Walk = { ...w, findings: [] };
      walkValue(value, branch, path, scratch, depth + 1, b);
      if (scratch.findings.length === 0) return;
    }
    const names = alternatives.map((a) => expectedName(resolve(a, w.opts.kube)));
    push(w, { code: 'MANIFEST_WRONG_TYPE', message: `${where(w, path, b)} is ${describeValue(value)}; it must be ${names.map(article).join(' or ')}.`, path: pathOf(path) });
    return;
  }

  const type = f.type;
  if (!type) return; // anything goes (RawExtension, JSON fields)
  const fits = rendered === type || (type === 'number' && rendered === 'integer');
  if (!fits) return wrongType(value, schema, path, w, b, rendered);
  if (rendered !== typeOfValue(value)) return; // a `${var}` of the right type: its value is known only once rendered

  switch (type) {
    case 'string':
      if (typeof value === 'string') checkString(value, f, path, w, b);
      return;
    case 'integer':
    case 'number':
      if (typeof value === 'number') checkNumber(value, schema, path, w, b);
      return;
    case 'boolean':
      return;
    case 'array':
      if (Array.isArray(value)) walkArray(value, f, path, w, depth, b);
      return;
    case 'object':
      if (isRecord(value)) {
        walkObject(value, f, path, w, depth, b);
        if (f.ref === OBJECT_META) checkObjectMeta(value, path, w, b);
        if (f.ref === LABEL_SELECTOR && isRecord(value.matchLabels)) checkLabels(value.matchLabels, down(path, 'matchLabels'), w, b, true);
      }
      return;
  }
}

function checkString(value: string, f: Facts, path: WalkPath, w: Walk, b: number): void {
  if (hasVariables(value)) return; // its value is known only once rendered
  if (f.enum && !f.enum.includes(value)) {
    const allowed = f.enum.map(String);
    const guess = closest(value, allowed);
    push(w, {
      code: 'MANIFEST_INVALID_ENUM_VALUE',
      message: `${where(w, path, b)} is ${describeValue(value)}; it must be one of ${allowed.join(', ')}${guess ? ` (did you mean ${guess}?)` : ''}.`,
      path: pathOf(path),
      data: guess ? { suggestion: guess } : undefined,
    });
    return;
  }
  if (f.byte && !BASE64.test(value)) {
    push(w, { code: 'MANIFEST_INVALID_FORMAT', message: `${where(w, path, b)} must be base64-encoded: encode the value (base64), or put plain text under stringData instead.`, path: pathOf(path) });
  }
}

function checkNumber(value: number, schema: KubeSchema, path: WalkPath, w: Walk, b: number): void {
  if (schema.format === 'int32' && (value > 2147483647 || value < -2147483648)) {
    push(w, { code: 'MANIFEST_INVALID_FORMAT', message: `${where(w, path, b)} ${value} does not fit a 32-bit integer: use a smaller number.`, path: pathOf(path) });
  }
  if (typeof schema.minimum === 'number' && value < schema.minimum) {
    push(w, { code: 'MANIFEST_OUT_OF_RANGE', message: `${where(w, path, b)} is ${value}; it must be at least ${schema.minimum}.`, path: pathOf(path) });
  }
  if (typeof schema.maximum === 'number' && value > schema.maximum) {
    push(w, { code: 'MANIFEST_OUT_OF_RANGE', message: `${where(w, path, b)} is ${value}; it must be at most ${schema.maximum}.`, path: pathOf(path) });
  }
  if (schema.enum && schema.enum.length && !schema.enum.includes(value)) {
    push(w, { code: 'MANIFEST_INVALID_ENUM_VALUE', message: `${where(w, path, b)} is ${value}; it must be one of ${schema.enum.map(String).join(', ')}.`, path: pathOf(path) });
  }
}

function walkArray(value: unknown[], f: Facts, path: WalkPath, w: Walk, depth: number, b: number): void {
  const items = f.items;
  if (items) for (let i = 0; i < value.length && w.findings.length < MAX_FINDINGS; i++) walkValue(value[i], items, down(path, i), w, depth + 1, b);
  const listType = f.listType;
  if (listType === 'map') checkListMap(value, f.schema, path, w, b);
  else if (listType === 'set') {
    const seen = new Map<string, number>();
    value.forEach((item, i) => {
      if (item === null || typeof item === 'object' || (typeof item === 'string' && hasVariables(item))) return;
      const key = JSON.stringify(item);
      const first = seen.get(key);
      if (first !== undefined) push(w, { code: 'MANIFEST_DUPLICATE_KEY', message: `${where(w, path, b)} lists ${describeValue(item)} twice (items [${first}] and [${i}]); a set holds each value once: remove one.`, path: [...pathOf(path), i] });
      else seen.set(key, i);
    });
  }
}

function checkListMap(value: unknown[], schema: KubeSchema, path: WalkPath, w: Walk, b: number): void {
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  if (!keys.length) return;
  const itemSchema = schema.items ? resolve(schema.items, w.opts.kube) : {};
  const defaults = keys.map((k) => {
    const property = itemSchema.properties?.[k];
    return property ? resolve(property, w.opts.kube).default ?? property.default : undefined;
  });
  const seen = new Map<string, number>();
  value.forEach((item, i) => {
    if (!isRecord(item)) return;
    const parts = keys.map((k, n) => item[k] ?? defaults[n]);
    // A missing key without default is reported as a missing field; a variable's value is unknown.
    if (parts.some((p) => p === undefined || p === null || (typeof p === 'string' && hasVariables(p)))) return;
    const id = JSON.stringify(parts);
    const first = seen.get(id);
    if (first === undefined) {
      seen.set(id, i);
      return;
    }
    const described = keys.map((k, n) => `${k} ${describeValue(parts[n])}`).join(' and ');
    push(w, {
      code: 'MANIFEST_DUPLICATE_KEY',
      message: `${where(w, down(path, i), b)} has the same ${described} as item [${first}]: items of ${formatPath(pathOf(path).slice(b))} are keyed by ${keys.join(' + ')}; change or remove one.`,
      path: [...pathOf(path), i, keys[0]],
      on: item[keys[0]] === undefined ? 'key' : 'value',
    });
  });
}

function walkObject(value: Record<string, unknown>, f: Facts, path: WalkPath, w: Walk, depth: number, b: number): void {
  const properties = f.properties;
  const extra = f.extra;
  const embedded = f.embedded;
  // A built-in object schema with neither properties nor additionalProperties is free-form
  // (RawExtension, JSON); in a CRD's structural schema it keeps no field at all.
  const open = f.preserve || extra === true || (!properties && extra === undefined && !w.structural);
  for (const key of Object.keys(value)) {
    if (w.findings.length >= MAX_FINDINGS) return;
    const property = properties && Object.hasOwn(properties, key) ? properties[key] : undefined;
    const child = down(path, key);
    if (property) walkValue(value[key], property, child, w, depth + 1, b);
    else if (typeof extra === 'object') walkValue(value[key], extra, child, w, depth + 1, b);
    else if (embedded && (key === 'apiVersion' || key === 'kind')) continue;
    else if (embedded && key === 'metadata') walkValue(value[key], { $ref: OBJECT_META }, child, w, depth + 1, b);
    else if (!open) unknownField(key, f.schema, path, w, b, f.ref);
  }
  for (const field of f.required) {
    if (value[field] === undefined || value[field] === null) {
      push(w, {
        code: 'MANIFEST_MISSING_FIELD',
        message: `${where(w, path, b)} is missing the required field "${field}": add ${field}.`,
        path: pathOf(path),
        on: 'key',
        data: { field },
      });
    }
  }
}

function unknownField(key: string, schema: KubeSchema, path: WalkPath, w: Walk, b: number, ref: string | undefined): void {
  const allowed = Object.keys(schema.properties ?? {});
  const guess = closest(key, allowed);
  const moved = ref ? MOVED_FIELDS[`${ref}/${key}`] : undefined;
  const hint = moved ? `${moved}.` : guess ? `did you mean "${guess}"?` : allowed.length ? `the fields here are ${allowed.slice(0, 12).join(', ')}${allowed.length > 12 ? ', …' : ''}.` : 'remove it.';
  const place = path.length > b ? ` in ${formatPath(pathOf(path).slice(b))}` : '';
  push(w, {
    code: 'MANIFEST_UNKNOWN_FIELD',
    message: `${w.kind} has no field "${key}"${place}: ${hint}`,
    path: [...pathOf(path), key],
    on: 'key',
    data: { field: key, kind: w.kind, ...(guess && !moved ? { suggestion: guess } : {}) },
  });
}

function checkObjectMeta(meta: Record<string, unknown>, path: WalkPath, w: Walk, b: number): void {
  if (isRecord(meta.labels)) checkLabels(meta.labels, down(path, 'labels'), w, b, true);
  if (isRecord(meta.annotations)) checkLabels(meta.annotations, down(path, 'annotations'), w, b, false);
}

/** Label keys (qualified names) and values (≤ 63 characters, alphanumerics with -_. inside); annotation keys alike. */
function checkLabels(map: Record<string, unknown>, path: WalkPath, w: Walk, b: number, values: boolean): void {
  const what = values ? 'label' : 'annotation';
  for (const [key, value] of Object.entries(map)) {
    if (hasVariables(key)) continue;
    const problem = qualifiedNameProblem(key);
    if (problem) {
      push(w, { code: 'MANIFEST_INVALID_LABEL', message: `${w.kind} ${what} key ${describeValue(key)} ${problem}`, path: [...pathOf(path), key], on: 'key' });
    }
    if (values && typeof value === 'string' && !hasVariables(value) && (value.length > 63 || !LABEL_NAME.test(value))) {
      push(w, {
        code: 'MANIFEST_INVALID_LABEL',
        message: `${w.kind} label value ${describeValue(value)} of "${key}" is invalid: use at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit.`,
        path: [...pathOf(path), key],
      });
    }
  }
}

function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (!prefix || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return `has an invalid prefix "${prefix}": the part before '/' must be a lowercase DNS subdomain, e.g. example.com/.`;
  }
  if (!name || name.length > 63 || !LABEL_NAME.test(name)) return `is invalid: the name${slash >= 0 ? ' after the prefix' : ''} must be 1-63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit.`;
  return undefined;
}
