/**
 * What the editor knows of a Helm layer's chart: completion of `helm.values` keys from the
 * chart's values.yaml (its comments as documentation), hover, validation of the values against
 * the chart's values.schema.json (or, without a schema, a warning for keys values.yaml does not
 * have), completion of `helm.version` from the versions the repository offers, and the Kubernetes
 * checks of the objects the chart renders with these values (./helmRendered.ts).
 *
 * Pure: the chart comes from a HelmChartProvider (../helmChartStore.ts fetches and caches it on
 * disk, off the event loop). A provider answers at once from what it has and fetches in the
 * background what it has not; the server validates again when a fetch ends.
 */
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parseDocument, isMap, isScalar, isSeq, type Node as YamlLibNode } from 'yaml';
import { closest, describeValue, sensitiveValues, formatPath, pointerToPath, re2RegExp, resolveValues, substitute, type Finding, type JsonPath, type JsonSchema, type Variable, type VariableValue } from '@kplane/profile';
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type CompletionList, type Hover, type Position } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { containerPath, siblingKeys } from './completion.js';
import type { ProfileModel } from './profileModel.js';
import { pathAt } from './yamlTree.js';
import { isProfileDocument, type ParsedFile } from './yamlParse.js';
import { spanOfFinding } from './ranges.js';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import type { DiagnosticData, KplaneDiagnostic } from './validation.js';
import { renderedObjectFindings, type RenderedChart, type RenderedCheckOptions, type RenderLookup, type RenderRequest } from './helmRendered.js';
import { customKindsOf, type CustomKind } from '@kplane/profile';

/** A chart as a layer names it. */
export interface ChartRef {
  repo: string;
  chart: string;
  /** Exact version or a range, as written. */
  version: string;
}

/** What the editor needs of a chart: read from its archive once, kept on disk. */
export interface ChartFacts {
  name: string;
  /** The version the reference resolved to. */
  version: string;
  /** values.yaml as data (null when the chart has none). */
  values: unknown;
  /** Comments of values.yaml keys, by path ('\u0000'-joined; list items as '[]'). */
  docs: Record<string, string>;
  /** values.schema.json, parsed; `schemaError` when it is not JSON. */
  schema?: JsonSchema;
  schemaError?: string;
  /** Subcharts (dependencies and charts/): their names are valid top-level keys. */
  subcharts: string[];
}

export type ChartLookup = { state: 'ready'; chart: ChartFacts } | { state: 'fetching' } | { state: 'unavailable'; message: string };
export type VersionsLookup = { state: 'ready'; versions: string[] } | { state: 'fetching' } | { state: 'unavailable'; message: string };

/**
 * Where charts come from. Both calls answer at once; what is not known yet is fetched in the
 * background (`owner` names who asks, so a fetch nobody wants any more can be cancelled).
 */
export interface HelmChartProvider {
  chart(ref: ChartRef, owner?: string): ChartLookup;
  versions(repo: string, chart: string): VersionsLookup;
  /** The chart rendered with the layer's values (`helm template`), once its chart is ready; without it rendered objects are not checked. */
  rendered?(request: RenderRequest, owner?: string): RenderLookup;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const docKey = (path: readonly (string | number)[]): string => path.map((s) => (typeof s === 'number' ? '[]' : s)).join('\u0000');

/** The comment of a values.yaml key: lines above it (helm-docs' `# --` marker dropped) and after it. */
function commentText(before: string | undefined | null, after: string | undefined | null): string | undefined {
  const clean = (c: string) =>
    c
      .split('\n')
      .map((l) => l.replace(/^ ?(-- ?)?/, '').replace(/^@(param|section)\b.*$/, ''))
      .join('\n')
      .trim();
  const parts = [before, after].filter((c): c is string => !!c && !!c.trim()).map(clean).filter(Boolean);
  return parts.length ? parts.join('\n\n') : undefined;
}

function collectDocs(node: YamlLibNode | null | undefined, path: (string | number)[], docs: Record<string, string>, depth: number): void {
  if (!node || depth > 40) return;
  if (isMap(node)) {
    node.items.forEach((pair, i) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) return;
      const keyNode = pair.key as YamlLibNode;
      const value = pair.value as YamlLibNode | null;
      // The comment above a map's first key belongs to the map in yaml's tree.
      const before = keyNode.commentBefore ?? (i === 0 ? node.commentBefore : undefined);
      const after = isScalar(value) ? value.comment : undefined;
      const text = commentText(before, after);
      if (text) docs[docKey([...path, key])] = text;
      collectDocs(value, [...path, key], docs, depth + 1);
    });
  } else if (isSeq(node) && node.items[0]) collectDocs(node.items[0] as YamlLibNode, [...path, 0], docs, depth + 1);
}

