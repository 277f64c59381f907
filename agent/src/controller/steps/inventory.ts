/**
 * The inventory of each profile (../../core/inventory.ts): kept in a ConfigMap beside the
 * profile and cached here, written only when it changes. It is widened before an apply starts
 * and narrowed only after pruning, so an agent killed in between finds everything it may have
 * created.
 */
import { AGENT_FIELD_MANAGER, type ClusterProfile, type ObjectRef } from '@kplane/profile';
import { decodeInventory, encodeInventory, inventoryName, mergeInventory, type InventoryEntry } from '../../core/inventory.js';
import type { ReconcilerDeps, RunContext } from './context.js';

export { inventoryName };

export function inventoryPath(profile: ClusterProfile): string {
  return `/api/v1/namespaces/${profile.metadata.namespace}/configmaps/${inventoryName(profile.metadata.name)}`;
}

export class InventoryStore {
  private readonly cache = new Map<string, InventoryEntry[]>();

  constructor(private readonly deps: Pick<ReconcilerDeps, 'api'>) {}

  async load(ctx: RunContext): Promise<InventoryEntry[]> {
    const cached = this.cache.get(ctx.key);
    if (cached) return cached;
    ctx.signal.throwIfAborted();
    const cm = await this.deps.api.getOrUndefined<{ data?: Record<string, string> }>(inventoryPath(ctx.profile));
    const entries = decodeInventory(cm?.data);
    this.cache.set(ctx.key, entries);
    return entries;
  }

  /**
   * Remembers what this run may create before it exists (unless paused: then nothing is
   * created). Returns the inventory as it was, which pruning compares against.
   */
  async widen(ctx: RunContext, desired: readonly ObjectRef[]): Promise<InventoryEntry[]> {
    const before = await this.load(ctx);
    if (!ctx.paused) await this.save(ctx, mergeInventory(before, desired));
    return before;
  }

  async save(ctx: RunContext, entries: readonly InventoryEntry[]): Promise<void> {
    const next = mergeInventory(entries);
    const current = this.cache.get(ctx.key);
    if (current && JSON.stringify(mergeInventory(current)) === JSON.stringify(next)) return;
    ctx.signal.throwIfAborted();
    const { profile } = ctx;
    await this.deps.api.apply(
      inventoryPath(profile),
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: inventoryName(profile.metadata.name), namespace: profile.metadata.namespace, labels: { 'kplane.dev/inventory-of': profile.metadata.name } },
        data: encodeInventory(next),
      },
      AGENT_FIELD_MANAGER,
    );
    this.cache.set(ctx.key, next);
  }

  forget(key: string): void {
    this.cache.delete(key);
  }
}
