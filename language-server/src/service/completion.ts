/**
 * Completion: keys and enum values from the schema, layer names in dependsOn, variable names
 * after `${`. The place in the document is read from the text's indentation, not the parse
 * tree: while someone types, the line under the cursor is rarely valid YAML yet.
 */
import { clusterProfileSchema, type JsonSchema } from '@kplane/profile';
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type CompletionList, type Position } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { documentationOf, propertiesOf, requiredOf, schemaAt, typeOf, valuesOf, type SchemaSegment } from './schemaNav.js';
import type { ProfileModel } from './profileModel.js';

interface LineShape {
  /** Column of the key (after any `- `), or of the content. */
  col: number;
  /** Column of the last `- ` on the line, or -1. */
  dashCol: number;
  /** The key the line starts with, if any. */
  key?: string;
  blank: boolean;
}

function shape(line: string): LineShape {
  const indent = line.length - line.trimStart().length;
  let rest = line.slice(indent);
  if (rest === '' || rest.startsWith('#')) return { col: indent, dashCol: -1, blank: true };
  let col = indent;
  let dashCol = -1;
  for (let dash = /^-(\s+|$)/.exec(rest); dash; dash = /^-(\s+|$)/.exec(rest)) {
    dashCol = col;
    col += dash[0].length;
    rest = rest.slice(dash[0].length);
  }
  const key = /^("[^"]*"|'[^']*'|[^\s#'"{[][^:#]*?)\s*:(\s|$)/.exec(rest)?.[1];
  return { col, dashCol, key: key === undefined ? undefined : key.replace(/^["']|["']$/g, ''), blank: false };
}

/** The path of the mapping a key at `keyCol` on line `line` would belong to ('[]' for list items). */
export function containerPath(lines: string[], line: number, keyCol: number, newItemDash: number): SchemaSegment[] {
  const path: SchemaSegment[] = [];
  let threshold = keyCol;
  if (newItemDash >= 0) {
    path.push('[]');
    threshold = newItemDash;
  }
  for (let l = line - 1; l >= 0 && threshold > 0; l--) {
    const s = shape(lines[l]);
    if (s.blank) continue;
    if (s.col < threshold) {
      if (s.key !== undefined) path.unshift(s.key);
      if (s.dashCol >= 0) {
        path.unshift('[]');
        threshold = s.dashCol;
      } else threshold = s.col;
    } else if (s.dashCol >= 0 && s.dashCol < threshold) {
      // A sibling key of the first key of this list item.
      path.unshift('[]');
      threshold = s.dashCol;
    }
  }
  return path;
}

/** Keys already present in the mapping the cursor is in, so completion does not offer them twice. */
function siblingKeys(lines: string[], line: number, keyCol: number): Set<string> {
  const keys = new Set<string>();
  for (let l = line - 1; l >= 0; l--) {
    const s = shape(lines[l]);
    if (s.blank) continue;
    if (s.col < keyCol) break;
    if (s.col === keyCol && s.key) keys.add(s.key);
    if (s.dashCol >= 0 && s.dashCol < keyCol) break;
  }
  for (let l = line + 1; l < lines.length; l++) {
    const s = shape(lines[l]);
    if (s.blank) continue;
    if (s.col < keyCol || (s.dashCol >= 0 && s.dashCol < keyCol)) break;
    if (s.col === keyCol && s.key) keys.add(s.key);
  }
  return keys;
}

function keyItem(name: string, schema: JsonSchema, required: boolean, indent: string): CompletionItem {
  const type = typeOf(schema);
  const doc = documentationOf(schema);
  let insertText = `${name}: $0`;
  if (type === 'object') insertText = `${name}:\n${indent}  $0`;
  else if (type === 'array') insertText = isObjectItems(schema) ? `${name}:\n${indent}  - $0` : `${name}: [$0]`;
  return {
    label: name,
    kind: CompletionItemKind.Property,
    detail: type ? `${type}${required ? ' (required)' : ''}` : undefined,
    documentation: doc ? { kind: MarkupKind.Markdown, value: doc } : undefined,
    insertText,
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: `${required ? '0' : '1'}${name}`,
  };
}

function isObjectItems(schema: JsonSchema): boolean {
  const items = schema.items as JsonSchema | undefined;
  return !!items && items.type === 'object';
}

const SKELETON = [
  'apiVersion: kplane.dev/v1alpha1',
  'kind: ClusterProfile',
  'metadata:',
  '  name: ${1:my-profile}',
  'spec:',
  '  version: ${2:0.1.0}',
  '  layers:',
  '    - name: ${3:base}',
  '      manifests:',
  '        - $0',
].join('\n');

export function complete(document: TextDocument, position: Position, model: ProfileModel | undefined): CompletionList {
  const lines = document.getText().split(/\r?\n/);
  const lineText = lines[position.line] ?? '';
  const before = lineText.slice(0, position.character);
  const items: CompletionItem[] = [];
  const result = (): CompletionList => ({ isIncomplete: false, items });

  // ${ → variable names (not after $${, which keeps the text as written).
  const ref = /(?<!\$)\$\{([A-Za-z0-9_]*)$/.exec(before);
  if (ref) {
    const closes = lineText.slice(position.character).startsWith('}');
    for (const entry of model?.variables ?? []) {
      const v = entry.variable;
      const value = model?.values[entry.name];
      items.push({
        label: entry.name,
        kind: CompletionItemKind.Variable,
        detail: `${v.type ?? 'variable'}${value !== undefined ? ` = ${JSON.stringify(value)}` : ''}`,
        documentation: v.description,
        insertText: closes ? entry.name : `${entry.name}}`,
      });
    }
    return result();
  }

  const layerNames = (model?.layers ?? []).map((l) => l.name);
  const layerItems = () => layerNames.forEach((name) => items.push({ label: name, kind: CompletionItemKind.Module, detail: 'layer' }));

  // dependsOn: [a, | → layer names.
  if (/dependsOn:\s*\[[^\]]*$/.test(before)) {
    layerItems();
    return result();
  }

  const keyMatch = /^(\s*)((?:-\s+)*)([^\s:#'"][^:#]*)?$/.exec(before);
  if (keyMatch) {
    const dashes = keyMatch[2];
    const keyCol = keyMatch[1].length + dashes.length;
    const newItemDash = dashes ? keyCol - (/-\s+$/.exec(dashes)?.[0].length ?? 2) : -1;
    const path = containerPath(lines, position.line, keyCol, newItemDash);
    if (path.length === 0 && keyCol === 0 && document.getText().trim() === '') {
      items.push({ label: 'ClusterProfile', kind: CompletionItemKind.Snippet, detail: 'A new kplane cluster profile', insertText: SKELETON, insertTextFormat: InsertTextFormat.Snippet });
    }
    const schema = schemaAt(path);
    // A scalar list item (dependsOn entries, enum members): offer values, not keys.
    if (path[path.length - 1] === '[]' && path[path.length - 2] === 'dependsOn') {
      layerItems();
      return result();
    }
    const present = newItemDash >= 0 ? new Set<string>() : siblingKeys(lines, position.line, keyCol);
    const required = new Set(requiredOf(schema));
    for (const [name, property] of propertiesOf(schema)) {
      if (present.has(name)) continue;
      items.push(keyItem(name, property, required.has(name), ' '.repeat(keyCol)));
    }
    for (const value of valuesOf(schema)) items.push({ label: value, kind: CompletionItemKind.EnumMember });
    return result();
  }

  const valueMatch = /^(\s*)((?:-\s+)*)("[^"]*"|'[^']*'|[^\s:#'"][^:#]*?)\s*:\s+[^#]*$/.exec(before);
  if (valueMatch) {
    const keyCol = valueMatch[1].length + valueMatch[2].length;
    const key = valueMatch[3].replace(/^["']|["']$/g, '');
    const newItemDash = valueMatch[2] ? keyCol - (/-\s+$/.exec(valueMatch[2])?.[0].length ?? 2) : -1;
    const path = [...containerPath(lines, position.line, keyCol, newItemDash), key];
    if (key === 'dependsOn') {
      layerItems();
      return result();
    }
    const schema = schemaAt(path, clusterProfileSchema);
    for (const value of valuesOf(schema)) {
      items.push({ label: value, kind: CompletionItemKind.EnumMember, documentation: documentationOf(schema) });
    }
  }
  return result();
}