/** Chart facts from the files of its archive (Chart.yaml, values.yaml, values.schema.json). */
export function chartFacts(files: { chartYaml?: string; valuesYaml?: string; schemaJson?: string; subchartDirs?: string[] }, fallback: { name: string; version: string }): ChartFacts {
  let name = fallback.name;
  let version = fallback.version;
  const subcharts = new Set(files.subchartDirs ?? []);
  if (files.chartYaml) {
    const meta: unknown = parseDocument(files.chartYaml).toJS({ maxAliasCount: 100 });
    if (isRecord(meta)) {
      if (typeof meta.name === 'string') name = meta.name;
      if (typeof meta.version === 'string') version = meta.version;
      if (Array.isArray(meta.dependencies)) {
        for (const d of meta.dependencies) if (isRecord(d)) subcharts.add(String(d.alias ?? d.name ?? ''));
      }
    }
  }
  subcharts.delete('');
  let values: unknown = null;
  const docs: Record<string, string> = {};
  if (files.valuesYaml) {
    const doc = parseDocument(files.valuesYaml);
    values = doc.errors.length ? null : doc.toJS({ maxAliasCount: 100 });
    collectDocs(doc.contents as YamlLibNode | null, [], docs, 0);
  }
  const facts: ChartFacts = { name, version, values, docs, subcharts: [...subcharts] };
  if (files.schemaJson !== undefined) {
    try {
      const schema: unknown = JSON.parse(files.schemaJson);
      if (isRecord(schema) || typeof schema === 'boolean') facts.schema = schema as JsonSchema;
      else facts.schemaError = 'values.schema.json is not a JSON object';
    } catch (err) {
      facts.schemaError = `values.schema.json is not valid JSON (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return facts;
}

/** Helm's coalescing of values: maps merge key by key, the layer's values win, null deletes. */
export function coalesceValues(defaults: unknown, overrides: unknown): unknown {
  if (!isRecord(overrides)) return overrides === undefined ? defaults : overrides;
  const out: Record<string, unknown> = isRecord(defaults) ? { ...defaults } : {};
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) delete out[key];
    else out[key] = isRecord(value) && isRecord(out[key]) ? coalesceValues(out[key], value) : value;
  }
  return out;
}

// --- validation ---------------------------------------------------------------------------

const Ajv = AjvModule.default;
let ajv: InstanceType<typeof Ajv> | undefined;
const compiled = new WeakMap<object, ValidateFunction | Error>();

function validatorOf(schema: JsonSchema): ValidateFunction | Error {
  const key = schema as object;
  let known = compiled.get(key);
  if (!known) {
    try {
      // strict:false and no formats: charts use every draft's keywords and formats; Helm checks
      // formats loosely too. Patterns run on RE2 (linear time), whatever a chart writes.
      ajv ??= new Ajv({ strict: false, allErrors: true, verbose: true, validateFormats: false, code: { regExp: re2RegExp } });
      const { $schema: _drop, $id: _id, ...rest } = schema as Record<string, unknown>;
      known = ajv.compile(rest);
    } catch (err) {
      known = err instanceof Error ? err : new Error(String(err));
    }
    compiled.set(key, known);
  }
  return known;
}

interface HelmLayer {
  index: number;
  ref: ChartRef;
  /** As the agent renders it: helm.releaseName or the layer's name, the layer's namespace or default. */
  releaseName: string;
  namespace: string;
  /** As written (for where keys are). */
  values: unknown;
  /** With variables substituted (what Helm gets). */
  effective: unknown;
}

/** The Helm layers of a profile document's value, with values as the agent would pass them. */
export function helmLayersOf(docValue: unknown): HelmLayer[] {
  const spec = isRecord(docValue) && isRecord(docValue.spec) ? docValue.spec : undefined;
  if (!spec || !Array.isArray(spec.layers)) return [];
  let resolved: Record<string, VariableValue> | undefined;
  const variables = (Array.isArray(spec.variables) ? spec.variables : []).filter((v): v is Variable => isRecord(v) && typeof v.name === 'string');
  const out: HelmLayer[] = [];
  spec.layers.forEach((layer, index) => {
    const helm = isRecord(layer) && isRecord(layer.helm) ? layer.helm : undefined;
    if (!helm || typeof helm.repo !== 'string' || typeof helm.chart !== 'string' || typeof helm.version !== 'string') return;
    if (!helm.repo.trim() || !helm.chart.trim() || !helm.version.trim() || /\$\{/.test(helm.repo + helm.chart + helm.version)) return;
    let effective: unknown = helm.values;
    if (isRecord(layer) && layer.substitute !== false && helm.values !== undefined) {
      try {
        resolved ??= resolveValues({ variables, values: isRecord(spec.values) ? (spec.values as Record<string, VariableValue>) : {} }).values;
        effective = substitute(helm.values, resolved, new Set(variables.map((v) => v.name)), [], []);
      } catch {
        effective = helm.values;
      }
    }
    const name = isRecord(layer) && typeof layer.name === 'string' ? layer.name : `layer-${index}`;
    out.push({
      index,
      ref: { repo: helm.repo.trim(), chart: helm.chart.trim(), version: helm.version.trim() },
      releaseName: typeof helm.releaseName === 'string' && helm.releaseName ? helm.releaseName : name,
      namespace: isRecord(layer) && typeof layer.namespace === 'string' && layer.namespace ? layer.namespace : 'default',
      values: helm.values,
      effective,
    });
  });
  return out;
}

function valueAt(value: unknown, path: readonly (string | number)[]): { found: boolean; value: unknown } {
  let at = value;
  for (const segment of path) {
    if (Array.isArray(at) && typeof segment === 'number' && segment < at.length) at = at[segment];
    else if (isRecord(at) && typeof segment === 'string' && Object.prototype.hasOwnProperty.call(at, segment)) at = at[segment];
    else return { found: false, value: undefined };
  }
  return { found: true, value: at };
}

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

/**
 * The chart's schema errors as findings on the layer's values. A value the layer wrote is named
 * by its path; a value substituted from a variable is not quoted (it may be sensitive); an error
 * in a value only the chart's own values.yaml sets goes on `values` (or `helm`) itself.
 */
function schemaFindings(layer: HelmLayer, chart: ChartFacts, validate: ValidateFunction): Finding[] {
  const merged = coalesceValues(chart.values ?? {}, layer.effective ?? {});
  if (validate(merged)) return [];
  const base: JsonPath = ['spec', 'layers', layer.index, 'helm', 'values'];
  const errors = validate.errors ?? [];
  const branches = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.schemaPath + '/');
  const kept = errors.filter((e) => e.keyword !== 'if' && !branches.some((p) => e.schemaPath.startsWith(p)));
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const e of kept) {
    const finding = schemaFinding(e, layer, chart, base);
    const key = `${finding.path.join('/')}|${finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    findings.push(finding);
  }
  return findings;
}

function schemaFinding(e: ErrorObject, layer: HelmLayer, chart: ChartFacts, base: JsonPath): Finding {
  const rel = pointerToPath(e.instancePath);
  const written = valueAt(layer.values, rel);
  const where = formatPath(['helm', 'values', ...rel]);
  const rule = `(${chart.name} ${chart.version} values.schema.json)`;
  const fromVariable = written.found && typeof written.value === 'string' && written.value.includes('${');
  const shown = fromVariable ? `the value of ${JSON.stringify(written.value)}` : describeValue(e.data);
  const finding = (path: JsonPath, message: string, extra: Partial<Finding> = {}): Finding => ({ code: 'HELM_VALUES_SCHEMA', severity: 'error', message: `${message} ${rule}`, path, ...extra });
  // Where the layer did not write the failing value, the finding goes on the nearest thing it wrote.
  const at: JsonPath = written.found ? [...base, ...rel] : nearestWritten(layer.values, base, rel);
  const notWritten = written.found ? '' : " (the chart's own default)";
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const field = String((e.params as { missingProperty: string }).missingProperty);
      return finding(at, `${where} needs "${field}", which the chart's schema requires: add ${[...rel, field].map(String).join('.')} to helm.values.`, { on: 'key', data: { field } });
    }
    case 'additionalProperties': {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(isRecord(parent.properties) ? parent.properties : {});
      const guess = closest(field, allowed);
      const hint = guess ? `did you mean "${guess}"?` : allowed.length ? `it allows ${allowed.slice(0, 12).join(', ')}${allowed.length > 12 ? ', …' : ''}.` : 'remove it.';
      const keyWritten = valueAt(layer.values, [...rel, field]).found;
      return finding(keyWritten ? [...base, ...rel, field] : at, `Unknown key "${field}" in ${where}: the chart's schema allows no such key; ${hint}`, { on: 'key', data: { field, ...(guess ? { suggestion: guess } : {}) } });
    }
    case 'type': {
      const wanted = String((e.params as { type: string | string[] }).type).replace(/,/g, ' or ');
      const quote = !fromVariable && wanted === 'string' && (typeof e.data === 'number' || typeof e.data === 'boolean') ? ' YAML read it as that: put the value in quotes.' : '';
      return finding(at, `${where}${notWritten} must be ${article(wanted)}, not ${!fromVariable && typeof e.data === 'number' ? 'the number ' : ''}${shown}.${quote}`);
    }
    case 'enum': {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ');
      return finding(at, `${where}${notWritten} is ${shown}; the chart allows ${allowed}.`);
    }
    case 'const':
      return finding(at, `${where}${notWritten} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}.`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      return finding(at, `${where}${notWritten} is ${shown}; the chart wants it ${comparison} ${limit}.`);
    }
    case 'pattern':
      return finding(at, `${where}${notWritten} is ${shown}, which does not match ${(e.params as { pattern: string }).pattern}.`);
    case 'minLength':
      return finding(at, `${where}${notWritten} must have at least ${(e.params as { limit: number }).limit} character(s).`);
    case 'maxLength':
      return finding(at, `${where}${notWritten} may have at most ${(e.params as { limit: number }).limit} characters.`);
    case 'minItems':
    case 'maxItems':
      return finding(at, `${where}${notWritten} must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${(e.params as { limit: number }).limit} item(s).`);
    case 'false schema':
      return finding(at, `${where} is not allowed by the chart's schema: remove it.`, { on: 'key' });
    default:
      return finding(at, `${where}${notWritten} ${e.message ?? 'is invalid'}.`);
  }
}

