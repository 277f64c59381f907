/**
 * The rules for a profile's `spec.values` as edited in the dashboard's values editor. The same
 * code runs in the webview (markers while typing) and in the extension host (the gate before
 * anything is written to a cluster), so the two can never disagree.
 *
 * Pure: no DOM, no vscode, no Node. Never throws on user input; returns findings.
 */
import { parseDocument, isMap, isScalar, stringify, type Node as YamlNode } from 'yaml';
// Subpath imports on purpose: the package index also exports the ajv-based validator, whose
// generated code a webview's CSP (no 'unsafe-eval') would refuse to run.
import { profileSpecSchema, SEMVER, resolveValues, compilePattern, describeSecret } from '@kplane/profile/model';
import type { ClusterProfileSpec, Variable, VariableValue, FindingCode } from '@kplane/profile/model';
import type { ValuesFinding } from './protocol.js';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(3[0-2]|[12]?\d)$/;

/** The values as the editor's initial text. */
export function valuesToYaml(values: Record<string, VariableValue> | undefined): string {
  if (!values || Object.keys(values).length === 0) return '{}\n';
  return stringify(values);
}

/**
 * JSON Schema of the values document for one profile: the CRD's generic rule (a map of scalars)
 * narrowed by each declared variable, so monaco-yaml offers the variable names, their types and
 * descriptions, and flags undeclared keys.
 */
export function valuesSchema(variables: readonly Variable[]): Record<string, unknown> {
  const generic = (profileSpecSchema.properties as Record<string, Record<string, unknown>>).values;
  const properties: Record<string, unknown> = {};
  for (const v of variables) properties[v.name] = variableSchema(v);
  return {
    ...generic,
    properties,
    additionalProperties: false,
    required: variables.filter((v) => v.required && v.default === undefined).map((v) => v.name),
  };
}

function variableSchema(v: Variable): Record<string, unknown> {
  // A sensitive variable's default is not shown, not even in a hover.
  const description = [v.description, `Type ${v.type}.`, v.default !== undefined && !v.sensitive ? `Default ${JSON.stringify(v.default)}.` : '']
    .filter(Boolean)
    .join(' ');
  const s: Record<string, unknown> = { description };
  switch (v.type) {
    case 'integer':
    case 'number':
      s.type = v.type;
      if (v.minimum !== undefined) s.minimum = v.minimum;
      if (v.maximum !== undefined) s.maximum = v.maximum;
      break;
    case 'boolean':
      s.type = 'boolean';
      break;
    case 'ipv4':
      Object.assign(s, { type: 'string', pattern: IPV4.source });
      break;
    case 'cidr':
      Object.assign(s, { type: 'string', pattern: CIDR.source });
      break;
    case 'semver':
      Object.assign(s, { type: 'string', pattern: SEMVER });
      break;
    default:
      // No `pattern` here: monaco-yaml would match it with a backtracking JavaScript RegExp.
      // checkValues matches it with RE2 (../profile/src/pattern.ts) and marks a mismatch.
      s.type = 'string';
  }
  if (v.enum !== undefined) s.enum = v.enum;
  return s;
}

export interface ValuesCheck {
  /** The parsed values; undefined when the text is not a map of scalars at all. */
  values?: Record<string, VariableValue>;
  findings: ValuesFinding[];
}

/**
 * Parses and checks edited values against the profile's variables. `kept` names values that are
 * set but not in the text (sensitive ones, which the editor never shows): they count as present.
 */
