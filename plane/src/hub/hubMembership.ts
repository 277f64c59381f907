/**
 * Hub membership (docs/hub.md): `kplane hub init` installs the CRDs on the hub; `join` gives a
 * member its hub namespace, a ServiceAccount whose Role reaches that namespace only, and a token
 * kubeconfig stored in the member as Secret kplane-system/kplane-hub; `leave` undoes it. The CLI
 * and the extension both call these; every error names the input, what is wrong and what to do.
 *
 * Token: a TokenRequest (serviceaccounts/<sa>/token), not a legacy service-account-token Secret.
 * The API server itself issues it (no kube-controller-manager token controller needed, which a
 * bare hub may not run), it is not stored anywhere on the hub for others with Secret read access
 * to find, it expires (default one year; the server may cap it, the answer says when), and
 * deleting the ServiceAccount (leave) invalidates it, since a bound token names the account's
 * uid (within kube-apiserver's 10 s authentication cache; the RoleBinding, deleted first, stops
 * every request at once). Renewal: the agent renews its own token before it expires (its Role
 * allows a TokenRequest for its own ServiceAccount); `kplane hub join <name> … --update` issues a
 * new one by hand, e.g. after a token expired while the member was off.
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import {
  AGENT_KIND,
  AGENT_OBJECT_NAME,
  AGENT_PLURAL,
  API_VERSION,
  DEFAULT_NAMESPACE,
  HUB_AGENT_ACCOUNT,
  HUB_LEASE_NAME,
  HUB_SECRET_NAME,
  LABEL_HUB_MEMBER,
  LABEL_HUB_SOURCE,
  ANNOTATION_HUB_GENERATION,
  ANNOTATION_HUB_UID,
  PLANE_FIELD_MANAGER,
  PROFILE_PLURAL,
  UNTRACKED_FIELDS,
  allCrds,
  hubNamespaceFor,
  memberNameProblem,
  type ClusterAgent,
  type ClusterProfile,
} from '@kplane/profile';
import { KubeClient, KubeError, kubeConfigConnection } from '@kplane/kube';
import { stringify } from 'yaml';

const APPLY = 'application/apply-patch+yaml';
const TIMEOUT_MS = 15_000;
/** One year: long enough not to surprise an edge site, short enough to bound a leaked token. */
export const DEFAULT_TOKEN_SECONDS = 365 * 24 * 3600;

/** The hub Role of a member's agent: its own namespace's profiles, ClusterAgent and heartbeat Lease, nothing else. */
export function memberRole(namespace: string) {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: HUB_AGENT_ACCOUNT, namespace },
    rules: [
      { apiGroups: ['kplane.dev'], resources: [PROFILE_PLURAL, AGENT_PLURAL], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['kplane.dev'], resources: [`${PROFILE_PLURAL}/status`, `${AGENT_PLURAL}/status`], verbs: ['get', 'update', 'patch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update', 'patch'] },
      // The agent renews its own token before it expires (agent/src/hub/hubToken.ts); for its
      // own ServiceAccount only. A stolen token can renew itself too: leave (which deletes the
      // ServiceAccount) is what ends it, not the expiry.
      { apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [HUB_AGENT_ACCOUNT], verbs: ['create'] },
    ],
  };
}

export interface HubClients {
  /** The hub's API server, with the rights to create namespaces, RBAC and tokens. */
  hub: KubeClient;
  /** The member's API server, with the rights to write Secrets in the agent namespace. */
  member: KubeClient;
}

export interface JoinOptions {
  name: string;
  labels?: Record<string, string>;
  displayName?: string;
  /** The hub address the member's agent dials (default: the hub context's server). */
  hubServer?: string;
  tokenSeconds?: number;
  /** The agent namespace on the member (default kplane-system). */
  memberNamespace?: string;
  /** Re-join a member already joined to this hub: new token, labels and display name updated. */
  update?: boolean;
  progress?: (line: string) => void;
}

