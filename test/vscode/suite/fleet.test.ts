/**
 * The fleet views and commands in a real VS Code host against real clusters from the test bed:
 * one cluster with a running agent, one with the CRDs but no agent. Every wait is on the fleet
 * model's change events or the tree's refresh events, with a deadline; none is a sleep.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import type { KplaneApi, FleetNode } from '@kplane/extension';
import { kubeClient, mergedKubeconfig, startCluster, type TestCluster, startAgent, type RunningAgent } from '@kplane/bed';
import { until } from './fleetWait.js';

const PROFILE = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: fleet-test
  namespace: kplane-system
spec:
  version: 1.0.0
  description: A profile the fleet tests apply
  layers:
    - name: base
      manifests:
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: fleet-test
            namespace: default
          data:
            hello: world
`;

/** The tree item the Fleet view shows for a cluster, found through the provider as VS Code would. */
async function clusterItem(api: KplaneApi, id: string): Promise<vscode.TreeItem> {
  const roots = api.fleetTree.getChildren();
  const clusters: FleetNode[] = [];
  for (const node of roots) clusters.push(...(node.kind === 'group' ? api.fleetTree.getChildren(node) : [node]));
  const node = clusters.find((n) => n.kind === 'cluster' && n.id === id);
  assert.ok(node, `the Fleet view does not list ${id}; it lists ${clusters.map((n) => (n.kind === 'cluster' ? n.id : n.kind)).join(', ')}`);
  return api.fleetTree.getTreeItem(node);
}

