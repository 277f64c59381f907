/**
 * JSON Schema checks: our own schema (compiled once) and, when the editor hands them over, the
 * target cluster's OpenAPI v3 schemas of each manifest's kind. ajv's errors are turned into
 * findings whose path names the exact field, with messages a person can act on.
 */
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { re2RegExp } from '../pattern.js';
import { clusterProfileSchema, DNS1123_SUBDOMAIN, VARIABLE_NAME, type JsonSchema } from '../schema.js';
import type { Finding, JsonPath } from './index.js';
import type { FindingCode, ProfileSchemaCode } from './codes.js';
import { closest, describeValue, formatPath, isRecord } from './rules.js';

/**
 * Where the target cluster's types come from (the extension reads them from the live API
 * server's /openapi/v3, CRDs included). `schemaFor` returns a self-contained JSON Schema of the
 * kind ($refs resolved), or undefined when the cluster does not know the kind (yet).
 */
export interface ClusterSchemaSource {
  schemaFor(apiVersion: string, kind: string): JsonSchema | undefined;
}

// ajv is CommonJS; under Node16 ESM its default import is module.exports, whose .default is the class.
const Ajv = AjvModule.default;

function newAjv(patterns: 'ours' | 'any') {
  // strict:false: the schema carries Kubernetes extensions (x-kubernetes-*) ajv does not know.
  // verbose: errors carry the failing data and parent schema, which the messages quote.
  // regExp: a cluster's CRDs may carry any pattern: match those with RE2, in linear time, as the
  // API server does. Our own schema's patterns are fixed and linear; JavaScript compiles them faster.
  const code = patterns === 'any' ? { code: { regExp: re2RegExp } } : {};
  return new Ajv({ strict: false, allErrors: true, verbose: true, validateFormats: false, ...code });
}

let profileValidator: ValidateFunction | undefined;

function compiledProfileSchema(): ValidateFunction {
  profileValidator ??= newAjv('ours').compile(clusterProfileSchema);
  return profileValidator;
}

/**
 * Fields whose format the semantic checks own (semver, DNS-1123 labels, durations): the schema's
 * pattern and length errors there would only repeat them less helpfully.
 */
const SEMANTIC_FIELDS = [
  /^\/spec\/version$/,
  /^\/spec\/layers\/\d+\/(name|namespace)$/,
  /^\/spec\/reconcile\/interval$/,
  /^\/spec\/scaling\/\d+\/cooldown$/,
];

/** Findings of the JSON Schema of ClusterProfile. */
export function checkSchema(doc: unknown): Finding[] {
  const validate = compiledProfileSchema();
  if (validate(doc)) return [];
  const errors = (validate.errors ?? []).filter(
    (e) => !((e.keyword === 'pattern' || e.keyword === 'maxLength') && SEMANTIC_FIELDS.some((re) => re.test(e.instancePath))),
  );
  return mapErrors(errors, [], false, (path) => (isManifestPath(path) ? 'MANIFEST_MISSING_FIELD' : 'MISSING_REQUIRED_FIELD'));
}

function isManifestPath(path: JsonPath): boolean {
  return path.length >= 5 && path[0] === 'spec' && path[1] === 'layers' && path[3] === 'manifests';
}

