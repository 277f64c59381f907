/**
 * Text → tree and value in one pass, for the YAML real profiles are written in: block mappings
 * and sequences, one-line plain and quoted scalars, literal and folded block scalars, and
 * one-line flow collections. It reads the text once and builds each node and its value
 * together, where js-yaml (./fastParse.ts) builds the value and its parse events give the tree:
 * about 3× less time and garbage on the real-shaped 35k-line profile (npm run bench:lsp; README,
 * language server). Anything else — multi-line scalars and flow collections, anchors, tags,
 * complex keys, tabs as indentation, CRLF, duplicate keys, empty list items, an explicit
 * indentation indicator — and anything that is not well-formed returns undefined, and js-yaml
 * decides (then `yaml`, which reports every problem). Scalars resolve by js-yaml's own core
 * schema types, so both give the same values; unit tests check both agree on mutated profiles.
 */
import * as jsYaml from 'js-yaml';
import type { YamlNode, YamlPair } from './yamlTree.js';

/** Thrown (one instance, no stack) to hand the text over to js-yaml. */
const UNSURE = new Error('not for the direct parser');

function unsure(): never {
  throw UNSURE;
}

const SPACE = 0x20;
const NL = 0x0a;
const HASH = 0x23;
const DASH = 0x2d;
const COLON = 0x3a;
const DQUOTE = 0x22;
const SQUOTE = 0x27;

/** Core schema resolution of a plain scalar, in js-yaml's order (CORE_SCHEMA's implicit types). */
// js-yaml exports its types at run time; @types/js-yaml does not declare them.
const { types } = jsYaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float', jsYaml.Type> };
const IMPLICIT = [types.null, types.bool, types.int, types.float];

function plainValue(text: string): unknown {
  const c = text.charCodeAt(0);
  const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
  // Most scalars start with a letter that no null, boolean or number starts with.
  if (letter && !(text.length <= 5 && (c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46))) return text;
  for (const type of IMPLICIT) if (type.resolve(text)) return type.construct(text) as unknown;
  return text;
}

/** First characters a plain scalar cannot start with here (indicators), or that we leave to js-yaml. */
function badPlainStart(c: number, next: number): boolean {
  switch (c) {
    case 0x21: // !
    case 0x26: // &
    case 0x2a: // *
    case 0x7c: // |
    case 0x3e: // >
    case 0x25: // %
    case 0x40: // @
    case 0x60: // `
    case 0x2c: // ,
    case 0x5b: // [
    case 0x5d: // ]
    case 0x7b: // {
    case 0x7d: // }
    case HASH:
    case DQUOTE:
    case SQUOTE:
    case 0x3f: // ?
    case COLON:
    case 0x09:
      return true;
    case DASH:
      return next === SPACE || next === NL || Number.isNaN(next);
    default:
      return false;
  }
}

const ESCAPES: Record<string, string> = {
  '0': '\x00',
  a: '\x07',
  b: '\x08',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\x0b',
  f: '\x0c',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

function unescape(raw: string): string {
  let out = '';
  let from = 0;
  for (let i = raw.indexOf('\\'); i >= 0; i = raw.indexOf('\\', from)) {
    out += raw.slice(from, i);
    const e = raw[i + 1];
    const simple = ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      from = i + 2;
      continue;
    }
    const length = HEX_LENGTH[e];
    const hex = length ? raw.slice(i + 2, i + 2 + length) : '';
    if (!length || hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) unsure();
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) unsure();
    out += String.fromCodePoint(code);
    from = i + 2 + length;
  }
  return out + raw.slice(from);
}

const hasOwn = Object.prototype.hasOwnProperty;
/** Keys V8 orders before all others in an object (array indices): the tree keeps source order, the value would not. */
const INDEX_KEY = /^(0|[1-9][0-9]*)$/;

