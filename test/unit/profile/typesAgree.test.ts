/**
 * The TypeScript types (profile/src/types.ts) and the JSON Schema (profile/src/schema.ts) are
 * written side by side; this test reads the interfaces with the TypeScript compiler and fails
 * when a field is in one and not the other, or required in one and optional in the other.
 * (The CRDs are generated from the schema, and model.test.ts checks those files.)
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { clusterAgentSchema, clusterProfileSchema, type JsonSchema } from '@kplane/profile';
import { repoRoot } from '../../fixtures/paths.js';

interface Member {
  optional: boolean;
}

/** Interface (and union-of-interfaces type alias) members of types.ts, by type name. */
function readInterfaces(): Map<string, Map<string, Member>> {
  const file = join(repoRoot, 'profile', 'src', 'types.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const interfaces = new Map<string, Map<string, Member>>();
  const membersOf = (nodes: ts.NodeArray<ts.TypeElement>): Map<string, Member> => {
    const members = new Map<string, Member>();
    for (const node of nodes) {
      if (ts.isPropertySignature(node) && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))) {
        members.set(node.name.text, { optional: node.questionToken !== undefined });
      }
    }
    return members;
  };
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, membersOf(node.members));
    if (ts.isTypeAliasDeclaration(node) && ts.isUnionTypeNode(node.type)) {
      // A union of interfaces (ScalingMetric) is checked as the union of their fields, all optional.
      const merged = new Map<string, Member>();
      for (const part of node.type.types) {
        if (!ts.isTypeReferenceNode(part) || !ts.isIdentifier(part.typeName)) continue;
        for (const [name] of interfaces.get(part.typeName.text) ?? []) merged.set(name, { optional: true });
      }
      if (merged.size) interfaces.set(node.name.text, merged);
    }
  });
  return interfaces;
}

const props = (schema: JsonSchema): Record<string, JsonSchema> => (schema.properties ?? {}) as Record<string, JsonSchema>;
const at = (schema: JsonSchema, ...path: string[]): JsonSchema =>
  path.reduce((node, key) => (key === '[]' ? (node.items as JsonSchema) : props(node)[key]), schema);

/** Schema node ↔ the interface that types it. */
const pairs: [string, JsonSchema, string[]][] = [
  ['ClusterProfileSpec', at(clusterProfileSchema, 'spec'), []],
  ['ReconcilePolicy', at(clusterProfileSchema, 'spec', 'reconcile'), []],
  ['Variable', at(clusterProfileSchema, 'spec', 'variables', '[]'), []],
  ['Layer', at(clusterProfileSchema, 'spec', 'layers', '[]'), []],
  ['HelmChart', at(clusterProfileSchema, 'spec', 'layers', '[]', 'helm'), []],
  ['ScalingPolicy', at(clusterProfileSchema, 'spec', 'scaling', '[]'), []],
  ['ObjectRef', at(clusterProfileSchema, 'spec', 'scaling', '[]', 'target'), []],
  // The schema says `type` is required on every metric; the union's members all require it too,
  // but a union is compared field by field only.
  ['ScalingMetric', at(clusterProfileSchema, 'spec', 'scaling', '[]', 'metric'), ['type']],
  ['ClusterProfileStatus', at(clusterProfileSchema, 'status'), []],
  ['Condition', at(clusterProfileSchema, 'status', 'conditions', '[]'), []],
  ['LayerStatus', at(clusterProfileSchema, 'status', 'layers', '[]'), ['resources', 'ready']],
  ['ResourceCounts', at(clusterProfileSchema, 'status', 'resources'), ['total', 'ready', 'drifted', 'failed', 'pruned']],
  ['DriftRecord', at(clusterProfileSchema, 'status', 'drift', '[]'), []],
  ['ScalingStatus', at(clusterProfileSchema, 'status', 'scaling', '[]'), []],
  ['ScalingRecord', at(clusterProfileSchema, 'status', 'scaling', '[]', 'history', '[]'), []],
  ['ClusterAgentSpec', at(clusterAgentSchema, 'spec'), []],
  ['ClusterAgentStatus', at(clusterAgentSchema, 'status'), []],
  ['AgentEvent', at(clusterAgentSchema, 'status', 'events', '[]'), []],
];

describe('profile types and JSON Schema agree', () => {
  const interfaces = readInterfaces();

  for (const [typeName, schema, requiredInTypesOnly] of pairs) {
    it(`${typeName} has the schema's fields, required alike`, () => {
      const members = interfaces.get(typeName);
      assert.ok(members, `profile/src/types.ts has no interface ${typeName}`);
      assert.ok(schema, `the schema has no node for ${typeName}`);
      const schemaFields = Object.keys(props(schema)).sort();
      assert.deepEqual([...members.keys()].sort(), schemaFields, `${typeName}: fields differ between types.ts and schema.ts`);
      const required = new Set((schema.required as string[] | undefined) ?? []);
      for (const [name, member] of members) {
        if (requiredInTypesOnly.includes(name)) continue;
        assert.equal(!member.optional, required.has(name), `${typeName}.${name}: required in ${member.optional ? 'schema.ts only' : 'types.ts only'}`);
      }
    });
  }

  it('fails on a field the types lack (the check can fail)', () => {
    const members = interfaces.get('Layer');
    const schemaFields = [...Object.keys(props(at(clusterProfileSchema, 'spec', 'layers', '[]'))), 'extra'].sort();
    assert.notDeepEqual([...(members?.keys() ?? [])].sort(), schemaFields);
  });
});
