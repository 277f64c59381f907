/**
 * Re-parsing only what an edit touched, for large single-document profiles. Typing happens
 * inside one list item (a manifest, a container, a variable); YAML block structure is decided
 * by indentation, so when the edited text stays inside the lines of one block-list item whose
 * indentation frames it on both sides, that item parses the same on its own as in the file.
 * The item is parsed alone, spliced into the previous tree and value, and every later offset
 * moves by the edit's length. Anything else, or any doubt, returns undefined: the caller then
 * parses the whole text. A property test checks the splice against full parses.
 */
import { fastParse } from './fastParse.js';
import { BINARY, LIMITS, countNodes, type ParsedFile } from './yamlParse.js';
import { pairOf, type YamlNode } from './yamlTree.js';

/** Below this size (about 6,000 lines) a full parse is fast enough. */
export const INCREMENTAL_MIN_CHARS = 256 * 1024 + 1;

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl;
}

/** Indentation of the line starting at `start`, or -1 for a blank line. */
function indentAt(text: string, start: number): number {
  let i = start;
  while (text[i] === ' ') i++;
  return i >= text.length || text[i] === '\n' || text[i] === '\r' ? -1 : i - start;
}

interface Target {
  item: YamlNode;
  seq: YamlNode;
  index: number;
  /** Block collections from the root down to `seq`, and the value path to the item. */
  ancestors: YamlNode[];
  path: (string | number)[];
}

/** The deepest item of a block list whose lines contain [from, to]. */
function findTarget(root: YamlNode, text: string, from: number, to: number): Target | undefined {
  let best: Target | undefined;
  const ancestors: YamlNode[] = [];
  const path: (string | number)[] = [];
  let node: YamlNode | undefined = root;
  while (node) {
    ancestors.push(node);
    let next: YamlNode | undefined;
    if (node.type === 'map' && !node.flow) {
      for (const pair of node.pairs ?? []) {
        if (pair.value && pair.value.start <= from && to <= lineEnd(text, pair.value.end) && pair.key.end < from) {
          path.push(String(pair.key.value));
          next = pair.value;
          break;
        }
      }
    } else if (node.type === 'seq' && !node.flow) {
      const items = node.items ?? [];
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (item.type !== 'map' || item.flow) continue;
        const dash = text.lastIndexOf('-', item.start - 1);
        if (dash < lineStart(text, item.start) || dash >= from || to > lineEnd(text, item.end)) continue;
        path.push(i);
        best = { item, seq: node, index: i, ancestors: [...ancestors], path: [...path] };
        next = item;
        break;
      }
    }
    node = next;
  }
  return best;
}

export interface ReparseOptions {
  maxDepth?: number;
  /** Tests only: a lower size threshold than INCREMENTAL_MIN_CHARS. */
  minChars?: number;
}

export function reparse(prevText: string, prev: ParsedFile, text: string, options: ReparseOptions = {}): ParsedFile | undefined {
  try {
    return splice(prevText, prev, text, options.maxDepth ?? LIMITS.maxDepth, options.minChars ?? INCREMENTAL_MIN_CHARS);
  } catch {
    return undefined;
  }
}

