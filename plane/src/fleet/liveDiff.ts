/**
 * What applying a profile would change on a cluster, object by object: the live object against
 * the API server's server-side-apply dry-run of what the agent would apply, both cut down to the
 * fields the agent manages (its managedFields entry before and after), so defaulting, admission and
 * other managers' fields are the cluster's own and never show up as noise. Pure: the caller does
 * the reads and dry-runs.
 */
import { structuredPatch, formatPatch } from 'diff';
import { stringify } from 'yaml';
import { MASK, describeObject, redactText, scanReferences, type ObjectRef } from '@kplane/profile';

export type LiveObject = Record<string, any> & { metadata?: Record<string, any> };

/** A managedFields `fieldsV1` tree: `f:name`, `k:{…}`, `v:…` keys, `.` for the node itself. */
export type FieldSet = { [key: string]: FieldSet };

export interface ObjectChange {
  ref: ObjectRef;
  action: 'create' | 'update' | 'prune' | 'unchanged';
  /** Unified diff (live → after), '' when unchanged. */
  patch: string;
  /** The two sides as YAML, masked, for a side-by-side view; absent when unchanged. '' for the side that does not exist. */
  sides?: { live: string; after: string };
}

/**
 * Two documents for a side-by-side diff editor: every changed object, in the same order on both
 * sides, its live state on the left and what applying leaves on the right (an object to create is
 * a comment on the left, one to prune a comment on the right), so the editor lines them up.
 */
export function sideBySide(changes: readonly ObjectChange[], header: string): { live: string; after: string } {
  const live: string[] = [`# ${header}: live`];
  const after: string[] = [`# ${header}: after apply`];
  for (const c of changes) {
    if (c.action === 'unchanged' || !c.sides) continue;
    const title = `# ${c.action}: ${describeObject(c.ref)}`;
    live.push('---', title, c.sides.live.replace(/\n$/, '') || '# (absent: applying creates it)');
    after.push('---', title, c.sides.after.replace(/\n$/, '') || '# (pruned: applying deletes it)');
  }
  if (live.length === 1) {
    live.push('# no differences');
    after.push('# no differences');
  }
  return { live: `${live.join('\n')}\n`, after: `${after.join('\n')}\n` };
}

/** Every fields set one manager holds on the object (all its operations, main resource only). */
export function managerFields(obj: LiveObject | undefined, manager: string): FieldSet | undefined {
  const entries: unknown = obj?.metadata?.managedFields;
  if (!Array.isArray(entries)) return undefined;
  let set: FieldSet | undefined;
  for (const e of entries) {
    if (!e || e.manager !== manager || (e.subresource && e.subresource !== '') || !isObject(e.fieldsV1)) continue;
    set = mergeFieldSets(set, e.fieldsV1 as FieldSet);
  }
  return set;
}

export function mergeFieldSets(a: FieldSet | undefined, b: FieldSet | undefined): FieldSet | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: FieldSet = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeFieldSets(out[k], v)! : v;
  return out;
}

/** The part of `value` that `set` covers; a leaf (`{}`) covers the whole value. */
export function project(value: unknown, set: FieldSet): unknown {
  const keys = Object.keys(set).filter((k) => k !== '.');
  if (!keys.length) return value;
  if (Array.isArray(value)) {
    const wanted = keys.map((k) => ({ k, match: listMatcher(k) })).filter((w) => w.match);
    const out: unknown[] = [];
    for (const item of value) {
      const w = wanted.find((x) => x.match!(item));
      if (!w) continue;
      const projected = project(item, set[w.k]);
      // Keep the item's key fields, so the reader sees which item it is.
      out.push(w.k.startsWith('k:') && isObject(projected) ? { ...(JSON.parse(w.k.slice(2)) as object), ...projected } : projected);
    }
    return out;
  }
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (!k.startsWith('f:')) continue;
    const name = k.slice(2);
    if (name in value) out[name] = project(value[name], set[k]);
  }
  return out;
}

function listMatcher(key: string): ((item: unknown) => boolean) | undefined {
  try {
    if (key.startsWith('k:')) {
      const fields = JSON.parse(key.slice(2)) as Record<string, unknown>;
      return (item) => isObject(item) && Object.entries(fields).every(([f, v]) => JSON.stringify(item[f]) === JSON.stringify(v));
    }
    if (key.startsWith('v:')) {
      const wanted = JSON.stringify(JSON.parse(key.slice(2)));
      return (item) => JSON.stringify(item) === wanted;
    }
  } catch {
    // A key the API server would never write; it covers nothing.
  }
  return undefined;
}

