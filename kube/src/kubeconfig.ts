/**
 * How the agent reaches its API server: a kubeconfig (file, context) or the in-cluster service
 * account. Client certificates, bearer tokens (inline, file, rotated service-account token) and
 * CA bundles are read here directly; only a kubeconfig that needs an auth plugin (exec,
 * auth-provider) loads @kubernetes/client-node's KubeConfig, whose generated API code alone
 * costs ~80 MB of RSS, more than the rest of the agent managing 500 objects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import type * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';

export interface Connection {
  server: string;
  /** Where the connection came from, for messages. */
  source: string;
  /** TLS and auth options for one request (tokens that rotate are re-read). */
  requestOptions(): Promise<https.RequestOptions>;
}

export interface LoadOptions {
  /** One kubeconfig file, or several joined by the platform's path delimiter as in $KUBECONFIG. */
  kubeconfigPath?: string;
  context?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The agent's, the CLI's and the bed's way in: the given kubeconfig file(s), else $KUBECONFIG,
 * else ~/.kube/config, else the in-cluster service account.
 */
export function loadConnection(options: LoadOptions): Connection {
  const fromEnv = (process.env.KUBECONFIG ?? '').split(delimiter).filter((p) => p && existsSync(p));
  // Several files joined like $KUBECONFIG's merge as kubectl merges them (`kplane diff --kubeconfig a:b`).
  const given = (options.kubeconfigPath ?? '').split(delimiter).filter(Boolean);
  const paths = given.length ? given : fromEnv.length ? fromEnv : [defaultKubeconfig()].filter((p): p is string => !!p);
  if (paths.length) return fromKubeconfig(paths, options.context);
  if (process.env.KUBERNETES_SERVICE_HOST && existsSync(join(SA_DIR, 'token'))) return inCluster();
  throw new Error('No kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config) and not running in a cluster: pass --kubeconfig <path>.');
}

function defaultKubeconfig(): string | undefined {
  const path = join(homedir(), '.kube', 'config');
  return existsSync(path) ? path : undefined;
}

function inCluster(): Connection {
  const host = process.env.KUBERNETES_SERVICE_HOST!;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const ca = readFileSync(join(SA_DIR, 'ca.crt'));
  let token = '';
  let readAt = 0;
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    source: 'in-cluster service account',
    async requestOptions() {
      // Bound service-account tokens rotate; the kubelet refreshes the file, so re-read it.
      if (Date.now() - readAt > 60_000) {
        token = readFileSync(join(SA_DIR, 'token'), 'utf8').trim();
        readAt = Date.now();
      }
      return { ca, headers: { Authorization: `Bearer ${token}` } };
    },
  };
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

/** A kubeconfig entry and the folder its relative file paths are resolved against. */
interface Entry {
  value: any;
  base: string;
}

/**
 * Several kubeconfig files merged as kubectl merges $KUBECONFIG: for each name of a cluster, user
 * or context, the first file that defines it wins; current-context is the first one set.
 */
function mergeKubeconfigs(paths: string[]): { contexts: Map<string, Entry>; clusters: Map<string, Entry>; users: Map<string, Entry>; currentContext?: string } {
  const merged = { contexts: new Map<string, Entry>(), clusters: new Map<string, Entry>(), users: new Map<string, Entry>(), currentContext: undefined as string | undefined };
  for (const path of paths) {
    let doc: any;
    try {
      doc = parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`Cannot read kubeconfig ${path}: ${(err as Error).message}. Pass a readable kubeconfig to --kubeconfig.`);
    }
    const base = dirname(path);
    for (const [list, key, into] of [[doc?.contexts, 'context', merged.contexts], [doc?.clusters, 'cluster', merged.clusters], [doc?.users, 'user', merged.users]] as const) {
      if (!Array.isArray(list)) continue;
      for (const item of list as Named<unknown>[]) {
        if (typeof item?.name === 'string' && !into.has(item.name)) into.set(item.name, { value: item[key], base });
      }
    }
    if (!merged.currentContext && typeof doc?.['current-context'] === 'string' && doc['current-context']) merged.currentContext = doc['current-context'];
  }
  return merged;
}

