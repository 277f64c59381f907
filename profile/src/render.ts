/**
 * Variable substitution. `${name}` inside a string, where `name` is a variable name (a letter
 * or _, then letters, digits or _), substitutes the variable's value; a string that is exactly
 * `${name}` takes the typed value (so `replicas: "${replicas}"` becomes a number); `$${name}`
 * stands for a literal `${name}`. Any other `${…}` (`${1}`, `${__data.fields.Pod}`,
 * `${datasource:queryparam}`, `${ x }`) is text: shell scripts and Grafana dashboards are full
 * of them. An object annotated `kplane.dev/substitute: disabled`, or a layer with
 * `substitute: false`, is taken as written. Pure and total: problems come back as findings.
 */
import { isKnownClusterScoped } from './identity.js';
import { scopeWithCrds } from './kubeTypes.js';
import { expandManifests } from './listExpansion.js';
import { SUBSTITUTE_ANNOTATION, SUBSTITUTE_DISABLED, type ClusterProfileSpec, type HelmChart, type Manifest, type Variable, type VariableValue } from './types.js';

/** One `${name}` in a string: offsets are into that string, `start` at the `$`. */
export interface VariableReference {
  name: string;
  start: number;
  end: number;
}

/** The variable-name grammar; the schema's VARIABLE_NAME pattern says the same. */
export const VARIABLE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

// `$${name}` (escape) or `${name}` (reference); linear time: no nested quantifiers.
const REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Whether `name` can be a variable name (and so `${name}` a reference). */
export function isVariableName(name: string): boolean {
  return VARIABLE_NAME_PATTERN.test(name);
}

/** The `${name}` references of one string; escapes and `${…}` that holds no variable name are text. */
export function scanReferences(text: string): VariableReference[] {
  const refs: VariableReference[] = [];
  if (!text.includes('${')) return refs;
  // exec on the one expression, not matchAll (a copy of the expression and an iterator per string).
  REFERENCE.lastIndex = 0;
  for (let match = REFERENCE.exec(text); match !== null; match = REFERENCE.exec(text)) {
    if (match[1]) continue;
    refs.push({ name: match[2], start: match.index, end: match.index + match[0].length });
  }
  return refs;
}

/** Whether a string holds a reference that rendering would replace. */
export function hasReferences(text: string): boolean {
  return scanReferences(text).length > 0;
}

export interface RenderProblem {
  code: 'UNDECLARED_VARIABLE' | 'MISSING_REQUIRED_VALUE';
  message: string;
  /** Path into the spec, e.g. ['layers', 0, 'manifests', 1, 'spec', 'replicas']. */
  path: (string | number)[];
}

export interface RenderedLayer {
  name: string;
  dependsOn: string[];
  wait: boolean;
  namespace?: string;
  manifests: Manifest[];
  /**
   * A Helm layer: its chart with variables substituted (in values, and anywhere else in the
   * block) and releaseName defaulted. `manifests` is empty until the agent renders the chart.
   */
  helm?: HelmChart & { releaseName: string };
}

export interface RenderResult {
  layers: RenderedLayer[];
  /** The effective value of each variable (values over defaults). */
  values: Record<string, VariableValue>;
  problems: RenderProblem[];
}

/** Effective values: spec.values over defaults; a required variable with neither is a problem. */
export function resolveValues(spec: Pick<ClusterProfileSpec, 'variables' | 'values'>): {
  values: Record<string, VariableValue>;
  problems: RenderProblem[];
} {
  const values: Record<string, VariableValue> = {};
  const problems: RenderProblem[] = [];
  (spec.variables ?? []).forEach((variable: Variable, index) => {
    const given = spec.values?.[variable.name];
    if (given !== undefined) values[variable.name] = given;
    else if (variable.default !== undefined) values[variable.name] = variable.default;
    else if (variable.required) {
      problems.push({
        code: 'MISSING_REQUIRED_VALUE',
        message: `Variable "${variable.name}" is required and has no default: set spec.values.${variable.name} or give it a default.`,
        path: ['variables', index],
      });
    }
  });
  return { values, problems };
}

/** What an undeclared `${name}` is told: the same words in the editor, the CLI and the agent's status. */
export function undeclaredMessage(name: string): string {
  return `"\${${name}}" names no declared variable: declare "${name}" under spec.variables, write $\${${name}} to keep it as text, or annotate the object ${SUBSTITUTE_ANNOTATION}: ${SUBSTITUTE_DISABLED}.`;
}

/**
 * Substitutes variables in one value (any JSON), copy-on-change: a string, array or object in
 * which nothing is substituted comes back as the same value (===), and only the arrays and objects
 * on the way to a change are copied; `value` itself is never changed. The result therefore shares
 * every unchanged part with the input, as the render of an object opted out of substitution always
 * did: callers copy what they change (withOwnership, withReplicas, maskPair), none writes into a
 * rendered object. A deep copy of every object was the size of the spec again for each render the
 * agent keeps (agent/src/controller/steps/render.ts; test/unit/profile/substitution.test.ts).
 */
