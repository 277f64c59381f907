/**
 * `kplane diff` against the live cluster: render the profile as the agent would for this cluster
 * (discovery decides the scope of every kind, CRDs included), ask the API server for a
 * server-side-apply dry-run of each object as field manager kplane-agent, and compare with the
 * live objects, managed fields only (../fleet/liveDiff.ts). Objects that left the profile and
 * would be pruned are listed from the agent's inventory.
 */
import {
  AGENT_FIELD_MANAGER,
  API_VERSION,
  DEFAULT_NAMESPACE,
  PLANE_FIELD_MANAGER,
  PROFILE_PLURAL,
  describeObject,
  objectKey,
  renderProfile,
  sensitiveNames,
  sensitiveValues,
  type ClusterProfile,
  type Manifest,
  type ObjectRef,
  type RenderedLayer,
} from '@kplane/profile';
import { decodeInventory, inventoryName, keptOnDelete, pruneSet, refOf, withOwnership, withReplicas } from '@kplane/agent/core';
import { Discovery, KubeError, objectPath, type Capabilities, type RequestOptions, type ResourceInfo } from '@kplane/kube';
import { objectChange, sensitivePaths, type Masking, type ObjectChange } from '../fleet/liveDiff.js';

export { sensitivePaths };
import { describeChange, storedObject, type ProfileChange } from '../fleet/profileChange.js';

/**
 * The reads and dry-runs a diff needs. Both transports fit: the plane's KubeClient, and KubeClient
 * (@kplane/kube), which `kplane diff` uses because it loads no @kubernetes/client-node, whose
 * import alone took 1-3 s of the command's time (bench:diff).
 */
export interface DiffClient {
  request<T = any>(method: 'GET' | 'PATCH', path: string, options: RequestOptions): Promise<T>;
}

export interface LiveDiff {
  /** How the ClusterProfile object itself would change. */
  profile: ProfileChange;
  /** Every desired object and every object that would be pruned, in profile order. */
  objects: ObjectChange[];
  /** Things not compared, each with why (a Helm layer, a kind the cluster does not serve yet). */
  notes: string[];
  /**
   * Objects that left the profile which prune leaves in place, as the agent decides it
   * (@kplane/agent/core keptOnDelete): adopted ones, and Namespaces and CRDs without
   * kplane.dev/prune: "true". Not in `objects`: applying deletes none of them.
   */
  kept: KeptObject[];
}

export interface KeptObject {
  ref: ObjectRef;
  why: 'adopted' | 'cascades';
}

/** Why a kept object stays, for a line of `kplane diff` or a notification. */
export function describeKept(k: KeptObject): string {
  return k.why === 'adopted'
    ? `${describeObject(k.ref)}: left the profile, kept (it existed before kplane took it over)`
    : `${describeObject(k.ref)}: left the profile, kept with everything in it (a ${k.ref.kind} is deleted only when the profile annotates it kplane.dev/prune: "true")`;
}

const CONCURRENCY = 16;

/**
 * Renders a Helm layer for this cluster (the CLI passes the real helm template with the chart
 * cache); the objects as the agent would apply them, or why it could not.
 */
export type ChartRenderer = (layer: RenderedLayer, cluster: { capabilities: Capabilities; isClusterScoped: (apiVersion: string, kind: string) => boolean }) => Promise<{ manifests: Manifest[]; chart: string } | { error: string }>;