function fromKubeconfig(paths: string[], contextName?: string): Connection {
  const where = paths.join(delimiter);
  const merged = mergeKubeconfigs(paths);
  const name = contextName ?? merged.currentContext;
  const context = name === undefined ? undefined : (merged.contexts.get(name)?.value as { cluster: string; user: string } | undefined);
  if (!context || name === undefined) {
    throw new Error(`Context "${name ?? '(none)'}" is not in kubeconfig ${where} (it has: ${[...merged.contexts.keys()].join(', ') || 'none'}); pass one of those to --context.`);
  }
  const clusterEntry = merged.clusters.get(context.cluster);
  const cluster = clusterEntry?.value;
  if (!cluster?.server) throw new Error(`kubeconfig ${where}: cluster "${context.cluster}" of context "${name}" has no server.`);
  const userEntry = merged.users.get(context.user);
  const user = userEntry?.value ?? {};
  const path = where;
  // Relative paths resolve against the file that defined the entry, as kubectl does.
  const fileFrom = (base: string) => (p: string) => readFileSync(isAbsolute(p) ? p : join(base, p));
  const clusterFile = fileFrom(clusterEntry!.base);
  const file = fileFrom(userEntry?.base ?? clusterEntry!.base);
  const pick = (data: string | undefined, filePath: string | undefined, read = file) => (data ? Buffer.from(data, 'base64') : filePath ? read(filePath) : undefined);

  if (user.exec || user['auth-provider']) return viaClientNode(paths, name, cluster.server);

  const tls: https.RequestOptions = {
    ca: pick(cluster['certificate-authority-data'], cluster['certificate-authority'], clusterFile),
    cert: pick(user['client-certificate-data'], user['client-certificate']),
    key: pick(user['client-key-data'], user['client-key']),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    servername: cluster['tls-server-name'],
  };
  const basic = user.username ? `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}` : undefined;
  const headers = (token: string | undefined) => (token ? { Authorization: `Bearer ${token}` } : basic ? { Authorization: basic } : {});
  // The same object every time unless a token file may rotate: the https.Agent keys its
  // connection pool by these options, and rebuilding them per request shows up in apply times.
  const fixed: https.RequestOptions = { ...tls, headers: headers(user.token) };
  return {
    server: cluster.server,
    source: `${path} (context ${name})`,
    async requestOptions() {
      if (!user.tokenFile || user.token) return fixed;
      return { ...tls, headers: headers(file(user.tokenFile).toString('utf8').trim()) };
    },
  };
}

/** Auth plugins (exec, oidc, cloud providers): delegate to @kubernetes/client-node, loaded only here. */
function viaClientNode(paths: string[], context: string, server: string): Connection {
  const path = paths.join(delimiter);
  const kc = (async () => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const config = new KubeConfig();
    // Several files: client-node merges $KUBECONFIG itself, with the same first-wins rule.
    if (paths.length > 1) config.loadFromDefault();
    else config.loadFromFile(paths[0]);
    config.setCurrentContext(context);
    return kubeConfigConnection(config);
  })();
  return {
    server,
    source: `${path} (context ${context}, auth plugin via @kubernetes/client-node)`,
    async requestOptions() {
      return (await kc).requestOptions();
    },
  };
}

/**
 * The connection of a client-node KubeConfig's current context: the plane's way in (multi-file
 * KUBECONFIG, exec and OIDC plugins, all of client-node's auth). Credentials are asked for per
 * request, so tokens from plugins are refreshed as client-node refreshes them.
 */
export function kubeConfigConnection(config: KubeConfig, source = `context ${config.getCurrentContext()}`): Connection {
  return {
    server: config.getCurrentCluster()?.server ?? '',
    source,
    async requestOptions() {
      const opts: https.RequestOptions = {};
      await config.applyToHTTPSOptions(opts);
      // Basic auth as a header, so HTTP/2 streams (which have no `auth` option) carry it too.
      if (opts.auth) {
        opts.headers = { ...(opts.headers as Record<string, string> | undefined), Authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` };
        delete opts.auth;
      }
      return opts;
    },
  };
}