/** The deepest part of `rel` the layer wrote, under `base` (at least `values`, or `helm` when there are none). */
function nearestWritten(values: unknown, base: JsonPath, rel: JsonPath): JsonPath {
  if (values === undefined) return base.slice(0, -1);
  let depth = 0;
  while (depth < rel.length && valueAt(values, rel.slice(0, depth + 1)).found) depth++;
  return [...base, ...rel.slice(0, depth)];
}

/** Keys of the layer's values that the chart's values.yaml does not have (charts without a schema). */
function unknownKeyFindings(layer: HelmLayer, chart: ChartFacts): Finding[] {
  const findings: Finding[] = [];
  const base: JsonPath = ['spec', 'layers', layer.index, 'helm', 'values'];
  const walk = (written: unknown, known: unknown, rel: (string | number)[], depth: number) => {
    // Only where the chart spells out a mapping's keys: an empty map, null or a list is free-form.
    if (!isRecord(written) || !isRecord(known) || Object.keys(known).length === 0 || depth > 30) return;
    for (const [key, value] of Object.entries(written)) {
      if (Object.prototype.hasOwnProperty.call(known, key)) {
        walk(value, known[key], [...rel, key], depth + 1);
        continue;
      }
      if (depth === 0 && (key === 'global' || chart.subcharts.includes(key))) continue;
      const guess = closest(key, Object.keys(known));
      const where = formatPath(['helm', 'values', ...rel]);
      findings.push({
        code: 'HELM_VALUES_UNKNOWN_KEY',
        severity: 'warning',
        message: `The chart ${chart.name} ${chart.version} has no value "${key}" in ${where} (values.yaml)${guess ? `: did you mean "${guess}"?` : '; Helm passes it on, but no template is likely to read it.'}`,
        path: [...base, ...rel, key],
        on: 'key',
        data: { field: key, ...(guess ? { suggestion: guess } : {}) },
      });
    }
  };
  walk(layer.values, chart.values, [], 0);
  return findings;
}

