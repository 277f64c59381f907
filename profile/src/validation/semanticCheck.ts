/**
 * The checks no JSON Schema can express: unique names, the dependsOn graph, typed variables and
 * their references, duplicate objects, scaling targets, durations. Reads the document
 * defensively (it may be any shape: the schema check reports shape problems) and reuses
 * ../render.ts for variable values and references and ../identity.ts for object identity.
 */
import { parseDuration } from '../duration.js';
import { layerGraph, type LayerNode } from '../layerGraph.js';
import { groupOf, objectKey, describeObject } from '../identity.js';
import { expandManifests, substituteAnnotation, type ExpandedManifest } from '../listExpansion.js';
import { hasReferences, resolveValues, scanReferences, substitute, undeclaredMessage } from '../render.js';
import { SUBSTITUTE_ANNOTATION, SUBSTITUTE_DISABLED, VARIABLE_TYPES, type Variable, type VariableType, type VariableValue } from '../types.js';
import { compilePattern } from '../pattern.js';
import { describeSecret } from '../secrets.js';
import { podSecurityProblems, podSpecOf } from '../podSecurity.js';
import type { Finding, JsonPath } from './index.js';
import { checkAgainstClusterSchema, type ClusterSchemaSource } from './schemaCheck.js';
import { checkManifest } from './manifestCheck.js';
import { mergeTargetFindings, type SchemaTarget } from './targetFindings.js';
import { customKindsOf, scopeWithCustomKinds, type CustomKind, type KubeTypes } from '../kubeTypes.js';
import { describeValue, describeValue as describePlain, formatPath, isChartVersion, isCidr, isDns1123Label, isDns1123Subdomain, isIpv4, isRecord, isSemver } from './rules.js';

export interface SemanticOptions {
  isClusterScoped: (apiVersion: string, kind: string) => boolean;
  clusterSchemas?: ClusterSchemaSource;
  /** Built-in Kubernetes types: with them every manifest is checked (./manifestCheck.ts). */
  kube?: KubeTypes;
  /** The Kubernetes release the profile targets, for removed APIs (default: that of `kube`). */
  kubeVersion?: string;
  /** Target clusters' live types: every manifest is checked against each too (./targetFindings.ts). */
  targets?: readonly SchemaTarget[];
  /** CRDs the profile installs outside its manifests (its charts'): see ValidateOptions. */
  customResourceDefinitions?: readonly unknown[];
}

type Obj = Record<string, unknown>;

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Each layer's objects, lists expanded, with their paths from spec and whether they substitute. */
function layerObjects(spec: Obj): { layer: Obj; li: number; objects: ExpandedManifest[] }[] {
  const out: { layer: Obj; li: number; objects: ExpandedManifest[] }[] = [];
  asArray(spec.layers).forEach((layer, li) => {
    if (!isRecord(layer)) return;
    out.push({ layer, li, objects: expandManifests(asArray(layer.manifests), layer.substitute !== false) });
  });
  return out;
}

export function checkSemantics(doc: unknown, options: SemanticOptions): Finding[] {
  const findings: Finding[] = [];
  if (!isRecord(doc) || !isRecord(doc.spec)) return findings;
  const spec = doc.spec;
  const at = (...path: JsonPath): JsonPath => ['spec', ...path];

  checkVersion(spec, at, findings);
  checkProfileDependsOn(doc, spec, at, findings);
  checkDurations(spec, at, findings);
  checkLayers(spec, at, findings);
  checkLayerContent(spec, at, findings);
  checkDependsOn(spec, at, findings);
  const variables = checkVariables(spec, at, findings);
  const objects = layerObjects(spec);
  checkReferences(objects, variables, at, findings);
  // The CRDs of the profile's manifests, then those its charts render: their kinds are known on
  // every target (the profile installs them there), scope included.
  const custom = customKindsOf([...objects.flatMap((l) => l.objects.map((o) => o.manifest)), ...(options.customResourceDefinitions ?? [])]);
  const manifests = checkManifests(objects, { ...options, isClusterScoped: scopeWithCustomKinds(custom, options.isClusterScoped) }, at, findings);
  checkScaling(spec, manifests, at, findings);
  if (options.clusterSchemas) checkClusterTypes(spec, objects, variables, options.clusterSchemas, at, findings);
  if (options.kube) checkKubeTypes(objects, variables, options.kube, options.kubeVersion, options.clusterSchemas, options.targets ?? [], custom, at, findings);
  return findings;
}

/**
 * Findings of one manifest, remembered by the manifest object: an edit inside one object of a big
 * profile re-parses only that object (language-server incrementalParse.ts), so the others come
 * back as the same objects and are not walked again.
 */
const manifestFindings = new WeakMap<object, { li: number; relative: JsonPath; key: string; kubes: KubeTypes[]; findings: Finding[] }>();

function samePath(a: JsonPath, b: JsonPath): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Target clusters grouped by their schema set: clusters of one release and CRD set are checked once. */
function distinctSets(targets: readonly SchemaTarget[]): { kube: KubeTypes; targets: string[] }[] {
  const sets = new Map<KubeTypes, string[]>();
  for (const t of targets) {
    const names = sets.get(t.kube) ?? [];
    names.push(t.name);
    sets.set(t.kube, names);
  }
  return [...sets].map(([kube, names]) => ({ kube, targets: names }));
}

