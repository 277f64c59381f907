/**
 * The fast path for the common case, a well-formed document: with it, a 50k-line profile opens
 * about 5× faster, at half the peak memory, than with `yaml` alone (npm run bench:lsp against
 * a build without it; README, language server), and js-yaml's parse events give every node's
 * offsets. It is only a fast path: anything js-yaml rejects, any anchor or alias,
 * and any event sequence that does not add up to the value it built return undefined, and
 * ./yamlParse.ts parses with `yaml`, which reports every problem with its code and position.
 */
import { CORE_SCHEMA, YAMLException, load, type State } from 'js-yaml';
import type { YamlNode } from './yamlTree.js';
import { directParse } from './directParse.js';

interface Frame {
  open: number;
  /** Created on the first child: most frames are scalars, which have none. */
  children: YamlNode[] | undefined;
}

const NO_CHILDREN: YamlNode[] = [];

/** Anchors make aliases, which js-yaml expands without limit; `yaml` guards against alias bombs. */
const ANCHOR = /(^|[\s[{,:-])&[^\s]/;

/** Offset of the first character at or after `from` that is not blank, a line break or a comment. */
function skipForward(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else if (c === 0x23 /* # */) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else break;
  }
  return i;
}

function trimBack(text: string, end: number, floor: number): number {
  let i = end;
  while (i > floor) {
    const c = text.charCodeAt(i - 1);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i--;
    else break;
  }
  return i;
}

class Inconsistent extends Error {}

/** Why the fast path gave up, when js-yaml said: its message and the offset it points at. */
export interface FastParseFailure {
  /** The text has an anchor (&name): left to `yaml`, which bounds alias expansion. */
  anchors?: boolean;
  reason?: string;
  position?: number;
}

/**
 * Tree and value of one document, or undefined when the slow path must decide; `failure` gets
 * js-yaml's error, if that was why.
 */
export function fastParse(text: string, maxDepth: number, failure?: FastParseFailure): { root: YamlNode | undefined; value: unknown } | undefined {
  return directParse(text, maxDepth) ?? jsYamlParse(text, maxDepth, failure);
}

/** fastParse with js-yaml alone (tests compare ./directParse.ts with it). */
export function jsYamlParse(text: string, maxDepth: number, failure?: FastParseFailure): { root: YamlNode | undefined; value: unknown } | undefined {
  if (ANCHOR.test(text)) {
    if (failure) failure.anchors = true;
    return undefined;
  }
  const stack: Frame[] = [{ open: 0, children: undefined }];
  const listener = (event: string, state: State): void => {
    if (event === 'open') {
      stack.push({ open: state.position, children: undefined });
      return;
    }
    const frame = stack.pop();
    if (!frame || stack.length === 0) throw new Inconsistent('unbalanced events');
    const parent = stack[stack.length - 1];
    const node = build(text, frame, state.kind, state.result, state.position);
    if (parent.children) parent.children.push(node);
    else parent.children = [node];
  };
  let value: unknown;
  try {
    // Two composeNode calls per level of nesting (a value, and the key js-yaml tries first).
    value = load(text, { schema: CORE_SCHEMA, listener, maxDepth: maxDepth * 2 + 4, json: false } as Parameters<typeof load>[1]);
  } catch (err) {
    if (failure && err instanceof YAMLException) {
      failure.reason = err.reason;
      failure.position = err.mark?.position;
    }
    return undefined;
  }
  const roots = stack[0].children ?? NO_CHILDREN;
  if (stack.length !== 1 || roots.length > 1) return undefined;
  if (value === undefined || value === null) return roots.length && roots[0].type === 'scalar' && roots[0].value === null ? { root: undefined, value: undefined } : undefined;
  return roots.length === 1 && consistent(roots[0], value) ? { root: roots[0], value } : undefined;
}

function build(text: string, frame: Frame, kind: string | null, result: unknown, position: number): YamlNode {
  const children = frame.children ?? NO_CHILDREN;
  if (kind === 'mapping' || kind === 'sequence') {
    const start = skipForward(text, frame.open);
    // A flow collection as a block sequence item (`- { name: web }`, `- [a, b]`): js-yaml wraps
    // it in a frame of the same kind at the same place, as it wraps plain scalars. Without this,
    // such files (most real manifests) fell back to the slow path.
    const only = children.length === 1 ? children[0] : undefined;
    if (only && only.flow && only.start === start && only.type === (kind === 'mapping' ? 'map' : 'seq')) return only;
    const flow = text[start] === (kind === 'mapping' ? '{' : '[');
    const first = children[0];
    const last = children[children.length - 1];
    const node: YamlNode = {
      type: kind === 'mapping' ? 'map' : 'seq',
      start: flow ? start : Math.min(start, first?.start ?? start),
      end: flow ? trimBack(text, position, start) : trimBack(text, last?.end ?? start, start),
      flow,
    };
    if (kind === 'mapping') {
      if (children.length % 2) throw new Inconsistent('odd mapping');
      node.pairs = [];
      for (let i = 0; i < children.length; i += 2) {
        node.pairs.push({ key: children[i], value: children[i + 1] });
      }
    } else node.items = children === NO_CHILDREN ? [] : children;
    return node;
  }
  // A scalar. js-yaml reads a plain value first as a would-be key: that inner node has the exact
  // offsets. A block scalar as a sequence item (`- |`) leaves an empty would-be key instead: drop it.
  const attempt = children.length === 1 ? children[0] : undefined;
  const failedKey = attempt !== undefined && attempt.type === 'scalar' && attempt.value === null && attempt.start === attempt.end && result !== null;
  if (attempt && attempt.type === 'scalar' && !failedKey) return attempt;
  if (children.length && !failedKey) throw new Inconsistent('scalar with children');
  if (result === null && kind !== 'scalar') {
    // An empty value sits where `yaml` puts it: after the blanks that follow the colon.
    let at = frame.open;
    while (text[at] === ' ' || text[at] === '\t') at++;
    return { type: 'scalar', start: at, end: at, value: null, plain: true };
  }
  const start = skipForward(text, frame.open);
  const end = Math.max(start, trimBack(text, position, start));
  const first = text[start];
  return { type: 'scalar', start, end, value: result, plain: first !== '"' && first !== "'" && first !== '|' && first !== '>' && first !== '!' };
}

/** The tree says what the value says: same keys in the same order, same lengths, same scalars. */
function consistent(node: YamlNode, value: unknown): boolean {
  const nodes: YamlNode[] = [node];
  const values: unknown[] = [value];
  while (nodes.length) {
    const n = nodes.pop() as YamlNode;
    const v = values.pop();
    if (n.type === 'map') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
      const keys = Object.keys(v);
      const pairs = n.pairs ?? [];
      if (keys.length !== pairs.length) return false;
      for (let i = 0; i < pairs.length; i++) {
        const key = pairs[i].key;
        if (key.type !== 'scalar' || (key.value !== keys[i] && String(key.value) !== keys[i])) return false;
        const child = (v as Record<string, unknown>)[keys[i]];
        const valueNode = pairs[i].value;
        if (valueNode) {
          nodes.push(valueNode);
          values.push(child);
        } else if (child !== null) return false;
      }
    } else if (n.type === 'seq') {
      const items = n.items ?? [];
      if (!Array.isArray(v) || v.length !== items.length) return false;
      for (let i = 0; i < items.length; i++) {
        nodes.push(items[i]);
        values.push(v[i]);
      }
    } else if (n.value !== v && !(Number.isNaN(n.value) && Number.isNaN(v))) return false;
  }
  return true;
}
