import type { Command } from '../main.js';

// The agent lives in @kplane/agent; this only hands it the arguments.
export const command: Command = {
  summary: 'Run the kplane agent against a cluster (enforce its ClusterProfiles)',
  get usage() {
    return 'Usage: kplane agent [--kubeconfig path] [--context name] [--namespace ns] [--metrics-addr :8080] [--leader-elect] [--id name]\nRun `node agent/out/main.js --help` for every option.';
  },
  async run(args) {
    const { runAgent } = await import('@kplane/agent/main');
    return runAgent(args);
  },
};