export function directParse(text: string, maxDepth: number): { root: YamlNode | undefined; value: unknown } | undefined {
  if (text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  const n = text.length;

  // What a parse function found besides the node it returns, read by its caller at once: an
  // object per node to carry them was a fifth of the parse's garbage (--cpu-prof, bench:lsp).
  /** The value of the node just parsed. */
  let outValue: unknown;
  /** Offset of the next content character after it (first of its line), or -1 at the end. */
  let outNext = -1;

  const lineEnd = (at: number): number => {
    const nl = text.indexOf('\n', at);
    return nl < 0 ? n : nl;
  };
  const columnOf = (at: number): number => at - (text.lastIndexOf('\n', at - 1) + 1);

  /** From a line start: the first content character of the next line that has one (blank and comment lines skipped). */
  const nextContent = (from: number): number => {
    let at = from;
    while (at < n) {
      let i = at;
      while (text.charCodeAt(i) === SPACE) i++;
      const c = text.charCodeAt(i);
      if (i >= n) return -1;
      if (c === NL) at = i + 1;
      else if (c === HASH) at = lineEnd(i) + 1;
      else if (c === 0x09) unsure();
      else return i;
    }
    return -1;
  };

  /** After a value that ends its line (at `end`, before any comment): the next content, which must not continue it. */
  const afterLine = (end: number, parentCol: number): number => {
    let i = end;
    while (text.charCodeAt(i) === SPACE) i++;
    const c = text.charCodeAt(i);
    if (i < n && c !== NL && !(c === HASH && i > end)) unsure();
    const next = i >= n ? -1 : nextContent(lineEnd(i) + 1);
    if (next >= 0 && columnOf(next) > parentCol) unsure();
    return next;
  };

  const isDash = (at: number): boolean => {
    if (text.charCodeAt(at) !== DASH) return false;
    const c = text.charCodeAt(at + 1);
    return c === SPACE || c === NL || at + 1 >= n;
  };

  /** End of a quoted scalar starting at `at` (after its closing quote); one line only. */
  const quotedEnd = (at: number): number => {
    const quote = text.charCodeAt(at);
    let i = at + 1;
    for (;;) {
      const c = text.charCodeAt(i);
      if (i >= n || c === NL) unsure();
      if (quote === DQUOTE && c === 0x5c) i += 2;
      else if (c === quote) {
        if (quote === SQUOTE && text.charCodeAt(i + 1) === SQUOTE) i += 2;
        else return i + 1;
      } else i++;
    }
  };

  const quotedValue = (at: number, end: number): string => {
    const raw = text.slice(at + 1, end - 1);
    if (text.charCodeAt(at) === SQUOTE) return raw.includes("''") ? raw.replace(/''/g, "'") : raw;
    return raw.includes('\\') ? unescape(raw) : raw;
  };

  /** The offset of the `:` that makes the line at `at` a mapping entry, or -1. */
  const keyColon = (at: number): number => {
    const c = text.charCodeAt(at);
    if (c === DQUOTE || c === SQUOTE) {
      let i = quotedEnd(at);
      while (text.charCodeAt(i) === SPACE) i++;
      if (text.charCodeAt(i) !== COLON) return -1;
      const next = text.charCodeAt(i + 1);
      return next === SPACE || next === NL || i + 1 >= n ? i : unsure();
    }
    if (c === 0x5b || c === 0x7b) return -1;
    for (let i = at; i < n; i++) {
      const ch = text.charCodeAt(i);
      if (ch === NL) return -1;
      // Tabs separate (`key:<tab>value`, `value<tab># comment`) where spaces do: left to js-yaml.
      if (ch === 0x09) unsure();
      if (ch === COLON) {
        const next = text.charCodeAt(i + 1);
        if (next === SPACE || next === NL || i + 1 >= n) return i;
      } else if (ch === HASH && text.charCodeAt(i - 1) === SPACE) return -1;
    }
    return -1;
  };

  /** A block collection ends at its last child, before any blanks (an empty value's node sits after them). */
  const endOf = (last: YamlNode, floor: number): number => {
    let end = last.end;
    while (end > floor && text.charCodeAt(end - 1) === SPACE) end--;
    return end;
  };

  const scalar = (start: number, end: number, value: unknown, plain: boolean): YamlNode => ({ type: 'scalar', start, end, value, plain });

  /** A block mapping whose first key starts at `at`, in column `col`. */
  const parseMap = (at: number, col: number, depth: number): YamlNode => {
    if (depth > maxDepth) unsure();
    const object: Record<string, unknown> = {};
    const pairs: YamlPair[] = [];
    let p = at;
    let next: number;
    let last: YamlNode;
    for (;;) {
      const colon = keyColon(p);
      if (colon < 0) unsure();
      let key: YamlNode;
      const c = text.charCodeAt(p);
      if (c === DQUOTE || c === SQUOTE) {
        const end = quotedEnd(p);
        key = scalar(p, end, quotedValue(p, end), false);
      } else {
        if (badPlainStart(c, text.charCodeAt(p + 1))) unsure();
        let end = colon;
        while (text.charCodeAt(end - 1) === SPACE) end--;
        const value = plainValue(text.slice(p, end));
        if (typeof value !== 'string') unsure();
        key = scalar(p, end, value, true);
      }
      const name = key.value as string;
      if (name === '__proto__' || INDEX_KEY.test(name) || hasOwn.call(object, name)) unsure();
      let q = colon + 1;
      while (text.charCodeAt(q) === SPACE) q++;
      const v = text.charCodeAt(q);
      let node: YamlNode;
      if (q >= n || v === NL || v === HASH) {
        const below = q >= n ? -1 : nextContent(lineEnd(q) + 1);
        const belowCol = below < 0 ? -1 : columnOf(below);
        if (below >= 0 && belowCol > col) node = parseBlock(below, belowCol, col, depth + 1);
        else if (below >= 0 && belowCol === col && isDash(below)) node = parseSeq(below, col, depth + 1);
        else {
          node = scalar(q, q, null, true);
          outValue = null;
          outNext = below;
        }
      } else {
        if (isDash(q) || keyColon(q) >= 0) unsure();
        node = parseInline(q, col, depth + 1);
      }
      pairs.push({ key, value: node });
      object[name] = outValue;
      last = node;
      next = outNext;
      if (next < 0) break;
      const nextCol = columnOf(next);
      if (nextCol < col) break;
      if (nextCol > col || isDash(next)) unsure();
      p = next;
    }
    outValue = object;
    outNext = next;
    return { type: 'map', start: at, end: endOf(last, at), flow: false, pairs };
  };

  /** A block sequence whose first `-` is at `at`, in column `col`. */
  const parseSeq = (at: number, col: number, depth: number): YamlNode => {
    if (depth > maxDepth) unsure();
    const array: unknown[] = [];
    const items: YamlNode[] = [];
    let p = at;
    let next: number;
    for (;;) {
      let q = p + 1;
      while (text.charCodeAt(q) === SPACE) q++;
      const c = text.charCodeAt(q);
      let node: YamlNode;
      if (q >= n || c === NL || c === HASH) {
        // The item is on the lines below, or empty (left to js-yaml).
        const below = q >= n ? -1 : nextContent(lineEnd(q) + 1);
        if (below < 0 || columnOf(below) <= col) unsure();
        node = parseBlock(below, columnOf(below), col, depth + 1);
      } else if (isDash(q)) node = parseSeq(q, columnOf(q), depth + 1);
      else if (keyColon(q) >= 0) node = parseMap(q, columnOf(q), depth + 1);
      else node = parseInline(q, col, depth + 1);
      items.push(node);
      array.push(outValue);
      next = outNext;
      if (next < 0) break;
      const nextCol = columnOf(next);
      if (nextCol < col) break;
      if (nextCol > col) unsure();
      // The same column without a dash: the mapping this list is the value of goes on.
      if (!isDash(next)) break;
      p = next;
    }
    outValue = array;
    outNext = next;
    return { type: 'seq', start: at, end: endOf(items[items.length - 1], at), flow: false, items };
  };

  /** A node that starts a line of its own, at `at` in column `col` (deeper than its parent's `parentCol`). */
  const parseBlock = (at: number, col: number, parentCol: number, depth: number): YamlNode => {
    if (isDash(at)) return parseSeq(at, col, depth);
    if (keyColon(at) >= 0) return parseMap(at, col, depth);
    return parseInline(at, parentCol, depth);
  };

  /** A value that starts at `at` on a line and ends there (block scalars: their header does). */
  const parseInline = (at: number, parentCol: number, depth: number): YamlNode => {
    const c = text.charCodeAt(at);
    if (c === 0x7c || c === 0x3e) return blockScalar(at, parentCol);
    if (c === DQUOTE || c === SQUOTE) {
      const end = quotedEnd(at);
      const value = quotedValue(at, end);
      outNext = afterLine(end, parentCol);
      outValue = value;
      return scalar(at, end, value, false);
    }
    if (c === 0x5b || c === 0x7b) {
      const node = parseFlow(at, depth); // sets outValue
      outNext = afterLine(node.end, parentCol);
      return node;
    }
    if (badPlainStart(c, text.charCodeAt(at + 1))) unsure();
    let end = at;
    for (; end < n; end++) {
      const ch = text.charCodeAt(end);
      if (ch === NL || (ch === HASH && text.charCodeAt(end - 1) === SPACE)) break;
      if (ch === 0x09) unsure();
    }
    while (text.charCodeAt(end - 1) === SPACE) end--;
    const value = plainValue(text.slice(at, end));
    outNext = afterLine(end, parentCol);
    outValue = value;
    return scalar(at, end, value, true);
  };

  /** A literal (|) or folded (>) block scalar whose header is at `at`; its lines are deeper than `parentCol`. */
  const blockScalar = (at: number, parentCol: number): YamlNode => {
    const folded = text.charCodeAt(at) === 0x3e;
    let i = at + 1;
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    const h = text.charCodeAt(i);
    if (h === DASH) chomp = 'strip';
    else if (h === 0x2b) chomp = 'keep';
    if (chomp !== 'clip') i++;
    const afterHeader = i;
    while (text.charCodeAt(i) === SPACE) i++;
    const hc = text.charCodeAt(i);
    if (i >= n || !(hc === NL || (hc === HASH && i > afterHeader))) unsure();
    let line = lineEnd(i) + 1;
    let indent = -1;
    const lines: string[] = [];
    /** Blank lines since the last content line. */
    let blanks = 0;
    let lastEnd = -1;
    while (line < n) {
      let s = line;
      while (text.charCodeAt(s) === SPACE) s++;
      const spaces = s - line;
      // Blanks at the very end, without a line break: js-yaml's offsets differ there.
      if (s >= n) unsure();
      if (text.charCodeAt(s) === NL) {
        // A blank line before any content, or one with more spaces than the content's indentation: js-yaml decides.
        if (indent < 0 || spaces > indent) unsure();
        blanks++;
        line = s + 1;
        continue;
      }
      if (indent < 0) {
        if (spaces <= parentCol) unsure();
        indent = spaces;
      } else if (spaces < indent) break;
      const end = lineEnd(s);
      if (end >= n) unsure();
      const content = text.slice(line + indent, end);
      if (lines.length) {
        if (!folded) lines.push('\n'.repeat(blanks + 1));
        else lines.push(blanks ? '\n'.repeat(blanks) : ' ');
      }
      if (folded && (content.charCodeAt(0) === SPACE || content.charCodeAt(0) === 0x09)) unsure();
      lines.push(content);
      blanks = 0;
      lastEnd = end;
      line = end + 1;
    }
    if (indent < 0) unsure();
    const body = lines.join('');
    const value = chomp === 'strip' ? body : chomp === 'clip' ? `${body}\n` : `${body}\n${'\n'.repeat(blanks)}`;
    let end = lastEnd;
    while (text.charCodeAt(end - 1) === SPACE) end--;
    outNext = nextContent(line);
    outValue = value;
    return scalar(at, end, value, false);
  };

  /** A flow collection on one line, `[` or `{` at `at`. */
  /** Sets outValue. */
  const parseFlow = (at: number, depth: number): YamlNode => {
    if (depth > maxDepth) unsure();
    const skip = (from: number): number => {
      let i = from;
      while (text.charCodeAt(i) === SPACE) i++;
      return i;
    };
    /** A plain scalar in flow context, ending before `,` `]` `}` or a `: `. */
    const flowPlain = (from: number): YamlNode => {
      if (badPlainStart(text.charCodeAt(from), text.charCodeAt(from + 1))) unsure();
      let i = from;
      for (; i < n; i++) {
        const ch = text.charCodeAt(i);
        if (ch === 0x2c || ch === 0x5d || ch === 0x7d) break;
        if (ch === NL || ch === 0x09 || ch === 0x5b || ch === 0x7b || (ch === HASH && text.charCodeAt(i - 1) === SPACE)) unsure();
        if (ch === COLON) {
          const next = text.charCodeAt(i + 1);
          if (next === SPACE || next === 0x2c || next === 0x5d || next === 0x7d || next === NL) break;
        }
      }
      let end = i;
      while (text.charCodeAt(end - 1) === SPACE) end--;
      if (end <= from) unsure();
      return scalar(from, end, plainValue(text.slice(from, end)), true);
    };
    /** Sets outValue. */
    const item = (from: number): YamlNode => {
      const c = text.charCodeAt(from);
      if (c === 0x5b || c === 0x7b) return parseFlow(from, depth + 1);
      if (c === DQUOTE || c === SQUOTE) {
        const end = quotedEnd(from);
        const value = quotedValue(from, end);
        outValue = value;
        return scalar(from, end, value, false);
      }
      const node = flowPlain(from);
      outValue = node.value;
      return node;
    };
    const isSeq = text.charCodeAt(at) === 0x5b;
    const close = isSeq ? 0x5d : 0x7d;
    const items: YamlNode[] = [];
    const pairs: YamlPair[] = [];
    const array: unknown[] = [];
    const object: Record<string, unknown> = {};
    let i = skip(at + 1);
    if (text.charCodeAt(i) !== close) {
      for (;;) {
        const entry = item(i);
        const entryValue = outValue;
        i = skip(entry.end);
        if (isSeq) {
          if (text.charCodeAt(i) === COLON) unsure();
          items.push(entry);
          array.push(entryValue);
        } else {
          const name = entryValue;
          if (text.charCodeAt(i) !== COLON || text.charCodeAt(i + 1) !== SPACE) unsure();
          if (typeof name !== 'string' || name === '__proto__' || INDEX_KEY.test(name) || hasOwn.call(object, name)) unsure();
          const value = item(skip(i + 1));
          pairs.push({ key: entry, value });
          object[name] = outValue;
          i = skip(value.end);
        }
        const c = text.charCodeAt(i);
        if (c === close) break;
        if (c !== 0x2c) unsure();
        i = skip(i + 1);
        if (text.charCodeAt(i) === close) unsure();
      }
    }
    outValue = isSeq ? array : object;
    return isSeq ? { type: 'seq', start: at, end: i + 1, flow: true, items } : { type: 'map', start: at, end: i + 1, flow: true, pairs };
  };

  try {
    let start = nextContent(0);
    if (start < 0) return undefined;
    // A document start marker (the file's documents are split at them: ./yamlParse.ts), alone on its line.
    if (columnOf(start) === 0 && text.startsWith('---', start) && (start + 3 >= n || text.charCodeAt(start + 3) === SPACE || text.charCodeAt(start + 3) === NL)) {
      let i = start + 3;
      while (text.charCodeAt(i) === SPACE) i++;
      if (i < n && text.charCodeAt(i) !== NL && !(text.charCodeAt(i) === HASH && i > start + 3)) return undefined;
      start = i >= n ? -1 : nextContent(lineEnd(i) + 1);
      if (start < 0) return undefined;
    }
    // A document that is one scalar is left to js-yaml (no profile is one).
    if (!isDash(start) && keyColon(start) < 0) return undefined;
    const root = parseBlock(start, columnOf(start), -1, 0);
    if (outNext >= 0) return undefined;
    return { root, value: outValue };
  } catch (err) {
    if (err === UNSURE) return undefined;
    // A deep recursion past the stack is js-yaml's (and `yaml`'s) to report.
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}
