/**
 * @kplane/kube: the one Kubernetes access layer of kplane, used by the agent, the management
 * plane (plane/), the CLI and the test bed.
 */
export { ApiError, loadKubeConfig, KubeApi, type WatchEvent, type RequestOptions } from './apiClient.js';
export { Informer, storeKey, delay, type KubeObject, type InformerHandler } from './informer.js';
export { loadConnection, type Connection, type LoadOptions } from './kubeconfig.js';
export { Discovery, collectionPath, objectPath, type ResourceInfo } from './discovery.js';
export { KubeError, KubeClient, connectionStats, type WatchEvent as PlaneWatchEvent, type RequestOptions as PlaneRequestOptions } from './kubeClient.js';
