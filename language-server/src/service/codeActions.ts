/**
 * Quick fixes for our own diagnostics: declare an undeclared variable (or keep the `${…}` as
 * text: escape it, or turn substitution off for its object), remove a dependsOn entry naming a
 * missing layer, rename a duplicate layer, correct a misspelt field (of the profile, of a
 * manifest, or a Helm layer's values key the chart does not have) or enum value, replace a removed or wrong apiVersion. Each works from the diagnostic's data (document
 * index and JSON path) and the parsed tree, never from message text.
 */
import { CodeActionKind, type CodeAction, type Diagnostic, type TextEdit } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { isVariableName, SUBSTITUTE_ANNOTATION, SUBSTITUTE_DISABLED, type QuickFixCode } from '@kplane/profile';
import { child, locate, pairOf, type YamlNode } from './yamlTree.js';
import { profileModel, type ProfileModel } from './profileModel.js';
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

interface FixContext {
  text: string;
  model: ProfileModel;
  data: DiagnosticData;
  diagnostic: Diagnostic;
  /** Offers one fix; the first of several is the preferred one. */
  edit(title: string, edits: TextEdit[], isPreferred?: boolean): void;
  offsetAt(position: Diagnostic['range']['start']): number;
  replace(start: number, end: number, newText: string): TextEdit;
}

type Fix = (fix: FixContext) => void;

const fixUnknownField: Fix = ({ model, data, edit, replace }) => {
  const suggestion = data.suggestion;
  const { pair, depth } = locate(model.root, data.path);
  if (typeof suggestion !== 'string' || depth !== data.path.length || !pair) return;
  edit(`Change "${String(pair.key.value)}" to "${suggestion}"`, [replace(pair.key.start, pair.key.end, suggestion)]);
};

/** A removed or wrong apiVersion becomes the one that serves the kind (or a misspelt kind the nearest one). */
const fixApiVersion: Fix = ({ model, data, edit, replace }) => {
  const { node, depth } = locate(model.root, data.path);
  if (depth !== data.path.length || node.type !== 'scalar') return;
  const field = data.path[data.path.length - 1];
  const to = field === 'kind' ? data.suggestion : data.replacement;
  if (typeof to !== 'string') return;
  edit(field === 'kind' ? `Change kind to ${to}` : `Change apiVersion to ${to}`, [replace(node.start, node.end, to)]);
};

/**
 * One fix per code that has `quickFix: true` in profile/src/validation/codes.ts, and no other:
 * the type makes a missing or an extra entry a compile error, so docs/diagnostics.md (generated
 * from that list) says truthfully which codes have a quick fix.
 */
export const QUICK_FIXES: { [C in QuickFixCode]: Fix } = {
  UNDECLARED_VARIABLE: ({ text, model, data, diagnostic, edit, replace, offsetAt }) => {
    const name = String(data.variable ?? '');
    // Only a legal name is ever a reference; never offer to declare anything else.
    if (!isVariableName(name) || !model.spec) return;
    const declaration = declareVariable(text, model.spec, name);
    if (declaration) edit(`Declare variable "${name}" under spec.variables`, [replace(declaration.at, declaration.at, declaration.text)]);
    const start = offsetAt(diagnostic.range.start);
    if (text.slice(start, offsetAt(diagnostic.range.end)) === `\${${name}}`) {
      edit(`Escape as $\${${name}} (keep the text)`, [replace(start, start, '$')], false);
    }
    const annotation = disableSubstitution(text, model.root, data.path);
    if (annotation) edit('Disable substitution for this object', [replace(annotation.at, annotation.at, annotation.text)], false);
  },
  UNKNOWN_LAYER: ({ text, model, data, edit, replace }) => {
    const { node, depth } = locate(model.root, data.path);
    const list = locate(model.root, data.path.slice(0, -1));
    if (depth !== data.path.length || list.node.type !== 'seq' || !list.node.items) return;
    const removal = removeItem(text, list.node, node, list.pair?.key);
    if (removal) edit(`Remove "${String(node.value)}" from dependsOn`, [replace(removal.start, removal.end, removal.text)]);
  },
  DUPLICATE_LAYER: ({ model, data, edit, replace }) => {
    const { node, depth } = locate(model.root, data.path);
    if (depth !== data.path.length || node.type !== 'scalar') return;
    const taken = new Set(model.layers.map((l) => l.name));
    const base = String(node.value).slice(0, 60);
    let n = 2;
    while (taken.has(`${base}-${n}`)) n++;
    edit(`Rename layer to "${base}-${n}"`, [replace(node.start, node.end, `${base}-${n}`)]);
  },
  UNKNOWN_FIELD: fixUnknownField,
  CLUSTER_UNKNOWN_FIELD: fixUnknownField,
  MANIFEST_UNKNOWN_FIELD: fixUnknownField,
  // A key a chart's values.yaml does not have, with "did you mean" (./helmValues.ts).
  HELM_VALUES_UNKNOWN_KEY: fixUnknownField,
  MANIFEST_INVALID_ENUM_VALUE: ({ model, data, edit, replace }) => {
    const { node, depth } = locate(model.root, data.path);
    if (typeof data.suggestion !== 'string' || depth !== data.path.length || node.type !== 'scalar') return;
    edit(`Change "${String(node.value)}" to "${data.suggestion}"`, [replace(node.start, node.end, data.suggestion)]);
  },
  API_REMOVED: fixApiVersion,
  API_DEPRECATED: fixApiVersion,
  KIND_NOT_SERVED: fixApiVersion,
};

