/**
 * @kplane/plane/cluster: the management plane's access to clusters (watches, apply, rollout,
 * agent install), over @kplane/kube. Loaded on first use by the extension, so activation stays fast.
 */
export { FleetWatcher } from './fleetWatcher.js';
export { HubWatch, DEFAULT_HUB_WATCH_OPTIONS, type HubWatchOptions, type HubTarget } from '../hub/hubWatch.js';
export { ClusterWatch, DEFAULT_WATCH_OPTIONS, type WatchOptions } from './clusterWatch.js';
export { fleetContexts, loadKubeconfig, forContext, insecureContextWarning, type FleetContext, type LoadedKubeconfig } from './kubeconfigContexts.js';
export { openFleet, type FleetSession, type SessionOptions } from './fleetSession.js';
export { diffLive, describeKept, sensitivePaths, type LiveDiff, type KeptObject, type ChartRenderer } from './profileDiff.js';
export { kubeProfileStore, valuesApplyBody, type ProfileValuesStore, type ProfileHttp, type ProfileRef } from './profileValuesStore.js';
export { readProfile, applyProfile, previewApply, setPaused, removeProfile, asTarget, type ProfileTarget, type Target } from './profileActions.js';
export { rollOut, type RolloutOptions } from './rollout.js';
export { installAgent, readDeployManifests, type InstallManifest } from './agentInstall.js';
export { LiveSchemaStore, defaultSchemaCacheDir, describeAge, type LiveSchemaOptions, type LiveSchemaSet } from './liveSchemas.js';
export { KubeClient, KubeError } from '@kplane/kube';
export { hubInit, hubJoin, hubLeave, memberRole, parseLabels, contextClient, readMemberSecret, DEFAULT_TOKEN_SECONDS, type HubClients, type JoinOptions, type JoinResult, type LeaveOptions, type LeaveResult } from '../hub/hubMembership.js';
