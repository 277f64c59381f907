/**
 * Where a finding goes in the text. Unknown fields and other key findings mark the key; a
 * missing field marks the key of its parent; a value finding marks the value when it is a
 * scalar and the key (or the first line of a list item) when it is a whole block, so a
 * diagnostic never paints fifty lines red.
 */
import type { Finding } from '@kplane/profile';
import type { Position } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { locate, type YamlNode } from './yamlTree.js';

export interface Span {
  start: number;
  end: number;
}

export function lineEndOf(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  const end = nl < 0 ? text.length : nl;
  return text[end - 1] === '\r' ? end - 1 : end;
}

/** A block's first line: from its start to the end of that line (at least one character). */
function firstLine(text: string, node: YamlNode): Span {
  const end = Math.min(node.end, lineEndOf(text, node.start));
  return { start: node.start, end: Math.max(end, node.start + 1) };
}

export function spanOfFinding(text: string, root: YamlNode, finding: Pick<Finding, 'path' | 'on' | 'span'>): Span {
  const { node, pair, depth } = locate(root, finding.path);
  const complete = depth === finding.path.length;
  // The path stops short (a missing field): mark the key of the deepest node that exists.
  if (!complete || finding.on === 'key') {
    if (pair) return { start: pair.key.start, end: pair.key.end };
    return firstLine(text, node);
  }
  if (node.type === 'scalar') {
    if (finding.span) {
      const narrowed = narrow(text, node, finding.span);
      if (narrowed) return narrowed;
    }
    return node.end > node.start ? { start: node.start, end: node.end } : pair ? { start: pair.key.start, end: pair.key.end } : firstLine(text, node);
  }
  if (node.flow) return { start: node.start, end: node.end };
  if (pair) return { start: pair.key.start, end: pair.key.end };
  return firstLine(text, node);
}

/**
 * Part of a string value → part of its source. Exact for plain scalars; for quoted ones, found by
 * searching the source for the same text (escapes would shift offsets).
 */
function narrow(text: string, node: YamlNode, span: Span): Span | undefined {
  if (typeof node.value !== 'string') return undefined;
  const source = text.slice(node.start, node.end);
  const value = node.value;
  const needle = value.slice(span.start, span.end);
  if (!needle) return undefined;
  if (node.plain && source === value) return { start: node.start + span.start, end: node.start + span.end };
  // The n-th occurrence in the value is taken to be the n-th in the source.
  let occurrence = 0;
  for (let i = value.indexOf(needle); i >= 0 && i < span.start; i = value.indexOf(needle, i + 1)) occurrence++;
  let at = -1;
  for (let n = 0; n <= occurrence; n++) {
    at = source.indexOf(needle, at + 1);
    if (at < 0) return undefined;
  }
  return { start: node.start + at, end: node.start + at + needle.length };
}

/**
 * The positions of a few offsets, as `document.positionAt` gives them, without the document's line
 * map: building that map walks every character of the text (a tenth of opening a 10k-line
 * profile, --cpu-prof), where a file's few diagnostics need only the line breaks before them,
 * found by a native search. Text with a carriage return (where LSP counts \r and \r\n as line
 * breaks too) asks the document.
 */
export function positionsOf(document: TextDocument, text: string, offsets: readonly number[]): Position[] {
  if (text.includes('\r')) return offsets.map((o) => document.positionAt(o));
  const order = offsets.map((_, i) => i).sort((a, b) => offsets[a] - offsets[b]);
  const positions: Position[] = new Array<Position>(offsets.length);
  let line = 0;
  let lineStart = 0;
  for (const i of order) {
    const offset = Math.max(Math.min(offsets[i], text.length), 0);
    for (let nl = text.indexOf('\n', lineStart); nl !== -1 && nl < offset; nl = text.indexOf('\n', lineStart)) {
      line++;
      lineStart = nl + 1;
    }
    positions[i] = { line, character: offset - lineStart };
  }
  return positions;
}