/**
 * Each manifest (lists expanded) against the built-in Kubernetes API and the profile's own CRDs,
 * and against each target cluster's live API when there are targets.
 */
function checkKubeTypes(
  layers: { li: number; objects: ExpandedManifest[] }[],
  declared: Map<string, { variable: Partial<Variable>; index: number }>,
  builtin: KubeTypes,
  kubeVersion: string | undefined,
  clusterSchemas: ClusterSchemaSource | undefined,
  targets: readonly SchemaTarget[],
  custom: readonly CustomKind[],
  at: (...p: JsonPath) => JsonPath,
  findings: Finding[],
): void {
  // A live cluster's own CRD of a kind still wins over the profile's.
  const sets = [{ kube: builtin.withCustomKinds(custom), targets: [] as string[] }, ...distinctSets(targets).map((s) => ({ kube: s.kube.withCustomKinds(custom), targets: s.targets }))];
  const kubes = sets.map((s) => s.kube);
  const variableType = (name: string) => {
    const type = declared.get(name)?.variable.type;
    return typeof type === 'string' && (VARIABLE_TYPES as readonly string[]).includes(type) ? (type as VariableType) : undefined;
  };
  // Where substitution is off, `${name}` is text like any other.
  const literal = () => 'string' as const;
  const signature = `${kubeVersion ?? ''}|${[...declared].map(([name, d]) => `${name}:${String(d.variable.type)}`).join(',')}|${sets.map((s) => s.targets.join(',')).join(';')}`;
  const substitutedKey = `true|${signature}`;
  const literalKey = `false|${signature}`;
  for (const { li, objects } of layers) {
    for (const { manifest, path: relative, substitute: substitutes } of objects) {
      // The target cluster's own schema of the kind, when the editor has one, speaks for it instead.
      if (clusterSchemas && typeof manifest.apiVersion === 'string' && typeof manifest.kind === 'string' && clusterSchemas.schemaFor(manifest.apiVersion, manifest.kind)) continue;
      // Compared part by part: a key string built per manifest was most of this loop's time on an edit (--cpu-prof).
      const key = substitutes ? substitutedKey : literalKey;
      const known = manifestFindings.get(manifest);
      if (known && known.li === li && known.key === key && samePath(known.relative, relative) && known.kubes.length === kubes.length && known.kubes.every((k, i) => k === kubes[i])) {
        for (const finding of known.findings) findings.push(finding);
        continue;
      }
      const path = at('layers', li, 'manifests', ...relative);
      const opts = { kubeVersion, variableType: substitutes ? variableType : literal };
      const found =
        sets.length === 1
          ? checkManifest(manifest, path, { ...opts, kube: sets[0].kube })
          : mergeTargetFindings(sets.map((s) => ({ ...s, findings: checkManifest(manifest, path, { ...opts, kube: s.kube }) })));
      manifestFindings.set(manifest, { li, relative, key, kubes, findings: found });
      findings.push(...found);
    }
  }
}

function checkVersion(spec: Obj, at: (...p: JsonPath) => JsonPath, findings: Finding[]): void {
  if (typeof spec.version === 'string' && !isSemver(spec.version)) {
    findings.push({
      code: 'INVALID_VERSION',
      severity: 'error',
      message: `spec.version ${describeValue(spec.version)} is not a semantic version: write MAJOR.MINOR.PATCH, e.g. 1.4.0 or 2.0.0-rc.1.`,
      path: at('version'),
    });
  }
}

/** What one profile can tell about its own spec.dependsOn: itself, and names given twice. */
function checkProfileDependsOn(doc: Obj, spec: Obj, at: (...p: JsonPath) => JsonPath, findings: Finding[]): void {
  const own = isRecord(doc.metadata) ? asString(doc.metadata.name) : undefined;
  const seen = new Set<string>();
  asArray(spec.dependsOn).forEach((dep, i) => {
    if (typeof dep !== 'string') return;
    if (dep === own) {
      findings.push({
        code: 'PROFILE_DEPENDS_ON_SELF',
        severity: 'error',
        message: `Profile "${dep}" depends on itself and would never be applied: remove "${dep}" from spec.dependsOn.`,
        path: at('dependsOn', i),
        data: { profile: dep },
      });
    } else if (seen.has(dep)) {
      findings.push({ code: 'DUPLICATE_DEPENDENCY', severity: 'warning', message: `"${dep}" is already in spec.dependsOn: remove this one.`, path: at('dependsOn', i), data: { profile: dep } });
    }
    seen.add(dep);
  });
}

