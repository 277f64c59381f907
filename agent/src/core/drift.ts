/**
 * Drift: a field the agent manages (one the rendered manifest sets) whose live value differs.
 * Fields the manifest does not set belong to others (defaults, controllers, people) and are
 * never compared, so the agent does not fight over them. List items match if the desired item
 * is contained in some live item, so entries others add to a list are not drift either.
 */
const IGNORED_TOP = new Set(['apiVersion', 'kind', 'status']);
const COMPARED_METADATA = ['labels', 'annotations'];

/** Paths (dotted, `[i]` for list items) of managed fields whose live value differs. */
export function managedDiff(desired: Record<string, unknown>, live: Record<string, unknown>, ignore: ReadonlySet<string> = new Set()): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(desired)) {
    if (IGNORED_TOP.has(key)) continue;
    if (key === 'metadata') {
      const dm = (value ?? {}) as Record<string, unknown>;
      const lm = ((live.metadata ?? {}) as Record<string, unknown>) ?? {};
      for (const field of COMPARED_METADATA) {
        if (dm[field] !== undefined) compare(dm[field], lm[field], `metadata.${field}`, paths, ignore);
      }
      continue;
    }
    compare(value, live[key], key, paths, ignore);
  }
  return paths;
}

function compare(desired: unknown, live: unknown, path: string, out: string[], ignore: ReadonlySet<string>): void {
  if (ignore.has(path)) return;
  if (desired === null || desired === undefined) return;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) {
      out.push(path);
      return;
    }
    desired.forEach((item, i) => {
      const itemPath = `${path}[${i}]`;
      if (ignore.has(itemPath)) return;
      // Same position first (the common case), then anywhere (others may have inserted items).
      const same = live[i] !== undefined && contains(item, live[i], itemPath, ignore);
      if (!same && !live.some((candidate) => contains(item, candidate, itemPath, ignore))) {
        const inner: string[] = [];
        if (live[i] !== undefined && isObject(item) && isObject(live[i])) compare(item, live[i], itemPath, inner, ignore);
        out.push(...(inner.length ? inner : [itemPath]));
      }
    });
    return;
  }
  if (isObject(desired)) {
    if (!isObject(live)) {
      out.push(path);
      return;
    }
    for (const [key, value] of Object.entries(desired)) compare(value, live[key], `${path}.${key}`, out, ignore);
    return;
  }
  if (!scalarEqual(desired, live)) out.push(path);
}

function contains(desired: unknown, live: unknown, path: string, ignore: ReadonlySet<string>): boolean {
  const out: string[] = [];
  compare(desired, live, path, out, ignore);
  return out.length === 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Scalars as the API server may normalise them: 1 and "1" are the same port or quantity. */
function scalarEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if ((typeof a === 'number' || typeof a === 'string') && (typeof b === 'number' || typeof b === 'string')) return String(a) === String(b);
  return false;
}
