/**
 * Quick fixes for our own diagnostics: declare an undeclared variable, remove a dependsOn entry
 * naming a missing layer, rename a duplicate layer, correct a misspelt field. Each works from
 * the diagnostic's data (document index and JSON path) and the parsed tree, never from message text.
 */
import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { locate, pairOf, type YamlNode } from './yamlTree.js';
import { profileModel } from './profileModel.js';
import { DIAGNOSTIC_SOURCE, type DiagnosticData } from './validation.js';
import { lineEndOf } from './ranges.js';
import type { ParsedFile } from './yamlParse.js';

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function columnOf(text: string, offset: number): number {
  return offset - lineStartOf(text, offset);
}

/** The offset just past the line break of the line holding `offset` (or the end of text). */
function nextLineStart(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}

export function codeActions(document: TextDocument, parsed: ParsedFile, diagnostics: Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== DIAGNOSTIC_SOURCE) continue;
    const data = diagnostic.data as DiagnosticData | undefined;
    if (!data || typeof data.document !== 'number' || !Array.isArray(data.path)) continue;
    const model = profileModel(parsed, data.document);
    if (!model) continue;
    const text = parsed.text;
    const edit = (title: string, edits: TextEdit[]): void => {
      actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true, edit: { changes: { [document.uri]: edits } } });
    };
    const replace = (start: number, end: number, newText: string): TextEdit => ({ range: { start: document.positionAt(start), end: document.positionAt(end) }, newText });

    switch (diagnostic.code) {
      case 'UNDECLARED_VARIABLE': {
        const name = String(data.variable ?? '');
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !model.spec) break;
        const declaration = declareVariable(text, model.spec, name);
        if (declaration) edit(`Declare variable "${name}" under spec.variables`, [replace(declaration.at, declaration.at, declaration.text)]);
        break;
      }
      case 'UNKNOWN_LAYER': {
        const { node, depth } = locate(model.root, data.path);
        const list = locate(model.root, data.path.slice(0, -1));
        if (depth !== data.path.length || list.node.type !== 'seq' || !list.node.items) break;
        const removal = removeItem(text, list.node, node, list.pair?.key);
        if (removal) edit(`Remove "${String(node.value)}" from dependsOn`, [replace(removal.start, removal.end, removal.text)]);
        break;
      }
      case 'DUPLICATE_LAYER': {
        const { node, depth } = locate(model.root, data.path);
        if (depth !== data.path.length || node.type !== 'scalar') break;
        const taken = new Set(model.layers.map((l) => l.name));
        const base = String(node.value).slice(0, 60);
        let n = 2;
        while (taken.has(`${base}-${n}`)) n++;
        edit(`Rename layer to "${base}-${n}"`, [replace(node.start, node.end, `${base}-${n}`)]);
        break;
      }
      case 'UNKNOWN_FIELD': {
        const suggestion = data.suggestion;
        const { pair, depth } = locate(model.root, data.path);
        if (typeof suggestion !== 'string' || depth !== data.path.length || !pair) break;
        edit(`Change "${String(pair.key.value)}" to "${suggestion}"`, [replace(pair.key.start, pair.key.end, suggestion)]);
        break;
      }
    }
  }
  return actions;
}

function trimmedEnd(text: string, end: number): number {
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  return end;
}

/** Where and what to insert so that `name` is declared, keeping the file's indentation. */
function declareVariable(text: string, spec: YamlNode, name: string): { at: number; text: string } | undefined {
  const variables = pairOf(spec, 'variables');
  const list = variables?.value;
  if (list?.type === 'seq' && list.items?.length && !list.flow) {
    const last = list.items[list.items.length - 1];
    const dashCol = columnOf(text, list.start);
    const pad = ' '.repeat(dashCol);
    return { at: trimmedEnd(text, last.end), text: `\n${pad}- name: ${name}\n${pad}  type: string` };
  }
  if (list?.type === 'seq' && list.flow) {
    const close = text.lastIndexOf(']', list.end);
    if (close < list.start) return undefined;
    return { at: close, text: `${list.items?.length ? ', ' : ''}{ name: ${name}, type: string }` };
  }
  const firstKey = spec.pairs?.[0]?.key;
  if (!firstKey || spec.flow) return undefined;
  const col = columnOf(text, firstKey.start);
  const pad = ' '.repeat(col);
  if (variables) {
    // `variables:` with no list (or null): put the list under the key.
    const end = variables.value?.end ?? variables.key.end;
    return { at: lineEndOf(text, end), text: `\n${pad}  - name: ${name}\n${pad}    type: string` };
  }
  const before = pairOf(spec, 'layers')?.key ?? firstKey;
  return { at: lineStartOf(text, before.start), text: `${pad}variables:\n${pad}  - name: ${name}\n${pad}    type: string\n` };
}

/** Text edit removing one item of a list; an emptied block list takes its key with it. */
function removeItem(text: string, list: YamlNode, item: YamlNode, key: YamlNode | undefined): { start: number; end: number; text: string } | undefined {
  const items = list.items ?? [];
  const index = items.indexOf(item);
  if (index < 0) return undefined;
  if (list.flow) {
    if (items.length === 1) return { start: item.start, end: item.end, text: '' };
    if (index < items.length - 1) return { start: item.start, end: items[index + 1].start, text: '' };
    return { start: items[index - 1].end, end: item.end, text: '' };
  }
  if (items.length === 1 && key) return { start: lineStartOf(text, key.start), end: nextLineStart(text, item.end), text: '' };
  return { start: lineStartOf(text, item.start), end: nextLineStart(text, item.end), text: '' };
}