export interface JoinResult {
  namespace: string;
  /** When the hub token expires (the server may cap the requested lifetime). */
  tokenExpires?: string;
  hubServer: string;
}

/** `k=v,k2=v2` as labels; the message names the bad pair and the rule it breaks. */
export function parseLabels(text: string): { labels: Record<string, string>; error?: string } {
  const labels: Record<string, string> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return { labels, error: `label "${pair}" is not key=value; write --labels env=prod,region=eu` };
    const key = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) return { labels, error: `label "${pair}": ${problem}` };
    labels[key] = value;
  }
  return { labels };
}

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(prefix))) return `key prefix "${prefix}" is not a DNS subdomain`;
  if (!name || name.length > 63 || !NAME_PART.test(name)) return `key "${name}" must be 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  return undefined;
}
function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || (value && !NAME_PART.test(value))) return `value "${value}" must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  return undefined;
}

/** The context's KubeConfig and client; the error names the kubeconfig and lists the contexts it has. */
export function contextClient(kc: KubeConfig, context: string, flag: string): KubeClient {
  if (!context) throw new Error(`${flag} is required: name the kubeconfig context to use`);
  const found = kc.getContextObject(context);
  if (!found) throw new Error(`${flag} "${context}" is not a context of the kubeconfig (it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}); check the name with "kubectl config get-contexts"`);
  const one = new KubeConfig();
  one.loadFromOptions({ clusters: kc.clusters, users: kc.users, contexts: kc.contexts, currentContext: context });
  return new KubeClient(kubeConfigConnection(one), { context });
}

/** Installs (or upgrades) the kplane CRDs on the hub, waiting until each is Established. */
export async function hubInit(hub: KubeClient, progress?: (line: string) => void): Promise<string[]> {
  const names: string[] = [];
  for (const crd of allCrds) {
    progress?.(`CustomResourceDefinition ${crd.metadata.name}`);
    await call(hub, 'PATCH', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`, {
      query: { fieldManager: PLANE_FIELD_MANAGER, force: true },
      body: JSON.stringify(crd),
      contentType: APPLY,
      timeoutMs: TIMEOUT_MS,
    }).catch((err: unknown) => {
      throw new Error(`installing CRD ${crd.metadata.name} on the hub: ${message(err)}${forbidden(err) ? ' (the hub context needs cluster-admin to install CRDs)' : ''}`);
    });
    names.push(crd.metadata.name);
  }
  for (const name of names) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const live = await call<{ status?: { conditions?: { type: string; status: string }[] } }>(hub, 'GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`, { timeoutMs: TIMEOUT_MS });
      if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} did not become Established on the hub within 30s; check the hub's kube-apiserver log`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return names;
}

/** What the member's Secret says about the hub it joined, if any. */
export async function readMemberSecret(member: KubeClient, namespace = DEFAULT_NAMESPACE): Promise<{ member?: string; server?: string } | undefined> {
  const secret = await getOrUndefined<{ data?: Record<string, string> }>(member, `/api/v1/namespaces/${namespace}/secrets/${HUB_SECRET_NAME}`);
  if (!secret) return undefined;
  const decode = (k: string) => (secret.data?.[k] ? Buffer.from(secret.data[k], 'base64').toString('utf8') : undefined);
  const kubeconfig = decode('kubeconfig');
  const server = kubeconfig ? /server:\s*(\S+)/.exec(kubeconfig)?.[1] : undefined;
  return { member: decode('member'), server };
}

