/**
 * Findings of one manifest checked against several targets (the built-in API and the live API of
 * each target cluster), merged: a finding that holds on every target is reported once, as is; one
 * that holds on some only says where ("on cluster eu-prod-1: …"). Pure.
 */
import type { KubeTypes } from '../kubeTypes.js';
import type { Finding } from './index.js';

/** A target cluster and its live types (clusters of one release and CRD set share one KubeTypes). */
export interface SchemaTarget {
  name: string;
  kube: KubeTypes;
}

/** The findings of one distinct schema set and the targets that have it. */
export interface TargetFindings {
  /** Target names; empty for the built-in API. */
  targets: readonly string[];
  kube: KubeTypes;
  findings: readonly Finding[];
}

const keyOf = (f: Finding): string => `${f.code}|${f.path.join('\u0000')}|${f.on ?? ''}|${JSON.stringify(f.data ?? {})}`;

function where(builtin: KubeTypes | undefined, clusters: string[]): string {
  const parts: string[] = [];
  if (builtin) parts.push(`in built-in ${builtin.label}`);
  if (clusters.length) parts.push(`on cluster${clusters.length > 1 ? 's' : ''} ${clusters.length > 5 ? `${clusters.slice(0, 5).join(', ')} and ${clusters.length - 5} more` : clusters.join(', ')}`);
  return parts.join(' and ');
}

/**
 * `results[i]` is one distinct schema set (the built-in one has no targets). With live sets, the
 * built-in set's "not checked" notes go (a live cluster either serves the kind or says it does not).
 */
export function mergeTargetFindings(results: readonly TargetFindings[]): Finding[] {
  const live = results.filter((r) => r.kube.live);
  if (!live.length) return results.flatMap((r) => r.findings);
  const groups = new Map<string, { first: Finding; firstLive?: Finding; builtin?: KubeTypes; clusters: string[]; sets: number }>();
  const sets = results;
  for (const r of sets) {
    for (const f of r.findings) {
      if (!r.kube.live && f.code === 'MANIFEST_KIND_UNKNOWN') continue;
      const key = keyOf(f);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { first: f, clusters: [], sets: 0 }));
      // One finding per set: a set reports a key once (the walker's paths and codes are unique).
      g.sets++;
      if (r.kube.live) {
        g.firstLive ??= f;
        g.clusters.push(...r.targets);
      } else g.builtin = r.kube;
    }
  }
  const merged: Finding[] = [];
  for (const g of groups.values()) {
    if (g.sets >= sets.length) {
      merged.push(g.first);
      continue;
    }
    const base = g.firstLive ?? g.first;
    const place = where(g.builtin, g.clusters);
    merged.push({ ...base, message: `${place.charAt(0).toUpperCase()}${place.slice(1)}: ${base.message}`, data: { ...(base.data ?? {}), targets: [...(g.builtin ? ['built-in'] : []), ...g.clusters].join(',') } });
  }
  return merged;
}