export async function diffLive(client: DiffClient, profile: ClusterProfile, options: { timeoutMs: number; label: string; renderChart?: ChartRenderer }): Promise<LiveDiff> {
  const { timeoutMs, label } = options;
  const discovery = new Discovery({ request: <T>(method: 'GET', path: string) => client.request<T>(method, path, { timeoutMs }) });
  const spec = profile.spec;
  const namespace = profile.metadata.namespace ?? DEFAULT_NAMESPACE;
  const owner = { namespace, name: profile.metadata.name };
  // The profile's own dry-run (a large profile takes the API server a while to validate) runs
  // alongside the objects' reads and dry-runs instead of before them.
  const profileAfter = dryRunProfile(client, profile, timeoutMs);
  profileAfter.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const [liveProfile] = await Promise.all([
    getOrUndefined(client, profilePath(namespace, profile.metadata.name), timeoutMs) as Promise<ClusterProfile | undefined>,
    discovery.prime((spec.layers ?? []).flatMap((l) => l.manifests ?? [])),
  ]);
  const rendered = renderProfile(spec, (apiVersion, kind) => discovery.isClusterScoped(apiVersion, kind));
  if (rendered.problems.length) throw new Error(`cannot render ${describeProfile(profile)}: ${rendered.problems.slice(0, 3).map((p) => p.message).join('; ')}`);

  const secretNames = sensitiveNames(spec);
  // The live profile's sensitive values too: the cluster still holds them (in objects to prune,
  // or on the live side of a change), and no path from the new file points at them.
  const secretValues = [...new Set([...sensitiveValues(spec), ...(liveProfile ? sensitiveValues(liveProfile.spec) : [])])];
  const notes: string[] = [];
  const targets = new Set((spec.scaling ?? []).map((p) => objectKey(p.target)));
  // Helm layers: the chart's objects, rendered for this cluster's Capabilities. A layer that does
  // not render fails the diff: without its objects, everything it applied would show as pruned.
  const charts = new Map<number, Manifest[]>();
  for (const [li, layer] of rendered.layers.entries()) {
    if (!layer.helm) continue;
    if (!options.renderChart) {
      notes.push(`layer "${layer.name}": a Helm chart, rendered by the agent on the cluster; not compared`);
      continue;
    }
    const isClusterScoped = (apiVersion: string, kind: string) => discovery.isClusterScoped(apiVersion, kind);
    const result = await options.renderChart(layer, { capabilities: await discovery.capabilities(), isClusterScoped });
    if ('error' in result) throw new Error(`layer "${layer.name}": ${result.error}`);
    await discovery.prime(result.manifests);
    const manifests = [...result.manifests];
    // As the agent: the first Helm layer naming a namespace creates it, unless something in the profile does.
    const creates = (ms: readonly Manifest[]) => ms.some((m) => m.kind === 'Namespace' && m.apiVersion === 'v1' && m.metadata.name === layer.namespace);
    const first = rendered.layers.find((l) => l.helm && l.namespace === layer.namespace);
    if (layer.namespace && first?.name === layer.name && !creates(manifests) && !rendered.layers.some((l) => creates(l.manifests))) {
      manifests.unshift({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: layer.namespace } });
    }
    charts.set(li, manifests);
  }
  const desired = rendered.layers.flatMap((layer, li) => {
    const chart = charts.get(li);
    // A chart's objects carry values substituted anywhere: masked by value.
    if (chart) return chart.map((m) => ({ object: withOwnership(m, owner, layer.name), masking: { paths: [], values: secretValues } satisfies Masking }));
    return layer.manifests.map((m, mi) => ({
      object: withOwnership(m, owner, layer.name),
      masking: { paths: sensitivePaths(spec.layers[li].manifests?.[mi], secretNames), values: secretValues } satisfies Masking,
    }));
  });

  const objects = await mapLimit(desired, CONCURRENCY, async ({ object, masking }): Promise<ObjectChange | undefined> => {
    const ref = refOf(object);
    const info = await discovery.resource(object.apiVersion, object.kind);
    if (!info) {
      // Its CRD is in this profile and not applied yet: nothing to dry-run against; shown as the manifest.
      notes.push(`${describeObject(ref)}: the cluster does not serve ${object.apiVersion} ${object.kind} yet; shown as written, not dry-run`);
      return objectChange({ ref, after: object as unknown as Record<string, any>, masking }, AGENT_FIELD_MANAGER, label);
    }
    const path = objectPath(info, ref);
    if (!targets.has(objectKey(ref))) {
      // The read and the dry-run are independent: one round trip of latency instead of two.
      const [live, after] = await Promise.all([getOrUndefined(client, path, timeoutMs), dryRunApply(client, info, ref, object, timeoutMs)]);
      return objectChange({ ref, live, after, masking }, AGENT_FIELD_MANAGER, label);
    }
    const live = await getOrUndefined(client, path, timeoutMs);
    // A scaling policy owns the replicas of its target: the agent applies what it decided, which is what the cluster has.
    const toApply = typeof live?.spec?.replicas === 'number' ? withReplicas(object, live.spec.replicas) : object;
    const after = await dryRunApply(client, info, ref, toApply, timeoutMs);
    return objectChange({ ref, live, after, masking }, AGENT_FIELD_MANAGER, label);
  });

  const pruned = await prunable(client, profile, desired.map((d) => refOf(d.object)), timeoutMs);
  const pruneChanges: ObjectChange[] = [];
  const kept: KeptObject[] = [];
  if (pruned.length && !spec.reconcile?.prune) {
    notes.push(`${pruned.length} object(s) left the profile but stay, because reconcile.prune is off: ${pruned.slice(0, 5).map(describeObject).join(', ')}${pruned.length > 5 ? ', …' : ''}`);
  } else {
    for (const ref of pruned) {
      const info = await discovery.resource(ref.apiVersion, ref.kind);
      const live = info ? await getOrUndefined(client, objectPath(info, ref), timeoutMs) : undefined;
      if (!live) continue;
      // The agent's own rule (agent/src/controller/steps/prune.ts), read from the live object.
      const why = keptOnDelete(live as { apiVersion?: string; kind?: string; metadata: Record<string, unknown> });
      if (why) kept.push({ ref, why });
      else pruneChanges.push(objectChange({ ref, live, masking: { paths: [], values: secretValues } }, AGENT_FIELD_MANAGER, label));
    }
  }
  return { profile: describeChange(liveProfile, await profileAfter), objects: [...objects.filter((o): o is ObjectChange => !!o), ...pruneChanges], notes, kept };
}