/** JSON pointer → path; all-digit segments become numbers (array indices). */
export function pointerToPath(pointer: string): JsonPath {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/**
 * ajv errors → findings. `base` is prepended to every path (a manifest's path, for cluster
 * schemas); `cluster` marks findings of cluster schemas (CLUSTER_ codes); `requiredCode` picks
 * the code of a missing field by where it is.
 */
function mapErrors(errors: ErrorObject[], base: JsonPath, cluster: boolean, requiredCode: (path: JsonPath) => FindingCode, source = ''): Finding[] {
  // anyOf reports every failed branch and then itself: keep only the anyOf, with one message.
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.schemaPath + '/');
  // if/then/else reports the failed branch's own errors and then `if`: the branch's say it all.
  const kept = errors.filter((e) => e.keyword !== 'if' && !anyOfs.some((prefix) => e.schemaPath.startsWith(prefix)));
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const finding = toFinding(error, base, cluster, requiredCode, source);
    if (!finding) continue;
    const key = `${finding.code}|${finding.path.join('/')}|${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  return findings;
}

function toFinding(e: ErrorObject, base: JsonPath, cluster: boolean, requiredCode: (path: JsonPath) => FindingCode, source: string): Finding | undefined {
  const path = [...base, ...pointerToPath(e.instancePath)];
  const where = formatPath(path);
  const suffix = source ? ` (${source})` : '';
  const parent = (e.parentSchema ?? {}) as JsonSchema;
  const finding = (code: FindingCode, message: string, extra: Partial<Finding> = {}): Finding => ({
    code,
    severity: 'error',
    message: message + suffix,
    path,
    ...extra,
  });
  const error = (code: ProfileSchemaCode, message: string, extra: Partial<Finding> = {}): Finding => finding(cluster ? `CLUSTER_${code}` : code, message, extra);
  switch (e.keyword) {
    case 'required': {
      const field = String((e.params as { missingProperty: string }).missingProperty);
      return finding(cluster ? 'CLUSTER_MISSING_REQUIRED_FIELD' : requiredCode(path), `${where} is missing the required field "${field}": add ${field}.`, {
        on: 'key',
        data: { field },
      });
    }
    case 'additionalProperties': {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(isRecord(parent.properties) ? parent.properties : {});
      const guess = closest(field, allowed);
      const hint = guess ? `did you mean "${guess}"?` : allowed.length ? `allowed fields are ${allowed.join(', ')}.` : 'remove it.';
      return error('UNKNOWN_FIELD', `Unknown field "${field}" in ${where}: ${hint}`, { path: [...path, field], on: 'key', data: { field, ...(guess ? { suggestion: guess } : {}) } });
    }
    case 'type': {
      const wanted = String((e.params as { type: string | string[] }).type).replace(/,/g, ' or ');
      // YAML reads 1.0, true or 08:00 unquoted as other types: say how to keep them text.
      const quote = wanted === 'string' && (typeof e.data === 'number' || typeof e.data === 'boolean') ? ' YAML read it as that: put the value in quotes.' : '';
      return error('WRONG_TYPE', `${where} must be ${article(wanted)}, not ${typeof e.data === 'number' ? 'the number ' : ''}${describeValue(e.data)}.${quote}`);
    }
    case 'enum': {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ');
      return error('INVALID_ENUM_VALUE', `${where} is ${describeValue(e.data)}; it must be one of ${allowed}.`);
    }
    case 'const':
      return error('INVALID_ENUM_VALUE', `${where} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}.`);
    case 'pattern': {
      const pattern = String((e.params as { pattern: string }).pattern);
      if (pattern === DNS1123_SUBDOMAIN) {
        return error('INVALID_NAME', `${where} ${describeValue(e.data)} is not a DNS-1123 subdomain: use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit.`);
      }
      if (pattern === VARIABLE_NAME) {
        return error('INVALID_VARIABLE_NAME', `${where} ${describeValue(e.data)} is not a valid variable name: start with a letter or _, then letters, digits or _.`);
      }
      if (pattern === '^\\.') return error('INVALID_FIELD_PATH', `${where} ${describeValue(e.data)} must start with ".", e.g. .data.depth or .status.queueLength.`);
      return error('PATTERN_MISMATCH', `${where} ${describeValue(e.data)} does not match the pattern ${pattern}.`);
    }
    case 'minItems':
      return error('TOO_FEW_ITEMS', `${where} must have at least ${(e.params as { limit: number }).limit} item(s): add one.`);
    case 'maxItems':
      return error('TOO_MANY_ITEMS', `${where} may have at most ${(e.params as { limit: number }).limit} items: remove some.`);
    case 'minLength':
      return error('EMPTY_VALUE', `${where} must not be empty.`);
    case 'maxLength':
      return error('TOO_LONG', `${where} may be at most ${(e.params as { limit: number }).limit} characters long.`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      return error('OUT_OF_RANGE', `${where} is ${describeValue(e.data)}; it must be ${comparison} ${limit}.`);
    }
    case 'anyOf':
    case 'oneOf': {
      const branches = (Array.isArray(parent[e.keyword]) ? parent[e.keyword] : []) as JsonSchema[];
      const kinds = branches.map(describeBranch).filter(Boolean);
      return error('WRONG_TYPE', `${where} is ${describeValue(e.data)}; it must be ${kinds.length ? kinds.join(' or ') : 'a value the schema allows'}.`);
    }
    case 'false schema':
      return error('UNKNOWN_FIELD', `${where} is not allowed here: remove it.`, { on: 'key' });
    default:
      return error('SCHEMA_VIOLATION', `${where} ${e.message ?? 'is invalid'}.`);
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeBranch(branch: JsonSchema): string {
  if (!isRecord(branch)) return '';
  let text = typeof branch.type === 'string' ? article(branch.type) : 'a value';
  if (typeof branch.exclusiveMinimum === 'number') text += ` above ${branch.exclusiveMinimum}`;
  if (branch.minLength === 1 && branch.type === 'string') text = 'a non-empty string';
  return text;
}

// Compiled cluster schemas, keyed by the schema object the source returns (a source that caches
// its schemas gets each compiled once).
const clusterValidators = new WeakMap<object, ValidateFunction | Error>();
let clusterAjv: ReturnType<typeof newAjv> | undefined;

/**
 * Kubernetes' OpenAPI schemas leave objects open (no additionalProperties) although the API
 * server's strict field validation rejects unknown fields; close them, as kubectl --validate=strict
 * would, except where the schema says it keeps unknown fields.
 */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // `properties` maps field names to schemas: recurse into each schema, not into the map as if it were one.
    out[key] = key === 'properties' && isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, closeObjects(v)])) : closeObjects(value);
  }
  if (isRecord(out.properties) && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/** Findings of one rendered manifest against the cluster's schema of its kind. */
export function checkAgainstClusterSchema(manifest: unknown, schema: JsonSchema, path: JsonPath, apiVersion: string, kind: string): Finding[] {
  let validate = clusterValidators.get(schema);
  if (!validate) {
    try {
      clusterAjv ??= newAjv('any');
      validate = clusterAjv.compile(closeObjects(schema) as JsonSchema);
    } catch (err) {
      validate = err instanceof Error ? err : new Error(String(err));
    }
    clusterValidators.set(schema, validate);
  }
  if (validate instanceof Error) {
    return [
      {
        code: 'CLUSTER_SCHEMA_UNUSABLE',
        severity: 'information',
        message: `The cluster's schema of ${apiVersion} ${kind} could not be used (${validate.message}); this manifest was checked against the profile schema only.`,
        path,
      },
    ];
  }
  if (validate(manifest)) return [];
  return mapErrors(validate.errors ?? [], path, true, () => 'CLUSTER_MISSING_REQUIRED_FIELD', `cluster schema of ${apiVersion} ${kind}`);
}