/**
 * Written by the server on every write, or kplane's own bookkeeping: never a change the user
 * asked for. The applied-hash annotation moves whenever anything else does.
 */
const NOISE_METADATA = ['managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation', 'selfLink'];
const NOISE_ANNOTATIONS = ['kplane.dev/applied-hash', 'kubectl.kubernetes.io/last-applied-configuration'];

export function withoutNoise(obj: LiveObject): LiveObject {
  const { status: _status, ...rest } = obj;
  const metadata: Record<string, unknown> = { ...(obj.metadata ?? {}) };
  for (const k of NOISE_METADATA) delete metadata[k];
  if (isObject(metadata.annotations)) {
    const annotations = { ...metadata.annotations };
    for (const k of NOISE_ANNOTATIONS) delete annotations[k];
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    else delete metadata.annotations;
  }
  return { ...rest, metadata };
}

/** Masks applied to both sides before any text is made; see maskObjects. */
export interface Masking {
  /** Paths (as arrays of keys / indexes) whose values come from sensitive variables. */
  paths: (string | number)[][];
  /** The values of sensitive variables, masked wherever they occur. */
  values: readonly string[];
}

export const MASKED = MASK;

/**
 * Masks both sides alike, structurally: the values at sensitive paths (which also hides an old
 * value on the live side that no list of current secrets knows), every value of a Secret's
 * data/stringData, and any occurrence of a sensitive value. A masked value that differs between
 * the two sides says so, so the diff still shows that it would change.
 */
export function maskPair(before: unknown, after: unknown, masking: Masking, isSecret: boolean): [unknown, unknown] {
  let a = structuredClone(before);
  let b = structuredClone(after);
  const paths = [...masking.paths];
  if (isSecret) {
    for (const field of ['data', 'stringData']) {
      const keys = new Set([...Object.keys((a as any)?.[field] ?? {}), ...Object.keys((b as any)?.[field] ?? {})]);
      for (const k of keys) paths.push([field, k]);
    }
  }
  for (const path of paths) {
    const va = getPath(a, path);
    const vb = getPath(b, path);
    if (va === undefined && vb === undefined) continue;
    const changed = JSON.stringify(va) !== JSON.stringify(vb);
    if (va !== undefined) a = setPath(a, path, MASKED);
    if (vb !== undefined) b = setPath(b, path, changed && va !== undefined ? `${MASKED} (changed)` : MASKED);
  }
  return [maskValues(a, masking.values), maskValues(b, masking.values)];
}

function maskValues(value: unknown, secrets: readonly string[]): unknown {
  if (!secrets.length) return value;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactText(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactText(k, secrets), walk(x)]));
    return v;
  };
  return walk(value);
}

/** Above this many changed lines in one object, show it replaced whole rather than search for a minimal diff. */
const MAX_EDIT_LENGTH = 1000;

/** A unified diff of two texts; '' when equal. Myers' O(ND) diff (the `diff` package), bounded. */
export function unifiedDiff(before: string, after: string, labels: { before: string; after: string }, context = 3): string {
  if (before === after) return '';
  // Myers' search up to the bound costs O(bound²) before it gives up: with a bound of 4,000 it took
  // 9 s on a 6,000-line object replaced whole and 10 s on one reversed. At 1,000 the worst case
  // is well under a second, and when the lines that differ already exceed the bound, no search
  // can succeed, so none starts (test/unit/extension/liveDiff.test.ts).
  if (differingLines(before, after) > MAX_EDIT_LENGTH) return replacedWhole(before, after, labels);
  const patch = structuredPatch(labels.before, labels.after, before, after, undefined, undefined, { context, maxEditLength: MAX_EDIT_LENGTH });
  if (patch) return formatPatch(patch).replace(/^=+\n/, '');
  return replacedWhole(before, after, labels);
}

