/**
 * Prune and cleanup: deletes what left the profile (only once everything desired is in place,
 * and only with spec.reconcile.prune), and, through the profile's finalizer, everything it
 * owned when the profile itself is deleted. Both work from the inventory, never from a label
 * search, so nothing the agent did not create is ever deleted.
 */
import { AGENT_FIELD_MANAGER, FINALIZER, describeObject, type ObjectRef } from '@kplane/profile';
import { mergeInventory, pruneSet, type InventoryEntry } from '../../core/inventory.js';
import { keptMessage, keptOnDelete } from '../../core/policy.js';
import { redact } from '../../core/redact.js';
import { KubeError, METADATA_ONLY, objectPath, type KubeObject } from '@kplane/kube';
import { errorText, profilePath, writtenProfile, type ReconcilerDeps, type RunContext } from './context.js';
import type { DriftDetector } from './drift.js';
import { inventoryPath, type InventoryStore } from './inventory.js';

export interface PruneResult {
  /** Objects deleted by this run. */
  pruned: number;
  /** Objects that could not be deleted (they stay in the inventory, for the retry). */
  errors: string[];
}

export class Pruner {
  constructor(
    private readonly deps: Pick<ReconcilerDeps, 'api' | 'discovery' | 'event' | 'observeProfile'>,
    private readonly inventory: InventoryStore,
    private readonly drift: DriftDetector,
  ) {}

  /** The finalizer goes on before anything is applied, so a deleted profile is always cleaned up. */
  async ensureFinalizer(ctx: RunContext): Promise<void> {
    const { profile } = ctx;
    if ((profile.metadata.finalizers ?? []).includes(FINALIZER)) return;
    ctx.signal.throwIfAborted();
    const updated = await this.deps.api.request<KubeObject>('PATCH', profilePath(profile), {
      body: { metadata: { finalizers: [...(profile.metadata.finalizers ?? []), FINALIZER], resourceVersion: profile.metadata.resourceVersion } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: AGENT_FIELD_MANAGER },
      accept: METADATA_ONLY,
    });
    const stored = writtenProfile(profile, updated, profile.status);
    if (stored) this.deps.observeProfile(stored);
    profile.metadata.resourceVersion = updated.metadata.resourceVersion;
    profile.metadata.finalizers = updated.metadata.finalizers as string[] | undefined;
  }

  /** `before`: the inventory as it was before this run widened it. */
  async prune(ctx: RunContext, before: readonly InventoryEntry[], desired: readonly ObjectRef[]): Promise<PruneResult> {
    if (!ctx.profile.spec.reconcile?.prune) {
      await this.inventory.save(ctx, mergeInventory(before, desired));
      return { pruned: 0, errors: [] };
    }
    const leftovers = pruneSet(before, desired);
    const errors: string[] = [];
    const kept: InventoryEntry[] = [];
    const released: Released[] = [];
    for (const ref of leftovers) {
      try {
        const outcome = await this.delete(ctx, ref);
        if (outcome !== 'deleted') released.push({ ref, why: outcome });
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        errors.push(redact(`${describeObject(ref)}: could not prune (${errorText(err)})`, ctx.secrets));
        kept.push(ref);
      }
    }
    if (released.length) this.deps.event(ctx.profile, 'Normal', 'Released', keptMessage(released));
    const pruned = leftovers.length - kept.length - released.length;
    if (pruned) {
      const deleted = leftovers.filter((ref) => !kept.includes(ref) && !released.some((r) => r.ref === ref));
      this.deps.event(ctx.profile, 'Normal', 'Pruned', `Deleted ${pruned} object(s) no longer in the profile: ${deleted.slice(0, 5).map(describeObject).join(', ')}.`);
    }
    await this.inventory.save(ctx, [...desired, ...kept]);
    return { pruned, errors };
  }

  /** Deleting a profile removes what it owns (namespaces and CRDs last), then lets the profile go. */
  async finalize(ctx: RunContext): Promise<void> {
    const { profile } = ctx;
    if (!(profile.metadata.finalizers ?? []).includes(FINALIZER)) return;
    const owned = await this.inventory.load(ctx);
    const last = (e: InventoryEntry) => (e.kind === 'Namespace' || e.kind === 'CustomResourceDefinition' ? 1 : 0);
    const released: Released[] = [];
    for (const ref of [...owned].sort((a, b) => last(a) - last(b))) {
      const outcome = await this.delete(ctx, ref);
      if (outcome !== 'deleted') released.push({ ref, why: outcome });
    }
    if (released.length) this.deps.event(profile, 'Normal', 'Released', keptMessage(released));
    ctx.signal.throwIfAborted();
    await this.ignoreNotFound(this.deps.api.request('DELETE', inventoryPath(profile)));
    try {
      const updated = await this.deps.api.request<KubeObject>('PATCH', profilePath(profile), {
        body: { metadata: { finalizers: (profile.metadata.finalizers ?? []).filter((f) => f !== FINALIZER), resourceVersion: profile.metadata.resourceVersion } },
        contentType: 'application/merge-patch+json',
        query: { fieldManager: AGENT_FIELD_MANAGER },
      });
      this.deps.observeProfile(updated);
    } catch (err) {
      // 404: it is already gone (an earlier run removed the finalizer); nothing left to do.
      if (err instanceof KubeError && err.status === 404) return;
      throw err;
    }
    this.inventory.forget(ctx.key);
    this.drift.forgetProfile(ctx.key);
    this.deps.event(profile, 'Normal', 'Deleted', `Profile deleted; removed the ${owned.length - released.length} object(s) it owned.`);
  }

  /**
   * Deletes what kplane created; an object it took over from someone else, and a Namespace or
   * CRD the profile did not opt in to delete, are left where they are (core/policy.ts keptOnDelete).
   */
  private async delete(ctx: RunContext, ref: InventoryEntry): Promise<'deleted' | 'adopted' | 'cascades'> {
    ctx.signal.throwIfAborted();
    const info = await this.deps.discovery.resource(ref.apiVersion, ref.kind);
    if (!info) return 'deleted'; // its kind is gone (a CRD was removed), and with it every object
    const path = objectPath(info, ref);
    const live = await this.deps.api.getOrUndefined<KubeObject>(path);
    if (!live) return 'deleted';
    this.drift.forgetObject(ref);
    const kept = keptOnDelete(live);
    if (kept) {
      ctx.log.info(kept === 'adopted' ? 'left in place: it existed before kplane took it over' : 'left in place: a Namespace or CRD without kplane.dev/prune: "true"', { object: describeObject(ref) });
      return kept;
    }
    // Preconditions: delete exactly the object read above, not one someone re-created since.
    const uid = (live.metadata as { uid?: string }).uid;
    await this.ignoreNotFound(this.deps.api.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', ...(uid ? { preconditions: { uid } } : {}) } }));
    ctx.log.info('deleted', { object: describeObject(ref) });
    return 'deleted';
  }

  private async ignoreNotFound(request: Promise<unknown>): Promise<void> {
    try {
      await request;
    } catch (err) {
      if (!(err instanceof KubeError && err.status === 404)) throw err;
    }
  }
}


interface Released {
  ref: InventoryEntry;
  why: 'adopted' | 'cascades';
}
