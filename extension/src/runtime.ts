/**
 * The part of the extension that talks to clusters, loaded on first use rather than at
 * activation: @kubernetes/client-node alone takes longer to load than activation may
 * take (≤150 ms). scripts/bundle.mjs bundles it to dist/runtime.js, next to dist/extension.js.
 */
export * from '@kplane/plane/cluster';
export { applyProfileCommand } from './commands/applyProfileCommand.js';
export { addClustersCommand, exportReportCommand, installAgentCommand, openStatusCommand, removeProfileCommand, setPausedCommand } from './commands/clusterCommands.js';
export { showDriftCommand } from './commands/driftCommand.js';
export { hubJoinCommand, hubLeaveCommand } from './commands/hubCommands.js';
export { diffProfileCommand } from './commands/liveDiffCommand.js';