export function substitute(
  value: unknown,
  values: Readonly<Record<string, VariableValue>>,
  declared: ReadonlySet<string>,
  path: (string | number)[],
  problems: RenderProblem[],
): unknown {
  // One path array for the whole walk (push on the way down, pop on the way up), copied only
  // where a problem keeps it: a fresh array for each value was most of a render's garbage.
  return substituteAt(value, values, declared, [...path], problems);
}

function substituteAt(
  value: unknown,
  values: Readonly<Record<string, VariableValue>>,
  declared: ReadonlySet<string>,
  path: (string | number)[],
  problems: RenderProblem[],
): unknown {
  if (typeof value === 'string') return substituteString(value, values, declared, path, problems);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const item: unknown = value[i];
      const next = substituteAt(item, values, declared, path, problems);
      path.pop();
      if (!Object.is(next, item)) (copy ??= [...value])[i] = next;
    }
    return copy ?? value;
  }
  if (value && typeof value === 'object') {
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      path.push(key);
      const item = (value as Record<string, unknown>)[key];
      const next = substituteAt(item, values, declared, path, problems);
      path.pop();
      if (!Object.is(next, item)) (copy ??= { ...value })[key] = next;
    }
    return copy ?? value;
  }
  return value;
}

function substituteString(
  text: string,
  values: Readonly<Record<string, VariableValue>>,
  declared: ReadonlySet<string>,
  path: (string | number)[],
  problems: RenderProblem[],
): unknown {
  if (!text.includes('${')) return text;
  const refs = scanReferences(text);
  if (!refs.length && !text.includes('$${')) return text;
  for (const ref of refs) {
    if (!declared.has(ref.name)) {
      problems.push({
        code: 'UNDECLARED_VARIABLE',
        message: undeclaredMessage(ref.name),
        path: [...path],
      });
    }
  }
  const whole = refs.length === 1 && refs[0].start === 0 && refs[0].end === text.length;
  if (whole && values[refs[0].name] !== undefined) return values[refs[0].name];
  return text.replace(REFERENCE, (match, escape: string, name: string) => {
    if (escape) return match.slice(1);
    const v = values[name];
    return v === undefined ? match : String(v);
  });
}

/**
 * Renders a profile: values resolved, `*List` kinds expanded into their items, variables
 * substituted (except where a layer or an object opts out), each namespaced manifest without a
 * namespace given its layer's. Scopes come from the profile's own CRDs, then `isClusterScoped`
 * (the built-in list by default; the agent passes the API server's discovery).
 */
export function renderProfile(
  spec: ClusterProfileSpec,
  isClusterScoped: (apiVersion: string, kind: string) => boolean = isKnownClusterScoped,
): RenderResult {
  const { values, problems } = resolveValues(spec);
  const declared = new Set((spec.variables ?? []).map((v) => v.name));
  const expanded = (spec.layers ?? []).map((layer) => expandManifests(layer.manifests ?? [], layer.substitute !== false));
  // The kinds of the profile's own CRDs are scoped as those say, wherever they are installed.
  const scoped = scopeWithCrds(
    expanded.flatMap((objects) => objects.map((o) => o.manifest)),
    isClusterScoped,
  );
  const layers = (spec.layers ?? []).map((layer, li): RenderedLayer => {
    const manifests = expanded[li].map(({ manifest, path, substitute: enabled }) => {
      const rendered = (enabled ? substitute(manifest, values, declared, ['layers', li, 'manifests', ...path], problems) : manifest) as Manifest;
      const metadata = { ...(rendered.metadata ?? {}) } as Manifest['metadata'];
      if (!metadata.namespace && layer.namespace && !scoped(rendered.apiVersion, rendered.kind)) {
        metadata.namespace = layer.namespace;
      }
      return { ...rendered, metadata };
    });
    const out: RenderedLayer = { name: layer.name, dependsOn: layer.dependsOn ?? [], wait: layer.wait ?? false, namespace: layer.namespace, manifests };
    if (layer.helm) {
      const helm = (layer.substitute === false ? layer.helm : substitute(layer.helm, values, declared, ['layers', li, 'helm'], problems)) as HelmChart;
      out.helm = { ...helm, releaseName: helm.releaseName ?? layer.name };
    }
    return out;
  });
  return { layers, values, problems };
}

/** Values with sensitive variables masked, for anything a person or a log may see. */
export function maskSensitive(spec: Pick<ClusterProfileSpec, 'variables'>, values: Record<string, VariableValue>): Record<string, VariableValue> {
  const sensitive = new Set((spec.variables ?? []).filter((v) => v.sensitive).map((v) => v.name));
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sensitive.has(k) ? '••••••' : v]));
}
