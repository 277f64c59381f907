/**
 * Completion: keys and enum values from the schema, layer names in dependsOn, variable names
 * after `${`. Inside a manifest, its fields and enum values come from the Kubernetes API of its
 * kind (built in, the profile's CRDs, or a target cluster's live API). The place in the document
 * is read from the text's indentation, not the parse tree: while someone types, the line under
 * the cursor is rarely valid YAML yet.
 */
import { clusterProfileSchema, expandedManifestAt, kubeSchemaAt, type JsonSchema, type KubeSchema, type KubeTypes } from '@kplane/profile';
import { CompletionItemKind, InsertTextFormat, InsertTextMode, MarkupKind, type CompletionItem, type CompletionList, type Position } from 'vscode-languageserver-types';
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

/*
 * The line is read by hand-written scans, not regular expressions: patterns such as
 * /^((?:-\s+)*)([^:#]*?)\s*:/ backtrack quadratically on a long line of dashes or spaces, and
 * completion reads every line above the cursor.
 */
const isSpace = (c: string | undefined): boolean => c !== undefined && c.trim() === '' && c !== '';

/** Leading indentation and `- ` markers of a line, greedily. */
interface Lead {
  indent: number;
  /** Index after the last marker and its spaces. */
  end: number;
  /** Column of the last `-` marker, or -1. */
  lastDash: number;
}

/** `dashAtEnd`: a lone `-` at the end of the text counts as a marker (a line), or not (text before the cursor). */
function lead(text: string, dashAtEnd: boolean): Lead {
  let i = 0;
  while (isSpace(text[i])) i++;
  const indent = i;
  let lastDash = -1;
  while (text[i] === '-' && (isSpace(text[i + 1]) || (dashAtEnd && i + 1 === text.length))) {
    lastDash = i;
    i++;
    while (isSpace(text[i])) i++;
  }
  return { indent, end: i, lastDash };
}

/**
 * The key starting at `p`: a quoted string, or a character not in `notFirst` and then anything
 * up to the first ':' or '#'; followed by spaces and ':'. Returns the key as written (quotes
 * kept) and the index of its ':'.
 */
function keyAt(text: string, p: number, notFirst: string): { raw: string; colon: number } | undefined {
  const c = text[p];
  if (c === undefined) return undefined;
  if (c === '"' || c === "'") {
    const close = text.indexOf(c, p + 1);
    if (close < 0) return undefined;
    let j = close + 1;
    while (isSpace(text[j])) j++;
    return text[j] === ':' ? { raw: text.slice(p, close + 1), colon: j } : undefined;
  }
  if (isSpace(c) || notFirst.includes(c)) return undefined;
  let j = p + 1;
  while (j < text.length && text[j] !== ':' && text[j] !== '#') j++;
  return text[j] === ':' ? { raw: text.slice(p, j).trimEnd(), colon: j } : undefined;
}