function checkDurations(spec: Obj, at: (...p: JsonPath) => JsonPath, findings: Finding[]): void {
  const check = (value: unknown, path: JsonPath) => {
    if (typeof value === 'string' && parseDuration(value) === undefined) {
      findings.push({
        code: 'INVALID_DURATION',
        severity: 'error',
        message: `${formatPath(path)} ${describeValue(value)} is not a duration: write numbers with units ms, s, m or h, e.g. 30s, 5m or 1h30m.`,
        path,
      });
    }
  };
  if (isRecord(spec.reconcile)) check(spec.reconcile.interval, at('reconcile', 'interval'));
  asArray(spec.scaling).forEach((policy, i) => {
    if (!isRecord(policy)) return;
    check(policy.cooldown, at('scaling', i, 'cooldown'));
    check(policy.scaleDownStabilization, at('scaling', i, 'scaleDownStabilization'));
  });
}

/** Layer names: valid and unique. */
function checkLayers(spec: Obj, at: (...p: JsonPath) => JsonPath, findings: Finding[]): void {
  const names = new Map<string, number>();
  asArray(spec.layers).forEach((layer, i) => {
    if (!isRecord(layer)) return;
    const name = asString(layer.name);
    if (name !== undefined) {
      if (!isDns1123Label(name)) {
        findings.push({
          code: 'INVALID_LAYER_NAME',
          severity: 'error',
          message: `Layer name ${describeValue(name)} is not a DNS-1123 label: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit.`,
          path: at('layers', i, 'name'),
        });
      }
      const first = names.get(name);
      if (first === undefined) names.set(name, i);
      else {
        findings.push({
          code: 'DUPLICATE_LAYER',
          severity: 'error',
          message: `Layer name "${name}" is already used by spec.layers[${first}]: layer names must be unique, so rename this one.`,
          path: at('layers', i, 'name'),
          data: { layer: name },
        });
      }
    }
    const namespace = asString(layer.namespace);
    if (namespace !== undefined && !namespace.includes('${') && !isDns1123Label(namespace)) {
      findings.push({
        code: 'INVALID_NAMESPACE',
        severity: 'error',
        message: `Namespace ${describeValue(namespace)} of layer "${name ?? i}" is not a DNS-1123 label: use at most 63 lowercase letters, digits and '-'.`,
        path: at('layers', i, 'namespace'),
      });
    }
  });
}

/** A layer holds manifests or a Helm chart, never both and never neither. */
function checkLayerContent(spec: Obj, at: (...p: JsonPath) => JsonPath, findings: Finding[]): void {
  asArray(spec.layers).forEach((layer, i) => {
    if (!isRecord(layer)) return;
    const name = asString(layer.name) ?? String(i);
    const hasManifests = layer.manifests !== undefined;
    const hasHelm = layer.helm !== undefined;
    if (layer.compressedManifests !== undefined) {
      // kplane's stored form (../storedForm.ts): readers expand it before they validate, so here
      // it is a profile read from a cluster or a file, and the editor does not look inside.
      findings.push(
        hasManifests || hasHelm
          ? {
              code: 'LAYER_COMPRESSED_AND_MANIFESTS',
              severity: 'error',
              message: `Layer "${name}" has compressedManifests and ${hasManifests ? 'manifests' : 'helm'}: a layer holds exactly one of manifests, compressedManifests and helm. Keep ${hasManifests ? 'manifests' : 'helm'} and delete compressedManifests (kplane apply writes it itself for big profiles).`,
              path: at('layers', i, 'compressedManifests'),
              on: 'key',
            }
          : {
              code: 'LAYER_STORED_COMPRESSED',
              severity: 'information',
              message: `Layer "${name}" holds compressedManifests, kplane's stored form of a big layer (gzip+base64 of its manifests, written by kplane apply for profiles above 256 KiB): its objects are not checked here; the agent decodes and validates them. To edit them, write them under manifests.`,
              path: at('layers', i, 'compressedManifests'),
              on: 'key',
            },
      );
    } else if (hasManifests && hasHelm) {
      findings.push({
        code: 'LAYER_HELM_AND_MANIFESTS',
        severity: 'error',
        message: `Layer "${name}" has both manifests and helm: a layer holds one or the other, so move the manifests into a layer of their own.`,
        path: at('layers', i, 'helm'),
        on: 'key',
      });
    } else if (!hasManifests && !hasHelm) {
      findings.push({
        code: 'LAYER_EMPTY',
        severity: 'error',
        message: `Layer "${name}" has neither manifests nor helm: add manifests (Kubernetes objects) or helm (a chart with repo, chart and version).`,
        path: at('layers', i),
        on: 'key',
      });
    }
    if (!isRecord(layer.helm)) return;
    const helm = layer.helm;
    const version = asString(helm.version);
    if (version !== undefined && version !== '' && !(layer.substitute !== false && hasReferences(version)) && !isChartVersion(version)) {
      findings.push({
        code: 'INVALID_CHART_VERSION',
        severity: 'error',
        message: `Chart version ${describeValue(version)} of layer "${name}" is neither a semantic version nor a range: write e.g. 4.11.2, ~4.11, ^1.2.0 or ">=1.0.0 <2.0.0".`,
        path: at('layers', i, 'helm', 'version'),
      });
    }
    if (helm.releaseName === undefined && typeof layer.name === 'string' && layer.name.length > 53) {
      findings.push({
        code: 'INVALID_RELEASE_NAME',
        severity: 'error',
        message: `Layer name "${name}" is longer than the 53 characters Helm allows for a release name: set helm.releaseName, or shorten the layer name.`,
        path: at('layers', i, 'helm'),
        on: 'key',
      });
    }
  });
}

