/**
 * A small, parser-independent tree of a YAML document: every node with its UTF-16 offsets in
 * the file (the unit LSP positions count in). The features (paths → ranges, completion, hover,
 * symbols, definitions, quick fixes) walk this tree, never a parser's own AST, so the parser
 * behind it can change without touching them.
 */
export interface YamlNode {
  type: 'map' | 'seq' | 'scalar';
  /** Offset of the first character of the node in the file. */
  start: number;
  /** Offset just after the node's value (trailing comments excluded). */
  end: number;
  /** Scalars: the resolved value (string, number, boolean, null). */
  value?: unknown;
  /** Scalars: written without quotes or block indicators, so the source text is the value. */
  plain?: boolean;
  /** Scalars: an alias (*name), not a value of its own. */
  alias?: boolean;
  /** Maps: key/value pairs in source order; a missing value (`key:`) is undefined. */
  pairs?: YamlPair[];
  /** Sequences: items in source order. */
  items?: YamlNode[];
  /** Collections written in flow style ({…} or […]). */
  flow?: boolean;
}

export interface YamlPair {
  key: YamlNode;
  value: YamlNode | undefined;
}

export type Segment = string | number;

/** The pair of `map` whose key is `name`, if any. */
export function pairOf(map: YamlNode | undefined, name: string): YamlPair | undefined {
  if (!map?.pairs) return undefined;
  for (const pair of map.pairs) if (pair.key.type === 'scalar' && String(pair.key.value) === name) return pair;
  return undefined;
}

export function child(node: YamlNode | undefined, segment: Segment): YamlNode | undefined {
  if (!node) return undefined;
  if (node.type === 'seq' && typeof segment === 'number') return node.items?.[segment];
  if (node.type === 'map') return pairOf(node, String(segment))?.value;
  return undefined;
}

export interface Located {
  /** The deepest node the path reaches (the whole path, unless `depth` says otherwise). */
  node: YamlNode;
  /** The pair whose value is `node`, when `node` is a map value. */
  pair?: YamlPair;
  /** How many segments of the path were found. */
  depth: number;
}

/** Follows a JSON path as far as the tree goes. */
export function locate(root: YamlNode, path: readonly Segment[]): Located {
  let node = root;
  let pair: YamlPair | undefined;
  let depth = 0;
  for (const segment of path) {
    if (node.type === 'seq' && typeof segment === 'number' && node.items?.[segment]) {
      node = node.items[segment];
      pair = undefined;
    } else if (node.type === 'map') {
      const next = pairOf(node, String(segment));
      if (!next) break;
      pair = next;
      // A key with no value: the path ends on the key itself.
      if (!next.value) {
        depth++;
        node = next.key;
        break;
      }
      node = next.value;
    } else break;
    depth++;
  }
  return { node, pair, depth };
}

/** The path of the deepest node containing `offset`, with that node and whether the offset is on a key. */
export function pathAt(root: YamlNode, offset: number): { path: Segment[]; node: YamlNode; onKey: boolean; pair?: YamlPair } {
  const path: Segment[] = [];
  let node = root;
  let pair: YamlPair | undefined;
  for (;;) {
    if (node.type === 'map' && node.pairs) {
      const found = node.pairs.find((p) => p.key.start <= offset && offset <= (p.value ? p.value.end : p.key.end));
      if (!found) return { path, node, onKey: false, pair };
      path.push(String(found.key.value));
      if (offset <= found.key.end || !found.value) return { path, node: found.key, onKey: true, pair: found };
      pair = found;
      node = found.value;
    } else if (node.type === 'seq' && node.items) {
      const index = node.items.findIndex((item) => item.start <= offset && offset <= item.end);
      if (index < 0) return { path, node, onKey: false, pair };
      path.push(index);
      pair = undefined;
      node = node.items[index];
    } else return { path, node, onKey: false, pair };
  }
}
