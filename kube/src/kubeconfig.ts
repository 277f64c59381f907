/**
 * How the agent reaches its API server: a kubeconfig (file, context) or the in-cluster service
 * account. Client certificates, bearer tokens (inline, file, rotated service-account token) and
 * CA bundles are read here directly; only a kubeconfig that needs an auth plugin (exec,
 * auth-provider) loads @kubernetes/client-node's KubeConfig, whose generated API code alone
 * costs ~80 MB of RSS, more than the rest of the agent managing 500 objects.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type * as https from 'node:https';
import { parse } from 'yaml';

export interface Connection {
  server: string;
  /** Where the connection came from, for messages. */
  source: string;
  /** TLS and auth options for one request (tokens that rotate are re-read). */
  requestOptions(): Promise<https.RequestOptions>;
}

export interface LoadOptions {
  kubeconfigPath?: string;
  context?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function loadConnection(options: LoadOptions): Connection {
  const path = options.kubeconfigPath ?? process.env.KUBECONFIG?.split(':').find((p) => p && existsSync(p)) ?? defaultKubeconfig();
  if (path) return fromKubeconfig(path, options.context);
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

function fromKubeconfig(path: string, contextName?: string): Connection {
  let doc: any;
  try {
    doc = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`Cannot read kubeconfig ${path}: ${(err as Error).message}. Pass a readable kubeconfig to --kubeconfig.`);
  }
  const contexts: Named<{ cluster: string; user: string }>[] = doc?.contexts ?? [];
  const name = contextName ?? doc?.['current-context'];
  const context = contexts.find((c) => c.name === name)?.context;
  if (!context) {
    throw new Error(`Context "${name ?? '(none)'}" is not in kubeconfig ${path} (it has: ${contexts.map((c) => c.name).join(', ') || 'none'}); pass one of those to --context.`);
  }
  const cluster = (doc.clusters as Named<any>[] | undefined)?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`kubeconfig ${path}: cluster "${context.cluster}" of context "${name}" has no server.`);
  const user = (doc.users as Named<any>[] | undefined)?.find((u) => u.name === context.user)?.user ?? {};
  const base = dirname(path);
  const file = (p: string) => readFileSync(isAbsolute(p) ? p : join(base, p));
  const pick = (data: string | undefined, filePath: string | undefined) => (data ? Buffer.from(data, 'base64') : filePath ? file(filePath) : undefined);

  if (user.exec || user['auth-provider']) return viaClientNode(path, name, cluster.server);

  const tls: https.RequestOptions = {
    ca: pick(cluster['certificate-authority-data'], cluster['certificate-authority']),
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
function viaClientNode(path: string, context: string, server: string): Connection {
  const kc = (async () => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const config = new KubeConfig();
    config.loadFromFile(path);
    config.setCurrentContext(context);
    return config;
  })();
  return {
    server,
    source: `${path} (context ${context}, auth plugin via @kubernetes/client-node)`,
    async requestOptions() {
      const opts: https.RequestOptions = {};
      await (await kc).applyToHTTPSOptions(opts);
      return opts;
    },
  };
}