/** The dependsOn graph: the rules live in ../layerGraph.ts, shared with the agent's plan. */
function checkDependsOn(spec: Obj, at: (...p: JsonPath) => JsonPath, findings: Finding[]): void {
  const nodes = asArray(spec.layers).map((layer): LayerNode => {
    if (!isRecord(layer)) return { dependsOn: [] };
    return { name: asString(layer.name), dependsOn: asArray(layer.dependsOn).map(asString) };
  });
  for (const problem of layerGraph(nodes).problems) {
    findings.push({ code: problem.code, severity: 'error', message: problem.message, path: at('layers', problem.layer, 'dependsOn', problem.entry), data: problem.data });
  }
}

const typeMatches: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  ipv4: (v) => typeof v === 'string' && isIpv4(v),
  cidr: (v) => typeof v === 'string' && isCidr(v),
  semver: (v) => typeof v === 'string' && isSemver(v),
};

const typeHints: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number, e.g. 3',
  number: 'a number, e.g. 0.5',
  boolean: 'true or false',
  ipv4: 'an IPv4 address, e.g. 10.0.0.1',
  cidr: 'a network in CIDR notation, e.g. 10.0.0.0/16',
  semver: 'a semantic version, e.g. 1.2.3',
};

/** Why `value` does not fit `variable`, or undefined when it does. */
export function variableValueProblem(variable: Partial<Variable>, value: unknown): string | undefined {
  const type = variable.type;
  if (typeof type !== 'string' || !typeMatches[type]) return undefined;
  // A sensitive value is described, never quoted: messages end up in status, logs and CI output.
  const describeValue = (v: unknown) => describeSecret(variable, v, describePlain);
  if (!typeMatches[type](value)) return `${describeValue(value)} is not ${typeHints[type]}`;
  if (typeof value === 'number') {
    if (typeof variable.minimum === 'number' && value < variable.minimum) return `${describeValue(value)} is below the minimum ${variable.minimum}`;
    if (typeof variable.maximum === 'number' && value > variable.maximum) return `${describeValue(value)} is above the maximum ${variable.maximum}`;
  }
  if (typeof value === 'string' && typeof variable.pattern === 'string') {
    const re = compilePattern(variable.pattern);
    if (re.ok && !re.test(value)) return `${describeValue(value)} does not match the pattern ${variable.pattern}`;
  }
  if (Array.isArray(variable.enum) && variable.enum.length && !variable.enum.some((member) => member === value)) {
    return `${describeValue(value)} is not one of ${variable.enum.map((m) => JSON.stringify(m)).join(', ')}`;
  }
  return undefined;
}

/** Variable declarations, their defaults and spec.values; returns the declared variables by name. */
function checkVariables(spec: Obj, at: (...p: JsonPath) => JsonPath, findings: Finding[]): Map<string, { variable: Partial<Variable>; index: number }> {
  const declared = new Map<string, { variable: Partial<Variable>; index: number }>();
  asArray(spec.variables).forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const variable = entry as Partial<Variable>;
    const name = asString(variable.name);
    if (name === undefined) return;
    if (declared.has(name)) {
      findings.push({
        code: 'DUPLICATE_VARIABLE',
        severity: 'error',
        message: `Variable "${name}" is already declared at spec.variables[${declared.get(name)?.index}]: remove or rename this one.`,
        path: at('variables', i, 'name'),
        data: { variable: name },
      });
      return;
    }
    declared.set(name, { variable, index: i });
    if (typeof variable.type !== 'string' || !VARIABLE_TYPES.includes(variable.type)) return;
    const pattern = typeof variable.pattern === 'string' ? compilePattern(variable.pattern) : undefined;
    if (pattern && !pattern.ok) {
      findings.push({
        code: 'INVALID_PATTERN',
        severity: 'error',
        message: `The pattern of variable "${name}" ${pattern.problem}`,
        path: at('variables', i, 'pattern'),
      });
    }
    if (typeof variable.minimum === 'number' && typeof variable.maximum === 'number' && variable.minimum > variable.maximum) {
      findings.push({
        code: 'INVALID_RANGE',
        severity: 'error',
        message: `Variable "${name}" has minimum ${variable.minimum} above maximum ${variable.maximum}: swap or correct them.`,
        path: at('variables', i, 'minimum'),
      });
    }
    asArray(variable.enum).forEach((member, m) => {
      if (!typeMatches[variable.type as string](member)) {
        findings.push({
          code: 'INVALID_ENUM_MEMBER',
          severity: 'error',
          message: `enum member ${describeValue(member)} of variable "${name}" is not ${typeHints[variable.type as string]}: change it to match the type ${variable.type}.`,
          path: at('variables', i, 'enum', m),
        });
      }
    });
    if (variable.default !== undefined) {
      const problem = variableValueProblem(variable, variable.default);
      if (problem) {
        findings.push({
          code: 'INVALID_DEFAULT',
          severity: 'error',
          message: `The default of variable "${name}" (type ${variable.type}) is invalid: ${problem}.`,
          path: at('variables', i, 'default'),
        });
      }
    }
  });

  const values = isRecord(spec.values) ? spec.values : {};
  for (const [key, value] of Object.entries(values)) {
    const entry = declared.get(key);
    if (!entry) {
      findings.push({
        code: 'UNKNOWN_VALUE',
        severity: 'error',
        message: `spec.values sets "${key}", but no variable has that name: declare it under spec.variables or remove this value.`,
        path: at('values', key),
        on: 'key',
        data: { variable: key },
      });
      continue;
    }
    const problem = variableValueProblem(entry.variable, value);
    if (problem) {
      findings.push({
        code: 'INVALID_VALUE',
        severity: 'error',
        message: `The value of variable "${key}" (type ${entry.variable.type}) is invalid: ${problem}.`,
        path: at('values', key),
      });
    }
  }

  // Required variables without default or value: render.ts owns that rule.
  const variables = [...declared.values()].map((d) => d.variable) as Variable[];
  const indexOf = new Map([...declared.values()].map((d) => [d.variable, d.index]));
  const { problems } = resolveValues({ variables, values: values as Record<string, VariableValue> });
  for (const problem of problems) {
    const variable = variables[problem.path[1] as number];
    findings.push({
      code: problem.code,
      severity: 'error',
      message: problem.message,
      path: at('variables', indexOf.get(variable) ?? 0, 'name'),
      data: { variable: variable.name },
    });
  }
  return declared;
}

