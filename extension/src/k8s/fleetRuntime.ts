/** The cluster adapters the FleetService needs, as one import. */
export { FleetWatcher } from './fleetWatcher.js';
export { DEFAULT_WATCH_OPTIONS } from './clusterWatch.js';
export { fleetContexts, loadKubeconfig, type FleetContext } from './kubeconfigContexts.js';
export type { KubeClient } from './kubeClient.js';