export async function hubJoin(clients: HubClients, hubKubeConfig: KubeConfig, options: JoinOptions): Promise<JoinResult> {
  const { hub, member } = clients;
  const problem = memberNameProblem(options.name);
  if (problem) throw new Error(`${problem}.`);
  const namespace = hubNamespaceFor(options.name);
  const memberNamespace = options.memberNamespace ?? DEFAULT_NAMESPACE;
  const say = options.progress ?? (() => undefined);
  const hubCluster = hubKubeConfig.getCurrentCluster();
  if (!hubCluster) throw new Error(`hub context "${hub.context}" has no cluster in the kubeconfig; fix the kubeconfig`);
  const hubServer = options.hubServer ?? hubCluster.server;

  // The CRDs must be there: a join before `hub init` would fail half-way through.
  const crd = await getOrUndefined(hub, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${AGENT_PLURAL}.kplane.dev`).catch((err: unknown) => {
    throw new Error(`cannot reach the hub (context ${hub.context}): ${message(err)}`);
  });
  if (!crd) throw new Error(`the hub (context ${hub.context}) has no kplane CRDs; run "kplane hub init --context ${hub.context}" first`);

  const existing = await getOrUndefined<{ metadata: { labels?: Record<string, string>; deletionTimestamp?: string } }>(hub, `/api/v1/namespaces/${namespace}`);
  if (existing?.metadata.deletionTimestamp) throw new Error(`hub namespace ${namespace} is still being deleted (an earlier leave); wait until it is gone, or join under another name`);
  if (existing && existing.metadata.labels?.[LABEL_HUB_MEMBER] !== options.name) throw new Error(`hub namespace ${namespace} exists but is not a kplane member namespace (no ${LABEL_HUB_MEMBER}=${options.name} label); pick another member name`);
  if (existing && !options.update) throw new Error(`member "${options.name}" is already joined to this hub (namespace ${namespace}); use --update to issue a new token and update its labels, or "kplane hub leave ${options.name}" first`);
  const joined = await readMemberSecret(member, memberNamespace).catch((err: unknown) => {
    throw new Error(`cannot reach the member (context ${member.context}): ${message(err)}`);
  });
  if (joined && (joined.member !== options.name || !options.update)) {
    throw new Error(`the member cluster (context ${member.context}) is already joined to a hub as "${joined.member ?? '?'}" (${joined.server ?? 'unknown server'}, Secret ${memberNamespace}/${HUB_SECRET_NAME}); run "kplane hub leave ${joined.member ?? '<name>'}" first${joined.member === options.name ? ', or pass --update' : ''}`);
  }

  const labels = options.labels ?? {};
  const apply = async (client: KubeClient, path: string, object: unknown, what: string) => {
    say(what);
    try {
      return await call(client, 'PATCH', path, { query: { fieldManager: PLANE_FIELD_MANAGER, force: true }, body: JSON.stringify(object), contentType: APPLY, timeoutMs: TIMEOUT_MS });
    } catch (err) {
      throw new Error(`${what} (context ${client.context}): ${message(err)}${forbidden(err) ? ' (the context needs the rights to create it)' : ''}`);
    }
  };
  await apply(hub, `/api/v1/namespaces/${namespace}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { [LABEL_HUB_MEMBER]: options.name } } }, `hub: Namespace ${namespace}`);
  await apply(hub, `/api/v1/namespaces/${namespace}/serviceaccounts/${HUB_AGENT_ACCOUNT}`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: HUB_AGENT_ACCOUNT, namespace } }, `hub: ServiceAccount ${namespace}/${HUB_AGENT_ACCOUNT}`);
  await apply(hub, `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles/${HUB_AGENT_ACCOUNT}`, memberRole(namespace), `hub: Role ${namespace}/${HUB_AGENT_ACCOUNT}`);
  await apply(hub, `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings/${HUB_AGENT_ACCOUNT}`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: HUB_AGENT_ACCOUNT, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: HUB_AGENT_ACCOUNT },
    subjects: [{ kind: 'ServiceAccount', name: HUB_AGENT_ACCOUNT, namespace }],
  }, `hub: RoleBinding ${namespace}/${HUB_AGENT_ACCOUNT}`);
  // Spec labels are what `kplane apply --hub --selector` matches; the same labels on the
  // object's metadata let the hub filter with a labelSelector.
  const agent: ClusterAgent = {
    apiVersion: API_VERSION,
    kind: AGENT_KIND,
    metadata: { name: AGENT_OBJECT_NAME, namespace, labels: { ...labels, [LABEL_HUB_MEMBER]: options.name } },
    spec: { labels, ...(options.displayName ? { displayName: options.displayName } : {}) },
  };
  say(`hub: ClusterAgent ${namespace}/${AGENT_OBJECT_NAME}`);
  await writeHubAgent(hub, agent).catch((err: unknown) => {
    throw new Error(`hub: ClusterAgent ${namespace}/${AGENT_OBJECT_NAME} (context ${hub.context}): ${message(err)}${forbidden(err) ? ' (the context needs the rights to create it)' : ''}`);
  });

  say(`hub: token for ${namespace}/${HUB_AGENT_ACCOUNT}`);
  const tokenRequest = await call<{ status: { token: string; expirationTimestamp?: string } }>(hub, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${HUB_AGENT_ACCOUNT}/token`, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: options.tokenSeconds ?? DEFAULT_TOKEN_SECONDS } },
    timeoutMs: TIMEOUT_MS,
  }).catch((err: unknown) => {
    throw new Error(`requesting a token for ${namespace}/${HUB_AGENT_ACCOUNT} on the hub: ${message(err)}${forbidden(err) ? ' (the hub context needs create on serviceaccounts/token)' : ''}`);
  });
  const kubeconfig = memberKubeconfig(hubKubeConfig, hubServer, namespace, tokenRequest.status.token);

  await apply(member, `/api/v1/namespaces/${memberNamespace}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: memberNamespace } }, `member: Namespace ${memberNamespace}`);
  await apply(member, `/api/v1/namespaces/${memberNamespace}/secrets/${HUB_SECRET_NAME}`, {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: { name: HUB_SECRET_NAME, namespace: memberNamespace, labels: { [LABEL_HUB_MEMBER]: options.name } },
    data: { kubeconfig: Buffer.from(kubeconfig).toString('base64'), member: Buffer.from(options.name).toString('base64') },
  }, `member: Secret ${memberNamespace}/${HUB_SECRET_NAME}`);
  return { namespace, hubServer, ...(tokenRequest.status.expirationTimestamp ? { tokenExpires: tokenRequest.status.expirationTimestamp } : {}) };
}

