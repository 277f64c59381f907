/**
 * Pure shaping of a FleetSnapshot into what the dashboard draws: the clusters × profiles matrix,
 * ages, and the merged timeline of one cluster. Kept out of the DOM code so it is unit-tested.
 */
import type { AgentEvent, DriftRecord } from '@kplane/profile/model';
import type { ClusterView, FleetSnapshot, ProfileView } from './protocol.js';

export interface MatrixCell {
  profile?: ProfileView;
  /** The version the cell shows: applied when the agent reported one, else the requested one. */
  label: string;
  /** CSS modifier for the state colour. */
  state: string;
  /** Requested and applied versions differ: a rollout is still on its way. */
  versionSkew: boolean;
}

export interface Matrix {
  /** "namespace/name" of every profile on any cluster, sorted. */
  profiles: string[];
  rows: { cluster: ClusterView; cells: MatrixCell[] }[];
}

export function profileKey(p: Pick<ProfileView, 'namespace' | 'name'>): string {
  return `${p.namespace}/${p.name}`;
}

export function buildMatrix(snapshot: FleetSnapshot): Matrix {
  const keys = new Set<string>();
  for (const c of snapshot.clusters) for (const p of c.profiles) keys.add(profileKey(p));
  const profiles = [...keys].sort();
  const clusters = [...snapshot.clusters].sort((a, b) => a.displayName.localeCompare(b.displayName));
  const rows = clusters.map((cluster) => {
    const byKey = new Map(cluster.profiles.map((p) => [profileKey(p), p]));
    const cells = profiles.map((key): MatrixCell => {
      const profile = byKey.get(key);
      if (!profile) return { label: '—', state: 'absent', versionSkew: false };
      const skew = profile.appliedVersion !== undefined && profile.appliedVersion !== profile.version;
      // On an unreachable or stale cluster the profile's state is last known, not current.
      const state = cluster.state === 'Unreachable' || cluster.state === 'Stale' ? 'unknown' : profile.state.toLowerCase();
      return { profile, label: skew ? `${profile.appliedVersion} → ${profile.version}` : (profile.appliedVersion ?? profile.version), state, versionSkew: skew };
    });
    return { cluster, cells };
  });
  return { profiles, rows };
}

/** "12s ago", "4m ago", "3h ago", "2d ago"; "never" without a time; "just now" for clock skew. */
export function age(iso: string | undefined, now: Date): string {
  if (!iso) return 'never';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'unknown';
  const seconds = Math.floor((now.getTime() - then) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

export interface TimelineEntry {
  time: string;
  severity: 'Normal' | 'Warning';
  reason: string;
  message: string;
  profile?: string;
}

/**
 * A cluster's timeline, newest first: the agent's events, plus drift detections and corrections
 * that the event ring may already have dropped. Entries with the same time and reason are one.
 */
export function timeline(cluster: ClusterView, limit = 100): TimelineEntry[] {
  const entries: TimelineEntry[] = cluster.events.map((e: AgentEvent) => ({ time: e.time, severity: e.severity, reason: e.reason, message: e.message, profile: e.profile }));
  for (const p of cluster.profiles) {
    for (const d of p.drift) {
      entries.push({ time: d.detectedTime, severity: 'Warning', reason: 'DriftDetected', message: driftText(d), profile: profileKey(p) });
      if (d.correctedTime) entries.push({ time: d.correctedTime, severity: 'Normal', reason: 'DriftCorrected', message: driftText(d), profile: profileKey(p) });
    }
  }
  const seen = new Set<string>();
  return entries
    .filter((e) => {
      const key = `${e.time}|${e.reason}|${e.profile ?? ''}|${e.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))
    .slice(0, limit);
}

export function driftText(d: DriftRecord): string {
  const where = d.namespace ? `${d.namespace}/${d.name}` : d.name;
  return `${d.kind} ${where}: ${d.fields.join(', ')}`;
}

/** Summary counts for the header, e.g. { Healthy: 2, Unreachable: 1 }. */
export function stateCounts(snapshot: FleetSnapshot): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of snapshot.clusters) counts[c.state] = (counts[c.state] ?? 0) + 1;
  return counts;
}
