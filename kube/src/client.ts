/**
 * @kplane/kube/client: the management plane's client, for many clusters at once (undici, watches
 * as HTTP/2 streams on shared sessions, auth through client-node's KubeConfig). A separate entry
 * so the agent, which imports @kplane/kube, never loads undici.
 */
export { KubeClient, connectionStats, type RequestOptions } from './kubeClient.js';
export { KubeError, type WatchEvent } from './errors.js';
