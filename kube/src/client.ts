/**
 * @kplane/kube/client: the same one client as @kplane/kube (KubeClient), under the entry the
 * plane imported it from; it goes away once every caller imports @kplane/kube.
 */
export { KubeClient, connectionStats, type RequestOptions, type WatchOptions, type ClientOptions } from './kubeClient.js';
export { KubeError, type WatchEvent } from './errors.js';