/** A kubeconfig for the member's agent: the hub's CA (or its TLS settings) and the token, nothing of the admin's credentials. */
function memberKubeconfig(hubKubeConfig: KubeConfig, server: string, namespace: string, token: string): string {
  const cluster = hubKubeConfig.getCurrentCluster()!;
  const ca = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'hub', cluster: { server, ...(ca ? { 'certificate-authority-data': ca } : {}), ...(cluster.skipTLSVerify ? { 'insecure-skip-tls-verify': true } : {}), ...(cluster.tlsServerName ? { 'tls-server-name': cluster.tlsServerName } : {}) } }],
    users: [{ name: HUB_AGENT_ACCOUNT, user: { token } }],
    contexts: [{ name: 'hub', context: { cluster: 'hub', user: HUB_AGENT_ACCOUNT, namespace } }],
    'current-context': 'hub',
  });
}

export interface LeaveOptions {
  name: string;
  memberNamespace?: string;
  /** Delete the member's local copies of hub profiles (their objects are then pruned); default: keep them as local profiles. */
  removeProfiles?: boolean;
  progress?: (line: string) => void;
}

export interface LeaveResult {
  /** Local profiles that came from the hub: kept as local profiles, or deleted with removeProfiles. */
  profiles: string[];
  /** What was not there any more (a second leave, or a half-done join). */
  missing: string[];
}

/**
 * Undoes a join. Order matters: the agent's hub identity goes first (RoleBinding, then
 * ServiceAccount: requests are refused at once, the token itself within seconds), so an agent still running in hub mode sees a
 * refusal, not the hub profiles disappearing, and never deletes its local copies because of the
 * leave; then the member's Secret and local copies; then the hub namespace and what it holds.
 * The member context is optional: a member that is gone for good can still be removed from the hub.
 */
