/**
 * The dashboard webview: the fleet matrix (clusters × profiles), a page per cluster, and the
 * values editor. It only draws what the host sends and posts typed requests back; all cluster I/O
 * is the host's. Every string from a cluster goes into the DOM through textContent (./dom.ts).
 */
import './dashboard.css';
import type { Condition, ScalingStatus, Variable } from '@kplane/profile/model';
import { layerChartText } from '@kplane/profile/model';
import type { ClusterView, FleetSnapshot, HostMessage, ProfileRef, ProfileView, ValuesFinding, WebviewMessage } from './protocol.js';
import { age, buildMatrix, driftText, profileKey, stateCounts, timeline } from './viewModel.js';
import { append, clear, h, svg } from './dom.js';
import { scalingChart } from './scalingChart.js';
import type { ValuesEditor } from './valuesEditor.js';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type Page = { kind: 'fleet' } | { kind: 'cluster'; context: string } | { kind: 'values'; ref: ProfileRef };

const vscode = acquireVsCodeApi();
const root = document.getElementById('app') as HTMLElement;
let snapshot: FleetSnapshot | undefined;
/** When the snapshot arrived, by this page's clock: ages tick on from the snapshot's own time. */
let receivedAt = Date.now();
let page: Page = (vscode.getState() as { page?: Page } | undefined)?.page ?? { kind: 'fleet' };
let editor: ValuesEditor | undefined;
let nextRequest = 1;
let valuesStatus = '';
let valuesFindings: ValuesFinding[] = [];

const post = (message: WebviewMessage) => vscode.postMessage(message);

window.addEventListener('error', (e) => post({ type: 'log', level: 'error', message: `webview error: ${e.message}` }));
window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const message = event.data;
  switch (message.type) {
    case 'snapshot':
      snapshot = message.snapshot;
      receivedAt = Date.now();
      render();
      post({ type: 'rendered', clusters: root.querySelectorAll('[data-cluster-row]').length, profiles: root.querySelectorAll('[data-profile-col]').length });
      break;
    case 'showCluster':
      go({ kind: 'cluster', context: message.context });
      break;
    case 'showValues':
      go({ kind: 'values', ref: message.ref });
      break;
    case 'values':
      void openValues(message.ref, message.yaml, message.variables, message.schema, message.kept);
      break;
    case 'valuesError':
      valuesStatus = message.message;
      renderValuesStatus();
      break;
    case 'findings':
      editor?.showFindings(message.findings);
      break;
    case 'applyResult':
      valuesStatus = message.message;
      if (!message.ok) editor?.showFindings(message.findings);
      renderValuesStatus();
      break;
  }
});

function go(next: Page): void {
  page = next;
  vscode.setState({ page });
  if (page.kind === 'values') post({ type: 'openValues', ref: page.ref });
  render();
}

function render(): void {
  // The values page owns a live Monaco editor: it is hidden, not torn down, on navigation.
  const editorHost = document.getElementById('values-page');
  for (const child of [...root.children]) if (child !== editorHost) root.removeChild(child);
  if (editorHost) editorHost.hidden = page.kind !== 'values';
  if (!snapshot) {
    root.prepend(h('p', { class: 'muted' }, 'Waiting for fleet data…'));
    return;
  }
  root.prepend(header(snapshot));
  if (page.kind === 'fleet') root.appendChild(fleetPage(snapshot));
  else if (page.kind === 'cluster') {
    const context = page.context;
    const cluster = snapshot.clusters.find((c) => c.context === context);
    root.appendChild(cluster ? clusterPage(cluster, clock()) : h('p', {}, `Cluster ${context} is no longer in the fleet.`));
  }
}

