/** The fleet report (Markdown for people, JSON for machines) and the CLI's status JSON. */
import type { ClusterState } from './clusterState.js';
import { formatAge } from './clusterState.js';
import { summarize, type ClusterView } from './fleetModel.js';
import { escapeMarkdown } from './markdownText.js';

/** `kplane status --output json`: exactly {"clusters":[{context,state,lastSeen,profiles}]}. */
export interface StatusJson {
  clusters: { context: string; state: ClusterState; lastSeen: string; profiles: { name: string; namespace: string; version: string; appliedVersion: string; state: string }[] }[];
}

export function statusJson(views: readonly ClusterView[]): StatusJson {
  return {
    clusters: views.map((v) => ({
      context: v.id,
      // A cluster still "Connecting" when the caller stops waiting did not answer in time.
      state: v.state === 'Connecting' ? 'Unreachable' : v.state,
      lastSeen: v.lastSeen ?? '',
      profiles: v.profiles.map((p) => ({ name: p.name, namespace: p.namespace, version: p.version, appliedVersion: p.appliedVersion ?? '', state: p.state })),
    })),
  };
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
    const profiles = v.profiles.map((p) => cell(`${p.name}@${p.appliedVersion ?? p.version} ${p.state}`)).join('<br>') || '—';
    const nodes = v.nodes ? `${v.nodes.ready}/${v.nodes.total}` : '—';
    lines.push(`| ${cell(v.id)} | ${state} | ${formatAge(v.lastSeen, now)} | ${cell(v.agentVersion ?? '—')} | ${nodes} | ${profiles} | ${cell(v.reason)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Cluster text in a table cell: Markdown escaped (links, images, HTML show as text), `|` too. */
function cell(text: string): string {
  return escapeMarkdown(text);
}