/**
 * Findings of every Helm layer of a profile document against its chart and, with `kube`, of the
 * objects the chart renders with the layer's values (once the provider has rendered them; values
 * the chart's schema rejects are not rendered, Helm would refuse them). `onRender` is told each
 * layer's render as looked up (the service takes the CRDs a chart renders to the manifests).
 */
export function helmValuesFindings(docValue: unknown, provider: HelmChartProvider | undefined, owner = '', kube?: Omit<RenderedCheckOptions, 'customKinds'>, onRender?: (layer: number, lookup: RenderLookup) => void): Finding[] {
  if (!provider) return [];
  const findings: Finding[] = [];
  let secrets: string[] | undefined;
  const renders: { rendered: RenderedChart; helmPath: JsonPath; mask: (finding: Finding) => Finding }[] = [];
  for (const layer of helmLayersOf(docValue)) {
    const lookup = provider.chart(layer.ref, `${owner}#${layer.index}`);
    const helmPath: JsonPath = ['spec', 'layers', layer.index, 'helm'];
    if (lookup.state === 'fetching') continue;
    if (lookup.state === 'unavailable') {
      findings.push({ code: 'HELM_CHART_UNAVAILABLE', severity: 'information', message: lookup.message, path: helmPath, on: 'key' });
      continue;
    }
    const { chart } = lookup;
    if (chart.schemaError) {
      findings.push({ code: 'HELM_CHART_SCHEMA_UNUSABLE', severity: 'information', message: `The chart ${chart.name} ${chart.version}: ${chart.schemaError}; its values are not checked.`, path: helmPath, on: 'key' });
      continue;
    }
    if (chart.schema !== undefined) {
      const validate = validatorOf(chart.schema);
      if (validate instanceof Error) {
        findings.push({ code: 'HELM_CHART_SCHEMA_UNUSABLE', severity: 'information', message: `The chart ${chart.name} ${chart.version}'s values.schema.json could not be compiled (${validate.message}); its values are not checked.`, path: helmPath, on: 'key' });
      } else findings.push(...schemaFindings(layer, chart, validate));
    } else findings.push(...unknownKeyFindings(layer, chart));
    if (!kube || !provider.rendered || findings.some((f) => f.severity === 'error' && f.path[2] === layer.index)) continue;
    const rendered = provider.rendered({ ref: layer.ref, releaseName: layer.releaseName, namespace: layer.namespace, values: layer.effective ?? {} }, `${owner}#${layer.index}`);
    onRender?.(layer.index, rendered);
    // Rendered output holds substituted values: a sensitive variable's is masked, as kplane validate does.
    secrets ??= sensitiveValues(isRecord(docValue) ? docValue.spec : undefined).filter((v) => v.length > 0);
    const mask = (finding: Finding): Finding => ({ ...finding, message: secrets!.reduce((text, secret) => text.split(secret).join('••••••'), finding.message) });
    if (rendered.state === 'failed') findings.push(mask({ code: 'HELM_RENDER_FAILED', severity: 'error', message: rendered.message, path: helmPath, on: 'key' }));
    else if (rendered.state === 'ready') renders.push({ rendered: rendered.rendered, helmPath, mask });
  }
  if (!kube || !renders.length) return findings;
  // The CRDs of the profile's manifests and of every chart make their kinds known to what each chart renders.
  const customKinds: CustomKind[] = customKindsOf([...profileManifests(docValue), ...renders.flatMap((r) => r.rendered.objects.map((o) => o.manifest))]);
  for (const { rendered, helmPath, mask } of renders) findings.push(...renderedObjectFindings(rendered, helmPath, { ...kube, customKinds }).map(mask));
  return findings;
}

