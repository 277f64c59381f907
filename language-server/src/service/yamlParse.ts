/**
 * Text → documents: every document of a (multi-document) YAML file, each with its tree, its
 * plain value and its YAML problems. Never throws: parse errors, alias bombs, deep nesting,
 * binary content and oversized files all come back as problems with offsets.
 *
 * Documents are parsed one by one, and given the previous parse of the same file, an edit
 * re-parses only the document it touched (`---` at the start of a line always starts a new
 * document in YAML); the others, and their values, are taken over, so their findings are not
 * computed again either (./validation.ts keys them by value).
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type ErrorCode, type Node as AstNode, Scalar } from 'yaml';
import { PROFILE_KIND, PROFILE_SIZE_LIMIT_BYTES, type FindingCode } from '@kplane/profile';
import { pairOf, type YamlNode, type YamlPair } from './yamlTree.js';
import { fastParse, type FastParseFailure } from './fastParse.js';

export interface Problem {
  code: FindingCode;
  severity: 'error' | 'warning' | 'information' | 'hint';
  message: string;
  start: number;
  end: number;
}

export interface ParsedDocument {
  /** Offsets of the document in the file. */
  start: number;
  end: number;
  root: YamlNode | undefined;
  /** The document as plain data (what the agent would read from the API server). */
  value: unknown;
  problems: Problem[];
  /** `kind` of the document, when it is a mapping with a string kind. */
  kind?: string;
  /** The value is complete enough to check as a profile (no alias bomb, not too deep). */
  checkable: boolean;
  /** YAML nodes in the document's text, estimated (countNodes): what it counts against LIMITS.maxNodes. */
  nodes: number;
}

export interface ParsedFile {
  text: string;
  documents: ParsedDocument[];
  /** Problems of the file as a whole (too large, binary). */
  problems: Problem[];
}

export const LIMITS = {
  /** Larger files get one diagnostic instead of a parse: parsing 20 MB of YAML takes seconds. */
  maxFileChars: 4 * 1024 * 1024,
  /** Deeper nesting is reported, not walked: no profile nests this deep, and recursion must stay bounded. */
  maxDepth: 200,
  /** Alias expansions allowed when building the value: stops "billion laughs". */
  maxAliasCount: 1000,
  /**
   * More documents in one file get one diagnostic instead of a parse: each costs tens of
   * microseconds and its own tree (440,000 one-line documents took 21 s and 900 MB). Real
   * multi-document files (a chart's rendered manifests, a CRD bundle) hold hundreds.
   */
  maxDocuments: 10_000,
  /**
   * YAML nodes (keys, values, list items) per file, estimated from the text before parsing
   * (countNodes); the documents from the one that passes it on are not parsed. A 4 M-character
   * flow list holds 2 M nodes (4 s and 340 MB on the fast path); a real 3.3 MB profile about
   * 150,000 by this estimate.
   */
  maxNodes: 500_000,
  /**
   * Nodes of one document the full parser (`yaml`, for documents with anchors or YAML errors)
   * reads; it takes about ten times as long per node as the fast path (100,000 nodes: 4-7 s on
   * the loaded 2-core test machine; a 2 M-node list with one anchor took 94 s and 2.1 GB).
   */
  maxSlowNodes: 100_000,
} as const;

/**
 * An estimate of the YAML nodes in `text`, in one pass over it, before any parse: one per line,
 * per `,` `[` `{`, and per `:` that ends a key. Lines of block scalars and commas inside strings
 * count too, so it errs high, never far low: every node takes a line or one of those characters.
 */
export function countNodes(text: string): number {
  // A native search per character: a loop over every character cost 10 ms of opening a 35k-line profile.
  let nodes = 1;
  for (const c of ['\n', ',', '[', '{']) for (let i = text.indexOf(c); i >= 0; i = text.indexOf(c, i + 1)) nodes++;
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    const next = text.charCodeAt(i + 1);
    if (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09 || Number.isNaN(next)) nodes++;
  }
  return nodes;
}