/**
 * Every string of the layers that holds `\${`, iteratively (manifests may nest deeply), with its
 * path. One mutable path and parallel stacks of collections only: an object per node (a stack
 * entry and a path link) made this walk a sixth of checking a big profile (--cpu-prof, bench:lsp).
 */
function forEachReferringString(root: unknown, visit: (text: string, path: JsonPath) => void): void {
  if (typeof root === 'string') {
    if (root.includes('${')) visit(root, []);
    return;
  }
  const values: unknown[] = [root];
  const keys: (string | number)[] = [''];
  const depths: number[] = [0];
  const path: (string | number)[] = [];
  // Strings without a reference and other scalars are never stacked; the rest keep document order.
  const child = (value: unknown, key: string | number, depth: number): void => {
    if (typeof value === 'string' ? value.includes('${') : typeof value === 'object' && value !== null) {
      values.push(value);
      keys.push(key);
      depths.push(depth + 1);
    }
  };
  while (values.length) {
    const value = values.pop();
    const key = keys.pop() as string | number;
    const depth = depths.pop() as number;
    // The path of `value`: its parent's (the first depth - 1 segments), then its own key.
    path.length = Math.max(0, depth - 1);
    if (depth > 0) path.push(key);
    if (typeof value === 'string') visit(value, [...path]);
    else if (Array.isArray(value)) for (let i = value.length - 1; i >= 0; i--) child(value[i], i, depth);
    else if (isRecord(value)) {
      const names = Object.keys(value);
      for (let i = names.length - 1; i >= 0; i--) child(value[names[i]], names[i], depth);
    }
  }
}

type StringReferences = { relative: JsonPath; refs: ReturnType<typeof scanReferences> }[];

/**
 * The `${name}` references of one manifest (or helm block), by string, remembered per object: an
 * edit of a big profile re-parses only the edited object, and the others come back as the same
 * objects, so their strings are not walked again.
 */
const referencesCache = new WeakMap<object, StringReferences>();

function referencesOf(value: unknown): StringReferences {
  const memo = typeof value === 'object' && value !== null;
  const known = memo ? referencesCache.get(value) : undefined;
  if (known) return known;
  const found: StringReferences = [];
  forEachReferringString(value, (text, relative) => {
    const refs = scanReferences(text);
    if (refs.length) found.push({ relative, refs });
  });
  if (memo) referencesCache.set(value, found);
  return found;
}

/**
 * `${name}` references in the layers: undeclared ones are errors, unused variables warnings.
 * Objects and layers that opt out of substitution are text; so is any `${…}` without a variable name.
 */
function checkReferences(
  layers: { layer: Obj; li: number; objects: ExpandedManifest[] }[],
  declared: Map<string, { variable: Partial<Variable>; index: number }>,
  at: (...p: JsonPath) => JsonPath,
  findings: Finding[],
): void {
  const used = new Set<string>();
  const sources = layers.flatMap(({ layer, li, objects }) => [
    ...objects.filter((o) => o.substitute).map((o) => ({ value: o.manifest as unknown, path: at('layers', li, 'manifests', ...o.path) })),
    ...(layer.substitute !== false && isRecord(layer.helm) ? [{ value: layer.helm as unknown, path: at('layers', li, 'helm') }] : []),
  ]);
  for (const source of sources) {
    for (const { relative, refs } of referencesOf(source.value)) {
      const path = [...source.path, ...relative];
      for (const ref of refs) {
        used.add(ref.name);
        if (declared.has(ref.name)) continue;
        findings.push({
          code: 'UNDECLARED_VARIABLE',
          severity: 'error',
          message: undeclaredMessage(ref.name),
          path,
          span: { start: ref.start, end: ref.end },
          data: { variable: ref.name },
        });
      }
    }
  }
  for (const [name, { index }] of declared) {
    if (used.has(name)) continue;
    findings.push({
      code: 'UNUSED_VARIABLE',
      severity: 'warning',
      message: `Variable "${name}" is declared but no manifest references it as \${${name}}: use it or remove it.`,
      path: at('variables', index, 'name'),
      data: { variable: name },
    });
  }
}

