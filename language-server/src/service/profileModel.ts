/**
 * What the editor features need to know about a profile document: its layers and variables,
 * with the tree nodes of their names (for definitions, completion and hover).
 */
import { maskSensitive, resolveValues, type Variable, type VariableValue } from '@kplane/profile';
import { child, pairOf, type YamlNode } from './yamlTree.js';
import { isProfileDocument, type ParsedDocument, type ParsedFile } from './yamlParse.js';

export interface NamedEntry {
  name: string;
  index: number;
  /** The node of the entry (a list item). */
  node: YamlNode;
  /** The value node of its `name` field. */
  nameNode: YamlNode;
}

export interface VariableEntry extends NamedEntry {
  variable: Partial<Variable>;
}

export interface ProfileModel {
  document: ParsedDocument;
  documentIndex: number;
  root: YamlNode;
  spec: YamlNode | undefined;
  layers: NamedEntry[];
  variables: VariableEntry[];
  /** Effective values (spec.values over defaults), sensitive ones masked. */
  values: Record<string, VariableValue>;
}

function named(list: YamlNode | undefined): NamedEntry[] {
  const out: NamedEntry[] = [];
  list?.items?.forEach((node, index) => {
    const nameNode = pairOf(node, 'name')?.value;
    if (nameNode?.type === 'scalar' && nameNode.value !== null && nameNode.value !== undefined) out.push({ name: String(nameNode.value), index, node, nameNode });
  });
  return out;
}

export function profileModel(parsed: ParsedFile, documentIndex: number): ProfileModel | undefined {
  const document = parsed.documents[documentIndex];
  if (!document?.root || !isProfileDocument(document)) return undefined;
  const root = document.root;
  const spec = child(root, 'spec');
  const specValue = (document.value as { spec?: Record<string, unknown> } | undefined)?.spec ?? {};
  const declared = Array.isArray(specValue.variables) ? (specValue.variables as Partial<Variable>[]) : [];
  const variables = named(child(spec, 'variables')).map((entry) => ({ ...entry, variable: declared[entry.index] ?? {} }));
  let values: Record<string, VariableValue> = {};
  try {
    const usable = declared.filter((v): v is Variable => typeof v === 'object' && v !== null && typeof v.name === 'string');
    const given = typeof specValue.values === 'object' && specValue.values !== null ? (specValue.values as Record<string, VariableValue>) : {};
    values = maskSensitive({ variables: usable }, resolveValues({ variables: usable, values: given }).values);
  } catch {
    values = {};
  }
  return { document, documentIndex, root, spec, layers: named(child(spec, 'layers')), variables, values };
}

/** The profile document containing `offset`, if any. */
export function profileAt(parsed: ParsedFile, offset: number): ProfileModel | undefined {
  const index = parsed.documents.findIndex((d) => d.start <= offset && offset <= d.end);
  return index < 0 ? undefined : profileModel(parsed, index);
}