function isQuickFixCode(code: unknown): code is QuickFixCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(QUICK_FIXES, code);
}

export function codeActions(document: TextDocument, parsed: ParsedFile, diagnostics: Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== DIAGNOSTIC_SOURCE || !isQuickFixCode(diagnostic.code)) continue;
    const data = diagnostic.data as DiagnosticData | undefined;
    if (!data || typeof data.document !== 'number' || !Array.isArray(data.path)) continue;
    const model = profileModel(parsed, data.document);
    if (!model) continue;
    QUICK_FIXES[diagnostic.code]({
      text: parsed.text,
      model,
      data,
      diagnostic,
      edit(title, edits, isPreferred = true) {
        actions.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred, edit: { changes: { [document.uri]: edits } } });
      },
      offsetAt: (position) => document.offsetAt(position),
      replace: (start, end, newText) => ({ range: { start: document.positionAt(start), end: document.positionAt(end) }, newText }),
    });
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

/**
 * Where and what to insert so that the object holding `path` (a manifest, or an item of a list
 * manifest) carries `kplane.dev/substitute: disabled`. Block and flow mappings; otherwise none.
 */
function disableSubstitution(text: string, root: YamlNode, path: readonly (string | number)[]): { at: number; text: string } | undefined {
  if (path.length < 5 || path[0] !== 'spec' || path[1] !== 'layers' || path[3] !== 'manifests') return undefined;
  let length = 5;
  let object = locate(root, path.slice(0, length));
  // Into list items (ConfigMapList, v1 List): the object is the innermost item holding the path.
  while (path[length] === 'items' && typeof path[length + 1] === 'number') {
    const kind = child(object.node, 'kind');
    if (typeof kind?.value !== 'string' || !kind.value.endsWith('List')) break;
    length += 2;
    object = locate(root, path.slice(0, length));
  }
  if (object.depth !== length || object.node.type !== 'map') return undefined;
  const entry = `${SUBSTITUTE_ANNOTATION}: ${SUBSTITUTE_DISABLED}`;
  const metadata = pairOf(object.node, 'metadata')?.value;
  if (!metadata || metadata.type !== 'map' || !metadata.pairs?.length) return undefined;
  const inFlow = (map: YamlNode, item: string) => {
    const last = map.pairs?.[map.pairs.length - 1];
    if (last) return { at: last.value?.end ?? last.key.end, text: `, ${item}` };
    const close = text.lastIndexOf('}', map.end);
    return close < map.start ? undefined : { at: close, text: item };
  };
  if (metadata.flow) return inFlow(metadata, `annotations: { ${entry} }`);
  const annotations = pairOf(metadata, 'annotations');
  if (annotations) {
    const map = annotations.value;
    if (!map || map.type !== 'map') return undefined;
    if (map.flow) return inFlow(map, entry);
    const first = map.pairs?.[0];
    const last = map.pairs?.[map.pairs.length - 1];
    if (!first || !last) return undefined;
    return { at: trimmedEnd(text, last.value?.end ?? last.key.end), text: `\n${' '.repeat(columnOf(text, first.key.start))}${entry}` };
  }
  const first = metadata.pairs[0];
  const last = metadata.pairs[metadata.pairs.length - 1];
  const pad = ' '.repeat(columnOf(text, first.key.start));
  return { at: trimmedEnd(text, last.value?.end ?? last.key.end), text: `\n${pad}annotations:\n${pad}  ${entry}` };
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
