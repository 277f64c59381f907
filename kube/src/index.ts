/**
 * @kplane/kube: the one Kubernetes access layer of kplane, used by the agent, the management
 * plane (plane/), the CLI and the test bed. One error type (KubeError), one watch event type, one
 * backoff rule, one informer. Two transports, for measured reasons (README "The Kubernetes layer"):
 * KubeApi here (node:https, no client-node or undici at run time: agent RSS, `npm run bench:kube`)
 * and KubeClient in the `@kplane/kube/client` entry (undici + HTTP/2 watch sessions, auth through
 * client-node's KubeConfig: the plane's many-cluster watch load, `npm run bench:fleet`).
 */
export { KubeError, hasStatus, type WatchEvent } from './errors.js';
export { WatchLineDecoder, parseWatchLine, MAX_WATCH_LINE_BYTES } from './watchLines.js';
export { backoffDelay, delay, DEFAULT_BACKOFF, type Backoff } from './backoff.js';
export { loadKubeConfig, KubeApi, type RequestOptions } from './apiClient.js';
export { Informer, storeKey, type KubeObject, type InformerHandler } from './informer.js';
export { loadConnection, type Connection, type LoadOptions } from './kubeconfig.js';
export { Discovery, collectionPath, objectPath, type Capabilities, type ResourceInfo } from './discovery.js';