const unquote = (key: string): string => key.replace(/^["']|["']$/g, '');

function shape(line: string): LineShape {
  const { indent, end, lastDash } = lead(line, true);
  if (end === line.length && lastDash < 0) return { col: indent, dashCol: -1, blank: true };
  if (line[indent] === '#') return { col: indent, dashCol: -1, blank: true };
  const key = keyAt(line, end, '#\'"{[');
  const keyEnds = key !== undefined && (key.colon + 1 === line.length || isSpace(line[key.colon + 1]));
  return { col: end, dashCol: lastDash, key: keyEnds ? unquote(key.raw) : undefined, blank: false };
}

/** A segment of a container path and the line it was read from ('[]': the line of the item's `- `). */
interface Container {
  segment: SchemaSegment;
  line: number;
  /** '[]': the column of the item's `-`. */
  dashCol: number;
}

/** The path of the mapping a key at `keyCol` on line `line` would belong to ('[]' for list items). */
export function containerPath(lines: string[], line: number, keyCol: number, newItemDash: number): SchemaSegment[] {
  return containers(lines, line, keyCol, newItemDash).map((c) => c.segment);
}

function containers(lines: string[], line: number, keyCol: number, newItemDash: number): Container[] {
  const path: Container[] = [];
  let threshold = keyCol;
  if (newItemDash >= 0) {
    path.push({ segment: '[]', line, dashCol: newItemDash });
    threshold = newItemDash;
  }
  for (let l = line - 1; l >= 0 && threshold > 0; l--) {
    // Most lines above are indented at least `threshold` (or blank): neither their key nor a `-`
    // can be left of it. Counting spaces is enough for them; completion walks back to the top of
    // a 50k-line file, and a full shape() per line made it 10-20 ms.
    const text = lines[l];
    let indent = 0;
    while (indent < threshold && (text.charCodeAt(indent) === 32 || text.charCodeAt(indent) === 9)) indent++;
    if (indent >= threshold || indent === text.length) continue;
    const s = shape(text);
    if (s.blank) continue;
    if (s.col < threshold) {
      if (s.key !== undefined) path.unshift({ segment: s.key, line: l, dashCol: -1 });
      if (s.dashCol >= 0) {
        path.unshift({ segment: '[]', line: l, dashCol: s.dashCol });
        threshold = s.dashCol;
      } else threshold = s.col;
    } else if (s.dashCol >= 0 && s.dashCol < threshold) {
      // A sibling key of the first key of this list item.
      path.unshift({ segment: '[]', line: l, dashCol: s.dashCol });
      threshold = s.dashCol;
    }
  }
  return path;
}

/** The scalar after `key:` on a line, unquoted, without a comment. */
function scalarAfterColon(line: string, colon: number): string {
  const value = line.slice(colon + 1).replace(/\s+#.*$/, '').trim();
  return unquote(value);
}

/**
 * apiVersion and kind of the manifest whose list item starts on `line` (its `-` at `dashCol`),
 * read from the text as completion reads everything: the manifest being typed rarely parses.
 */
function manifestHead(lines: string[], line: number, dashCol: number): { apiVersion?: string; kind?: string } {
  const first = lead(lines[line], true);
  if (first.lastDash !== dashCol) return {};
  const keyCol = first.end;
  const head: { apiVersion?: string; kind?: string } = {};
  for (let l = line; l < lines.length && (head.apiVersion === undefined || head.kind === undefined); l++) {
    const s = shape(lines[l]);
    if (l > line && s.blank) continue;
    if (l > line && (s.col < keyCol || (s.dashCol >= 0 && s.dashCol <= dashCol))) break;
    if (s.col !== keyCol || (s.key !== 'apiVersion' && s.key !== 'kind')) continue;
    const colon = lines[l].indexOf(':', s.col);
    head[s.key] = scalarAfterColon(lines[l], colon);
  }
  return head;
}

/** Keys already present in the mapping the cursor is in, so completion does not offer them twice. */
export function siblingKeys(lines: string[], line: number, keyCol: number): Set<string> {
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

/** A manifest's kind and where the cursor is inside it (`path` from the manifest's top; '[]' → 0). */
interface ManifestPlace {
  kube: KubeTypes;
  apiVersion: string;
  kind: string;
  path: (string | number)[];
}

/**
 * Inside a layer's manifest whose apiVersion and kind are written and known to one of `types`
 * (the first that knows the kind wins): that kind and the path in it.
 */
function manifestPlace(lines: string[], path: Container[], extra: SchemaSegment[], types: () => readonly KubeTypes[]): ManifestPlace | undefined {
  const [spec, layers, layer, manifests, item] = path;
  if (spec?.segment !== 'spec' || layers?.segment !== 'layers' || layer?.segment !== '[]' || manifests?.segment !== 'manifests' || item?.segment !== '[]') return undefined;
  // An item of a `kind: List` (or a typed list) is a manifest of its own: read the heads down to
  // it and let validation's expansion say its apiVersion and kind (a typed list's items may omit them).
  let manifest: Record<string, unknown> = head(manifestHead(lines, item.line, item.dashCol));
  const inList: (string | number)[] = [0];
  let at = 5;
  for (let inner = manifest; path[at]?.segment === 'items' && path[at + 1]?.segment === '[]' && typeof inner.kind === 'string' && inner.kind.endsWith('List'); at += 2) {
    const next = head(manifestHead(lines, path[at + 1].line, path[at + 1].dashCol));
    inner.items = [next];
    inner = next;
    inList.push('items', 0);
  }
  if (at > 5) manifest = expandedManifestAt([manifest], inList)?.manifest ?? {};
  const { apiVersion, kind } = manifest;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !apiVersion || !kind) return undefined;
  const kube = types().find((k) => k.kind(apiVersion, kind));
  if (!kube) return undefined;
  const rest = [...path.slice(at).map((c) => c.segment), ...extra].map((s) => (s === '[]' ? 0 : s));
  return { kube, apiVersion, kind, path: rest };
}

/** A manifest head as an object with only the fields written (expansion fills in absent ones). */
function head(fields: { apiVersion?: string; kind?: string }): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

function kubeTypeName(schema: KubeSchema): string | undefined {
  if (schema['x-kubernetes-int-or-string']) return 'integer or string';
  if (schema.format === 'quantity') return 'quantity';
  return schema.type === 'object' ? 'mapping' : schema.type === 'array' ? 'list' : schema.type;
}

/** Field names of the manifest's schema at the cursor, with type, documentation and a snippet. */
function manifestKeyItems(place: ManifestPlace, present: Set<string>): CompletionItem[] {
  const node = kubeSchemaAt(place.kube, place.apiVersion, place.kind, place.path);
  const items: CompletionItem[] = [];
  if (!node?.properties) return items;
  const required = new Set(node.required ?? []);
  const source = place.kube.kind(place.apiVersion, place.kind)?.source;
  for (const name of Object.keys(node.properties)) {
    // status is written by the cluster, never by a profile.
    if (present.has(name) || (place.path.length === 0 && name === 'status')) continue;
    const field = kubeSchemaAt(place.kube, place.apiVersion, place.kind, [...place.path, name]) ?? {};
    const type = kubeTypeName(field);
    const items0 = field.type === 'array' ? kubeSchemaAt(place.kube, place.apiVersion, place.kind, [...place.path, name, 0]) : undefined;
    // New lines are relative to the key; the client indents them to the cursor's line (adjustIndentation).
    let insertText = `${name}: $0`;
    if (field.type === 'object' && !field['x-kubernetes-int-or-string']) insertText = `${name}:\n  $0`;
    else if (field.type === 'array') insertText = items0?.type === 'object' ? `${name}:\n  - $0` : `${name}: [$0]`;
    const values = field.enum?.length ? `\n\nOne of: ${field.enum.map((v) => `\`${String(v)}\``).join(', ')}` : '';
    // The field's own description (a $ref'd type describes the type, e.g. LabelSelector, not this use of it).
    const description = node.properties[name].description ?? field.description ?? '';
    items.push({
      label: name,
      kind: CompletionItemKind.Property,
      detail: type ? `${type}${required.has(name) ? ' (required)' : ''}` : undefined,
      documentation: { kind: MarkupKind.Markdown, value: `${description}${values}\n\n_${place.kind} ${place.apiVersion}${source ? `, ${source}` : ''}._`.trim() },
      insertText,
      insertTextFormat: InsertTextFormat.Snippet,
      insertTextMode: InsertTextMode.adjustIndentation,
      sortText: `${required.has(name) ? '0' : '1'}${name}`,
    });
  }
  return items;
}

/** Values of the manifest's field at the cursor: its enum, or true/false. */
function manifestValueItems(place: ManifestPlace): CompletionItem[] {
  const node = kubeSchemaAt(place.kube, place.apiVersion, place.kind, place.path);
  const values = node?.enum?.length ? node.enum.map(String) : node?.type === 'boolean' ? ['true', 'false'] : [];
  return values.map((value) => ({ label: value, kind: CompletionItemKind.EnumMember, documentation: node?.description }));
}

/**
 * `manifestTypes`: the Kubernetes types to complete manifests from, asked for only inside a
 * manifest (the built-in API with the profile's CRDs first, then each target cluster's).
 */
export function complete(document: TextDocument, position: Position, model: ProfileModel | undefined, manifestTypes: () => readonly KubeTypes[] = () => []): CompletionList {
  const text = document.getText();
  // A plain split is several times faster than a regular expression on a 50k-line file.
  const lines = text.includes('\r') ? text.split(/\r?\n/) : text.split('\n');
  const lineText = lines[position.line] ?? '';
  const before = lineText.slice(0, position.character);
  const items: CompletionItem[] = [];
  const result = (): CompletionList => ({ isIncomplete: false, items });

  // ${ → variable names (not after $${, which keeps the text as written).
  const refAt = before.lastIndexOf('${');
  if (refAt >= 0 && before[refAt - 1] !== '$' && /^[A-Za-z0-9_]*$/.test(before.slice(refAt + 2))) {
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
  if (/dependsOn:\s*\[/.test(before.slice(before.lastIndexOf(']') + 1))) {
    layerItems();
    return result();
  }

  // Indentation, `- ` markers, then nothing or a key being typed (no ':' or '#' yet).
  const at = lead(before, false);
  const rest = before.slice(at.end);
  const typingKey = rest === '' || (!isSpace(rest[0]) && !':#\'"'.includes(rest[0]) && !/[:#]/.test(rest));
  if (typingKey) {
    const keyCol = at.end;
    const newItemDash = at.lastDash;
    const places = containers(lines, position.line, keyCol, newItemDash);
    const path = places.map((c) => c.segment);
    const manifest = manifestPlace(lines, places, [], manifestTypes);
    if (manifest) {
      // A new list item under a list of scalars with an enum: its values; otherwise field names.
      items.push(...manifestValueItems(manifest));
      const present = newItemDash >= 0 ? new Set<string>() : siblingKeys(lines, position.line, keyCol);
      items.push(...manifestKeyItems(manifest, present));
      return result();
    }
    if (path.length === 0 && keyCol === 0 && text.trim() === '') {
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
      // compressedManifests is kplane's stored form of a big layer (@kplane/profile storedForm.ts), written by kplane apply, not by hand.
      if (present.has(name) || name === 'compressedManifests') continue;
      items.push(keyItem(name, property, required.has(name), ' '.repeat(keyCol)));
    }
    for (const value of valuesOf(schema)) items.push({ label: value, kind: CompletionItemKind.EnumMember });
    return result();
  }

  // `key: ` and a value being typed (no comment).
  const valueKey = keyAt(before, at.end, ':');
  if (valueKey && isSpace(before[valueKey.colon + 1]) && !before.includes('#', valueKey.colon)) {
    const keyCol = at.end;
    const key = unquote(valueKey.raw);
    const newItemDash = at.lastDash;
    const places = containers(lines, position.line, keyCol, newItemDash);
    const path = [...places.map((c) => c.segment), key];
    if (key === 'dependsOn') {
      layerItems();
      return result();
    }
    const manifest = manifestPlace(lines, places, [key], manifestTypes);
    if (manifest) {
      items.push(...manifestValueItems(manifest));
      return result();
    }
    const schema = schemaAt(path, clusterProfileSchema);
    for (const value of valuesOf(schema)) {
      items.push({ label: value, kind: CompletionItemKind.EnumMember, documentation: documentationOf(schema) });
    }
  }
  return result();
}