/** The manifests of the profile's own layers (their CRDs make kinds known to what charts render). */
function profileManifests(docValue: unknown): unknown[] {
  const layers = isRecord(docValue) && isRecord(docValue.spec) && Array.isArray(docValue.spec.layers) ? docValue.spec.layers : [];
  return layers.flatMap((l) => (isRecord(l) && Array.isArray(l.manifests) ? l.manifests : []));
}

// --- completion and hover -----------------------------------------------------------------

/** The index of the layer a cursor is in: the layer containing it, else the last layer starting before it. */
function layerIndexAt(model: ProfileModel, offset: number): number | undefined {
  let best: number | undefined;
  for (const entry of model.layers) {
    if (entry.node.start > offset) break;
    best = entry.index;
    if (entry.node.end >= offset) break;
  }
  return best;
}

function schemaAtPath(schema: unknown, path: readonly (string | number)[]): Record<string, unknown> | undefined {
  let at: unknown = schema;
  for (const segment of path) {
    if (!isRecord(at)) return undefined;
    if (typeof segment === 'number' || segment === '[]') at = at.items;
    else if (isRecord(at.properties) && isRecord(at.properties[segment])) at = at.properties[segment];
    else if (isRecord(at.additionalProperties)) at = at.additionalProperties;
    else return undefined;
  }
  return isRecord(at) ? at : undefined;
}

