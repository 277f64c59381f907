/** Walking the ClusterProfile JSON Schema by path, for completion and hover. */
import { clusterProfileSchema, type JsonSchema } from '@kplane/profile';

/** A path segment; '[]' stands for "some item of a list" when the index does not matter. */
export type SchemaSegment = string | number;

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema of the value at `path`, or undefined where the schema says nothing (inside manifests). */
export function schemaAt(path: readonly SchemaSegment[], root: JsonSchema = clusterProfileSchema): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  for (const segment of path) {
    if (!schema) return undefined;
    if (typeof segment === 'number' || segment === '[]') {
      schema = isSchema(schema.items) ? schema.items : undefined;
      continue;
    }
    const properties: unknown = schema.properties;
    if (isSchema(properties) && isSchema(properties[segment])) schema = properties[segment] as JsonSchema;
    else if (isSchema(schema.additionalProperties)) schema = schema.additionalProperties;
    else return undefined;
  }
  return schema;
}

export function documentationOf(schema: JsonSchema | undefined): string | undefined {
  if (!schema) return undefined;
  if (typeof schema.markdownDescription === 'string') return schema.markdownDescription;
  if (typeof schema.description === 'string') return schema.description;
  return undefined;
}

export function propertiesOf(schema: JsonSchema | undefined): [string, JsonSchema][] {
  if (!schema || !isSchema(schema.properties)) return [];
  return Object.entries(schema.properties).filter((entry): entry is [string, JsonSchema] => isSchema(entry[1]));
}

export function requiredOf(schema: JsonSchema | undefined): string[] {
  return Array.isArray(schema?.required) ? (schema.required as string[]) : [];
}

/** Values a field can take, when the schema lists them (enums, booleans). */
export function valuesOf(schema: JsonSchema | undefined): string[] {
  if (!schema) return [];
  if (Array.isArray(schema.enum)) return schema.enum.map(String);
  if (schema.type === 'boolean') return ['true', 'false'];
  return [];
}

export function typeOf(schema: JsonSchema | undefined): string | undefined {
  if (!schema) return undefined;
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map((s) => (isSchema(s) ? s.type : '')).filter(Boolean).join(' | ');
  return undefined;
}