const YAML_MESSAGES: Partial<Record<ErrorCode, string>> = {
  DUPLICATE_KEY: 'This key appears twice in the same mapping: remove or rename one of them.',
  TAB_AS_INDENT: 'Tabs cannot indent YAML: indent with spaces.',
  BAD_INDENT: 'Bad indentation: align this line with its siblings, using spaces.',
  MISSING_CHAR: 'A closing character is missing',
  MULTILINE_IMPLICIT_KEY: 'A key must fit on one line: check the indentation and the `:` of the line above.',
  BLOCK_AS_IMPLICIT_KEY: 'A nested block cannot be a key: check the indentation.',
  UNEXPECTED_TOKEN: 'Unexpected text',
};

/**
 * A non-text character (NUL, other C0 controls but tab/CR/LF, or U+FFFD from undecodable bytes).
 * Also used by ./incrementalParse.ts on the text it re-parses.
 */
export const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffd]/;

/**
 * `previous`: the last parse of the same document (the language service keeps one per open
 * document). Its documents whose text is unchanged are taken over instead of parsed again, so an
 * edit to one document of a multi-document file parses only that one; the previous parse must
 * not be used afterwards (its trees are moved in place to their new offsets).
 */
export function parseYamlFile(text: string, previous?: ParsedFile): ParsedFile {
  const file: ParsedFile = { text, documents: [], problems: [] };
  if (text.length > LIMITS.maxFileChars) {
    file.problems.push({
      code: 'FILE_TOO_LARGE',
      severity: 'error',
      // Far above what one profile may be, so the size finding (PROFILE_TOO_LARGE) is what most meet first.
      message: `This file has ${(text.length / 1024 / 1024).toFixed(1)} M characters; kplane checks files up to ${LIMITS.maxFileChars / 1024 / 1024} M, so this file is not checked. One ClusterProfile may store at most ${(PROFILE_SIZE_LIMIT_BYTES / 1024 / 1024).toFixed(2)} MiB (kplane writes the layers of a big profile compressed, so that is not its size in the file). Split it into several profiles that depend on each other (spec.dependsOn; \`kplane split\` writes them), one per file, or use a helm layer.`,
      start: 0,
      end: Math.min(text.length, text.indexOf('\n') < 0 ? text.length : text.indexOf('\n')),
    });
    return file;
  }
  const binary = BINARY.exec(text);
  if (binary) {
    file.problems.push({
      code: 'BINARY_CONTENT',
      severity: 'error',
      message: `This file contains a non-text character (U+${binary[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}) : is it binary or not UTF-8? Save it as UTF-8 text.`,
      start: binary.index,
      end: binary.index + 1,
    });
    return file;
  }
  const chunks = documentChunks(text);
  if (chunks.length > LIMITS.maxDocuments) {
    file.problems.push({
      code: 'TOO_MANY_DOCUMENTS',
      severity: 'error',
      message: `This file has ${chunks.length.toLocaleString('en-US')} YAML documents; kplane checks files of up to ${LIMITS.maxDocuments.toLocaleString('en-US')} documents, so it checked none of them. Split it into several files.`,
      start: 0,
      end: lineEnd(text, 0),
    });
    return file;
  }
  // By length first: hashing a 1 MB document's text as a map key would cost more than it saves.
  const reusable = new Map<number, ParsedDocument[]>();
  for (const doc of previous?.documents ?? []) reusable.set(doc.end - doc.start, [...(reusable.get(doc.end - doc.start) ?? []), doc]);
  let nodes = 0;
  for (const [start, end] of chunks) {
    const chunk = text.slice(start, end);
    const candidates = reusable.get(chunk.length) ?? [];
    const index = candidates.findIndex((doc) => previous!.text.slice(doc.start, doc.end) === chunk);
    // Each previous document is taken over once: two equal documents must not share a tree.
    const known = index < 0 ? undefined : candidates.splice(index, 1)[0];
    const doc = known && nodes + known.nodes <= LIMITS.maxNodes ? moveTo(known, start) : shift(parseChunk(chunk, nodes), start);
    file.documents.push(doc);
    nodes += doc.nodes;
    if (nodes > LIMITS.maxNodes) break; // that document says so; the rest are not parsed
  }
  file.documents = file.documents.filter((d) => d.root || d.problems.length);
  return file;
}

