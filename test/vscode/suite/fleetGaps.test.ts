/**
 * What test/vscode/suite/fleet.test.ts leaves out, in the same real VS Code host against a real
 * test-bed cluster with a real agent: the CodeLens on a profile file, catching up on the agent
 * events the plane missed while it could not reach the cluster, and how long a status write takes
 * to show in the Fleet tree.
 *
 * The plane reaches the cluster through a TCP relay in this file, the agent directly. Cutting the
 * relay is a network partition between plane and cluster: the agent keeps working and recording
 * events while the plane is away, and the test decides exactly when the plane may come back. With
 * cluster.stopApiServer() the agent would be cut off too, and whether its events land before the
 * plane's next retry would be a race.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import { CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import type { AgentEvent, ClusterAgent } from '@kplane/profile';
import type { KplaneApi, FleetNode, DashboardHandle } from '@kplane/extension';
import type { EventsNotice } from '@kplane/plane';
import { kubeClient, mergedKubeconfig, startCluster, waitFor, type TestCluster, startAgent, type RunningAgent } from '@kplane/bed';
import { until } from './fleetWait.js';
import { testLog } from '../testOutput.js';

const NAMESPACE = 'kplane-system';

const profileYaml = (name: string) => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: ${name}
  namespace: ${NAMESPACE}
spec:
  version: 1.0.0
  description: A profile the fleet gap tests apply
  layers:
    - name: base
      manifests:
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: ${name}
            namespace: default
          data:
            hello: world
`;

/** A TCP relay to the API server that the test can cut (every connection dropped, new ones refused) and heal. */
interface Relay {
  url: string;
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

async function startRelay(target: string): Promise<Relay> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let open = true;
  const server = createServer((client) => {
    if (!open) return void client.destroy();
    const upstream = connect(Number(port), hostname);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', drop).on('close', drop);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  const relay: Relay = {
    // The API server's certificate names 127.0.0.1; the port is not part of the check.
    url: `https://127.0.0.1:${address.port}`,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    heal() {
      open = true;
    },
    close() {
      relay.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return relay;
}

/** Resolves once the plane's event log for the cluster holds an event matching `test`. */
function eventSeen(api: KplaneApi, id: string, test: (e: AgentEvent) => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (api.fleet.model.record(id)?.events.some(test)) return resolve();
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${id}: the plane did not see ${what} within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    const stop = api.fleet.model.onEvents((n) => {
      if (n.cluster !== id || !n.fresh.some(test)) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/** The cluster's node in the Fleet view, found through the provider as VS Code would. */
function clusterNode(api: KplaneApi, id: string): FleetNode {
  const clusters = api.fleetTree.getChildren().flatMap((n) => (n.kind === 'group' ? api.fleetTree.getChildren(n) : [n]));
  const node = clusters.find((n) => n.kind === 'cluster' && n.id === id);
  assert.ok(node, `the Fleet view does not list ${id}`);
  return node;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

describe('fleet gaps: CodeLens on a profile file', function () {
  this.timeout(60_000);
  const files: string[] = [];

  after(() => {
    for (const f of files) rmSync(f, { force: true });
  });

  it('offers Apply on a *.profile.yaml with a command that exists, and nothing on other YAML', async () => {
    await vscode.extensions.getExtension<KplaneApi>('kplane.kplane')!.activate();
    // The workspace folder's URI, not Uri.file: in code-server the workbench knows the files by
    // their vscode-remote URI.
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const profile = vscode.Uri.joinPath(folder, 'lens.profile.yaml');
    const other = vscode.Uri.joinPath(folder, 'lens-other.yaml');
    files.push(profile.fsPath, other.fsPath);
    // A comment first: the lens belongs on the document's first line, not on `kind:`.
    writeFileSync(profile.fsPath, `# the lens sits above this line\n${profileYaml('lens')}`);
    writeFileSync(other.fsPath, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-a-profile\n');
    // The workbench asks providers only for documents it has loaded.
    await vscode.workspace.openTextDocument(profile);
    await vscode.workspace.openTextDocument(other);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', profile, 10);
    // The language server's "checked against …" lens (kplane.showCheckedAgainst) sits there too.
    const ours = lenses.filter((l) => l.command?.command.startsWith('kplane.') && l.command.command !== 'kplane.showCheckedAgainst');
    assert.equal(ours.length, 1, `lenses: ${lenses.map((l) => l.command?.title).join(', ')}`);
    const [lens] = ours;
    assert.equal(lens.range.start.line, 0);
    assert.equal(lens.command!.command, 'kplane.applyProfile');
    assert.match(lens.command!.title, /Apply to clusters/);
    assert.equal((lens.command!.arguments?.[0] as vscode.Uri).toString(), profile.toString(), 'the lens applies the file it sits in');
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.ok(registered.has(lens.command!.command), `${lens.command!.command} is not a registered command`);
    const none = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', other, 10);
    assert.deepEqual(none.filter((l) => l.command?.command.startsWith('kplane.') && l.command.command !== 'kplane.showCheckedAgainst'), [], 'a ConfigMap file has no kplane lens');
    // Several documents: one lens for the file (Apply applies every profile in it), on the `---`
    // that starts the first ClusterProfile.
    const mixed = vscode.Uri.joinPath(folder, 'lens-mixed.profile.yaml');
    files.push(mixed.fsPath);
    writeFileSync(mixed.fsPath, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\n---\n${profileYaml('lens-a')}---\n${profileYaml('lens-b')}`);
    await vscode.workspace.openTextDocument(mixed);
    const mixedLenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', mixed, 10)).filter((l) => l.command?.command.startsWith('kplane.') && l.command.command !== 'kplane.showCheckedAgainst');
    assert.deepEqual(mixedLenses.map((l) => `${l.range.start.line}:${l.command!.command}`), ['4:kplane.applyProfile']);
  });
});

describe('fleet gaps: missed events and status latency against a real cluster', function () {
  this.timeout(240_000);
  let cluster: TestCluster;
  let relay: Relay;
  let agent: RunningAgent;
  let api: KplaneApi;
  let scratch: string;
  let objects: KubernetesObjectApi;
  let dashboard: DashboardHandle | undefined;

  const readAgent = async () => (await objects.read({ apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent', namespace: NAMESPACE } })) as unknown as ClusterAgent;

  before(async () => {
    cluster = await startCluster({ name: 'fleet-gaps' });
    relay = await startRelay(cluster.server);
    objects = KubernetesObjectApi.makeApiClient(kubeClient(cluster));
    await objects.patch(
      { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent', namespace: NAMESPACE }, spec: { labels: { env: 'gaps' }, heartbeatInterval: '5s' } },
      undefined, undefined, 'kplane-test', true, PatchStrategy.ServerSideApply,
    );
    // The agent talks to its API server directly; only the plane goes through the relay.
    agent = await startAgent({ kubeconfigPath: cluster.kubeconfigPath, context: cluster.name });
    scratch = mkdtempSync(join(tmpdir(), 'kplane-fleet-gaps-'));
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(kubeconfig, mergedKubeconfig([cluster]).replace(cluster.server, relay.url), { mode: 0o600 });
    api = (await vscode.extensions.getExtension<KplaneApi>('kplane.kplane')!.activate())!;
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', [cluster.name], vscode.ConfigurationTarget.Global);
    await api.fleet.restart();
  });

  after(async () => {
    dashboard?.panel.dispose();
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', undefined, vscode.ConfigurationTarget.Global);
    await agent?.stop();
    await relay?.close();
    await cluster?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('fetches exactly the agent events it missed while partitioned, by seq, and shows them on the dashboard', async () => {
    const id = cluster.name;
    await until(api, id, (v) => v.state === 'Healthy' && v.agentVersion !== undefined, 90_000, 'Healthy with an agent version');
    // A first profile while the plane watches: its events are ones the plane has seen, so the
    // catch-up below must not fetch them again.
    await objects.patch(parse(profileYaml('gaps-before')) as KubernetesObject, undefined, undefined, 'kplane-test', true, PatchStrategy.ServerSideApply);
    await eventSeen(api, id, (e) => e.profile === `${NAMESPACE}/gaps-before` && e.reason === 'Ready', 90_000, 'the Ready event of gaps-before');
    dashboard = (await vscode.commands.executeCommand<DashboardHandle>('kplane.openDashboard'))!;
    const notices: EventsNotice[] = [];
    const unsubscribe = api.fleet.model.onEvents((n) => {
      if (n.cluster === id) notices.push(n);
    });
    try {
      relay.cut();
      await until(api, id, (v) => v.state === 'Unreachable', 60_000, 'Unreachable');
      // Nothing reaches the plane from here on: this is everything it has seen.
      const seen = api.fleet.model.record(id)!.nextSeq;
      assert.ok(seen !== undefined && seen > 1, `the plane read the agent's events before the cut (nextSeq ${seen})`);
      const before = api.fleet.model.record(id)!.events.map((e) => e.seq);
      const noticesBefore = notices.length;

      // While the plane is away, a profile arrives by another path and the agent reconciles it,
      // recording events (condition transitions) in its ClusterAgent status.
      const away = 'gaps-away';
      await objects.patch(parse(profileYaml(away)) as KubernetesObject, undefined, undefined, 'kplane-test', true, PatchStrategy.ServerSideApply);
      const recorded = await waitFor(
        async () => {
          const events = (await readAgent()).status?.events ?? [];
          return events.some((e) => e.profile === `${NAMESPACE}/${away}` && e.reason === 'Ready') ? events : undefined;
        },
        { timeoutMs: 90_000, what: `the agent recording a Ready event for ${away}` },
      );
      const missed = recorded.filter((e) => e.seq >= seen);
      assert.ok(missed.length > 0, 'the agent recorded events while the plane was away');
      assert.equal(notices.length, noticesBefore, 'the plane heard of events while it was partitioned');

      // The plane comes back by itself (its watch retries with backoff) and catches up.
      const caughtUp = new Promise<EventsNotice>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${id}: no caught-up events within 90s; notices: ${JSON.stringify(notices.slice(noticesBefore))}`)), 90_000);
        const stop = api.fleet.model.onEvents((n) => {
          if (n.cluster !== id || !n.caughtUp) return;
          clearTimeout(timer);
          stop();
          resolve(n);
        });
      });
      relay.heal();
      const notice = await caughtUp;
      assert.equal(notice.initial, false);
      assert.equal(notice.lost, 0, 'nothing fell off the agent\'s bounded list in this short outage');
      const fetched = notice.fresh.map((e) => e.seq);
      // Exactly the unseen seqs: starting at the first one the plane had not seen, none skipped,
      // none it had seen before.
      assert.deepEqual(fetched, fetched.map((_, i) => seen + i), `caught up on seqs ${fetched.join(',')} after having seen up to ${seen - 1}`);
      assert.ok(
        missed.every((e) => fetched.includes(e.seq)),
        `the agent recorded ${missed.map((e) => e.seq).join(',')} while the plane was away; it fetched ${fetched.join(',')}`,
      );
      const agentNow = (await readAgent()).status?.events ?? [];
      const bySeq = new Map(agentNow.map((e) => [e.seq, e]));
      for (const e of notice.fresh) assert.deepEqual(e, bySeq.get(e.seq), `event #${e.seq} as the plane has it differs from the agent's`);
      const log = api.fleet.model.record(id)!.events.map((e) => e.seq);
      assert.equal(new Set(log).size, log.length, 'the plane\'s event log has a seq twice');
      assert.deepEqual(log.slice(0, before.length), before, 'the events seen before the outage were kept');

      // Shown: the dashboard's per-cluster timeline gets the caught-up events.
      const shown = await dashboard.sent(
        (m) => m.type === 'snapshot' && fetched.every((seq) => m.snapshot.clusters.find((c) => c.context === id)?.events.some((e) => e.seq === seq)),
        30_000,
      );
      assert.ok(shown.type === 'snapshot');
      testLog(`      caught up on ${fetched.length} event(s), seq ${fetched[0]}…${fetched[fetched.length - 1]}; had seen up to ${seen - 1}`);
    } finally {
      unsubscribe();
      relay.heal();
    }
    await until(api, id, (v) => v.state === 'Healthy', 60_000, 'Healthy after the partition');
  });

  // Behaviour and order only: every write shows, each after the one before. The latency is
  // printed (and the plane's part of it measured by npm run bench:fleet), not asserted: a shared
  // 2-core machine makes any wall-clock budget a coin toss.
  it('shows each of 10 ClusterAgent status writes in the Fleet tree, in order', async function () {
    const id = cluster.name;
    // The agent rewrites its own status on every heartbeat; without it, each write here is the
    // only change the plane sees, so the wait below ends on this write and no other.
    await agent.stop();
    const statusApi = kubeClient(cluster).makeApiClient(CustomObjectsApi);
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const node = clusterNode(api, id);
    const latencies: number[] = [];
    // Every agent version the tree item shows, in the order it shows them.
    const shown: string[] = [];
    const watching = api.fleetTree.onDidChangeTreeData(() => {
      const version = /agent (9\.9\.\d+)\b/.exec(String(api.fleetTree.getTreeItem(node).description))?.[1];
      if (version && version !== shown.at(-1)) shown.push(version);
    });
    for (let i = 0; i < 10; i++) {
      const version = `9.9.${i}`;
      const shows = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          sub.dispose();
          reject(new Error(`write ${i}: the Fleet tree did not show agent ${version} within 10s; it shows "${String(api.fleetTree.getTreeItem(node).description)}"`));
        }, 10_000);
        const sub = api.fleetTree.onDidChangeTreeData(() => {
          if (!new RegExp(`agent ${version.replace(/\./g, '\\.')}\\b`).test(String(api.fleetTree.getTreeItem(node).description))) return;
          clearTimeout(timer);
          sub.dispose();
          resolve(performance.now());
        });
      });
      const started = performance.now();
      await statusApi.patchNamespacedCustomObjectStatus(
        { group: 'kplane.dev', version: 'v1alpha1', namespace: NAMESPACE, plural: 'clusteragents', name: 'agent', body: { status: { agentVersion: version, heartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') } } },
        merge,
      );
      latencies.push((await shows) - started);
    }
    watching.dispose();
    const mid = median(latencies);
    testLog(`      status write → Fleet tree: median ${mid.toFixed(0)} ms, min ${Math.min(...latencies).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms over ${latencies.length} writes`);
    this.test!.title += ` (median ${mid.toFixed(0)} ms)`;
    assert.deepEqual(shown, Array.from({ length: 10 }, (_, i) => `9.9.${i}`), 'the tree showed the writes out of order');
  });
});