function header(s: FleetSnapshot): HTMLElement {
  const counts = stateCounts(s);
  const nav = h('nav', { class: 'crumbs' }, link('Fleet', () => go({ kind: 'fleet' })));
  const name = (context: string) => {
    const c = s.clusters.find((x) => x.context === context);
    return c && c.displayName !== context ? `${c.displayName} (${context})` : context;
  };
  if (page.kind === 'cluster') append(nav, ' › ', name(page.context));
  if (page.kind === 'values') {
    const ref = page.ref;
    append(nav, ' › ', link(name(ref.context), () => go({ kind: 'cluster', context: ref.context })), ' › ', `values of ${ref.namespace}/${ref.name}`);
  }
  return h(
    'header',
    {},
    nav,
    h('div', { class: 'summary' }, ...Object.entries(counts).map(([state, n]) => h('span', { class: `badge state-${state.toLowerCase()}` }, `${n} ${state}`))),
  );
}

function fleetPage(s: FleetSnapshot): HTMLElement {
  const matrix = buildMatrix(s);
  const now = clock();
  if (matrix.rows.length === 0) return h('p', { class: 'muted' }, 'No clusters in the fleet. Add kubeconfig contexts with "kplane: Add Clusters from Kubeconfig…".');
  const head = h(
    'tr',
    {},
    h('th', {}, 'Cluster'),
    h('th', {}, 'State'),
    h('th', {}, 'Labels'),
    h('th', {}, 'Agent'),
    h('th', {}, 'Nodes'),
    h('th', {}, 'Last seen'),
    ...matrix.profiles.map((key) => {
      const [namespace, name] = key.split('/');
      return h('th', { 'data-profile-col': key, class: 'profile-col', title: key }, name, h('div', { class: 'muted namespace' }, namespace));
    }),
  );
  const rows = matrix.rows.map(({ cluster, cells }) => {
    const name = link(cluster.displayName, () => go({ kind: 'cluster', context: cluster.context }));
    return h(
      'tr',
      { 'data-cluster-row': cluster.context },
      h('td', {}, name),
      h('td', {}, stateBadge(cluster)),
      h('td', {}, labels(cluster.labels)),
      h('td', {}, cluster.agentVersion ?? '—'),
      h('td', {}, cluster.nodes ? `${cluster.nodes.ready}/${cluster.nodes.total}` : '—'),
      h('td', { title: cluster.lastSeen ?? '' }, liveAge(cluster.lastSeen, now)),
      ...cells.map((cell) => {
        const td = h('td', { class: `cell cell-${cell.state}`, title: cell.profile ? `${cell.profile.state}${cell.versionSkew ? ', rollout in progress' : ''}` : 'not on this cluster' }, cell.label);
        if (cell.profile) {
          const p = cell.profile;
          td.classList.add('clickable');
          td.addEventListener('click', () => go({ kind: 'cluster', context: cluster.context }));
          if (p.state !== 'Ready') td.appendChild(h('div', { class: 'cell-state' }, p.state));
        }
        return td;
      }),
    );
  });
  return h('section', {}, h('h2', {}, 'Fleet'), h('table', { class: 'matrix' }, h('thead', {}, head), h('tbody', {}, ...rows)));
}