function describeProfile(profile: ClusterProfile): string {
  return `ClusterProfile ${profile.metadata.namespace ?? DEFAULT_NAMESPACE}/${profile.metadata.name}`;
}

function profilePath(namespace: string, name: string): string {
  return `/apis/${API_VERSION}/namespaces/${encodeURIComponent(namespace)}/${PROFILE_PLURAL}/${encodeURIComponent(name)}`;
}

/** What `kplane apply` would write (./profileActions.ts applyProfile), as a dry-run. */
function dryRunProfile(client: DiffClient, profile: ClusterProfile, timeoutMs: number): Promise<ClusterProfile> {
  const object = storedObject(profile);
  return client.request<ClusterProfile>('PATCH', profilePath(object.metadata.namespace!, object.metadata.name), {
    query: { fieldManager: PLANE_FIELD_MANAGER, force: true, dryRun: 'All' },
    body: JSON.stringify(object),
    contentType: 'application/apply-patch+yaml',
    timeoutMs,
  });
}

async function dryRunApply(client: DiffClient, info: ResourceInfo, ref: ObjectRef, object: Manifest, timeoutMs: number): Promise<Record<string, any>> {
  try {
    return await client.request('PATCH', objectPath(info, ref), {
      query: { fieldManager: AGENT_FIELD_MANAGER, force: true, dryRun: 'All' },
      body: JSON.stringify(object),
      contentType: 'application/apply-patch+yaml',
      timeoutMs,
    });
  } catch (err) {
    throw new Error(`${describeObject(ref)}: the API server refused the dry-run apply: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function getOrUndefined(client: DiffClient, path: string, timeoutMs: number): Promise<Record<string, any> | undefined> {
  try {
    return await client.request('GET', path, { timeoutMs });
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) return undefined;
    throw err;
  }
}

/** What the agent's inventory holds that the profile no longer asks for. */
async function prunable(client: DiffClient, profile: ClusterProfile, desired: ObjectRef[], timeoutMs: number): Promise<ObjectRef[]> {
  const namespace = profile.metadata.namespace ?? DEFAULT_NAMESPACE;
  const cm = await getOrUndefined(client, `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(inventoryName(profile.metadata.name))}`, timeoutMs);
  return pruneSet(decodeInventory(cm?.data), desired);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