/**
 * Splits at lines starting with `---`. A file with directives (`%YAML`) stays one chunk, as a
 * directive belongs to the document after it.
 */
function documentChunks(text: string): [number, number][] {
  if (/^%/m.test(text)) return [[0, text.length]];
  const chunks: [number, number][] = [];
  const marker = /^---(?=[ \t\r\n]|$)/gm;
  let start = 0;
  for (const match of text.matchAll(marker)) {
    const at = match.index ?? 0;
    if (at === 0) continue;
    chunks.push([start, at]);
    start = at;
  }
  chunks.push([start, text.length]);
  return chunks;
}

/**
 * One chunk holds at most one document (plus, rarely, an empty one): parse and convert it.
 * `before`: the nodes of the file's documents before this one.
 */
function parseChunk(chunk: string, before: number): ParsedDocument {
  const nodes = countNodes(chunk);
  const fmt = (n: number) => n.toLocaleString('en-US');
  if (before + nodes > LIMITS.maxNodes) {
    return tooManyNodes(chunk, nodes, `This file holds about ${fmt(before + nodes)} YAML nodes (keys, values, list items) up to the end of this document; kplane checks up to ${fmt(LIMITS.maxNodes)} per file, so it checked neither this document nor those after it. Split the file into several (one profile per file; \`kplane split\` splits a profile into several that depend on each other).`);
  }
  const failure: FastParseFailure = {};
  const fast = fastParse(chunk, LIMITS.maxDepth, failure);
  if (fast) {
    const kind = pairOf(fast.root, 'kind')?.value;
    return {
      start: 0,
      end: chunk.length,
      root: fast.root,
      value: fast.value,
      problems: [],
      checkable: fast.root !== undefined,
      nodes,
      ...(kind?.type === 'scalar' && typeof kind.value === 'string' ? { kind: kind.value } : {}),
    };
  }
  if (nodes > LIMITS.maxSlowNodes) {
    // The fast parser's own error still says where the problem is, without the full parse.
    const [found, fix] = failure.anchors
      ? ['it uses anchors (&name)', 'Write the values out instead of using anchors and aliases']
      : failure.reason
        ? [`js-yaml reports: ${failure.reason}`, 'Fix that error']
        : ['the fast parser could not read it', 'Check its syntax'];
    return tooManyNodes(chunk, nodes, `This document holds about ${fmt(nodes)} YAML nodes and needs kplane's full YAML parser (${found}), which reads documents of up to ${fmt(LIMITS.maxSlowNodes)} nodes; kplane did not check it. ${fix}, or split the document.`, failure.position);
  }
  return { ...slowParse(chunk), nodes };
}

/** A document kplane did not read: nothing parsed, not checkable, one problem saying why. */
function unread(chunk: string, nodes: number, problem: Problem): ParsedDocument {
  return { start: 0, end: chunk.length, root: undefined, value: undefined, checkable: false, nodes, problems: [problem] };
}

function tooManyNodes(chunk: string, nodes: number, message: string, at = 0): ParsedDocument {
  const start = Math.min(Math.max(0, at), chunk.length);
  return unread(chunk, nodes, { code: 'TOO_MANY_NODES', severity: 'error', message, start, end: Math.max(start + 1, lineEnd(chunk, start)) });
}

/**
 * `yaml` (eemeli/yaml v2): slower, but never throws and reports every problem with its position.
 * The caller bounds its input (LIMITS.maxSlowNodes).
 */
