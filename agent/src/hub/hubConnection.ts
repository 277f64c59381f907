/**
 * The agent's connection to its hub: the token kubeconfig `kplane hub join` stores in Secret
 * kplane-system/kplane-hub (or a file given with --hub-kubeconfig). Its current context's
 * namespace is the member's hub namespace.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { hubNamespaceFor, memberOfHubNamespace } from '@kplane/profile';
import { loadConnection, type Connection } from '@kplane/kube';

export interface HubTarget {
  connection: Connection;
  /** The member's namespace on the hub. */
  namespace: string;
  member: string;
  /** The bearer token, for the logger's list of values never to print, and for its renewal. */
  token?: string;
  /** Sends `token` from the next request on (a renewed one); only for a token kubeconfig. */
  setToken?: (token: string) => void;
}

interface KubeconfigDoc {
  clusters?: { name: string; cluster?: Record<string, unknown> }[];
  users?: { name: string; user?: Record<string, unknown> }[];
  contexts?: { name: string; context?: { cluster?: string; user?: string; namespace?: string } }[];
  'current-context'?: string;
}

/** Throws with a message naming `source` and what is missing. */
export function hubTargetFromText(text: string, source: string, memberHint?: string): HubTarget {
  let doc: KubeconfigDoc;
  try {
    doc = parse(text) as KubeconfigDoc;
  } catch (err) {
    throw new Error(`${source}: not a kubeconfig (${(err as Error).message}); run "kplane hub join" again to rewrite it`);
  }
  const contextName = doc?.['current-context'] ?? doc?.contexts?.[0]?.name;
  const context = doc?.contexts?.find((c) => c.name === contextName)?.context;
  const cluster = doc?.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  const user = doc?.users?.find((u) => u.name === context?.user)?.user ?? {};
  if (!context || !cluster || typeof cluster.server !== 'string') throw new Error(`${source}: no current context with a cluster server; run "kplane hub join" again to rewrite it`);
  const { namespace, member } = memberAndNamespace(context.namespace, memberHint, source);
  const b64 = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64') : undefined);
  const tls = {
    ca: b64(cluster['certificate-authority-data']),
    cert: b64(user['client-certificate-data']),
    key: b64(user['client-key-data']),
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    ...(typeof cluster['tls-server-name'] === 'string' ? { servername: cluster['tls-server-name'] } : {}),
    headers: typeof user.token === 'string' ? { Authorization: `Bearer ${user.token}` } : {},
  };
  // Requests read `tls` each time, so a renewed token is used from the next one on.
  const setToken = (token: string) => {
    tls.headers = { Authorization: `Bearer ${token}` };
  };
  if (!tls.cert && typeof user.token !== 'string') throw new Error(`${source}: the hub user has neither a token nor a client certificate; run "kplane hub join" again`);
  const server = cluster.server;
  return { namespace, member, ...(typeof user.token === 'string' ? { token: user.token, setToken } : {}), connection: { server, source, requestOptions: async () => tls } };
}

/** --hub-kubeconfig: any kubeconfig the agent could use (exec plugins too); the namespace from its context. */
export function hubTargetFromFile(path: string, memberHint?: string): HubTarget {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`--hub-kubeconfig ${path}: ${(err as Error).message}`);
  }
  const doc = parse(text) as KubeconfigDoc;
  const contextName = doc?.['current-context'];
  const ns = doc?.contexts?.find((c) => c.name === contextName)?.context?.namespace;
  const { namespace, member } = memberAndNamespace(ns, memberHint, `--hub-kubeconfig ${path}`);
  return { namespace, member, connection: loadConnection({ kubeconfigPath: path }) };
}

function memberAndNamespace(contextNamespace: string | undefined, memberHint: string | undefined, source: string): { namespace: string; member: string } {
  if (memberHint) return { member: memberHint, namespace: hubNamespaceFor(memberHint) };
  const member = contextNamespace ? memberOfHubNamespace(contextNamespace) : undefined;
  if (!member || !contextNamespace) throw new Error(`${source}: its context names no hub member namespace (kplane-member-<name>); pass --hub-member <name> or run "kplane hub join" again`);
  return { member, namespace: contextNamespace };
}
