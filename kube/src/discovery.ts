/**
 * Discovery: which REST resource serves an apiVersion/kind, and whether it is namespaced. Cached
 * per group-version and refreshed on a miss, so kinds from CRDs applied by an earlier layer
 * are found as soon as the API server serves them.
 */
import { KubeError } from './errors.js';
import type { ObjectRef } from '@kplane/profile';

export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

export interface Capabilities {
  /** e.g. v1.36.3 */
  kubeVersion?: string;
  /** group/version and group/version/Kind of everything served, sorted. */
  apiVersions: string[];
}

const CAPABILITIES_MAX_AGE_MS = 2_000;
const CAPABILITIES_FULL_MS = 60_000;

export class Discovery {
  private readonly byGroupVersion = new Map<string, Map<string, ResourceInfo>>();
  private caps: { at: number; value: Capabilities } | undefined;
  private capsFullAt = 0;

  /** Any client that can GET a path: a KubeClient, or a wrapper giving it the caller's deadline. */
  constructor(private readonly api: { request<T>(method: 'GET', path: string): Promise<T> }) {}

  /** The resource for a kind, or undefined when the API server does not serve it (yet). */
  async resource(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const cached = this.byGroupVersion.get(apiVersion)?.get(kind);
    if (cached) return cached;
    await this.refresh(apiVersion);
    return this.byGroupVersion.get(apiVersion)?.get(kind);
  }

  /** Synchronous lookup for rendering; unknown kinds count as namespaced (the common case). */
  isClusterScoped(apiVersion: string, kind: string): boolean {
    const info = this.byGroupVersion.get(apiVersion)?.get(kind);
    return info ? !info.namespaced : false;
  }

  async refresh(apiVersion: string): Promise<void> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let list: ApiResourceList | undefined;
    try {
      list = await this.api.request<ApiResourceList>('GET', path);
    } catch (err) {
      if (err instanceof KubeError && (err.status === 404 || err.status === 503)) list = undefined;
      else throw err;
    }
    const map = new Map<string, ResourceInfo>();
    for (const r of list?.resources ?? []) {
      if (r.name.includes('/')) continue; // subresources such as deployments/scale
      map.set(r.kind, { apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced });
    }
    this.byGroupVersion.set(apiVersion, map);
  }

  /**
   * What Helm calls Capabilities: the server's version and every served group/version and
   * group/version/Kind, for `helm template --kube-version --api-versions`. Re-read after
   * `maxAgeMs`, so kinds of CRDs that became Established since are seen.
   */
  async capabilities(maxAgeMs = CAPABILITIES_MAX_AGE_MS): Promise<Capabilities> {
    if (this.caps && Date.now() - this.caps.at < maxAgeMs) return this.caps.value;
    const [version, core, groups] = await Promise.all([
      this.caps?.value.kubeVersion ? { gitVersion: this.caps.value.kubeVersion } : this.api.request<{ gitVersion?: string }>('GET', '/version'),
      this.api.request<{ versions?: string[] }>('GET', '/api'),
      this.api.request<{ groups?: { versions?: { groupVersion: string }[] }[] }>('GET', '/apis'),
    ]);
    const groupVersions = [...(core.versions ?? []), ...(groups.groups ?? []).flatMap((g) => (g.versions ?? []).map((v) => v.groupVersion))];
    // Group-versions already known are read again only every CAPABILITIES_FULL_MS; new ones (a CRD became served) at once.
    const full = !this.capsFullAt || Date.now() - this.capsFullAt > CAPABILITIES_FULL_MS;
    await Promise.all(groupVersions.filter((gv) => full || !this.byGroupVersion.has(gv)).map((gv) => this.refresh(gv)));
    if (full) this.capsFullAt = Date.now();
    const apiVersions = new Set<string>();
    for (const gv of groupVersions) {
      apiVersions.add(gv);
      for (const kind of this.byGroupVersion.get(gv)?.keys() ?? []) apiVersions.add(`${gv}/${kind}`);
    }
    const value = { kubeVersion: version.gitVersion, apiVersions: [...apiVersions].sort() };
    this.caps = { at: Date.now(), value };
    return value;
  }

  /** Pre-load the group-versions named in a set of manifests, so rendering can ask synchronously. */
  async prime(refs: readonly { apiVersion: string; kind: string }[]): Promise<void> {
    const missing = new Set(refs.filter((r) => !this.byGroupVersion.get(r.apiVersion)?.has(r.kind)).map((r) => r.apiVersion));
    await Promise.all([...missing].map((gv) => this.refresh(gv)));
  }
}

/** The collection path of a resource, optionally within a namespace. */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  const prefix = info.apiVersion.includes('/') ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  return info.namespaced && namespace ? `${prefix}/namespaces/${encodeURIComponent(namespace)}/${info.plural}` : `${prefix}/${info.plural}`;
}

export function objectPath(info: ResourceInfo, ref: Pick<ObjectRef, 'name' | 'namespace'>): string {
  return `${collectionPath(info, info.namespaced ? ref.namespace ?? 'default' : undefined)}/${encodeURIComponent(ref.name)}`;
}
