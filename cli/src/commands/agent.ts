import { USAGE, runAgent } from '@kplane/agent';
import type { Command } from '../main.js';

// The agent lives in @kplane/agent (it no longer loads @kubernetes/client-node up front, so
// importing it here costs the other commands little); this only hands it the arguments.
export const command: Command = {
  summary: 'Run the kplane agent against a cluster (enforce its ClusterProfiles)',
  usage: USAGE,
  run: (args) => runAgent(args),
};
