/**
 * CustomResourceDefinitions generated from ./schema.ts, so that the API server enforces the
 * same shape our editor checks. agent/deploy/crds/ holds them as YAML (scripts/gen-crds.mjs);
 * a unit test fails when the checked-in files and this generator disagree.
 */
import {
  agentSpecSchema,
  agentStatusSchema,
  profileSpecSchema,
  profileStatusSchema,
  type JsonSchema,
} from './schema.js';
import { AGENT_KIND, AGENT_PLURAL, GROUP, PROFILE_KIND, PROFILE_PLURAL, VERSION } from './types.js';

/**
 * Turns an editor schema into a Kubernetes structural schema: CRDs prune unknown fields
 * instead of rejecting them (so `additionalProperties: false` goes), and a logical junctor
 * may not carry `type` (so the scalar unions under preserve-unknown-fields go too).
 */
export function toStructural(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$schema' || key === '$id' || key === 'title') continue;
    // Conditional requirements (a *List needs items, any other manifest a name) stay editor-only.
    if (key === 'if' || key === 'then' || key === 'else') continue;
    if (key === 'additionalProperties' && value === false) continue;
    if (key === 'anyOf' && schema['x-kubernetes-preserve-unknown-fields'] === true) continue;
    if (key === 'exclusiveMinimum' && typeof value === 'number') continue;
    if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([k, v]) => [k, toStructural(v)]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && value && typeof value === 'object') {
      out[key] = toStructural(value as JsonSchema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

interface CrdInput {
  kind: string;
  plural: string;
  shortNames: string[];
  spec: JsonSchema;
  status: JsonSchema;
  columns: { name: string; type: string; jsonPath: string; description?: string; priority?: number }[];
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: Record<string, unknown>;
}

function crd(input: CrdInput): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${input.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.kind.toLowerCase(),
        shortNames: input.shortNames,
        categories: ['kplane'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: input.columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: toStructural(input.spec),
                status: toStructural(input.status),
              },
            },
          },
        },
      ],
    },
  };
}

const condition = (type: string) => `.status.conditions[?(@.type=="${type}")].status`;

export const clusterProfileCrd = crd({
  kind: PROFILE_KIND,
  plural: PROFILE_PLURAL,
  shortNames: ['cprof'],
  spec: profileSpecSchema,
  status: profileStatusSchema,
  columns: [
    { name: 'Version', type: 'string', jsonPath: '.spec.version', description: 'Desired profile version' },
    { name: 'Applied', type: 'string', jsonPath: '.status.appliedVersion', description: 'Version the agent last applied in full' },
    { name: 'Ready', type: 'string', jsonPath: condition('Ready') },
    { name: 'InSync', type: 'string', jsonPath: condition('InSync') },
    { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused', priority: 1 },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});

export const clusterAgentCrd = crd({
  kind: AGENT_KIND,
  plural: AGENT_PLURAL,
  shortNames: ['cagent'],
  spec: agentSpecSchema,
  status: agentStatusSchema,
  columns: [
    { name: 'Display', type: 'string', jsonPath: '.spec.displayName' },
    { name: 'Agent', type: 'string', jsonPath: '.status.agentVersion' },
    { name: 'Nodes', type: 'integer', jsonPath: '.status.nodes.ready', description: 'Ready nodes' },
    { name: 'Heartbeat', type: 'date', jsonPath: '.status.heartbeatTime' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});

export const allCrds = [clusterProfileCrd, clusterAgentCrd];
