/**
 * Values of sensitive variables. The first line of defence is structural: every output path
 * masks the spec (maskSpec) or never puts a sensitive value into a message (see
 * variableValueProblem). redactText is the second line, for text built from answers of others
 * (an API server may echo the object it rejected): it masks each raw value and its escaped forms.
 *
 * Pure: no Node, no DOM.
 */
import type { ClusterProfileSpec, Variable, VariableValue } from './types.js';

export const MASK = '••••••';

type SpecLike = Pick<ClusterProfileSpec, 'variables' | 'values'> | undefined;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Names of the sensitive variables of a spec of any shape (it may come from a cluster). */
export function sensitiveNames(spec: unknown): Set<string> {
  const names = new Set<string>();
  if (!isRecord(spec) || !Array.isArray(spec.variables)) return names;
  for (const v of spec.variables) if (isRecord(v) && v.sensitive === true && typeof v.name === 'string') names.add(v.name);
  return names;
}

/** The raw values (spec.values and defaults) of sensitive variables, as text. */
export function sensitiveValues(spec: unknown): string[] {
  const names = sensitiveNames(spec);
  if (!names.size || !isRecord(spec)) return [];
  const out = new Set<string>();
  const values = isRecord(spec.values) ? spec.values : {};
  for (const name of names) if (values[name] !== undefined && values[name] !== null) out.add(String(values[name]));
  for (const v of spec.variables as unknown[]) {
    if (isRecord(v) && names.has(String(v.name)) && v.default !== undefined && v.default !== null) out.add(String(v.default));
  }
  return [...out];
}

/**
 * The spec with the values and defaults of sensitive variables replaced by MASK, for anything
 * shown or serialised (diff, status YAML, drift). `compareTo`: when given, a value that differs
 * from the same variable's value there shows as "•••••• (changed)", so a diff still says a secret
 * changed without showing either side. Any shape is accepted; what is not a spec is returned as is.
 */
export function maskSpec<T>(spec: T, compareTo?: SpecLike | unknown): T {
  if (!isRecord(spec)) return spec;
  const names = new Set([...sensitiveNames(spec), ...sensitiveNames(compareTo)]);
  if (!names.size) return spec;
  const other = isRecord(compareTo) && isRecord(compareTo.values) ? compareTo.values : undefined;
  const otherDefaults = new Map<string, unknown>();
  if (isRecord(compareTo) && Array.isArray(compareTo.variables)) for (const v of compareTo.variables) if (isRecord(v)) otherDefaults.set(String(v.name), v.default);
  const masked = (value: unknown, before: unknown) => (compareTo !== undefined && before !== value ? `${MASK} (changed)` : MASK);
  const out: Record<string, unknown> = { ...spec };
  if (isRecord(spec.values)) {
    out.values = Object.fromEntries(Object.entries(spec.values).map(([k, v]) => [k, names.has(k) ? masked(v, other?.[k]) : v]));
  }
  if (Array.isArray(spec.variables)) {
    out.variables = spec.variables.map((v: unknown) =>
      isRecord(v) && names.has(String(v.name)) && v.default !== undefined ? { ...v, default: masked(v.default, otherDefaults.get(String(v.name))) } : v,
    );
  }
  return out as T;
}

/** JSON's escaping of a string, without the quotes. */
const jsonEscaped = (s: string): string => JSON.stringify(s).slice(1, -1);

/** Go's strconv.Quote of a string, without the quotes (API server errors quote values this way). */
function goQuoted(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out;
}

/** Substrings shorter than this are not searched for: masking every "a" would destroy the text (structural masking covers them). */
export const MIN_REDACTED_LENGTH = 3;

/**
 * Second line of defence: every secret, and its JSON-escaped and Go-quoted forms (and the same
 * escaped twice, as in JSON holding a JSON string), masked in `text`. Longest first, so a secret
 * that contains another is masked whole.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    for (const form of [secret, jsonEscaped(secret), goQuoted(secret), jsonEscaped(jsonEscaped(secret))]) {
      if (form.length >= MIN_REDACTED_LENGTH) forms.add(form);
    }
  }
  let out = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(MASK);
  return out;
}

/** A value for a message: sensitive values are described, never quoted. */
export function describeSecret(variable: Pick<Variable, 'sensitive'> | undefined, value: VariableValue | unknown, describe: (v: unknown) => string): string {
  if (variable?.sensitive === true) return typeof value === 'string' ? `the sensitive value (${[...value].length} characters)` : 'the sensitive value';
  return describe(value);
}