export function slowParse(chunk: string): ParsedDocument {
  let docs: Document.Parsed[];
  try {
    // uniqueKeys: false: yaml finds duplicate keys by a linear search per key, quadratic in the
    // size of a mapping (a 10,000-key mapping took 12 s, 20,000 keys 56 s); convert() finds
    // them with a Set instead and reports the same YAML_DUPLICATE_KEY.
    const parsed = parseAllDocuments(chunk, { prettyErrors: false, keepSourceTokens: false, logLevel: 'error', uniqueKeys: false });
    docs = Array.isArray(parsed) ? parsed : [];
  } catch (err) {
    return failed(chunk, err);
  }
  const result: ParsedDocument = { start: 0, end: chunk.length, root: undefined, value: undefined, problems: [], checkable: false, nodes: countNodes(chunk) };
  for (const doc of docs) {
    for (const error of doc.errors) result.problems.push(yamlProblem(chunk, error.code, error.message, error.pos, 'error'));
    for (const warning of doc.warnings) result.problems.push(yamlProblem(chunk, warning.code, warning.message, warning.pos, 'warning'));
    if (result.root || doc.contents === null) continue;
    const walk: ConvertState = { tooDeep: false, duplicateKeys: [] };
    try {
      result.root = convert(chunk, doc.contents as AstNode, 0, walk);
    } catch (err) {
      return failed(chunk, err);
    }
    for (const at of walk.duplicateKeys) result.problems.push(yamlProblem(chunk, 'DUPLICATE_KEY', 'Map keys must be unique', [at, at + 1], 'error'));
    if (walk.tooDeep) {
      result.problems.push({
        code: 'TOO_DEEP',
        severity: 'error',
        message: `This document nests deeper than ${LIMITS.maxDepth} levels; kplane does not check it. Flatten the structure.`,
        start: doc.range[0],
        end: lineEnd(chunk, doc.range[0]),
      });
      continue;
    }
    try {
      result.value = doc.toJS({ maxAliasCount: LIMITS.maxAliasCount });
      result.checkable = true;
    } catch (err) {
      const bomb = err instanceof ReferenceError && /alias/i.test(err.message) && /excessive/i.test(err.message);
      result.problems.push({
        code: bomb ? 'ALIAS_BOMB' : 'YAML_UNRESOLVED',
        severity: 'error',
        message: bomb
          ? `Aliases in this document expand to more than ${LIMITS.maxAliasCount} nodes (a "billion laughs" pattern): write the values out instead of nesting aliases.`
          : `The document cannot be read as data: ${err instanceof Error ? err.message : String(err)}. Define every alias (*name) after its anchor (&name).`,
        start: doc.range[0],
        end: lineEnd(chunk, doc.range[0]),
      });
    }
    // From the tree, not the value: a document whose value cannot be built (alias bomb) still says what it is.
    const kind = pairOf(result.root, 'kind')?.value;
    if (kind?.type === 'scalar' && typeof kind.value === 'string') result.kind = kind.value;
  }
  return result;
}

function failed(chunk: string, err: unknown): ParsedDocument {
  const overflow = err instanceof RangeError;
  return unread(chunk, countNodes(chunk), {
    code: overflow ? 'TOO_DEEP' : 'YAML_UNREADABLE',
    severity: 'error',
    message: overflow ? 'This document nests too deeply to read. Flatten the structure.' : `This document cannot be read: ${err instanceof Error ? err.message : String(err)}.`,
    start: 0,
    end: lineEnd(chunk, 0),
  });
}