export function checkValues(text: string, spec: Pick<ClusterProfileSpec, 'variables'>, kept: readonly string[] = []): ValuesCheck {
  const findings: ValuesFinding[] = [];
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  for (const error of doc.errors) {
    findings.push({ code: 'YAML_SYNTAX', severity: 'error', message: `${error.message.split('\n')[0]}: fix the YAML syntax.`, path: [], start: error.pos[0], end: error.pos[1] });
  }
  if (findings.length > 0) return { findings };
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return { values: {}, findings: missingRequired({}, spec, kept) };
  if (!isMap(root)) {
    findings.push({ code: 'VALUES_NOT_A_MAP', severity: 'error', message: 'Values must be a map of variable names to values, e.g. "replicas: 3".', path: [], ...range(root) });
    return { findings };
  }
  const declared = new Map((spec.variables ?? []).map((v) => [v.name, v]));
  const values: Record<string, VariableValue> = {};
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const keyRange = range(pair.key as YamlNode | null);
    if (key === undefined) {
      findings.push({ code: 'VALUES_BAD_KEY', severity: 'error', message: 'Each key must be a variable name.', path: [], ...keyRange });
      continue;
    }
    const variable = declared.get(key);
    if (!variable) {
      const names = [...declared.keys()];
      findings.push({
        code: 'UNDECLARED_VALUE',
        severity: 'error',
        message: `"${key}" is not a variable of this profile: use one of ${names.length ? names.join(', ') : '(none declared)'}, or declare it under spec.variables.`,
        path: [key],
        ...keyRange,
      });
      continue;
    }
    const node = pair.value as YamlNode | null;
    if (!isScalar(node) || node.value === null || !['string', 'number', 'boolean'].includes(typeof node.value)) {
      findings.push({ code: 'VALUE_NOT_SCALAR', severity: 'error', message: `"${key}" must be a single ${variable.type} value, not a map, list or null.`, path: [key], ...(node ? range(node) : keyRange) });
      continue;
    }
    const value = node.value as VariableValue;
    const problem = checkValue(variable, value);
    if (problem) findings.push({ code: problem.code, severity: 'error', message: `"${key}": ${problem.message}`, path: [key], ...range(node) });
    else values[key] = value;
  }
  findings.push(...missingRequired(values, spec, kept));
  return { values: findings.some((f) => f.severity === 'error') ? undefined : values, findings };
}

function missingRequired(values: Record<string, VariableValue>, spec: Pick<ClusterProfileSpec, 'variables'>, kept: readonly string[]): ValuesFinding[] {
  const present = { ...Object.fromEntries(kept.map((name) => [name, true])), ...values };
  return resolveValues({ variables: spec.variables, values: present }).problems.map((p) => ({
    code: p.code,
    severity: 'error' as const,
    message: p.message,
    path: [],
  }));
}

/** One value against its variable's type and constraints; undefined when it is fine. */
export function checkValue(variable: Variable, value: VariableValue): { code: FindingCode; message: string } | undefined {
  // A sensitive value is described, never quoted (messages reach the host's log and notifications).
  const show = (v: VariableValue) => describeSecret(variable, v, (x) => showPlain(x as VariableValue));
  const bad = (message: string) => ({ code: 'VALUE_TYPE_MISMATCH' as const, message });
  switch (variable.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return bad(`expected an integer, got ${show(value)}.`);
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad(`expected a number, got ${show(value)}.`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return bad(`expected true or false, got ${show(value)}.`);
      break;
    case 'ipv4':
      if (typeof value !== 'string' || !IPV4.test(value)) return bad(`expected an IPv4 address such as 10.0.0.1, got ${show(value)}.`);
      break;
    case 'cidr':
      if (typeof value !== 'string' || !CIDR.test(value)) return bad(`expected a CIDR such as 10.0.0.0/16, got ${show(value)}.`);
      break;
    case 'semver':
      if (typeof value !== 'string' || !new RegExp(SEMVER).test(value)) return bad(`expected a version such as 1.2.3, got ${show(value)}.`);
      break;
    case 'string':
      if (typeof value !== 'string') return bad(`expected a string, got ${show(value)}; quote it.`);
      break;
  }
  if (typeof value === 'number') {
    if (variable.minimum !== undefined && value < variable.minimum) return { code: 'VALUE_OUT_OF_RANGE', message: `${show(value)} is below the minimum ${variable.minimum}.` };
    if (variable.maximum !== undefined && value > variable.maximum) return { code: 'VALUE_OUT_OF_RANGE', message: `${show(value)} is above the maximum ${variable.maximum}.` };
  }
  if (variable.enum && !variable.enum.includes(value)) {
    return { code: 'VALUE_NOT_IN_ENUM', message: `${show(value)} is not one of ${variable.enum.map(showPlain).join(', ')}.` };
  }
  if (typeof value === 'string' && variable.pattern !== undefined) {
    // A broken pattern is the profile author's error; the language server reports it there.
    const re = compilePattern(variable.pattern);
    if (re.ok && !re.test(value)) return { code: 'VALUE_PATTERN_MISMATCH', message: `${show(value)} does not match the pattern ${variable.pattern}.` };
  }
  return undefined;
}

function showPlain(value: VariableValue): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function range(node: YamlNode | null | undefined): { start?: number; end?: number } {
  const r = node?.range;
  return r ? { start: r[0], end: r[1] } : {};
}