describe('fleet views and commands', function () {
  this.timeout(240_000);
  let withAgent: TestCluster;
  let bare: TestCluster;
  let agent: RunningAgent;
  let api: KplaneApi;
  let scratch: string;
  let profileUri: vscode.Uri;

  before(async () => {
    [withAgent, bare] = await Promise.all([startCluster({ name: 'fleet-agent' }), startCluster({ name: 'fleet-bare' })]);
    scratch = mkdtempSync(join(tmpdir(), 'kplane-fleet-test-'));
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(kubeconfig, mergedKubeconfig([withAgent, bare]), { mode: 0o600 });
    // Labels come from the ClusterAgent spec; a person (here the test) sets them.
    const objects = KubernetesObjectApi.makeApiClient(kubeClient(withAgent));
    await objects.patch(
      { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent', namespace: 'kplane-system' }, spec: { labels: { env: 'test', tier: 'edge' }, heartbeatInterval: '5s' } },
      undefined, undefined, 'kplane-test', true, PatchStrategy.ServerSideApply,
    );
    agent = await startAgent({ kubeconfigPath: kubeconfig, context: withAgent.name });
    const workspace = process.env.KPLANE_TEST_WORKSPACE!;
    profileUri = vscode.Uri.file(join(workspace, 'fleet-test.profile.yaml'));
    writeFileSync(profileUri.fsPath, PROFILE);

    api = (await vscode.extensions.getExtension<KplaneApi>('kplane.kplane')!.activate())!;
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', [withAgent.name, bare.name], vscode.ConfigurationTarget.Global);
    // The configuration listener restarts the fleet only once it runs; a restart is idempotent.
    await api.fleet.restart();
  });

  after(async () => {
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', undefined, vscode.ConfigurationTarget.Global);
    await agent?.stop();
    await Promise.all([withAgent?.stop(), bare?.stop()]);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    if (profileUri) rmSync(profileUri.fsPath, { force: true });
  });

  it('activates without cluster I/O of its own', () => {
    // How much CPU activate() takes, against loading the cluster side eagerly: npm run bench:extension.
    assert.equal(api.startedDuringActivation, false, 'activate() must not start watching clusters');
  });

  it('shows each cluster\'s true state in the tree', async () => {
    await until(api, withAgent.name, (v) => v.state === 'Healthy' && v.agentVersion !== undefined, 90_000, 'Healthy with an agent version');
    await until(api, bare.name, (v) => v.state === 'NoAgent', 60_000, 'NoAgent');
    const healthy = await clusterItem(api, withAgent.name);
    assert.match(String(healthy.description), /^Healthy · agent \S+/);
    assert.equal((healthy.iconPath as vscode.ThemeIcon).id, 'pass-filled');
    assert.match(String(healthy.contextValue), /\bcluster\b.*state-Healthy/);
    const noAgent = await clusterItem(api, bare.name);
    assert.match(String(noAgent.description), /^NoAgent/);
    assert.equal((noAgent.iconPath as vscode.ThemeIcon).id, 'circle-slash');
    assert.deepEqual(api.fleet.model.get(withAgent.name)!.labels, { env: 'test', tier: 'edge' });
    assert.deepEqual(api.fleet.model.summary().byState.Healthy, 1);
    // The status bar follows the model within its 250 ms coalescing.
    await new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + 5000;
      const check = () => (/kplane 1 ✓ 0 ⚠ 1 ✗$/.test(api.statusBarText()) ? resolve() : Date.now() > deadline ? reject(new Error(`status bar says "${api.statusBarText()}"`)) : setTimeout(check, 50));
      check();
    });
  });

  it('Apply Profile makes the agent report Ready, and the tree shows the profile', async () => {
    const result = (await vscode.commands.executeCommand('kplane.applyProfile', profileUri, { selector: 'env=test,tier in (edge,core)', yes: true, readyTimeoutSeconds: 120 })) as {
      outcomes: { cluster: string; result: string; message: string }[];
      changes: Record<string, { kind: string } | string>;
    };
    assert.deepEqual(Object.keys(result.changes), [withAgent.name], 'the selector picks only the labelled cluster');
    assert.equal((result.changes[withAgent.name] as { kind: string }).kind, 'create');
    assert.deepEqual(result.outcomes.map((o) => `${o.cluster}:${o.result}`), [`${withAgent.name}:applied`], result.outcomes.map((o) => o.message).join('; '));
    const view = await until(api, withAgent.name, (v) => v.profiles.some((p) => p.name === 'fleet-test' && p.state === 'Ready'), 30_000, 'fleet-test Ready');
    assert.equal(view.state, 'Healthy');
    const [profileNode] = api.fleetTree.getChildren({ kind: 'cluster', id: withAgent.name });
    assert.equal(profileNode.kind, 'profile');
    assert.match(String(api.fleetTree.getTreeItem(profileNode).description), /^1\.0\.0 · Ready/);
    // The Profiles view lists the workspace file and the cluster running it, with its version.
    const files = await api.profileTree.getChildren();
    const file = files.find((n) => n.kind === 'profileFile' && n.name === 'fleet-test');
    assert.ok(file, `the Profiles view lists ${files.map((f) => (f.kind === 'profileFile' ? f.name : f.kind)).join(', ')}`);
    const running = await api.profileTree.getChildren(file);
    assert.deepEqual(running.map((r) => (r.kind === 'runningOn' ? `${r.cluster}@${r.version}:${r.state}` : r.kind)), [`${withAgent.name}@1.0.0:Ready`]);
  });

  it('Diff Profile with Cluster shows what applying the edited file would change there, in a diff editor', async () => {
    const uri = vscode.Uri.file(join(process.env.KPLANE_TEST_WORKSPACE!, 'fleet-edited.profile.yaml'));
    // The applied profile, edited: one value changed, one object added.
    writeFileSync(uri.fsPath, `${PROFILE.replace('hello: world', 'hello: venus')}        - apiVersion: v1\n          kind: ConfigMap\n          metadata:\n            name: fleet-test-added\n            namespace: default\n          data:\n            added: yes\n`);
    try {
      const shown = (await vscode.commands.executeCommand('kplane.diffProfile', uri, withAgent.name)) as { live: string; after: string; counts: Record<string, number> };
      assert.ok(shown, 'the command returned nothing: see the error it showed');
      assert.deepEqual({ update: shown.counts.update, create: shown.counts.create }, { update: 1, create: 1 });
      assert.match(shown.live, /hello: world/);
      assert.match(shown.after, /hello: venus/);
      assert.match(shown.live, /# create: ConfigMap default\/fleet-test-added\n# \(absent: applying creates it\)/);
      assert.match(shown.after, /name: fleet-test-added/);
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      assert.ok(tab instanceof vscode.TabInputTextDiff, 'no diff editor is open');
      assert.equal(tab.original.scheme, 'kplane-drift');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      rmSync(uri.fsPath, { force: true });
    }
  });

  it('blocks Apply when preflight finds errors', async () => {
    const bad = vscode.Uri.file(join(process.env.KPLANE_TEST_WORKSPACE!, 'broken.profile.yaml'));
    writeFileSync(bad.fsPath, PROFILE.replace('version: 1.0.0', 'version: one'));
    try {
      const result = (await vscode.commands.executeCommand('kplane.applyProfile', bad, { clusters: [withAgent.name], yes: true })) as { blocked?: string[]; outcomes: unknown[] };
      assert.ok(result.blocked?.length, 'an invalid version must block the apply');
      assert.deepEqual(result.outcomes, []);
    } finally {
      rmSync(bad.fsPath, { force: true });
    }
  });

  it('Show Drift opens the profile\'s object against the live one', async () => {
    const uri = vscode.Uri.file(join(process.env.KPLANE_TEST_WORKSPACE!, 'fleet-drift.profile.yaml'));
    writeFileSync(
      uri.fsPath,
      PROFILE.replace('name: fleet-test\n  namespace: kplane-system', 'name: fleet-drift\n  namespace: kplane-system')
        .replace('description: A profile the fleet tests apply', 'description: Monitor mode keeps drift visible\n  reconcile:\n    mode: monitor')
        .replace('name: fleet-test\n            namespace: default', 'name: drifty\n            namespace: default'),
    );
    try {
      const result = (await vscode.commands.executeCommand('kplane.applyProfile', uri, { clusters: [withAgent.name], yes: true, readyTimeoutSeconds: 120 })) as { outcomes: { result: string; message: string }[] };
      assert.equal(result.outcomes[0]?.result, 'applied', result.outcomes[0]?.message);
    } finally {
      rmSync(uri.fsPath, { force: true });
    }
    // Someone edits the ConfigMap behind the profile's back.
    const objects = KubernetesObjectApi.makeApiClient(kubeClient(withAgent));
    await objects.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'drifty', namespace: 'default' }, data: { hello: 'mars' } }, undefined, undefined, 'someone-else', true, PatchStrategy.ServerSideApply);
    await until(api, withAgent.name, (v) => v.state === 'Drifted', 60_000, 'Drifted');
    assert.match(String((await clusterItem(api, withAgent.name)).description), /^Drifted/);
    const profileNode = api.fleetTree.getChildren({ kind: 'cluster', id: withAgent.name }).find((n) => n.kind === 'profile' && n.name === 'fleet-drift')!;
    const [layer] = api.fleetTree.getChildren(profileNode);
    assert.equal(layer?.kind, 'layer');
    const [drift] = api.fleetTree.getChildren(layer);
    assert.equal(drift?.kind, 'drift', 'the drifted ConfigMap is listed under its layer');
    const shown = (await vscode.commands.executeCommand('kplane.showDrift', drift)) as { desired: string; live: string };
    assert.match(shown.desired, /hello: world/);
    assert.match(shown.live, /hello: mars/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('removes a profile, pauses and resumes one, and opens status as YAML', async () => {
    const drifted = api.fleetTree.getChildren({ kind: 'cluster', id: withAgent.name }).find((n) => n.kind === 'profile' && n.name === 'fleet-drift')!;
    assert.equal(await vscode.commands.executeCommand('kplane.removeProfile', drifted, { yes: true }), true);
    await until(api, withAgent.name, (v) => !v.profiles.some((p) => p.name === 'fleet-drift'), 60_000, 'fleet-drift removed');
    const running = api.fleetTree.getChildren({ kind: 'cluster', id: withAgent.name }).find((n) => n.kind === 'profile' && n.name === 'fleet-test')!;
    assert.equal(await vscode.commands.executeCommand('kplane.pauseReconciliation', running), true);
    await until(api, withAgent.name, (v) => v.state === 'Paused', 30_000, 'Paused');
    assert.equal(await vscode.commands.executeCommand('kplane.resumeReconciliation', running), true);
    await until(api, withAgent.name, (v) => v.state === 'Healthy', 60_000, 'Healthy after resume');
    const document = (await vscode.commands.executeCommand('kplane.openStatus', { kind: 'cluster', id: withAgent.name })) as vscode.TextDocument;
    assert.match(document.getText(), /kind: ClusterAgent[\s\S]*heartbeatTime/);
    assert.match(document.getText(), /kind: ClusterProfile/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('installs the agent manifests from agent/deploy on a cluster without one', async () => {
    assert.equal(await vscode.commands.executeCommand('kplane.installAgent', bare.name), true);
    const objects = KubernetesObjectApi.makeApiClient(kubeClient(bare));
    const deployment = await objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'kplane-agent', namespace: 'kplane-system' } });
    assert.equal(deployment.metadata?.name, 'kplane-agent');
    // Without a kubelet the Deployment's pod never runs: the cluster honestly stays NoAgent.
    assert.equal(api.fleet.model.get(bare.name)!.state, 'NoAgent');
  });

  it('shows a stopped API server as Unreachable with its last known state, and recovers by itself', async () => {
    const refreshed = new Promise<void>((resolve) => {
      const sub = api.fleetTree.onDidFlush((ids) => {
        if (ids === 'all' || ids.includes(withAgent.name)) {
          sub.dispose();
          resolve();
        }
      });
    });
    await withAgent.stopApiServer();
    const down = await until(api, withAgent.name, (v) => v.state === 'Unreachable', 60_000, 'Unreachable');
    assert.equal(down.lastKnown, 'Healthy');
    assert.ok(down.lastSeen, 'the last contact time is kept');
    await refreshed;
    assert.match(String((await clusterItem(api, withAgent.name)).description), /^Unreachable \(was Healthy\) · last seen \d+s ago/);
    // The other cluster is not held up by the dead one.
    assert.equal(api.fleet.model.get(bare.name)!.state, 'NoAgent');
    await withAgent.startApiServer();
    const back = await until(api, withAgent.name, (v) => v.state !== 'Unreachable' && v.state !== 'Connecting', 90_000, 'reachable again');
    assert.notEqual(back.state, 'Unreachable');
    await until(api, withAgent.name, (v) => v.state === 'Healthy', 60_000, 'Healthy again');
  });

  it('refreshes one node per status change with 1,000 clusters, and lists them all', async () => {
    // A second provider over its own model, so the test controls the 1,000 clusters exactly.
    const model = new (api.fleet.model.constructor as new (now: () => number) => typeof api.fleet.model)(Date.now);
    const service = { model, groupBy: 'env', errors: [], ensureStarted: () => undefined, onDidStart: () => ({ dispose: () => undefined }) };
    const tree = new (api.fleetTree.constructor as new (s: unknown) => typeof api.fleetTree)(service);
    const ids = Array.from({ length: 1000 }, (_, i) => `c${String(i).padStart(4, '0')}`);
    model.setClusters(ids.map((id) => ({ id })));
    const now = new Date().toISOString();
    const agentFor = (i: number, heartbeatTime: string) => ({
      apiVersion: 'kplane.dev/v1alpha1' as const,
      kind: 'ClusterAgent' as const,
      metadata: { name: 'agent', namespace: 'kplane-system' },
      spec: { labels: { env: ['prod', 'staging', 'dev'][i % 3] }, heartbeatInterval: '1h' },
      status: { heartbeatTime, agentVersion: '0.1.0', nodes: { total: 3, ready: 3 } },
    });
    const initialFlush = new Promise<void>((resolve) => {
      const sub = tree.onDidFlush(() => {
        sub.dispose();
        resolve();
      });
    });
    ids.forEach((id, i) => model.setAgent(id, agentFor(i, now)));
    await initialFlush;
    // How long building these 1,000 items takes: npm run bench:extension.
    const groups = tree.getChildren();
    let items = 0;
    for (const g of groups) for (const c of tree.getChildren(g)) items += tree.getTreeItem(c) ? 1 : 0;
    assert.equal(groups.length, 3);
    assert.equal(items, 1000);
    // One status write → one node refreshed, not the tree.
    const flushed = new Promise<string[] | 'all'>((resolve) => {
      const sub = tree.onDidFlush((f) => {
        sub.dispose();
        resolve(f);
      });
    });
    const fired: unknown[] = [];
    const sub = tree.onDidChangeTreeData((e) => fired.push(e));
    model.setAgent('c0042', agentFor(42, new Date(Date.now() + 1000).toISOString()));
    assert.deepEqual(await flushed, ['c0042']);
    sub.dispose();
    assert.equal(fired.length, 1);
    assert.ok(Array.isArray(fired[0]) && (fired[0] as { id: string }[]).length === 1 && (fired[0] as { id: string }[])[0].id === 'c0042', 'the refresh names exactly the changed cluster node');
    tree.dispose();
  });

  it('turns Stale, "last seen …", when the agent stops writing heartbeats', async () => {
    await agent.stop();
    // heartbeatInterval 5s: Stale after 3 × 5s without one, noticed by the model's clock tick.
    const stale = await until(api, withAgent.name, (v) => v.state === 'Stale', 60_000, 'Stale');
    assert.ok(stale.lastSeen);
    assert.match(String((await clusterItem(api, withAgent.name)).description), /^Stale · last seen \d+s ago/);
  });

  it('exports the fleet report as JSON naming every cluster', async () => {
    const path = join(scratch, 'report.json');
    await vscode.commands.executeCommand('kplane.exportReport', { format: 'json', path });
    const report = JSON.parse(readFileSync(path, 'utf8')) as { clusters: { context: string; state: string }[] };
    assert.deepEqual(report.clusters.map((c) => c.context).sort(), [bare.name, withAgent.name].sort());
  });
});