export async function hubLeave(hub: KubeClient, member: KubeClient | undefined, options: LeaveOptions): Promise<LeaveResult> {
  const problem = memberNameProblem(options.name);
  if (problem) throw new Error(`${problem}.`);
  const namespace = hubNamespaceFor(options.name);
  const memberNamespace = options.memberNamespace ?? DEFAULT_NAMESPACE;
  const say = options.progress ?? (() => undefined);
  const missing: string[] = [];
  const profiles: string[] = [];
  const ns = await getOrUndefined<{ metadata: { labels?: Record<string, string> } }>(hub, `/api/v1/namespaces/${namespace}`).catch((err: unknown) => {
    throw new Error(`cannot reach the hub (context ${hub.context}): ${message(err)}`);
  });
  if (ns && ns.metadata.labels?.[LABEL_HUB_MEMBER] !== options.name) throw new Error(`hub namespace ${namespace} is not a kplane member namespace (no ${LABEL_HUB_MEMBER}=${options.name} label); nothing was changed`);
  if (member) {
    const joined = await readMemberSecret(member, memberNamespace).catch((err: unknown) => {
      throw new Error(`cannot reach the member (context ${member.context}): ${message(err)}; to remove it from the hub only, leave out --context`);
    });
    if (joined?.member && joined.member !== options.name) throw new Error(`the member cluster (context ${member.context}) is joined as "${joined.member}", not "${options.name}"; nothing was changed`);
  }
  if (!ns && !member) throw new Error(`member "${options.name}" is not joined to this hub (no namespace ${namespace})`);

  const remove = async (client: KubeClient, path: string, what: string) => {
    say(what);
    try {
      await call(client, 'DELETE', path, { timeoutMs: TIMEOUT_MS });
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) missing.push(what);
      else throw new Error(`deleting ${what} (context ${client.context}): ${message(err)}`);
    }
  };
  if (ns) {
    await remove(hub, `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings/${HUB_AGENT_ACCOUNT}`, `hub: RoleBinding ${namespace}/${HUB_AGENT_ACCOUNT}`);
    await remove(hub, `/api/v1/namespaces/${namespace}/serviceaccounts/${HUB_AGENT_ACCOUNT}`, `hub: ServiceAccount ${namespace}/${HUB_AGENT_ACCOUNT}`);
  }
  if (member) {
    await remove(member, `/api/v1/namespaces/${memberNamespace}/secrets/${HUB_SECRET_NAME}`, `member: Secret ${memberNamespace}/${HUB_SECRET_NAME}`);
    const local = await call<{ items: ClusterProfile[] }>(member, 'GET', `/apis/${API_VERSION}/namespaces/${memberNamespace}/${PROFILE_PLURAL}`, { query: { labelSelector: `${LABEL_HUB_SOURCE}=${namespace}` }, timeoutMs: TIMEOUT_MS });
    for (const p of local.items) {
      profiles.push(p.metadata.name);
      const path = `/apis/${API_VERSION}/namespaces/${memberNamespace}/${PROFILE_PLURAL}/${p.metadata.name}`;
      if (options.removeProfiles) {
        await remove(member, path, `member: ClusterProfile ${memberNamespace}/${p.metadata.name}`);
      } else {
        // Kept as a local profile: the agent goes on enforcing it, and nothing ties it to the hub.
        say(`member: ClusterProfile ${memberNamespace}/${p.metadata.name} kept as a local profile`);
        await call(member, 'PATCH', path, {
          body: { metadata: { labels: { [LABEL_HUB_SOURCE]: null }, annotations: { [ANNOTATION_HUB_UID]: null, [ANNOTATION_HUB_GENERATION]: null } } },
          contentType: 'application/merge-patch+json',
          timeoutMs: TIMEOUT_MS,
        });
      }
    }
  }
  if (ns) {
    // Deleted one by one as well as with the namespace: a hub without kube-controller-manager
    // (whose namespace controller empties a namespace) still ends up with nothing of the member.
    const profilesPath = `/apis/${API_VERSION}/namespaces/${namespace}/${PROFILE_PLURAL}`;
    const hubProfiles = await call<{ items: ClusterProfile[] }>(hub, 'GET', profilesPath, { timeoutMs: TIMEOUT_MS });
    for (const p of hubProfiles.items) await remove(hub, `${profilesPath}/${p.metadata.name}`, `hub: ClusterProfile ${namespace}/${p.metadata.name}`);
    await remove(hub, `/apis/${API_VERSION}/namespaces/${namespace}/${AGENT_PLURAL}/${AGENT_OBJECT_NAME}`, `hub: ClusterAgent ${namespace}/${AGENT_OBJECT_NAME}`);
    await remove(hub, `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${HUB_LEASE_NAME}`, `hub: Lease ${namespace}/${HUB_LEASE_NAME}`);
    await remove(hub, `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles/${HUB_AGENT_ACCOUNT}`, `hub: Role ${namespace}/${HUB_AGENT_ACCOUNT}`);
    await remove(hub, `/api/v1/namespaces/${namespace}`, `hub: Namespace ${namespace}`);
  }
  return { profiles, missing };
}