function yamlProblem(text: string, code: ErrorCode, message: string, pos: [number, number], severity: 'error' | 'warning'): Problem {
  const ours = YAML_MESSAGES[code];
  let end = Math.max(pos[1], pos[0] + 1);
  // yaml marks a duplicate key by its first character: widen to the whole key.
  if (code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*?(?=\s*:)/.exec(text.slice(pos[0], pos[0] + 256));
    if (key && key[0].length) end = pos[0] + key[0].length;
  }
  const line = ours && ours.endsWith('.') ? ours : ours ? `${ours}: ${message}` : `${message}.`;
  // Every code of the yaml version we use must be one of ours (profile/src/validation/codes.ts).
  const finding: FindingCode = `YAML_${code}`;
  return { code: finding, severity, message: line.replace(/\.\.$/, '.'), start: pos[0], end };
}

function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}

interface ConvertState {
  tooDeep: boolean;
  /** Offsets of keys that repeat an earlier key of their mapping. */
  duplicateKeys: number[];
}

function convert(text: string, node: AstNode | null, depth: number, state: ConvertState): YamlNode {
  const [start, rawEnd] = node?.range ?? [0, 0];
  // Block collections end after their last line break; end them at their last character instead.
  let end = rawEnd;
  while (end > start && /\s/.test(text[end - 1])) end--;
  if (!node) return { type: 'scalar', start, end, value: null, plain: true };
  if (depth > LIMITS.maxDepth) {
    state.tooDeep = true;
    return { type: 'scalar', start, end, value: null };
  }
  if (isMap(node)) {
    const pairs: YamlPair[] = [];
    // yaml's own rule: scalar keys with the same value are duplicates.
    const seen = new Set<unknown>();
    for (const item of node.items) {
      if (!isPair(item)) continue;
      if (isScalar(item.key)) {
        if (seen.has(item.key.value)) state.duplicateKeys.push(item.key.range?.[0] ?? start);
        else seen.add(item.key.value);
      }
      const key = convert(text, item.key as AstNode | null, depth + 1, state);
      const value = item.value === null ? undefined : convert(text, item.value as AstNode, depth + 1, state);
      pairs.push({ key, value });
    }
    const last = pairs[pairs.length - 1];
    // A block collection ends with its last entry: yaml's range would take trailing comments along.
    const blockEnd = last ? (last.value ?? last.key).end : end;
    return { type: 'map', start, end: node.flow ? end : Math.min(end, blockEnd), pairs, flow: node.flow === true };
  }
  if (isSeq(node)) {
    const items = node.items.map((item) => convert(text, item as AstNode, depth + 1, state));
    const blockEnd = items.length ? items[items.length - 1].end : end;
    return { type: 'seq', start, end: node.flow ? end : Math.min(end, blockEnd), items, flow: node.flow === true };
  }
  if (isAlias(node)) return { type: 'scalar', start, end, alias: true };
  if (isScalar(node)) {
    const plain = node.type === Scalar.PLAIN || node.type === undefined;
    return { type: 'scalar', start, end, value: node.value, plain };
  }
  return { type: 'scalar', start, end, value: null };
}

/** A document of the previous parse, moved in place to its offset in the new text. */
function moveTo(doc: ParsedDocument, start: number): ParsedDocument {
  const by = start - doc.start;
  if (by === 0) return doc;
  const stack = doc.root ? [doc.root] : [];
  while (stack.length) {
    const node = stack.pop() as YamlNode;
    node.start += by;
    node.end += by;
    for (const pair of node.pairs ?? []) {
      stack.push(pair.key);
      if (pair.value) stack.push(pair.value);
    }
    for (const item of node.items ?? []) stack.push(item);
  }
  return { ...doc, start, end: doc.end + by, problems: doc.problems.map((p) => ({ ...p, start: p.start + by, end: p.end + by })) };
}

/**
 * Parsed chunks are chunk-relative; place one at its offset in the file. Moved in place: the
 * parse is fresh and its own (a copy of each tree doubled the garbage of every document of a
 * multi-document file but the first).
 */
function shift(doc: ParsedDocument, by: number): ParsedDocument {
  return moveTo(doc, doc.start + by);
}

export function isProfileDocument(doc: ParsedDocument): boolean {
  return doc.kind === PROFILE_KIND;
}
