/**
 * Hub members in a real VS Code host (docs/hub.md): the extension is given a kubeconfig with the
 * hub's context only (kplane.fleet.hub); an edge member joined with `kplane hub join` and reached
 * by nobody but its own agent, which dials out to the hub. The Fleet view lists that member;
 * Apply by selector, Pause and Resume write the hub's copy of its profile, and the member's agent
 * copies the paused spec into its own cluster. Waits are on the fleet model's change events, and
 * on the member's local profile for what only the member can show.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { FleetNode, KplaneApi } from '@kplane/extension';
import { startHubSite, waitFor, type HubSite } from '@kplane/bed';
import { KubeClient, loadConnection } from '@kplane/kube';
import { until } from './fleetWait.js';

const PROFILE = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: hub-edge
  namespace: kplane-system
spec:
  version: 1.0.0
  description: What the hub test applies to the edge member
  layers:
    - name: base
      manifests:
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: hub-edge
            namespace: default
          data:
            site: edge
`;

interface ProfileObject {
  metadata: { labels?: Record<string, string> };
  spec: { paused?: boolean };
}

describe('hub members in the Fleet view', function () {
  this.timeout(240_000);
  let site: HubSite;
  let api: KplaneApi;
  let scratch: string;
  let profileUri: vscode.Uri;
  let member: KubeClient;
  let hubClient: KubeClient;
  let id: string;

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'kplane-hub-vscode-'));
    site = await startHubSite({ dir: scratch, edges: [{ name: 'edge-1', displayName: 'Edge 1', labels: { site: 'edge', env: 'test' } }], agentArgs: ['--heartbeat', '2s', '--hub-heartbeat', '2s'] });
    id = `hub:${site.hub.name}/edge-1`;
    member = new KubeClient(loadConnection({ kubeconfigPath: site.edges[0].cluster.kubeconfigPath }));
    hubClient = new KubeClient(loadConnection({ kubeconfigPath: site.hub.kubeconfigPath }));
    profileUri = vscode.Uri.file(join(process.env.KPLANE_TEST_WORKSPACE!, 'hub-edge.profile.yaml'));
    writeFileSync(profileUri.fsPath, PROFILE);
    api = (await vscode.extensions.getExtension<KplaneApi>('kplane.kplane')!.activate())!;
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', site.planeKubeconfig, vscode.ConfigurationTarget.Global);
    await config.update('fleet.hub', site.hub.name, vscode.ConfigurationTarget.Global);
    await api.fleet.restart();
  });

  after(async () => {
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await config.update('fleet.hub', undefined, vscode.ConfigurationTarget.Global);
    await api?.fleet.restart();
    member?.close();
    hubClient?.close();
    await site?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    if (profileUri) rmSync(profileUri.fsPath, { force: true });
  });

  const localProfile = () => member.request<ProfileObject>('GET', '/apis/kplane.dev/v1alpha1/namespaces/kplane-system/clusterprofiles/hub-edge', { timeoutMs: 10_000 });
  const hubProfile = () => hubClient.request<ProfileObject>('GET', '/apis/kplane.dev/v1alpha1/namespaces/kplane-member-edge-1/clusterprofiles/hub-edge', { timeoutMs: 10_000 });
  const profileNode = (): FleetNode => {
    const node = api.fleetTree.getChildren({ kind: 'cluster', id }).find((n) => n.kind === 'profile' && n.name === 'hub-edge');
    assert.ok(node, `no hub-edge profile under ${id} in the Fleet view`);
    return node;
  };

  it('lists the edge member, which is in no kubeconfig the extension reads, with its labels from the hub', async () => {
    const view = await until(api, id, (v) => v.state === 'Healthy' && v.agentVersion !== undefined, 90_000, 'Healthy through the hub');
    assert.deepEqual(view.labels, { site: 'edge', env: 'test' });
    assert.ok(!readFileSync(site.planeKubeconfig, 'utf8').includes(site.edges[0].cluster.server), "the edge member's API server is not in the extension's kubeconfig");
    const clusters: FleetNode[] = [];
    for (const node of api.fleetTree.getChildren()) clusters.push(...(node.kind === 'group' ? api.fleetTree.getChildren(node) : [node]));
    const node = clusters.find((n) => n.kind === 'cluster' && n.id === id);
    assert.ok(node, `the Fleet view lists ${clusters.map((n) => (n.kind === 'cluster' ? n.id : n.kind)).join(', ')}`);
    assert.match(String(api.fleetTree.getTreeItem(node).description), /^Healthy/);
  });

  it('applies by selector through the hub, and pauses and resumes the member\'s profile there', async () => {
    const result = (await vscode.commands.executeCommand('kplane.applyProfile', profileUri, { selector: 'site=edge', yes: true, readyTimeoutSeconds: 90 })) as { outcomes: { cluster: string; result: string; message: string }[] };
    assert.deepEqual(result.outcomes.map((o) => `${o.cluster}:${o.result}`), [`${id}:applied`], result.outcomes.map((o) => o.message).join('; '));
    await until(api, id, (v) => v.profiles.some((p) => p.name === 'hub-edge' && p.state === 'Ready'), 60_000, 'hub-edge Ready');
    // The member's agent made the local copy it enforces.
    const copy = await localProfile();
    assert.equal(copy.metadata.labels?.['kplane.dev/hub-source'], 'kplane-member-edge-1');

    assert.equal(await vscode.commands.executeCommand('kplane.pauseReconciliation', profileNode()), true);
    assert.equal((await hubProfile()).spec.paused, true, 'Pause writes the hub object');
    await waitFor(async () => (await localProfile()).spec.paused === true, { what: 'the member agent copies the paused spec', timeoutMs: 60_000, intervalMs: 250 });
    await until(api, id, (v) => v.state === 'Paused', 60_000, 'Paused, as the member reports it through the hub');

    assert.equal(await vscode.commands.executeCommand('kplane.resumeReconciliation', profileNode()), true);
    assert.notEqual((await hubProfile()).spec.paused, true, 'Resume writes the hub object');
    await waitFor(async () => (await localProfile()).spec.paused !== true, { what: 'the member agent copies the resumed spec', timeoutMs: 60_000, intervalMs: 250 });
    await until(api, id, (v) => v.state === 'Healthy', 60_000, 'Healthy after resume');
  });
});
