/**
 * `*List` kinds (`v1 List`, `ConfigMapList`, `RoleBindingList`, …) stand for their items, as
 * kubectl treats them: each item is an object of its own. Typed lists read from an API server
 * leave apiVersion and kind off their items; those come from the list, as client-go's
 * unstructured decoder fills them in. Also decides, per object, whether `${…}` is substituted.
 */
import { SUBSTITUTE_ANNOTATION, SUBSTITUTE_DISABLED } from './types.js';

type Obj = Record<string, unknown>;

const isRecord = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Lists nested deeper than this are left as they are (and then fail validation as objects without a name). */
const MAX_LIST_DEPTH = 8;

export interface ExpandedManifest {
  /** The object, apiVersion and kind filled in from its list when it had none. */
  manifest: Obj;
  /** Path from the layer's `manifests`: `[3]`, or `[3, 'items', 0]` for an item of a list. */
  path: (string | number)[];
  /** False when the object, or a list holding it, says `kplane.dev/substitute: disabled`. */
  substitute: boolean;
}

/** A `*List` kind with an `items` array. */
export function isListManifest(value: unknown): value is Obj & { kind: string; items: unknown[] } {
  return isRecord(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}

/** The value of the `kplane.dev/substitute` annotation, if the object has one. */
export function substituteAnnotation(manifest: unknown): unknown {
  if (!isRecord(manifest) || !isRecord(manifest.metadata) || !isRecord(manifest.metadata.annotations)) return undefined;
  return manifest.metadata.annotations[SUBSTITUTE_ANNOTATION];
}

/** Whether the object itself opts out of substitution. */
export function substitutionDisabled(manifest: unknown): boolean {
  return substituteAnnotation(manifest) === SUBSTITUTE_DISABLED;
}

/**
 * The objects of a layer's `manifests`, lists replaced by their items (depth first, in order).
 * Entries that are not mappings are skipped: the schema check reports them.
 */
export function expandManifests(manifests: readonly unknown[], substitute = true): ExpandedManifest[] {
  const out: ExpandedManifest[] = [];
  const visit = (value: unknown, path: (string | number)[], enabled: boolean, depth: number, list?: Obj & { kind: string }) => {
    if (!isRecord(value)) return;
    let manifest = value;
    if (list && (manifest.apiVersion === undefined || manifest.kind === undefined)) {
      const kind = list.kind === 'List' ? undefined : list.kind.slice(0, -'List'.length);
      manifest = { apiVersion: manifest.apiVersion ?? list.apiVersion, kind: manifest.kind ?? kind, ...manifest };
      if (manifest.kind === undefined) delete manifest.kind;
      if (manifest.apiVersion === undefined) delete manifest.apiVersion;
    }
    const own = enabled && !substitutionDisabled(manifest);
    if (isListManifest(manifest) && depth < MAX_LIST_DEPTH) {
      const parent = manifest;
      parent.items.forEach((item, k) => visit(item, [...path, 'items', k], own, depth + 1, parent));
      return;
    }
    out.push({ manifest, path, substitute: own });
  };
  manifests.forEach((manifest, index) => visit(manifest, [index], substitute, 0));
  return out;
}

/**
 * The object a path from a layer's `manifests` lies in, lists expanded as expandManifests does
 * (so an item gets its list's apiVersion and kind as validation sees it), and the rest of the
 * path inside it: `[3, 'items', 0, 'spec']` → item 0 of list 3 and `['spec']`. A path on a list's
 * own fields (its `items`, its kind) lies in the list. For hover and completion.
 */
export function expandedManifestAt(manifests: readonly unknown[], path: readonly (string | number)[]): { manifest: Obj; rest: (string | number)[] } | undefined {
  const [index] = path;
  if (typeof index !== 'number' || !isRecord(manifests[index])) return undefined;
  for (const { manifest, path: relative } of expandManifests([manifests[index]])) {
    // relative is [0, 'items', k, …] for the one entry given.
    if (relative.length <= path.length && relative.every((step, i) => i === 0 || step === path[i])) return { manifest, rest: path.slice(relative.length) };
  }
  return { manifest: manifests[index], rest: path.slice(1) };
}
