/** Hover, document symbols and go-to-definition over the parsed tree. */
import { expandedManifestAt, groupOf, kubeSchemaAt, scanReferences, type ClusterSchemaSource, type JsonSchema, type KubeSchema, type KubeTypes } from '@kplane/profile';
import { MarkupKind, SymbolKind, type DocumentSymbol, type Hover, type Location, type Range } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { child, pairOf, pathAt, type YamlNode } from './yamlTree.js';
import { documentationOf, schemaAt, typeOf } from './schemaNav.js';
import { profileModel, type ProfileModel } from './profileModel.js';
import type { ParsedFile } from './yamlParse.js';

function rangeOf(document: TextDocument, start: number, end: number): Range {
  return { start: document.positionAt(start), end: document.positionAt(end) };
}

/** The `${name}` under `offset` in a scalar, if the scalar is plain or quoted without escapes before it. */
function referenceAt(document: TextDocument, node: YamlNode, offset: number): { name: string; start: number; end: number } | undefined {
  if (node.type !== 'scalar' || typeof node.value !== 'string' || !node.value.includes('${')) return undefined;
  // Scan the source text: offsets there are file offsets, whatever the quoting.
  const source = document.getText().slice(node.start, node.end);
  for (const ref of scanReferences(source)) {
    const start = node.start + ref.start;
    const end = node.start + ref.end;
    if (start <= offset && offset <= end) return { name: ref.name, start, end };
  }
  return undefined;
}

/**
 * The manifest a path lies in and the path inside it; an item of a `kind: List` (or a typed list)
 * is a manifest of its own, as validation takes it (@kplane/profile expandManifests).
 */
function manifestAt(model: ProfileModel, path: (string | number)[]): { manifest: { apiVersion?: unknown; kind?: unknown }; rest: (string | number)[] } | undefined {
  const [spec, layers, li, manifests, ...inLayer] = path;
  if (spec !== 'spec' || layers !== 'layers' || manifests !== 'manifests' || typeof li !== 'number') return undefined;
  const list = (model.document.value as { spec?: { layers?: { manifests?: unknown }[] } })?.spec?.layers?.[li]?.manifests;
  return Array.isArray(list) ? expandedManifestAt(list, inLayer) : undefined;
}

