/**
 * The Fleet view: clusters grouped by a label (kplane.fleet.groupBy), each with its state as a
 * coloured ThemeIcon; children are computed lazily: profiles → layers → drifted or failed
 * resources. A status change refreshes only that cluster's node (coalesced per 100 ms), never
 * the whole tree, so 1,000 clusters writing status stay cheap.
 */
import * as vscode from 'vscode';
import { escapeMarkdown as escapeMd, formatAge, type DisplayState } from '@kplane/plane';
import type { ClusterView } from '@kplane/plane';
import { layerChartText } from '@kplane/profile/model';
import type { FleetService } from '../fleetService.js';
import type { FleetNode } from './fleetNodes.js';

const STATE_ICON: Record<DisplayState, [string, string]> = {
  Healthy: ['pass-filled', 'testing.iconPassed'],
  Degraded: ['error', 'list.errorForeground'],
  Drifted: ['diff', 'list.warningForeground'],
  Paused: ['debug-pause', 'disabledForeground'],
  NoAgent: ['circle-slash', 'list.warningForeground'],
  Stale: ['watch', 'list.warningForeground'],
  Unreachable: ['debug-disconnect', 'list.errorForeground'],
  Connecting: ['loading~spin', 'foreground'],
};

const NO_GROUP = '';

