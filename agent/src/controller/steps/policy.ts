/**
 * Policy: the cluster's local policy (../../core/policy.ts), checked on everything a run would
 * apply before any of it is (and before the inventory is widened). A profile that breaks it is
 * refused whole: SpecValid=False naming each object, the rule, and who can change it. Objects
 * that exist but that kplane did not create are taken over only where the policy allows it;
 * those are marked (ADOPTED_ANNOTATION) so that prune and profile deletion leave them alone.
 */
import { objectKey, type ObjectRef } from '@kplane/profile';
import { collectionPath, METADATA_LIST_ONLY, objectPath } from '@kplane/kube';
import { refOf, type InventoryEntry } from '../../core/inventory.js';
import { ownerOf } from '../../core/objects.js';
import { adoptionViolation, policyViolations, violationsMessage, type PolicyViolation } from '../../core/policy.js';
import type { DesiredLayer } from './render.js';
import { abortable, type ReconcilerDeps, type RunContext } from './context.js';

export type PolicyVerdict =
  | { ok: true; adopting: Set<string> }
  | { ok: false; reason: 'PolicyViolation' | 'PolicyInvalid'; message: string; violations: PolicyViolation[] };

const CONCURRENCY = 16;
/** From this many objects of one kind in one namespace, one metadata-only LIST tells which exist (listedLabels). */
const LIST_FROM = 4;

export async function checkPolicy(
  ctx: RunContext,
  deps: Pick<ReconcilerDeps, 'api' | 'discovery' | 'policy' | 'namespace'>,
  layers: readonly DesiredLayer[],
  owned: readonly InventoryEntry[],
): Promise<PolicyVerdict> {
  const loaded = await abortable(deps.policy.current(), ctx.signal);
  if (!loaded.ok) return { ok: false, reason: 'PolicyInvalid', message: loaded.message, violations: [] };
  const { policy } = loaded;
  const self = { namespace: deps.policy.namespace };
  const manifests = layers.flatMap((l) => l.objects);
  const infos = new Map<string, Awaited<ReturnType<typeof deps.discovery.resource>>>();
  for (const m of manifests) {
    const id = `${m.apiVersion}/${m.kind}`;
    if (!infos.has(id)) infos.set(id, await abortable(deps.discovery.resource(m.apiVersion, m.kind), ctx.signal));
  }
  const violations = policyViolations(
    policy,
    manifests.map((manifest) => ({ manifest, clusterScoped: infos.get(`${manifest.apiVersion}/${manifest.kind}`)?.namespaced === false })),
    self,
  );

  // Objects kplane may have created are in the inventory; any other that exists was made by someone else.
  const known = new Set(owned.map(objectKey));
  const candidates = manifests.map(refOf).filter((ref) => !known.has(objectKey(ref)));
  const adopting = new Set<string>();
  const listed = await listedLabels(ctx, deps, candidates, infos);
  await forEachLimit(candidates, CONCURRENCY, async (ref: ObjectRef) => {
    const info = infos.get(`${ref.apiVersion}/${ref.kind}`);
    if (!info) return; // not served yet (its CRD comes in an earlier layer): it cannot exist
    let live: { metadata?: { labels?: Record<string, string> } } | undefined;
    const list = listed.get(groupOf(info, ref));
    if (list) live = list.get(ref.name);
    else {
      ctx.signal.throwIfAborted();
      live = await deps.api.getOrUndefined<{ metadata?: { labels?: Record<string, string> } }>(objectPath(info, ref)).catch(() => undefined);
    }
    if (!live || ownerOf(live.metadata?.labels)) return;
    if (policy.adoptExisting) adopting.add(objectKey(ref));
    else violations.push(adoptionViolation(policy, { ...ref, ...(info.namespaced ? { namespace: ref.namespace ?? 'default' } : {}) }, self));
  });
  if (violations.length) return { ok: false, reason: 'PolicyViolation', message: violationsMessage(violations), violations };
  return { ok: true, adopting };
}

type Info = NonNullable<Awaited<ReturnType<ReconcilerDeps['discovery']['resource']>>>;
type Listed = Map<string, { metadata?: { labels?: Record<string, string> } }>;

/** Kind and namespace of an object: what one LIST covers. */
function groupOf(info: Info, ref: ObjectRef): string {
  return `${info.apiVersion}/${info.kind}|${info.namespaced ? (ref.namespace ?? 'default') : ''}`;
}

/**
 * The objects that exist among many candidates of one kind in one namespace, from one
 * metadata-only LIST in place of a GET per object (a new stack of 160 objects cost 160 GETs, 1.4 s
 * of its first run on the bench). group → name → the object's metadata; groups with fewer than
 * LIST_FROM candidates, or whose LIST failed, are absent (their objects are read one by one).
 */
async function listedLabels(ctx: RunContext, deps: Pick<ReconcilerDeps, 'api'>, candidates: readonly ObjectRef[], infos: ReadonlyMap<string, Info | undefined>): Promise<Map<string, Listed>> {
  const groups = new Map<string, { info: Info; namespace?: string; count: number }>();
  for (const ref of candidates) {
    const info = infos.get(`${ref.apiVersion}/${ref.kind}`);
    if (!info) continue;
    const key = groupOf(info, ref);
    const group = groups.get(key) ?? { info, namespace: info.namespaced ? (ref.namespace ?? 'default') : undefined, count: 0 };
    group.count++;
    groups.set(key, group);
  }
  const out = new Map<string, Listed>();
  await forEachLimit([...groups].filter(([, g]) => g.count >= LIST_FROM), CONCURRENCY, async ([key, { info, namespace }]) => {
    ctx.signal.throwIfAborted();
    const list = await deps.api
      .request<{ items?: { metadata: { name: string; labels?: Record<string, string> } }[] }>('GET', collectionPath(info, namespace), { accept: METADATA_LIST_ONLY })
      .catch(() => undefined);
    if (list) out.set(key, new Map((list.items ?? []).map((item) => [item.metadata.name, item])));
  });
  return out;
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