/** Inside a manifest, the target cluster's schema of the manifest's kind at that field. */
function clusterSchemaAt(model: ProfileModel, path: (string | number)[], source: ClusterSchemaSource | undefined): { schema: JsonSchema; apiVersion: string; kind: string } | undefined {
  const at = source && manifestAt(model, path);
  if (!source || !at || at.rest.length === 0) return undefined;
  const { manifest, rest } = at;
  if (typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string') return undefined;
  const root = source.schemaFor(manifest.apiVersion, manifest.kind);
  const schema = root && schemaAt(rest, root);
  return schema ? { schema, apiVersion: manifest.apiVersion, kind: manifest.kind } : undefined;
}

/**
 * Inside a manifest, its field's schema from the Kubernetes API: the first of `kubes` (built in
 * with the profile's CRDs, then each target cluster's live API) that knows the kind. `unknown`:
 * a manifest whose kind none of them defines, so it could not be checked.
 */
function kubeFieldAt(model: ProfileModel, path: (string | number)[], kubes: readonly KubeTypes[]): { schema: KubeSchema; apiVersion: string; kind: string; source: string } | { unknown: true; apiVersion: string; kind: string; release?: string } | undefined {
  const at = kubes.length ? manifestAt(model, path) : undefined;
  if (!at || at.rest.length === 0) return undefined;
  const { manifest, rest } = at;
  if (typeof manifest.apiVersion !== 'string' || typeof manifest.kind !== 'string' || manifest.apiVersion.includes('${') || manifest.kind.includes('${')) return undefined;
  const { apiVersion, kind } = manifest;
  const kube = kubes.find((k) => k.kind(apiVersion, kind));
  if (!kube) return kubes[0].isBuiltinGroup(groupOf(apiVersion)) ? undefined : { unknown: true, apiVersion, kind, release: kubes[0].label };
  const known = kube.kind(apiVersion, kind)!;
  const schema = kubeSchemaAt(kube, apiVersion, kind, rest);
  return schema ? { schema, apiVersion, kind, source: known.source } : undefined;
}

function kubeTypeName(schema: KubeSchema): string | undefined {
  if (schema['x-kubernetes-int-or-string']) return 'integer or string';
  if (schema.format === 'quantity') return 'quantity';
  return schema.type === 'object' ? 'mapping' : schema.type === 'array' ? 'list' : schema.type;
}

export function hover(document: TextDocument, model: ProfileModel, offset: number, clusterSchemas?: ClusterSchemaSource, kubes: readonly KubeTypes[] = []): Hover | null {
  const at = pathAt(model.root, offset);
  const ref = referenceAt(document, at.node, offset);
  if (ref) {
    const entry = model.variables.find((v) => v.name === ref.name);
    if (!entry) {
      return { contents: { kind: MarkupKind.Markdown, value: `**\${${ref.name}}**: no variable of this name is declared under spec.variables.` }, range: rangeOf(document, ref.start, ref.end) };
    }
    const v = entry.variable;
    const value = model.values[ref.name];
    const lines = [
      `**${ref.name}** (variable, \`${v.type ?? '?'}\`)`,
      v.description ? `\n${v.description}` : '',
      `\nValue: ${value === undefined ? '_none_ (set spec.values or a default)' : `\`${JSON.stringify(value)}\``}${v.default !== undefined && !v.sensitive ? ` — default \`${JSON.stringify(v.default)}\`` : ''}`,
    ];
    return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') }, range: rangeOf(document, ref.start, ref.end) };
  }
  if (at.path.length === 0) return null;
  const fromCluster = clusterSchemaAt(model, at.path, clusterSchemas);
  const field = at.path[at.path.length - 1];
  const fromKube = fromCluster ? undefined : kubeFieldAt(model, at.path, kubes);
  if (fromKube && 'unknown' in fromKube) {
    return {
      contents: { kind: MarkupKind.Markdown, value: `**${String(field)}**\n\n_${fromKube.kind} ${fromKube.apiVersion} could not be checked: neither ${fromKube.release ?? 'Kubernetes'} nor a CustomResourceDefinition of this profile${kubes.length > 1 ? ' nor a target cluster' : ''} defines it._` },
      range: rangeOf(document, at.node.start, at.node.end),
    };
  }
  if (fromKube) {
    const type = kubeTypeName(fromKube.schema);
    const values = fromKube.schema.enum?.length ? `\n\nOne of: ${fromKube.schema.enum.map((v) => `\`${String(v)}\``).join(', ')}` : '';
    return {
      contents: { kind: MarkupKind.Markdown, value: `**${String(field)}**${type ? ` (\`${type}\`)` : ''}${fromKube.schema.description ? `\n\n${fromKube.schema.description}` : ''}${values}\n\n_${fromKube.kind} ${fromKube.apiVersion}, ${fromKube.source}._` },
      range: rangeOf(document, at.node.start, at.node.end),
    };
  }
  const schema = fromCluster?.schema ?? schemaAt(at.path);
  const docs = documentationOf(schema);
  if (!docs) return null;
  const type = typeOf(schema);
  const source = fromCluster ? `\n\n_From the cluster's ${fromCluster.apiVersion} ${fromCluster.kind} schema._` : '';
  return {
    contents: { kind: MarkupKind.Markdown, value: `**${String(field)}**${type ? ` (\`${type}\`)` : ''}\n\n${docs}${source}` },
    range: rangeOf(document, at.node.start, at.node.end),
  };
}

export function definition(document: TextDocument, model: ProfileModel, offset: number): Location[] {
  const at = pathAt(model.root, offset);
  const target = (node: YamlNode): Location[] => [{ uri: document.uri, range: rangeOf(document, node.start, node.end) }];
  const ref = referenceAt(document, at.node, offset);
  if (ref) {
    const entry = model.variables.find((v) => v.name === ref.name);
    return entry ? target(entry.nameNode) : [];
  }
  const [spec, list, , field] = at.path;
  if (spec === 'spec' && list === 'layers' && field === 'dependsOn' && at.node.type === 'scalar' && !at.onKey) {
    const layer = model.layers.find((l) => l.name === String(at.node.value));
    return layer ? target(layer.nameNode) : [];
  }
  if (spec === 'spec' && list === 'values' && at.path.length === 3) {
    const entry = model.variables.find((v) => v.name === String(at.path[2]));
    return entry ? target(entry.nameNode) : [];
  }
  return [];
}

function symbol(document: TextDocument, name: string, kind: SymbolKind, node: YamlNode, selection: YamlNode, detail?: string, children?: DocumentSymbol[]): DocumentSymbol {
  return { name: name || '(unnamed)', kind, detail, range: rangeOf(document, node.start, node.end), selectionRange: rangeOf(document, selection.start, selection.end), children };
}

export function symbols(document: TextDocument, parsed: ParsedFile): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  parsed.documents.forEach((_doc, index) => {
    const model = profileModel(parsed, index);
    if (!model) return;
    const children: DocumentSymbol[] = [];
    const spec = model.spec;
    const variablesPair = pairOf(spec, 'variables');
    if (variablesPair && model.variables.length) {
      const vars = model.variables.map((v) => symbol(document, v.name, SymbolKind.Variable, v.node, v.nameNode, v.variable.type));
      children.push(symbol(document, 'variables', SymbolKind.Namespace, { ...variablesPair.key, end: variablesPair.value?.end ?? variablesPair.key.end }, variablesPair.key, undefined, vars));
    }
    const layersPair = pairOf(spec, 'layers');
    if (layersPair) {
      const layers = model.layers.map((layer) => {
        const manifests: DocumentSymbol[] = [];
        child(layer.node, 'manifests')?.items?.forEach((m) => {
          const kind = child(m, 'kind')?.value;
          const nameNode = child(child(m, 'metadata'), 'name');
          const label = `${kind ?? '?'} ${nameNode?.value ?? '?'}`;
          manifests.push(symbol(document, label, SymbolKind.Object, m, nameNode ?? m, String(child(m, 'apiVersion')?.value ?? '')));
        });
        const deps = child(layer.node, 'dependsOn')?.items?.map((d) => String(d.value)) ?? [];
        return symbol(document, layer.name, SymbolKind.Module, layer.node, layer.nameNode, deps.length ? `after ${deps.join(', ')}` : undefined, manifests);
      });
      children.push(symbol(document, 'layers', SymbolKind.Namespace, { ...layersPair.key, end: layersPair.value?.end ?? layersPair.key.end }, layersPair.key, undefined, layers));
    }
    const scalingPair = pairOf(spec, 'scaling');
    if (scalingPair?.value?.items?.length) {
      const policies = scalingPair.value.items.map((p) => {
        const nameNode = child(p, 'name');
        return symbol(document, String(nameNode?.value ?? '?'), SymbolKind.Event, p, nameNode ?? p);
      });
      children.push(symbol(document, 'scaling', SymbolKind.Namespace, { ...scalingPair.key, end: scalingPair.value.end }, scalingPair.key, undefined, policies));
    }
    const nameNode = child(child(model.root, 'metadata'), 'name');
    out.push(symbol(document, `ClusterProfile ${nameNode?.value ?? ''}`.trim(), SymbolKind.Class, model.root, nameNode ?? model.root, String(child(spec, 'version')?.value ?? ''), children));
  });
  return out;
}