export class FleetTreeProvider implements vscode.TreeDataProvider<FleetNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<FleetNode | FleetNode[] | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** Stable node objects per cluster: VS Code matches refreshes by identity. */
  private readonly clusterNodes = new Map<string, FleetNode & { kind: 'cluster' }>();
  /** The group each cluster was shown in; a change of group needs a full refresh. */
  private readonly shownGroup = new Map<string, string>();
  private pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private fullRefresh = false;
  private readonly unsubscribe: () => void;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** For tests and the benchmark: resolves listeners after each flush with the refreshed ids. */
  readonly onDidFlush: vscode.Event<string[] | 'all'>;
  private readonly flushEmitter = new vscode.EventEmitter<string[] | 'all'>();

  constructor(private readonly fleet: FleetService) {
    this.onDidFlush = this.flushEmitter.event;
    this.unsubscribe = fleet.model.onChange((ids) => this.schedule(ids));
    this.subscriptions.push(fleet.onDidStart(() => this.scheduleFull()));
  }

  private schedule(ids: string[]): void {
    for (const id of ids) this.pending.add(id);
    this.timer ??= setTimeout(() => this.flush(), 100);
  }

  private scheduleFull(): void {
    this.fullRefresh = true;
    this.timer ??= setTimeout(() => this.flush(), 100);
  }

  private flush(): void {
    this.timer = undefined;
    const ids = [...this.pending];
    this.pending.clear();
    let full = this.fullRefresh;
    this.fullRefresh = false;
    const nodes: FleetNode[] = [];
    for (const id of ids) {
      const view = this.fleet.model.get(id);
      const node = this.clusterNodes.get(id);
      if (!view || !node || this.shownGroup.get(id) !== this.groupOf(view)) full = true;
      else nodes.push(node);
    }
    if (full) {
      this.emitter.fire(undefined);
      this.flushEmitter.fire('all');
    } else if (nodes.length) {
      this.emitter.fire(nodes);
      this.flushEmitter.fire(ids);
    }
  }

  private groupOf(view: ClusterView): string {
    const key = this.fleet.groupBy;
    return key ? (view.labels[key] ?? NO_GROUP) : NO_GROUP;
  }

  getChildren(node?: FleetNode): FleetNode[] {
    if (!node) {
      // Showing the view is what starts the watches: no cluster I/O before that.
      this.fleet.ensureStarted();
      const messages: FleetNode[] = this.fleet.errors.map((text) => ({ kind: 'message', text, command: 'kplane.addClusters' }));
      const views = this.fleet.model.list();
      const key = this.fleet.groupBy;
      const groups = new Map<string, ClusterView[]>();
      for (const v of views) {
        const g = this.groupOf(v);
        groups.set(g, [...(groups.get(g) ?? []), v]);
        this.shownGroup.set(v.id, g);
      }
      if (!key || groups.size <= 1) return [...messages, ...this.clusters(views)];
      const sorted = [...groups.keys()].sort((a, b) => (a === NO_GROUP ? 1 : b === NO_GROUP ? -1 : a.localeCompare(b)));
      return [...messages, ...sorted.map((value): FleetNode => ({ kind: 'group', key, value, label: value === NO_GROUP ? `no ${key} label` : `${key}=${value}` }))];
    }
    switch (node.kind) {
      case 'group':
        return this.clusters(this.fleet.model.list().filter((v) => this.groupOf(v) === node.value));
      case 'cluster':
        return this.profilesOf(node.id);
      case 'profile':
        return this.layersOf(node);
      case 'layer':
        return this.resourcesOf(node);
      default:
        return [];
    }
  }

  private clusters(views: ClusterView[]): FleetNode[] {
    return views
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((v) => {
        let n = this.clusterNodes.get(v.id);
        if (!n) this.clusterNodes.set(v.id, (n = { kind: 'cluster', id: v.id }));
        return n;
      });
  }

  private profilesOf(cluster: string): FleetNode[] {
    const view = this.fleet.model.get(cluster);
    if (!view) return [];
    if (view.state === 'NoAgent') return [{ kind: 'message', text: 'No agent: run "Install or Upgrade Agent"', detail: view.reason, command: 'kplane.installAgent' }];
    if (!view.profiles.length) return [{ kind: 'message', text: 'No profiles: apply one from the Profiles view', command: 'kplane.applyProfile' }];
    return view.profiles.map((p) => ({ kind: 'profile', cluster, key: p.key, name: p.name, namespace: p.namespace }));
  }

  private layersOf(node: FleetNode & { kind: 'profile' }): FleetNode[] {
    const profile = this.fleet.model.record(node.cluster)?.profiles.get(node.key);
    const layers = profile?.status?.layers ?? [];
    const nodes: FleetNode[] = layers.map((layer) => ({ kind: 'layer', cluster: node.cluster, profileKey: node.key, layer }));
    // Drift the agent could not place in a layer of the current spec still needs showing.
    const placed = new Set(layers.flatMap((l) => this.driftIn(node.cluster, node.key, l.name)));
    for (const record of profile?.status?.drift ?? []) if (!placed.has(record)) nodes.push({ kind: 'drift', cluster: node.cluster, profileKey: node.key, record });
    return nodes;
  }

  private resourcesOf(node: FleetNode & { kind: 'layer' }): FleetNode[] {
    const nodes: FleetNode[] = this.driftIn(node.cluster, node.profileKey, node.layer.name).map((record) => ({ kind: 'drift', cluster: node.cluster, profileKey: node.profileKey, record }));
    if (node.layer.state === 'Failed' && node.layer.message) nodes.push({ kind: 'failure', cluster: node.cluster, profileKey: node.profileKey, layer: node.layer.name, message: node.layer.message });
    return nodes;
  }

  /** Drift records whose object is one of this layer's manifests (matched by kind and name). */
  private driftIn(cluster: string, key: string, layerName: string) {
    const profile = this.fleet.model.record(cluster)?.profiles.get(key);
    const layer = profile?.spec?.layers?.find((l) => l.name === layerName);
    if (!layer) return [];
    return (profile?.status?.drift ?? []).filter((d) => !d.correctedTime && (layer.manifests ?? []).some((m) => m.kind === d.kind && m.metadata?.name === d.name));
  }

  getTreeItem(node: FleetNode): vscode.TreeItem {
    const now = Date.now();
    switch (node.kind) {
      case 'group': {
        const count = this.fleet.model.list().filter((v) => this.groupOf(v) === node.value).length;
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `group:${node.key}=${node.value}`;
        item.description = `${count}`;
        item.iconPath = new vscode.ThemeIcon('folder-library');
        item.contextValue = 'group';
        return item;
      }
      case 'cluster': {
        const v = this.fleet.model.get(node.id);
        const item = new vscode.TreeItem(v?.displayName ?? node.id, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `cluster:${node.id}`;
        if (!v) return item;
        const [icon, color] = STATE_ICON[v.state];
        item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
        item.description = clusterDescription(v, now);
        item.tooltip = clusterTooltip(v, now);
        // Menus match on these words: cluster, its state, and whether it has profiles.
        item.contextValue = `cluster state-${v.state}${v.profiles.length ? ' has-profiles' : ''}`;
        item.accessibilityInformation = { label: `${v.displayName}: ${v.state}. ${v.reason}` };
        return item;
      }
      case 'profile': {
        const p = this.fleet.model.get(node.cluster)?.profiles.find((x) => x.key === node.key);
        const record = this.fleet.model.record(node.cluster)?.profiles.get(node.key);
        const hasChildren = (record?.status?.layers?.length ?? 0) + (record?.status?.drift?.length ?? 0) > 0;
        const item = new vscode.TreeItem(node.name, hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `profile:${node.cluster}/${node.key}`;
        if (p) {
          item.description = `${p.appliedVersion ?? p.version} · ${p.state}${p.appliedVersion && p.appliedVersion !== p.version ? ` (desired ${p.version})` : ''}`;
          item.iconPath = new vscode.ThemeIcon(...profileIcon(p.state));
          const ready = record?.status?.conditions?.find((c) => c.type === 'Ready');
          // Everything from the cluster is escaped: a condition message must not render as links, images or HTML.
          item.tooltip = new vscode.MarkdownString(
            `**${escapeMd(`${node.namespace}/${node.name}`)}** on \`${escapeMd(node.cluster)}\`\n\nversion ${escapeMd(p.version)}, applied ${escapeMd(p.appliedVersion ?? '—')}, state **${p.state}**` +
              (ready ? `\n\nReady=${escapeMd(String(ready.status))} (${escapeMd(String(ready.reason))}): ${escapeMd(String(ready.message))}` : '') +
              (record?.status?.resources ? `\n\nresources: ${record.status.resources.ready}/${record.status.resources.total} ready, ${record.status.resources.drifted} drifted, ${record.status.resources.failed} failed` : ''),
          );
          item.contextValue = `profile ${p.state === 'Paused' ? 'paused' : 'running'}`;
        }
        return item;
      }
      case 'layer': {
        const l = node.layer;
        const hasChildren = this.driftIn(node.cluster, node.profileKey, l.name).length > 0 || (l.state === 'Failed' && !!l.message);
        const item = new vscode.TreeItem(l.name, hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = `layer:${node.cluster}/${node.profileKey}/${l.name}`;
        const chart = layerChartText(l);
        item.description = `${chart ? `${chart} · ` : ''}${l.state} · ${l.ready}/${l.resources} ready`;
        item.tooltip = `${l.name}: ${l.state}${chart ? `\nchart ${chart}` : ''}${l.message ? `\n${l.message}` : ''}`;
        item.iconPath = new vscode.ThemeIcon(l.state === 'Ready' ? 'layers-active' : l.state === 'Failed' ? 'error' : 'layers', l.state === 'Failed' ? new vscode.ThemeColor('list.errorForeground') : undefined);
        item.contextValue = 'layer';
        return item;
      }
      case 'drift': {
        const d = node.record;
        const item = new vscode.TreeItem(`${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name}`, vscode.TreeItemCollapsibleState.None);
        item.id = `drift:${node.cluster}/${node.profileKey}/${d.apiVersion}/${d.kind}/${d.namespace ?? ''}/${d.name}`;
        item.description = `drifted ${formatAge(d.detectedTime, now)}${d.correctedTime ? ', corrected' : ''}: ${d.fields.join(', ')}`;
        item.tooltip = `${d.message ?? 'Drifted from the profile'}\nfields: ${d.fields.join(', ')}\ndetected ${d.detectedTime}${d.correctedTime ? `\ncorrected ${d.correctedTime}` : ''}`;
        item.iconPath = new vscode.ThemeIcon('diff-modified', new vscode.ThemeColor('list.warningForeground'));
        item.contextValue = 'drift';
        item.command = { command: 'kplane.showDrift', title: 'Show Drift', arguments: [node] };
        return item;
      }
      case 'failure': {
        const item = new vscode.TreeItem(node.message.split('\n')[0], vscode.TreeItemCollapsibleState.None);
        item.tooltip = node.message;
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
        item.contextValue = 'failure';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.tooltip = node.detail ?? node.text;
        item.iconPath = new vscode.ThemeIcon('info');
        item.contextValue = 'message';
        if (node.command) item.command = { command: node.command, title: node.text };
        return item;
      }
    }
  }

  getParent(node: FleetNode): FleetNode | undefined {
    if (node.kind === 'cluster') {
      const view = this.fleet.model.get(node.id);
      const key = this.fleet.groupBy;
      if (!view || !key) return undefined;
      const groups = new Set(this.fleet.model.list().map((v) => this.groupOf(v)));
      if (groups.size <= 1) return undefined;
      const value = this.groupOf(view);
      return { kind: 'group', key, value, label: value === NO_GROUP ? `no ${key} label` : `${key}=${value}` };
    }
    return undefined;
  }

  dispose(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
    this.flushEmitter.dispose();
  }
}

function profileIcon(state: string): [string, vscode.ThemeColor] {
  switch (state) {
    case 'Ready':
      return ['check', new vscode.ThemeColor('testing.iconPassed')];
    case 'Failed':
      return ['error', new vscode.ThemeColor('list.errorForeground')];
    case 'Drifted':
      return ['diff', new vscode.ThemeColor('list.warningForeground')];
    case 'Paused':
      return ['debug-pause', new vscode.ThemeColor('disabledForeground')];
    default:
      return ['sync', new vscode.ThemeColor('foreground')];
  }
}

export function clusterDescription(v: ClusterView, now: number): string {
  const parts: string[] = [];
  if (v.state === 'Unreachable') parts.push(`Unreachable${v.lastKnown ? ` (was ${v.lastKnown})` : ''} · last seen ${formatAge(v.lastSeen, now)}`);
  else if (v.state === 'Stale') parts.push(`Stale · last seen ${formatAge(v.lastSeen, now)}`);
  else parts.push(v.state);
  if (v.agentVersion) parts.push(`agent ${v.agentVersion}`);
  if (v.nodes) parts.push(`${v.nodes.ready}/${v.nodes.total} nodes`);
  if (v.state !== 'Unreachable' && v.state !== 'Stale' && v.lastSeen) parts.push(`♥ ${formatAge(v.lastSeen, now)}`);
  // The same cluster as a hub member (same agent cluster id): shown once, here, with live data.
  if (v.alsoOnHub?.length) parts.push(`also on hub ${v.alsoOnHub.map((h) => h.hub).join(', ')}`);
  return parts.join(' · ');
}

function clusterTooltip(v: ClusterView, now: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escapeMd(v.displayName)}** \`${escapeMd(v.id)}\` — **${v.state}**${v.lastKnown ? ` (last known: ${v.lastKnown})` : ''}\n\n`);
  md.appendText(`${v.reason}\n\n`);
  md.appendMarkdown(`- API server: ${escapeMd(v.server ?? '—')}\n`);
  md.appendMarkdown(`- last seen: ${v.lastSeen ? `${v.lastSeen} (${formatAge(v.lastSeen, now)})` : 'never'}\n`);
  md.appendMarkdown(`- agent: ${escapeMd(v.agentVersion ?? '—')}, Kubernetes ${escapeMd(v.kubernetesVersion ?? '—')}\n`);
  if (v.nodes) md.appendMarkdown(`- nodes: ${v.nodes.ready}/${v.nodes.total} ready\n`);
  const labels = Object.entries(v.labels).map(([k, val]) => `${k}=${val}`);
  if (labels.length) md.appendMarkdown(`- labels: ${escapeMd(labels.join(', '))}\n`);
  for (const h of v.alsoOnHub ?? []) md.appendMarkdown(`- also a member of hub ${escapeMd(h.hub)} (\`${escapeMd(h.id)}\`, ${h.state} there); shown once, from this direct connection\n`);
  return md;
}