function splice(prevText: string, prev: ParsedFile, text: string, maxDepth: number, minChars: number): ParsedFile | undefined {
  if (prevText.length < minChars || text.length > LIMITS.maxFileChars || prev.problems.length || prev.documents.length !== 1) return undefined;
  const doc = prev.documents[0];
  if (!doc.root || !doc.checkable || doc.problems.length || doc.start !== 0) return undefined;

  // The changed span: [from, oldTo) in the old text became [from, newTo) in the new one.
  const shorter = Math.min(prevText.length, text.length);
  const from = commonPrefix(prevText, text, shorter);
  const tail = commonSuffix(prevText, text, shorter - from);
  const oldTo = prevText.length - tail;
  const newTo = text.length - tail;
  const delta = text.length - prevText.length;
  if (from === prevText.length && from === text.length) return undefined;

  const target = findTarget(doc.root, prevText, from, oldTo);
  if (!target) return undefined;
  const dash = prevText.lastIndexOf('-', target.item.start - 1);
  const regionStart = lineStart(prevText, dash);
  const dashCol = dash - regionStart;
  if (prevText.slice(regionStart, dash).trim() !== '') return undefined;

  // The item ends where a later line is indented no deeper than its dash (or at the end of the text).
  const oldRegionEnd = lineEnd(prevText, Math.max(target.item.end, oldTo));
  if (oldRegionEnd < oldTo) return undefined;
  const newRegionEnd = oldRegionEnd + delta;
  if (newRegionEnd < newTo || newRegionEnd > text.length) return undefined;
  // Every line after the dash line, up to the region's end, must be blank or deeper than the dash.
  for (let at = lineEnd(text, regionStart) + 1; at < newRegionEnd; at = lineEnd(text, at) + 1) {
    const indent = indentAt(text, at);
    if (indent !== -1 && indent <= dashCol) return undefined;
  }
  // And the first line with content after the region must still close it.
  for (let at = newRegionEnd + 1; at < text.length; at = lineEnd(text, at) + 1) {
    const indent = indentAt(text, at);
    if (indent === -1) continue;
    if (indent > dashCol && text[at + indent] !== '#') return undefined;
    if (indent > dashCol) continue;
    break;
  }
  const region = text.slice(regionStart, newRegionEnd);
  if (BINARY.test(region) || /\t/.test(region)) return undefined;

  // The document's node estimate moves by the edit; past the file's limit, the full parse reports it.
  const nodes = doc.nodes - countNodes(prevText.slice(regionStart, oldRegionEnd)) + countNodes(region);
  if (nodes > LIMITS.maxNodes) return undefined;
  const parsed = fastParse(region, Math.max(1, maxDepth - target.ancestors.length));
  const list = parsed?.root;
  if (!list || list.type !== 'seq' || list.flow || list.items?.length !== 1) return undefined;
  const newItem = list.items[0];
  if (newItem.type !== 'map' || newItem.flow) return undefined;
  const newValue = (parsed.value as unknown[])[0];

  // Tree: shift everything after the old region, put the new item in, re-end the ancestors.
  // A node ends after its children, so a subtree that ends before the region is left unvisited;
  // an edit that keeps the length (a replaced character) moves nothing at all.
  if (delta !== 0) shiftAfter(doc.root, oldRegionEnd, delta, target.item);
  shiftTree(newItem, regionStart);
  (target.seq.items as YamlNode[])[target.index] = newItem;
  for (let i = target.ancestors.length - 1; i >= 0; i--) {
    const node = target.ancestors[i];
    if (node.flow) continue;
    const last = node.type === 'map' ? node.pairs?.[node.pairs.length - 1] : undefined;
    const lastNode = node.type === 'map' ? (last ? (last.value ?? last.key) : undefined) : node.items?.[node.items.length - 1];
    if (lastNode) node.end = lastNode.end;
  }

  // Value: copy the ancestors (the old value may be a cache key elsewhere), replace the item.
  const value = copyPath(doc.value, target.path, newValue);
  const kind = pairOf(doc.root, 'kind')?.value;
  return {
    text,
    problems: [],
    documents: [
      {
        start: 0,
        end: text.length,
        root: doc.root,
        value,
        problems: [],
        checkable: true,
        nodes,
        ...(kind?.type === 'scalar' && typeof kind.value === 'string' ? { kind: kind.value } : {}),
      },
    ],
  };
}

/**
 * Length of the common start of `a` and `b`, at most `max`. A binary search over slices: string
 * equality is compared natively, where a loop over characters cost a 10k-line profile most of an
 * edit's time (--cpu-prof).
 */
function commonPrefix(a: string, b: string, max: number): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (a.slice(lo, mid) === b.slice(lo, mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Length of the common end of `a` and `b`, at most `max`. */
function commonSuffix(a: string, b: string, max: number): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = lo + Math.ceil((hi - lo) / 2);
    if (a.slice(a.length - mid, a.length - lo) === b.slice(b.length - mid, b.length - lo)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Moves by `delta` every offset at or after `boundary`, except inside `skip`. */
function shiftAfter(root: YamlNode, boundary: number, delta: number, skip: YamlNode): void {
  const stack: YamlNode[] = [root];
  while (stack.length) {
    const node = stack.pop() as YamlNode;
    if (node === skip || node.end < boundary) continue;
    if (node.start >= boundary) {
      shiftTree(node, delta);
      continue;
    }
    node.end += delta;
    const pairs = node.pairs;
    if (pairs) {
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i];
        stack.push(pair.key);
        if (pair.value) stack.push(pair.value);
      }
    }
    const items = node.items;
    if (items) for (let i = 0; i < items.length; i++) stack.push(items[i]);
  }
}

function shiftTree(node: YamlNode, by: number): void {
  const stack = [node];
  while (stack.length) {
    const n = stack.pop() as YamlNode;
    n.start += by;
    n.end += by;
    const pairs = n.pairs;
    if (pairs) {
      for (let i = 0; i < pairs.length; i++) {
        const pair = pairs[i];
        stack.push(pair.key);
        if (pair.value) stack.push(pair.value);
      }
    }
    const items = n.items;
    if (items) for (let i = 0; i < items.length; i++) stack.push(items[i]);
  }
}

function copyPath(root: unknown, path: (string | number)[], leaf: unknown): unknown {
  if (path.length === 0) return leaf;
  const [head, ...rest] = path;
  if (Array.isArray(root) && typeof head === 'number') {
    const copy = root.slice();
    copy[head] = copyPath(root[head], rest, leaf);
    return copy;
  }
  if (typeof root === 'object' && root !== null && typeof head === 'string') {
    return { ...(root as Record<string, unknown>), [head]: copyPath((root as Record<string, unknown>)[head], rest, leaf) };
  }
  throw new Error('value and tree disagree');
}