/**
 * One request, retried while the server says to come back shortly: 429 (a CRD's storage
 * re-initializing right after `hub init`, or priority-and-fairness), 503, or no answer.
 */
/**
 * The member's hub ClusterAgent as server-side apply by the plane would leave it (the labels and
 * display name of this join; labels an earlier join set and this one drops removed; labels added
 * by others kept), written by create and merge patch instead, so that its managedFields can be
 * cleared (UNTRACKED_FIELDS): the agent's status merge patches then record none either. With no
 * field owners recorded, the earlier join's labels are read from spec.labels, which only joins write.
 */
async function writeHubAgent(hub: KubeClient, agent: ClusterAgent): Promise<void> {
  const namespace = agent.metadata.namespace!;
  const path = `/apis/${API_VERSION}/namespaces/${namespace}/${AGENT_PLURAL}/${agent.metadata.name}`;
  const live = await getOrUndefined<ClusterAgent>(hub, path);
  if (!live) {
    await call(hub, 'POST', `/apis/${API_VERSION}/namespaces/${namespace}/${AGENT_PLURAL}`, { body: agent, timeoutMs: TIMEOUT_MS }).catch((err: unknown) => {
      if (!(err instanceof KubeError && err.status === 409)) throw err;
    });
  }
  const dropped = Object.fromEntries(Object.keys(live?.spec?.labels ?? {}).filter((k) => !(k in agent.spec.labels!)).map((k) => [k, null]));
  await call(hub, 'PATCH', path, {
    body: {
      metadata: { ...UNTRACKED_FIELDS, labels: { ...dropped, ...agent.metadata.labels } },
      spec: { labels: { ...dropped, ...agent.spec.labels }, displayName: agent.spec.displayName ?? null },
    },
    contentType: 'application/merge-patch+json',
    timeoutMs: TIMEOUT_MS,
  });
}

async function call<T = any>(client: KubeClient, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, options: Parameters<KubeClient['request']>[2]): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.request<T>(method, path, options);
    } catch (err) {
      // An unreachable server is tried twice only: each try may wait for the whole deadline.
      const transient = err instanceof KubeError && (err.status === 429 || err.status === 503 || (err.status === undefined && attempt < 2));
      if (!transient || attempt >= 8) throw err;
      await new Promise((r) => setTimeout(r, Math.min(4000, 250 * 2 ** attempt)));
    }
  }
}

async function getOrUndefined<T = unknown>(client: KubeClient, path: string): Promise<T | undefined> {
  try {
    return await call<T>(client, 'GET', path, { timeoutMs: TIMEOUT_MS });
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) return undefined;
    throw err;
  }
}

function forbidden(err: unknown): boolean {
  return err instanceof KubeError && (err.status === 401 || err.status === 403);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
