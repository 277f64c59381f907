/**
 * The inventory: every object the agent has applied for a profile. It is what pruning and
 * deletion work from, so it is written before an apply starts (old ∪ new) and narrowed only
 * after pruning finished; an agent killed in between finds everything it may have created.
 */
import { objectKey, type Manifest, type ObjectRef } from '@kplane/profile';

export type InventoryEntry = ObjectRef;

/** The ConfigMap beside a profile that lists what its agent may have created (read by `kplane diff` too). */
export function inventoryName(profile: string): string {
  return `kplane-inventory-${profile}`.slice(0, 253);
}

export function refOf(manifest: Manifest): ObjectRef {
  const ref: ObjectRef = { apiVersion: manifest.apiVersion, kind: manifest.kind, name: manifest.metadata.name };
  if (manifest.metadata.namespace) ref.namespace = manifest.metadata.namespace;
  return ref;
}

/** Entries of `previous` that `desired` no longer has (matched by group/kind/namespace/name). */
export function pruneSet(previous: readonly InventoryEntry[], desired: readonly InventoryEntry[]): InventoryEntry[] {
  const keep = new Set(desired.map(objectKey));
  return previous.filter((entry) => !keep.has(objectKey(entry)));
}

/** Union by key, later entries winning (so a changed apiVersion is remembered). */
export function mergeInventory(...lists: readonly (readonly InventoryEntry[])[]): InventoryEntry[] {
  const byKey = new Map<string, InventoryEntry>();
  for (const list of lists) for (const entry of list) byKey.set(objectKey(entry), entry);
  return [...byKey.values()].sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
}

/** The inventory as ConfigMap data: one JSON document, sorted so unchanged inventories compare equal. */
export function encodeInventory(entries: readonly InventoryEntry[]): Record<string, string> {
  return { objects: JSON.stringify(mergeInventory(entries)) };
}

/** Reads what encodeInventory wrote; anything unreadable counts as empty rather than crashing. */
export function decodeInventory(data: Record<string, string> | undefined): InventoryEntry[] {
  try {
    const parsed: unknown = JSON.parse(data?.objects ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (e): e is InventoryEntry =>
        !!e && typeof e === 'object' && typeof e.apiVersion === 'string' && typeof e.kind === 'string' && typeof e.name === 'string',
    );
  } catch {
    return [];
  }
}
