/**
 * The dashboard in a real VS Code host against a real cluster from the test bed: the webview
 * loads, draws the fleet it is sent, and the values editor's save path (the same typed message the
 * webview posts) rejects an invalid value without writing anything, and applies a valid one to
 * the API server by server-side apply as field manager `kplane`.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parse } from 'yaml';
import { KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import type { ClusterProfile } from '@kplane/profile';
import type { KplaneApi, DashboardHandle } from '@kplane/extension';
import { kubeClient, startCluster, type TestCluster } from '@kplane/bed';

const ref = { namespace: 'kplane-system', name: 'edge-baseline' };

describe('dashboard webview', function () {
  // Starting a control plane on 2 busy cores takes a while; everything after it waits on events.
  this.timeout(180_000);
  let cluster: TestCluster;
  let scratch: string;
  let handle: DashboardHandle;
  let objects: KubernetesObjectApi;

  const readProfile = () => objects.read({ apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: ref }) as unknown as Promise<ClusterProfile>;

  before(async () => {
    cluster = await startCluster({ name: 'dashboard' });
    objects = KubernetesObjectApi.makeApiClient(kubeClient(cluster));
    const repo = process.env.KPLANE_REPO_ROOT ?? '';
    const profile = parse(readFileSync(join(repo, 'examples', 'edge-baseline.profile.yaml'), 'utf8')) as KubernetesObject;
    await objects.patch(profile, undefined, undefined, 'kplane', true, PatchStrategy.ServerSideApply);
    await objects.patch(
      { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent', namespace: 'kplane-system' }, spec: { displayName: 'dashboard-test', labels: { suite: 'dashboard' } } },
      undefined, undefined, 'kplane', true, PatchStrategy.ServerSideApply,
    );
    scratch = mkdtempSync(join(tmpdir(), 'kplane-dashboard-test-'));
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(kubeconfig, cluster.kubeconfig, { mode: 0o600 });
    // The fleet is this one cluster. The configuration listener restarts a running fleet only;
    // restarting here (idempotent) makes the new settings apply either way.
    const api = (await vscode.extensions.getExtension<KplaneApi>('kplane.kplane')!.activate())!;
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', [cluster.name], vscode.ConfigurationTarget.Global);
    await api.fleet.restart();
    handle = (await vscode.commands.executeCommand<DashboardHandle>('kplane.openDashboard'))!;
    assert.ok(handle?.panel, 'kplane.openDashboard did not return the dashboard handle');
  });

  after(async () => {
    handle?.panel.dispose();
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', undefined, vscode.ConfigurationTarget.Global);
    await cluster?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('loads, receives the fleet and draws the cluster with its profile', async () => {
    // The snapshot the host sent carries the cluster as the plane sees it...
    const sent = await handle.sent((m) => m.type === 'snapshot' && m.snapshot.clusters.some((c) => c.context === cluster.name && c.profiles.length > 0), 90_000);
    assert.ok(sent.type === 'snapshot');
    const view = sent.snapshot.clusters.find((c) => c.context === cluster.name)!;
    assert.deepEqual(view.labels, { suite: 'dashboard' });
    assert.deepEqual(view.profiles.map((p) => `${p.namespace}/${p.name}@${p.version}`), ['kplane-system/edge-baseline@1.4.0']);
    // ...and the webview's script ran and drew it: it counts the rows and columns it put in the DOM.
    const rendered = await handle.received((m) => m.type === 'rendered' && m.clusters >= 1 && m.profiles >= 1, 60_000);
    assert.ok(rendered.type === 'rendered');
  });

  it('opens the Monaco values editor in the webview from the Fleet tree\'s Edit Values…', async () => {
    // The tree passes its profile node; the webview navigates, asks for the values, starts Monaco
    // and monaco-yaml, and checks the editor's text with the host: all of it in the real webview.
    const node = { kind: 'profile', cluster: cluster.name, key: `${ref.namespace}/${ref.name}`, ...ref };
    const same = await vscode.commands.executeCommand<DashboardHandle>('kplane.editValues', node);
    assert.equal(same, handle, 'Edit Values… opened a second panel');
    const values = await handle.sent((m) => m.type === 'values' && m.ref.context === cluster.name, 60_000);
    assert.ok(values.type === 'values');
    assert.equal(values.yaml, 'replicas: 2\n');
    const check = await handle.received((m) => m.type === 'validateValues' && m.ref.context === cluster.name, 60_000);
    assert.ok(check.type === 'validateValues');
    assert.equal(check.yaml, values.yaml, 'the webview checked other text than the editor was given');
    const findings = await handle.sent((m) => m.type === 'findings' && m.requestId === check.requestId, 30_000);
    assert.ok(findings.type === 'findings');
    assert.deepEqual(findings.findings, []);
  });

  it('rejects an invalid value with findings and writes nothing to the cluster', async () => {
    const before = await readProfile();
    await handle.receive({ type: 'applyValues', requestId: 101, ref: { context: cluster.name, ...ref }, yaml: 'replicas: 50\n' });
    const result = await handle.sent((m) => m.type === 'applyResult' && m.requestId === 101, 30_000);
    assert.ok(result.type === 'applyResult');
    assert.equal(result.ok, false, result.message);
    assert.deepEqual(result.findings.map((f) => f.code), ['VALUE_OUT_OF_RANGE']);
    assert.match(result.findings[0].message, /50 is above the maximum 10/);
    const after = await readProfile();
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion, 'the profile was written although its values were invalid');
    assert.deepEqual(after.spec.values, { replicas: 2 });
  });

  it('applies a valid value to the API server as field manager kplane, keeping the layers', async () => {
    await handle.receive({ type: 'applyValues', requestId: 102, ref: { context: cluster.name, ...ref }, yaml: 'replicas: 4\nlogLevel: warn\n' });
    const result = await handle.sent((m) => m.type === 'applyResult' && m.requestId === 102, 30_000);
    assert.ok(result.type === 'applyResult');
    assert.equal(result.ok, true, result.message);
    const after = await readProfile();
    assert.deepEqual(after.spec.values, { replicas: 4, logLevel: 'warn' });
    assert.equal(after.spec.layers.length, 2);
    const managers = ((after.metadata.managedFields ?? []) as { manager: string; operation: string }[]).map((m) => `${m.manager}/${m.operation}`);
    assert.ok(managers.includes('kplane/Apply'), `managers: ${managers.join(', ')}`);
  });

  it('ignores a malformed message instead of acting on it', async () => {
    const before = await readProfile();
    // No requestId: parseWebviewMessage refuses it, so nothing may be applied or answered.
    await handle.receive({ type: 'applyValues', ref: { context: cluster.name, ...ref }, yaml: 'replicas: 1\n' });
    // Messages are handled in order: once this one is answered, the malformed one was dealt with.
    await handle.receive({ type: 'validateValues', requestId: 103, ref: { context: cluster.name, ...ref }, yaml: 'replicas: 3\n' });
    await handle.sent((m) => m.type === 'findings' && m.requestId === 103, 30_000);
    await assert.rejects(handle.sent((m) => m.type === 'applyResult' && m.requestId !== 101 && m.requestId !== 102, 100), /no matching host→webview message/);
    assert.equal((await readProfile()).metadata.resourceVersion, before.metadata.resourceVersion);
  });
});
