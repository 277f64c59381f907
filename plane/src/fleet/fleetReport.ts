/** The fleet report (Markdown for people, JSON for machines) and the CLI's status JSON. */
import type { ClusterState, DisplayState } from './clusterState.js';
import { formatAge } from './clusterState.js';
import { summarize, type ClusterView } from './fleetModel.js';
import { escapeMarkdown } from './markdownText.js';

/**
 * `kplane status --output json`: exactly {"clusters":[{context,state,lastSeen,profiles}]}, and
 * `alsoOnHub` on a direct cluster that is also a hub member (ClusterView.alsoOnHub) only.
 */
export interface StatusJson {
  clusters: {
    context: string;
    state: ClusterState;
    lastSeen: string;
    profiles: { name: string; namespace: string; version: string; appliedVersion: string; state: string }[];
    /** The same cluster (same agent clusterId) as a member of these hubs: its id there and its state there. */
    alsoOnHub?: { hub: string; context: string; state: ClusterState }[];
  }[];
}

export function statusJson(views: readonly ClusterView[]): StatusJson {
  return {
    clusters: views.map((v) => ({
      context: v.id,
      // A cluster still "Connecting" when the caller stops waiting did not answer in time.
      state: v.state === 'Connecting' ? 'Unreachable' : v.state,
      lastSeen: v.lastSeen ?? '',
      profiles: v.profiles.map((p) => ({ name: p.name, namespace: p.namespace, version: p.version, appliedVersion: p.appliedVersion ?? '', state: p.state })),
      ...(v.alsoOnHub?.length ? { alsoOnHub: v.alsoOnHub.map((h) => ({ hub: h.hub, context: h.id, state: shownState(h.state) })) } : {}),
    })),
  };
}

/** A state as the CLI prints it: "Connecting" when the caller stops waiting means it did not answer. */
function shownState(state: DisplayState): ClusterState {
  return state === 'Connecting' ? 'Unreachable' : state;
}

/** The state column of `kplane status` and the report. */
export function stateText(v: ClusterView): string {
  return v.state === 'Unreachable' && v.lastKnown ? `Unreachable (was ${v.lastKnown})` : shownState(v.state);
}

/**
 * "also on hub X (Stale there)": a direct cluster whose hub member list() hides (ClusterView.shownAs)
 * says so, with the member's own state, which follows its Lease on the hub and may differ.
 */
export function alsoOnHubText(v: ClusterView): string | undefined {
  if (!v.alsoOnHub?.length) return undefined;
  return `also on hub ${v.alsoOnHub.map((h) => `${h.hub} as ${h.id} (${shownState(h.state)} there)`).join(', ')}`;
}

/** `kplane status`'s table, then a note per cluster shown once for itself and its hub twin. */
export function statusTable(views: readonly ClusterView[], now: number): string {
  const rows = [['CONTEXT', 'STATE', 'LAST SEEN', 'AGENT', 'NODES', 'PROFILES', 'REASON']];
  const notes: string[] = [];
  for (const v of views) {
    rows.push([
      v.id,
      stateText(v),
      formatAge(v.lastSeen, now),
      v.agentVersion ?? '-',
      v.nodes ? `${v.nodes.ready}/${v.nodes.total}` : '-',
      v.profiles.map((p) => `${p.name}@${p.appliedVersion ?? p.version}:${p.state}`).join(' ') || '-',
      v.reason,
    ]);
    const also = alsoOnHubText(v);
    if (also) notes.push(`${v.id}: ${also}; shown once, from the direct connection`);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
  return notes.length ? `${table}\n\n${notes.join('\n')}` : table;
}

export function reportJson(views: readonly ClusterView[], now: number): string {
  const summary = summarize(views);
  return JSON.stringify({ generated: new Date(now).toISOString(), summary: summary.byState, ...statusJson(views) }, null, 2);
}

export function reportMarkdown(views: readonly ClusterView[], now: number): string {
  const s = summarize(views);
  const lines = [
    '# kplane fleet report',
    '',
    `Generated ${new Date(now).toISOString()}: ${s.total} clusters, ${s.ok} healthy, ${s.warn} need attention, ${s.bad} degraded or unreachable.`,
    '',
    '| Cluster | State | Last seen | Agent | Nodes | Profiles | Why |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const v of [...views].sort((a, b) => a.id.localeCompare(b.id))) {
    const state = v.state === 'Unreachable' && v.lastKnown ? `Unreachable (was ${v.lastKnown})` : v.state;
    const also = alsoOnHubText(v);
    const profiles = v.profiles.map((p) => cell(`${p.name}@${p.appliedVersion ?? p.version} ${p.state}`)).join('<br>') || '—';
    const nodes = v.nodes ? `${v.nodes.ready}/${v.nodes.total}` : '—';
    lines.push(`| ${cell(v.id)} | ${state} | ${formatAge(v.lastSeen, now)} | ${cell(v.agentVersion ?? '—')} | ${nodes} | ${profiles} | ${cell(v.reason)}${also ? `<br>${cell(also)}` : ''} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Cluster text in a table cell: Markdown escaped (links, images, HTML show as text), `|` too. */
function cell(text: string): string {
  return escapeMarkdown(text);
}
