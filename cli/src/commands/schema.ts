/** `kplane schema`: the JSON Schema of ClusterProfile (or ClusterAgent), for editors and other tools. */
import { parseArgs } from 'node:util';
import { clusterAgentSchema, clusterProfileSchema } from '@kplane/profile';
import type { Command } from '../main.js';

const usage = `Usage: kplane schema [--kind ClusterProfile|ClusterAgent]

Prints the JSON Schema (draft-07) of a kplane.dev/v1alpha1 kind, ClusterProfile by default, e.g.
to give it to another YAML editor: kplane schema > clusterprofile.schema.json`;

export const command: Command = {
  summary: 'print the JSON Schema of ClusterProfile',
  usage,
  async run(argv) {
    let kind: string;
    try {
      kind = parseArgs({ args: argv, options: { kind: { type: 'string', default: 'ClusterProfile' } } }).values.kind ?? 'ClusterProfile';
    } catch (err) {
      console.error(`kplane schema: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    const schemas: Record<string, unknown> = { ClusterProfile: clusterProfileSchema, ClusterAgent: clusterAgentSchema };
    const schema = schemas[kind];
    if (!schema) {
      console.error(`kplane schema: --kind must be ClusterProfile or ClusterAgent, not "${kind}".`);
      return 2;
    }
    console.log(JSON.stringify(schema, null, 2));
    return 0;
  },
};