function defaultsAt(values: unknown, path: readonly (string | number)[]): unknown {
  let at = values;
  for (const segment of path) {
    if (Array.isArray(at)) at = at[0];
    else if (isRecord(at) && typeof segment === 'string') at = at[segment];
    else return undefined;
  }
  return at;
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function documentation(chart: ChartFacts, path: readonly (string | number)[], schema: Record<string, unknown> | undefined, value: unknown, hasDefault: boolean): string {
  const parts: string[] = [];
  const comment = chart.docs[docKey(path)];
  if (comment) parts.push(comment);
  else if (typeof schema?.description === 'string') parts.push(schema.description);
  if (hasDefault && !isRecord(value)) parts.push(`Default: \`${short(value)}\``);
  parts.push(`_${chart.name} ${chart.version}, values.yaml_`);
  return parts.join('\n\n');
}

function keyCompletion(name: string, chart: ChartFacts, path: (string | number)[], indent: string): CompletionItem {
  const known = defaultsAt(chart.values, path);
  const hasDefault = isRecord(defaultsAt(chart.values, path.slice(0, -1))) && Object.prototype.hasOwnProperty.call(defaultsAt(chart.values, path.slice(0, -1)), name);
  const schema = schemaAtPath(chart.schema, path);
  const type = isRecord(known) ? 'object' : Array.isArray(known) ? 'array' : known === null || known === undefined ? (typeof schema?.type === 'string' ? schema.type : undefined) : typeof known;
  let insertText = `${name}: $0`;
  if (type === 'object') insertText = `${name}:\n${indent}  $0`;
  else if (type === 'array') insertText = isRecord((known as unknown[] | undefined)?.[0]) ? `${name}:\n${indent}  - $0` : `${name}: [$0]`;
  return {
    label: name,
    kind: CompletionItemKind.Property,
    detail: `${type ?? 'value'}${hasDefault && !isRecord(known) && !Array.isArray(known) ? ` = ${short(known)}` : ''} (${chart.name})`,
    documentation: { kind: MarkupKind.Markdown, value: documentation(chart, path, schema, known, hasDefault) },
    insertText,
    insertTextFormat: InsertTextFormat.Snippet,
  };
}

const INCOMPLETE: CompletionList = { isIncomplete: true, items: [] };

/**
 * Completion inside a Helm layer: keys under `helm.values`, values the schema enumerates, and
 * versions after `version:`. Undefined when the cursor is elsewhere (the profile's own completion answers).
 */
export function helmCompletion(document: TextDocument, position: Position, model: ProfileModel | undefined, provider: HelmChartProvider | undefined): CompletionList | undefined {
  if (!provider || !model) return undefined;
  // The parse says which layer the cursor is in: only a Helm layer goes on, and only its own lines
  // are read (every completion came here first, and split the whole text of a 35k-line profile).
  const index = layerIndexAt(model, document.offsetAt(position));
  const entry = index === undefined ? undefined : model.layers.find((l) => l.index === index);
  const spec = (model.document.value as { spec?: { layers?: unknown[] } } | undefined)?.spec;
  const raw = index === undefined ? undefined : spec?.layers?.[index];
  if (!entry || !isRecord(raw) || !isRecord(raw.helm)) return undefined;
  // From the layer's `- ` line to its end, or to the cursor when typing past the last parse.
  const first = document.positionAt(entry.node.start).line;
  const last = Math.max(document.positionAt(entry.node.end).line, position.line);
  if (position.line < first) return undefined;
  const lines = document.getText({ start: { line: first, character: 0 }, end: { line: last + 1, character: 0 } }).split(/\r?\n/);
  const line = position.line - first;
  const before = (lines[line] ?? '').slice(0, position.character);
  const lead = /^\s*(?:-\s+)*/.exec(before)![0];
  const keyCol = lead.length;
  const dash = lead.lastIndexOf('-');
  const rest = before.slice(keyCol);
  const valueMatch = /^(["']?)([^\s:#"'][^:#]*?)\1\s*:\s+([^#]*)$/.exec(rest);
  const typingKey = !/[:#"']/.test(rest) && !/^\s/.test(rest);
  if (!typingKey && !valueMatch) return undefined;
  // The walk up stops at the layer's `- ` (its first line): the path below spec.layers.
  const path = ['spec', 'layers', ...containerPath(lines, line, keyCol, dash)];
  const inHelm = path.length >= 4 && path[2] === '[]' && path[3] === 'helm';
  if (!inHelm) return undefined;

  if (valueMatch && path.length === 4 && valueMatch[2] === 'version') {
    // The version is being typed: only repo and chart are needed.
    const helm = raw.helm;
    if (typeof helm.repo !== 'string' || typeof helm.chart !== 'string' || !helm.repo || !helm.chart) return undefined;
    const chartName = helm.chart;
    const lookup = provider.versions(helm.repo, chartName);
    if (lookup.state === 'fetching') return INCOMPLETE;
    if (lookup.state === 'unavailable') return { isIncomplete: false, items: [] };
    return {
      isIncomplete: false,
      items: lookup.versions.map((version, i) => ({
        label: version,
        kind: CompletionItemKind.Value,
        detail: i === 0 ? `newest ${chartName}` : chartName,
        sortText: String(i).padStart(5, '0'),
        insertText: /^[\d.]+$/.test(version) && version.split('.').length === 2 ? `"${version}"` : version,
      })),
    };
  }
  if (path.length < 5 || path[4] !== 'values') return undefined;
  const layer = helmLayersOf(model.document.value).find((l) => l.index === index);
  if (!layer) return undefined;
  const lookup = provider.chart(layer.ref, `${document.uri}@${model.documentIndex}#${layer.index}`);
  if (lookup.state === 'fetching') return INCOMPLETE;
  if (lookup.state === 'unavailable') return { isIncomplete: false, items: [] };
  const chart = lookup.chart;
  const rel = path.slice(5).map((s) => (s === '[]' ? 0 : s));
  if (valueMatch) {
    const schema = schemaAtPath(chart.schema, [...rel, valueMatch[2]]);
    const values = Array.isArray(schema?.enum) ? schema.enum : schema?.type === 'boolean' ? [true, false] : [];
    return { isIncomplete: false, items: values.map((v) => ({ label: typeof v === 'string' ? v : JSON.stringify(v), kind: CompletionItemKind.EnumMember })) };
  }
  const known = defaultsAt(chart.values, rel);
  const schema = schemaAtPath(chart.schema, rel);
  const names = new Set<string>([...(isRecord(known) ? Object.keys(known) : []), ...(isRecord(schema?.properties) ? Object.keys(schema.properties) : [])]);
  const present = dash >= 0 ? new Set<string>() : siblingKeys(lines, line, keyCol);
  const items = [...names].filter((n) => !present.has(n)).map((n) => keyCompletion(n, chart, [...rel, n], ' '.repeat(keyCol)));
  return { isIncomplete: false, items };
}

/** Hover on a key or value under `helm.values`: the chart's comment, default and schema. */
export function helmHover(document: TextDocument, model: ProfileModel, offset: number, provider: HelmChartProvider | undefined): Hover | null | undefined {
  if (!provider) return undefined;
  const at = pathAt(model.root, offset);
  const [spec, layers, index, helm, values, ...rel] = at.path;
  if (spec !== 'spec' || layers !== 'layers' || typeof index !== 'number' || helm !== 'helm' || values !== 'values' || rel.length === 0) return undefined;
  const layer = helmLayersOf(model.document.value).find((l) => l.index === index);
  if (!layer) return undefined;
  const lookup = provider.chart(layer.ref, `${document.uri}@${model.documentIndex}#${index}`);
  if (lookup.state !== 'ready') return null;
  const chart = lookup.chart;
  const parent = defaultsAt(chart.values, rel.slice(0, -1));
  const last = rel[rel.length - 1];
  const hasDefault = typeof last === 'string' ? isRecord(parent) && Object.prototype.hasOwnProperty.call(parent, last) : Array.isArray(parent);
  const schema = schemaAtPath(chart.schema, rel);
  if (!hasDefault && !schema && !chart.docs[docKey(rel)]) return null;
  const value = defaultsAt(chart.values, rel);
  return {
    contents: { kind: MarkupKind.Markdown, value: `**${rel.map(String).join('.')}**\n\n${documentation(chart, rel, schema, value, hasDefault)}` },
    range: at.pair ? { start: document.positionAt(at.pair.key.start), end: document.positionAt(at.pair.key.end) } : undefined,
  };
}

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information, hint: DiagnosticSeverity.Hint } as const;

/** The Helm findings of every profile document of a file, placed like the profile's own. */
export function helmDiagnostics(
  document: TextDocument,
  parsed: ParsedFile,
  provider: HelmChartProvider | undefined,
  kube?: Omit<RenderedCheckOptions, 'customKinds'>,
  onRender?: (documentIndex: number, layer: number, lookup: RenderLookup) => void,
): KplaneDiagnostic[] {
  if (!provider) return [];
  const out: KplaneDiagnostic[] = [];
  parsed.documents.forEach((doc, index) => {
    if (!isProfileDocument(doc) || !doc.checkable || !doc.root) return;
    for (const finding of helmValuesFindings(doc.value, provider, `${document.uri}@${index}`, kube, onRender && ((layer, lookup) => onRender(index, layer, lookup)))) {
      const span = spanOfFinding(parsed.text, doc.root, finding);
      const data: DiagnosticData = { document: index, path: finding.path, ...finding.data };
      out.push({ range: { start: document.positionAt(span.start), end: document.positionAt(span.end) }, severity: SEVERITY[finding.severity], code: finding.code, source: 'kplane', message: finding.message, data });
    }
  });
  return out;
}
