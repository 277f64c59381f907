/**
 * @kplane/kube: the one Kubernetes access layer of kplane, used by the agent, the management
 * plane (plane/), the CLI and the test bed. One request client (KubeClient: node:https, watches
 * on shared node:http2 sessions for the plane), one error type (KubeError), one watch-line
 * decoder, one watch event type, one backoff rule, one list + watch loop (RelistLoop,
 * followWatch) with the informer built on it. No @kubernetes/client-node at run time unless a
 * kubeconfig needs an auth plugin (agent RSS, `npm run bench:kube`).
 */
export { KubeError, hasStatus, type WatchEvent } from './errors.js';
export { WatchLineDecoder, parseWatchLine, MAX_WATCH_LINE_BYTES } from './watchLines.js';
export { backoffDelay, delay, DEFAULT_BACKOFF, type Backoff } from './backoff.js';
export { KubeClient, connectionStats, METADATA_LIST_ONLY, METADATA_ONLY, type RequestOptions, type WatchOptions, type ClientOptions, type Query } from './kubeClient.js';
export { followWatch, RelistLoop, type FollowOptions, type LoopOptions, type WatchCursor, type WatchLog } from './watchLoop.js';
export { Informer, storeKey, type KubeObject, type InformerHandler, type InformerOptions } from './informer.js';
export { loadConnection, kubeConfigConnection, type Connection, type LoadOptions } from './kubeconfig.js';
export { Discovery, collectionPath, objectPath, type Capabilities, type ResourceInfo } from './discovery.js';
