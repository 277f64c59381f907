/** The control-plane test bed: real Kubernetes API servers for tests, benchmarks and the demo. */
export { startCluster, type StartClusterOptions, type TestCluster } from './cluster.js';
export { startFleet, mergedKubeconfig, type Fleet, type StartFleetOptions } from './fleet.js';
export { ensureBinaries, ensureMetricsServer, repoRoot, K8S_VERSION, METRICS_SERVER_VERSION, type Binaries } from './binaries.js';
export { kubeClient, waitFor, applyYaml, type WaitOptions } from './client.js';
export { reapStaleRuns, runsRoot } from './processes.js';
export { startAgent, type RunningAgent } from './agent.js';
export { startHubSite, runKplane, type HubSite, type HubEdge, type HubEdgeSpec, type HubMemberSpec, type HubJoinedMember, type StartHubSiteOptions, type KplaneRun } from './hubSite.js';
export { startSideBySide, type SideBySide, type SideBySideOptions, type ReplicaChange } from './scalingScenario.js';
export { runDemo, type DemoCluster } from './demo/demo.js';
export { startDemoHub, selectedMembers, DEMO_AGENT_ARGS, EDGE_SITES, FLEET_MEMBERS, HUB_PROFILE, HUB_SELECTOR, type DemoHub, type StartDemoHubOptions } from './demo/demoHub.js';
export {
  ensureHelmTools,
  helm,
  helmPathDir,
  pathWithHelm,
  fixtureChart,
  packageChart,
  startOciRegistry,
  startChartRepo,
  HELM_VERSION,
  type HelmTools,
  type OciRegistry,
  type ChartRepo,
} from './charts.js';
export { readKubeApi, renderKubeApiFiles, type KubeApiSnapshot } from './kubeSchemas.js';