interface ManifestInfo {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  path: JsonPath;
}

const PATH_SEGMENT_KINDS = new Set(['rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/RoleBinding', 'rbac.authorization.k8s.io/ClusterRoleBinding']);

/**
 * What Pod Security "baseline" refuses in a manifest, remembered per manifest object: an edit of
 * a big profile re-parses one object, and the others come back as the same objects.
 */
const baselineCache = new WeakMap<object, string[]>();

function baselineProblems(manifest: Obj): string[] {
  let problems = baselineCache.get(manifest);
  if (!problems) {
    problems = podSecurityProblems(manifest, 'baseline');
    baselineCache.set(manifest, problems);
  }
  return problems;
}

/** Manifest names and identities (lists expanded); returns the manifests whose identity is known. */
function checkManifests(
  layers: { layer: Obj; li: number; objects: ExpandedManifest[] }[],
  options: SemanticOptions,
  at: (...p: JsonPath) => JsonPath,
  findings: Finding[],
): ManifestInfo[] {
  const infos: ManifestInfo[] = [];
  const seen = new Map<string, JsonPath>();
  for (const { layer, li, objects } of layers) {
    const layerNamespace = asString(layer.namespace);
    for (const { manifest, path: relative, substitute: substitutes } of objects) {
      const path = at('layers', li, 'manifests', ...relative);
      // A value the agent will substitute cannot be judged before it is.
      const pending = (text: string) => substitutes && hasReferences(text);
      const apiVersion = asString(manifest.apiVersion);
      const kind = asString(manifest.kind);
      const metadata = isRecord(manifest.metadata) ? manifest.metadata : undefined;
      const name = asString(metadata?.name);
      const annotation = substituteAnnotation(manifest);
      if (annotation !== undefined && annotation !== SUBSTITUTE_DISABLED) {
        findings.push({
          code: 'INVALID_SUBSTITUTE_ANNOTATION',
          severity: 'warning',
          message: `The annotation ${SUBSTITUTE_ANNOTATION} is ${describeValue(annotation)}; only "${SUBSTITUTE_DISABLED}" means anything (variables are substituted otherwise): set it to ${SUBSTITUTE_DISABLED} or remove it.`,
          path: [...path, 'metadata', 'annotations', SUBSTITUTE_ANNOTATION],
        });
      }
      if (relative.length > 1) {
        // An item of a list: the schema checked the list, not its items.
        for (const field of ['apiVersion', 'kind'] as const) {
          if (typeof manifest[field] !== 'string' || manifest[field] === '') {
            findings.push({
              code: 'MANIFEST_MISSING_FIELD',
              severity: 'error',
              message: `${formatPath(path)} is missing the required field "${field}": a v1 List's items each need apiVersion and kind.`,
              path,
              on: 'key',
              data: { field },
            });
          }
        }
        if (name === undefined || name === '') {
          findings.push({
            code: 'MANIFEST_MISSING_FIELD',
            severity: 'error',
            message: `${formatPath(path)} is missing metadata.name: every item of a list is an object of its own and needs a name.`,
            path,
            on: 'key',
            data: { field: 'name' },
          });
        }
      }
      if (name && !pending(name)) {
        // RBAC objects are named by path segments (system:controller:x); everything else by DNS-1123 subdomains.
        const rbac = apiVersion && kind && PATH_SEGMENT_KINDS.has(`${groupOf(apiVersion)}/${kind}`);
        const ok = rbac ? name !== '.' && name !== '..' && !/[/%]/.test(name) : isDns1123Subdomain(name);
        if (!ok) {
          findings.push({
            code: 'INVALID_MANIFEST_NAME',
            severity: 'error',
            message: rbac
              ? `${kind} name ${describeValue(name)} may not contain '/' or '%' nor be '.' or '..': rename it.`
              : `${kind ?? 'Object'} name ${describeValue(name)} is not a DNS-1123 subdomain: use at most 253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit.`,
            path: [...path, 'metadata', 'name'],
          });
        }
      }
      const explicitNamespace = asString(metadata?.namespace);
      if (explicitNamespace && !pending(explicitNamespace) && !isDns1123Label(explicitNamespace)) {
        findings.push({
          code: 'INVALID_NAMESPACE',
          severity: 'error',
          message: `Namespace ${describeValue(explicitNamespace)} is not a DNS-1123 label: use at most 63 lowercase letters, digits and '-'.`,
          path: [...path, 'metadata', 'namespace'],
        });
      }
      if (!apiVersion || !kind || !name) continue;
      const namespace = explicitNamespace || (options.isClusterScoped(apiVersion, kind) ? undefined : layerNamespace);
      const info: ManifestInfo = { apiVersion, kind, name, namespace, path };
      infos.push(info);
      const hostAccess = baselineProblems(manifest);
      if (hostAccess.length) {
        const system = namespace?.startsWith('kube-') ? ` in ${namespace}` : '';
        findings.push({
          code: 'PRIVILEGED_POD',
          severity: 'warning',
          message:
            `${describeObject(info)} gets power over its nodes${system} (Pod Security Standard "baseline" refuses it): ${hostAccess.slice(0, 4).join('; ')}${hostAccess.length > 4 ? ` (and ${hostAccess.length - 4} more)` : ''}. ` +
            `Whoever may write this profile gets that power on every cluster it targets, and a cluster whose local policy sets podSecurity: baseline refuses the profile; remove what is not needed.`,
          path: [...path, ...(podSpecOf(manifest)?.path.split('.') ?? [])],
        });
      }
      const key = objectKey(info);
      const first = seen.get(key);
      if (first) {
        findings.push({
          code: 'DUPLICATE_MANIFEST',
          severity: 'error',
          message: `${describeObject(info)} is already defined at ${formatPath(first)}: the same object (group, kind, namespace and name) may be defined only once; remove or rename one.`,
          path: [...path, 'metadata', 'name'],
        });
      } else seen.set(key, path);
    }
  }
  return infos;
}