function clusterPage(c: ClusterView, now: Date): HTMLElement {
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'State'),
    h('dd', {}, stateBadge(c), c.stateDetail ? ` ${c.stateDetail}` : ''),
    h('dt', {}, 'Context'),
    h('dd', {}, c.context),
    ...(c.alsoOnHub?.length
      ? [h('dt', {}, 'Also on hub'), h('dd', {}, c.alsoOnHub.map((m) => `${m.hub} as ${m.context} (${m.state} there)`).join('; '), h('span', { class: 'muted' }, ' — shown once, from this direct connection'))]
      : []),
    h('dt', {}, 'Labels'),
    h('dd', {}, labels(c.labels)),
    h('dt', {}, 'Agent'),
    h('dd', {}, c.agentVersion ?? '—'),
    h('dt', {}, 'Kubernetes'),
    h('dd', {}, c.kubernetesVersion ?? '—'),
    h('dt', {}, 'Nodes'),
    h('dd', {}, c.nodes ? `${c.nodes.ready} ready of ${c.nodes.total}` : '—'),
    h('dt', {}, 'Last seen'),
    h('dd', {}, liveAge(c.lastSeen, now)),
  );
  const known =
    c.state === 'Unreachable' || c.state === 'Stale'
      ? h('p', { class: 'warning' }, `The cluster is ${c.state.toLowerCase()}: what follows is its last known state${c.lastKnown ? ` (${c.lastKnown})` : ''}, from ${age(c.lastSeen, now)}.`)
      : undefined;
  return h(
    'section',
    { 'data-cluster-page': c.context },
    h('h2', {}, c.displayName),
    known,
    facts,
    h('h3', {}, 'Conditions'),
    conditionsTable(c.conditions),
    h('h3', {}, 'Profiles'),
    ...(c.profiles.length ? c.profiles.map((p) => profileSection(c, p, now)) : [h('p', { class: 'muted' }, 'No profiles on this cluster.')]),
    h('h3', {}, 'Timeline'),
    timelineList(c, now),
  );
}

function profileSection(c: ClusterView, p: ProfileView, now: Date): HTMLElement {
  // What an unreachable or stale cluster last said is not its state now: shown muted, and named so.
  const lastKnown = c.state === 'Unreachable' || c.state === 'Stale';
  const edit = h('button', { type: 'button', 'data-edit-values': profileKey(p), disabled: c.state === 'Unreachable', title: c.state === 'Unreachable' ? 'The cluster is unreachable: its values cannot be read or written now.' : undefined }, 'Edit values…');
  edit.addEventListener('click', () => go({ kind: 'values', ref: { context: c.context, namespace: p.namespace, name: p.name } }));
  const version = p.appliedVersion && p.appliedVersion !== p.version ? `${p.appliedVersion} (rolling out ${p.version})` : (p.appliedVersion ?? `${p.version} (not applied yet)`);
  return h(
    'div',
    { class: 'profile' },
    h('h4', {}, `${profileKey(p)} `, h('span', { class: `badge profile-${lastKnown ? 'unknown' : p.state.toLowerCase()}` }, lastKnown ? `${p.state} (last known)` : p.state), ` v${version} `, edit),
    conditionsTable(p.conditions),
    h('h5', {}, 'Layers'),
    p.layers.length
      ? p.layers.some((l) => l.chart)
        ? table(['Layer', 'Chart', 'State', 'Ready', 'Message'], p.layers.map((l) => [l.name, layerChartText(l) ?? '', l.state, `${l.ready}/${l.resources}`, l.message ?? '']))
        : table(['Layer', 'State', 'Ready', 'Message'], p.layers.map((l) => [l.name, l.state, `${l.ready}/${l.resources}`, l.message ?? '']))
      : h('p', { class: 'muted' }, 'No layer status yet.'),
    h('h5', {}, 'Drift'),
    p.drift.length
      ? table(['Object', 'Detected', 'Corrected', 'Fields'], p.drift.map((d) => [driftText(d).split(':')[0], age(d.detectedTime, now), d.correctedTime ? age(d.correctedTime, now) : 'not corrected', d.fields.join(', ')]))
      : h('p', { class: 'muted' }, 'No drift.'),
    h('h5', {}, 'Scaling decisions'),
    p.scaling.length
      ? table(['Policy', 'Current', 'Desired', 'Metric', 'Last decision', 'Reason'], p.scaling.map((s) => [s.name, String(s.current), String(s.desired), s.metricValue !== undefined ? String(s.metricValue) : '—', s.lastDecision ? (s.lastDecisionTime ? `${s.lastDecision} (${age(s.lastDecisionTime, now)})` : s.lastDecision) : '—', s.reason ?? '']))
      : h('p', { class: 'muted' }, 'No scaling policies.'),
    ...p.scaling.map((s) => scalingTimeline(s)),
  );
}