/** A lower bound of a line diff's edits, in O(n): the lines of each text the other lacks, counted with repeats. */
function differingLines(before: string, after: string): number {
  const counts = new Map<string, number>();
  for (const line of before.split('\n')) counts.set(line, (counts.get(line) ?? 0) + 1);
  let added = 0;
  for (const line of after.split('\n')) {
    const n = counts.get(line);
    if (n) counts.set(line, n - 1);
    else added += 1;
  }
  let removed = 0;
  for (const n of counts.values()) removed += n;
  return added + removed;
}

function replacedWhole(before: string, after: string, labels: { before: string; after: string }): string {
  const lines = (text: string) => (text === '' ? [] : text.replace(/\n$/, '').split('\n'));
  const a = lines(before);
  const b = lines(after);
  return [`--- ${labels.before}`, `+++ ${labels.after}`, `@@ -${a.length ? 1 : 0},${a.length} +${b.length ? 1 : 0},${b.length} @@`, ...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`), ''].join('\n');
}

const yaml = (value: unknown) => (value === undefined ? '' : stringify(value, { lineWidth: 0, aliasDuplicateObjects: false }));

export interface ObjectPair {
  ref: ObjectRef;
  /** The live object, absent when it would be created. */
  live?: LiveObject;
  /** The API server's dry-run answer to the agent's apply; absent when the object would be pruned. */
  after?: LiveObject;
  masking: Masking;
}

/** One object's change, the diff cut to the fields `manager` holds before or after. */
export function objectChange(pair: ObjectPair, manager: string, label: string): ObjectChange {
  const { ref, live, after } = pair;
  const fields = mergeFieldSets(managerFields(live, manager), managerFields(after, manager));
  const view = (obj: LiveObject | undefined) => {
    if (!obj) return undefined;
    const clean = withoutNoise(obj);
    if (!fields) return clean;
    const projected = project(clean, fields) as LiveObject;
    return { apiVersion: clean.apiVersion, kind: clean.kind, ...projected, metadata: { name: clean.metadata?.name, ...(clean.metadata?.namespace ? { namespace: clean.metadata.namespace } : {}), ...(projected.metadata ?? {}) } };
  };
  const before = view(live);
  const wanted = view(after);
  // Most objects of a big profile are unchanged: comparing the two views costs one walk, where
  // masking, YAML and the diff cost several times that (bench:diff). Masking hides values on both
  // sides alike, so views equal before it are equal after it.
  if (live && after && sameValue(before, wanted)) return { ref, action: 'unchanged', patch: '' };
  const [a, b] = maskPair(before, wanted, pair.masking, ref.kind === 'Secret' && (ref.apiVersion ?? 'v1') === 'v1');
  const action = !live ? 'create' : !after ? 'prune' : 'update';
  const name = describeObject(ref);
  const liveText = yaml(a);
  const afterText = yaml(b);
  const labels = { before: `${label}: ${name} (live${live ? '' : ', absent'})`, after: `${label}: ${name} (${after ? 'after apply' : 'pruned'})` };
  // A create or a prune is the whole object on one side: no search for a minimal diff needed.
  const patch = live && after ? unifiedDiff(liveText, afterText, labels) : replacedWhole(liveText, afterText, labels);
  return patch ? { ref, action, patch, sides: { live: liveText, after: afterText } } : { ref, action: 'unchanged', patch };
}

/** Deep equality of JSON values, key order ignored (the API server may order keys differently between a GET and an apply answer). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameValue(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k) || !sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function getPath(value: unknown, path: (string | number)[]): unknown {
  let v: any = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[p];
  }
  return v;
}

function setPath(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (!path.length) return replacement;
  if (value === null || typeof value !== 'object') return value;
  const [head, ...rest] = path;
  const copy: any = Array.isArray(value) ? [...value] : { ...value };
  if (!(head in copy)) return value;
  copy[head] = setPath(copy[head], rest, replacement);
  return copy;
}

function isObject(x: unknown): x is Record<string, any> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Where in one (unrendered) manifest a sensitive variable is substituted. */
export function sensitivePaths(manifest: unknown, names: ReadonlySet<string>): (string | number)[][] {
  if (!names.size) return [];
  const out: (string | number)[][] = [];
  const walk = (value: unknown, path: (string | number)[]) => {
    if (typeof value === 'string') {
      if (scanReferences(value).some((r) => names.has(r.name))) out.push(path);
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(manifest, []);
  return out;
}