function checkScaling(spec: Obj, manifests: ManifestInfo[], at: (...p: JsonPath) => JsonPath, findings: Finding[]): void {
  const names = new Set<string>();
  asArray(spec.scaling).forEach((policy, i) => {
    if (!isRecord(policy)) return;
    const name = asString(policy.name);
    if (name !== undefined) {
      if (names.has(name)) {
        findings.push({ code: 'DUPLICATE_SCALING', severity: 'error', message: `Scaling policy name "${name}" is used twice: rename one.`, path: at('scaling', i, 'name') });
      }
      names.add(name);
    }
    const { minReplicas: min, maxReplicas: max } = policy;
    if (typeof min === 'number' && typeof max === 'number' && min > max) {
      findings.push({
        code: 'SCALING_RANGE',
        severity: 'error',
        message: `minReplicas ${min} is above maxReplicas ${max}: make minReplicas at most maxReplicas.`,
        path: at('scaling', i, 'minReplicas'),
      });
    }
    const target = isRecord(policy.target) ? policy.target : undefined;
    const tApi = asString(target?.apiVersion);
    const tKind = asString(target?.kind);
    const tName = asString(target?.name);
    let targetManifest: ManifestInfo | undefined;
    if (tApi && tKind && tName) {
      const tNamespace = asString(target?.namespace);
      targetManifest = manifests.find(
        (m) => groupOf(m.apiVersion) === groupOf(tApi) && m.kind === tKind && m.name === tName && (tNamespace === undefined || (m.namespace ?? '') === tNamespace),
      );
      const found = manifests.some(
        (m) => groupOf(m.apiVersion) === groupOf(tApi) && m.kind === tKind && m.name === tName && (tNamespace === undefined || (m.namespace ?? '') === tNamespace),
      );
      // A compressed layer (kplane's stored form) may hold it: the editor does not look inside.
      const unseen = asArray(spec.layers).some((l) => isRecord(l) && l.compressedManifests !== undefined && l.manifests === undefined);
      if (!found && !unseen) {
        findings.push({
          code: 'SCALING_TARGET_NOT_FOUND',
          severity: 'error',
          message: `Scaling target ${describeObject({ apiVersion: tApi, kind: tKind, name: tName, namespace: tNamespace })} is no manifest of this profile: point it at a manifest of some layer.`,
          path: at('scaling', i, 'target'),
          on: 'key',
        });
      }
    }
    const metric = isRecord(policy.metric) ? policy.metric : undefined;
    if (metric) {
      const metricPath = at('scaling', i, 'metric');
      if (metric.type === 'Object' && metric.object === undefined) {
        findings.push({ code: 'INVALID_METRIC', severity: 'error', message: 'A metric of type Object needs `object`: the object and fieldPath to read the number from.', path: metricPath, on: 'key' });
      }
      if (metric.type === 'Resource' && metric.resource === undefined) {
        findings.push({ code: 'INVALID_METRIC', severity: 'error', message: 'A metric of type Resource needs `resource` with name cpu or memory.', path: metricPath, on: 'key' });
      }
      if (metric.type === 'Object' && metric.resource !== undefined) {
        findings.push({ code: 'INVALID_METRIC', severity: 'error', message: '`resource` belongs to metrics of type Resource: remove it, or change type to Resource.', path: [...metricPath, 'resource'], on: 'key' });
      }
      if (metric.type === 'Resource' && metric.object !== undefined) {
        findings.push({ code: 'INVALID_METRIC', severity: 'error', message: '`object` belongs to metrics of type Object: remove it, or change type to Object.', path: [...metricPath, 'object'], on: 'key' });
      }
      if (typeof metric.targetAverageValue === 'string' && !/^[0-9]+(\.[0-9]+)?([munkMGTPE]|[KMGTPE]i)?$/.test(metric.targetAverageValue)) {
        findings.push({
          code: 'INVALID_METRIC',
          severity: 'error',
          message: `targetAverageValue ${describeValue(metric.targetAverageValue)} is not a Kubernetes quantity: write e.g. 200m, 0.5 or 256Mi.`,
          path: [...metricPath, 'targetAverageValue'],
        });
      }
      checkMetricTarget(metric, metricPath, findings);
      if (metric.targetAverageUtilization !== undefined && metric.type === 'Resource' && targetManifest) {
        const resource = isRecord(metric.resource) ? asString(metric.resource.name) : undefined;
        const pod = valueAt(spec, [...targetManifest.path.slice(1), 'spec', 'template', 'spec']);
        if (resource && isRecord(pod)) {
          const without = asArray(pod.containers)
            .filter(isRecord)
            .filter((c) => !(isRecord(c.resources) && isRecord(c.resources.requests) && c.resources.requests[resource] !== undefined))
            .map((c) => asString(c.name) ?? '(unnamed)');
          if (without.length) {
            findings.push({
              code: 'SCALING_NO_REQUESTS',
              severity: 'warning',
              message: `targetAverageUtilization is a percent of ${resource} requests, but container${without.length > 1 ? 's' : ''} ${without.map((n) => `"${n}"`).join(', ')} of ${targetManifest.kind} ${targetManifest.name} request${without.length > 1 ? '' : 's'} no ${resource}: add resources.requests.${resource}, or use targetAverageValue. Until then the agent does not scale on this policy.`,
              path: [...metricPath, 'targetAverageUtilization'],
              on: 'key',
            });
          }
        }
      }
    }
  });
}