/** Replicas (step line, left axis) and the metric (right axis) over the policy's recorded decisions. */
function scalingTimeline(s: ScalingStatus): HTMLElement | undefined {
  const chart = scalingChart(s);
  if (!chart) return undefined;
  const { width, height } = chart;
  const metricText = (m: number): string => (chart.metricLabel === 'metric' ? String(Number(m.toPrecision(3))) : `${m}%`);
  return h(
    'figure',
    { class: 'scaling-chart', 'data-scaling-chart': s.name },
    svg(
      'svg',
      { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${s.name}: replicas and ${chart.metricLabel} over time` },
      svg('line', { class: 'axis', x1: 28, y1: height - 16, x2: width - 40, y2: height - 16 }),
      chart.targetY !== undefined ? svg('line', { class: 'target', x1: 28, y1: chart.targetY, x2: width - 40, y2: chart.targetY }) : undefined,
      svg('polyline', { class: 'metric', points: chart.metric, fill: 'none' }),
      svg('polyline', { class: 'replicas', points: chart.replicas, fill: 'none' }),
      svg('text', { class: 'label', x: 2, y: 14 }, String(chart.replicasMax)),
      svg('text', { class: 'label', x: 2, y: height - 18 }, '0'),
      svg('text', { class: 'label metric-label', x: width - 38, y: 14 }, metricText(chart.metricMax)),
      ...chart.points.map((pt) => svg('circle', { class: 'point', cx: pt.x, cy: height - 16, r: 2 }, svg('title', {}, `${pt.time}: ${pt.current}→${pt.desired} replicas${pt.metric !== undefined ? `, ${metricText(pt.metric)}` : ''}${pt.decision ? ` (${pt.decision})` : ''}`))),
    ),
    h('figcaption', { class: 'muted' }, h('span', { class: 'key-replicas' }, '— replicas'), ' ', h('span', { class: 'key-metric' }, `— ${chart.metricLabel}`), chart.targetY !== undefined ? h('span', { class: 'key-target' }, ' - - target') : undefined, ` ${s.name}, ${chart.from} → ${chart.to}`),
  );
}

function conditionsTable(conditions: Condition[]): HTMLElement {
  if (conditions.length === 0) return h('p', { class: 'muted' }, 'No conditions reported.');
  return table(
    ['Type', 'Status', 'Reason', 'Message', 'Since'],
    conditions.map((c) => [c.type, c.status, c.reason, c.message, age(c.lastTransitionTime, clock())]),
    (row) => `status-${row[1].toLowerCase()}`,
  );
}

function timelineList(c: ClusterView, now: Date): HTMLElement {
  const entries = timeline(c);
  if (entries.length === 0) return h('p', { class: 'muted' }, 'No events.');
  return h(
    'ol',
    { class: 'timeline' },
    ...entries.map((e) =>
      h('li', { class: `event event-${e.severity.toLowerCase()}`, title: e.time }, h('span', { class: 'when' }, liveAge(e.time, now)), h('span', { class: 'reason' }, e.reason), e.profile ? h('span', { class: 'muted' }, e.profile) : undefined, h('span', {}, e.message)),
    ),
  );
}

function table(headers: string[], rows: string[][], rowClass?: (row: string[]) => string): HTMLElement {
  return h(
    'table',
    { class: 'plain' },
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', { class: rowClass?.(r) }, ...r.map((x) => h('td', {}, x))))),
  );
}

/**
 * The time on the snapshot's clock: the browser showing the webview may be another machine than
 * the extension host (code-server), so its own clock is only used to measure time since arrival.
 */
function clock(): Date {
  return snapshot ? new Date(Date.parse(snapshot.takenAt) + (Date.now() - receivedAt)) : new Date();
}

/** An age that keeps counting between snapshots (a fleet with no changes sends none). */
function liveAge(iso: string | undefined, now: Date): HTMLElement {
  return h('span', { 'data-age': iso ?? '' }, age(iso, now));
}

setInterval(() => {
  const now = clock();
  for (const el of root.querySelectorAll<HTMLElement>('[data-age]')) el.textContent = age(el.dataset.age || undefined, now);
}, 5000);

function stateBadge(c: ClusterView): HTMLElement {
  return h('span', { class: `badge state-${c.state.toLowerCase()}`, title: c.stateDetail ?? c.state }, c.state);
}

function labels(l: Record<string, string>): HTMLElement {
  return h('span', { class: 'labels' }, ...Object.entries(l).map(([k, v]) => h('code', { class: 'label' }, `${k}=${v}`)));
}

function link(text: string, onClick: () => void): HTMLElement {
  const a = h('a', { href: '#' }, text);
  a.addEventListener('click', (e) => {
    e.preventDefault();
    onClick();
  });
  return a;
}

// ---- values page ---------------------------------------------------------------------------

function valuesPage(): HTMLElement {
  let el = document.getElementById('values-page');
  if (el) return el;
  const save = h('button', { type: 'button', id: 'values-save' }, 'Apply to cluster (Ctrl+S)');
  save.addEventListener('click', () => editor?.save());
  el = h(
    'section',
    { id: 'values-page' },
    h('h2', { id: 'values-title' }),
    h('p', { class: 'muted' }, 'Edits spec.values of this profile on this cluster only. The plane writes the profile to the cluster’s API server (server-side apply, field manager kplane); the cluster’s agent does the rest.'),
    h('div', { id: 'values-editor' }),
    h('div', { class: 'values-actions' }, save, h('span', { id: 'values-status', role: 'status' })),
    h('ul', { id: 'values-findings' }),
  );
  root.appendChild(el);
  return el;
}

async function openValues(ref: ProfileRef, text: string, variables: Variable[], schema: Record<string, unknown>, kept: string[]): Promise<void> {
  if (page.kind !== 'values') go({ kind: 'values', ref });
  const el = valuesPage();
  el.hidden = false;
  (document.getElementById('values-title') as HTMLElement).textContent = `${ref.namespace}/${ref.name} on ${ref.context}`;
  valuesStatus = '';
  renderValuesStatus();
  if (!editor) {
    // Monaco is loaded with the page bundle but only started when first needed.
    const { ValuesEditor } = await import('./valuesEditor.js');
    const config = document.body.dataset;
    editor = new ValuesEditor(document.getElementById('values-editor') as HTMLElement, { editor: config.editorWorker ?? '', yaml: config.yamlWorker ?? '' }, {
      validate: (r, yaml) => post({ type: 'validateValues', requestId: nextRequest++, ref: r, yaml }),
      apply: (r, yaml) => {
        valuesStatus = 'Applying…';
        renderValuesStatus();
        post({ type: 'applyValues', requestId: nextRequest++, ref: r, yaml });
      },
      onFindings: (findings) => {
        valuesFindings = findings;
        renderValuesStatus();
      },
    });
  }
  editor.open(ref, text, variables, schema, kept);
}

function renderValuesStatus(): void {
  const status = document.getElementById('values-status');
  const list = document.getElementById('values-findings');
  if (status) status.textContent = valuesStatus;
  if (list) {
    clear(list);
    for (const f of valuesFindings) list.appendChild(h('li', { class: `finding finding-${f.severity}` }, h('code', {}, f.code), ' ', f.message));
  }
  const save = document.getElementById('values-save') as HTMLButtonElement | null;
  if (save) save.disabled = valuesFindings.some((f) => f.severity === 'error');
}

post({ type: 'ready' });
// After a reload (the panel was hidden, or VS Code restarted), ask again for the open values.
if (page.kind === 'values') post({ type: 'openValues', ref: page.ref });
render();