/** Exactly one target, and utilization only where there are requests to be a percent of. */
function checkMetricTarget(metric: Obj, metricPath: JsonPath, findings: Finding[]): void {
  const hasValue = metric.targetAverageValue !== undefined;
  const hasUtilization = metric.targetAverageUtilization !== undefined;
  if (hasValue && hasUtilization) {
    findings.push({
      code: 'SCALING_TARGET_COUNT',
      severity: 'error',
      message: 'A metric has exactly one target, and this one has both targetAverageValue and targetAverageUtilization: remove one.',
      path: [...metricPath, 'targetAverageUtilization'],
      on: 'key',
    });
  } else if (!hasValue && !hasUtilization) {
    const which = metric.type === 'Resource' ? 'targetAverageUtilization (percent of requests, e.g. 60) or targetAverageValue (e.g. 200m)' : 'targetAverageValue (the value per replica)';
    findings.push({ code: 'SCALING_TARGET_COUNT', severity: 'error', message: `A metric needs one target: add ${which}.`, path: metricPath, on: 'key' });
  }
  if (hasUtilization && metric.type === 'Object') {
    findings.push({
      code: 'INVALID_METRIC',
      severity: 'error',
      message: 'targetAverageUtilization is a percent of pod requests, so it belongs to metrics of type Resource: use targetAverageValue for an Object metric.',
      path: [...metricPath, 'targetAverageUtilization'],
      on: 'key',
    });
  }
}

/** Each manifest (lists expanded), variables substituted, against the target cluster's schema of its kind. */
function checkClusterTypes(
  spec: Obj,
  layers: { li: number; objects: ExpandedManifest[] }[],
  declared: Map<string, { variable: Partial<Variable>; index: number }>,
  source: ClusterSchemaSource,
  at: (...p: JsonPath) => JsonPath,
  findings: Finding[],
): void {
  const variables = [...declared.values()].map((d) => d.variable) as Variable[];
  const { values } = resolveValues({ variables, values: (isRecord(spec.values) ? spec.values : {}) as Record<string, VariableValue> });
  const names = new Set(declared.keys());
  for (const { li, objects } of layers) {
    for (const { manifest, path: relative, substitute: substitutes } of objects) {
      if (typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string') continue;
      const schema = source.schemaFor(manifest.apiVersion, manifest.kind);
      if (!schema) continue;
      const path = at('layers', li, 'manifests', ...relative);
      const rendered = substitutes ? substitute(manifest, values, names, path, []) : manifest;
      for (const finding of checkAgainstClusterSchema(rendered, schema, path, manifest.apiVersion, manifest.kind)) {
        // A value still holding a reference has no value to check yet (its variable is reported elsewhere).
        const value = valueAt(rendered, finding.path.slice(path.length));
        if (substitutes && typeof value === 'string' && hasReferences(value)) continue;
        findings.push(finding);
      }
    }
  }
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let value = root;
  for (const segment of path) {
    if (Array.isArray(value) && typeof segment === 'number') value = value[segment];
    else if (isRecord(value)) value = value[String(segment)];
    else return undefined;
  }
  return value;
}
