/**
 * Live schemas in a real VS Code host against two clusters from the test bed, a CRD installed on
 * only one of them: once the fleet is watched, the extension reads both clusters' API and feeds
 * it to the language server, which reports a custom resource as not served on exactly the
 * cluster without the CRD, and checks it against the other's schema; the CodeLens says what the
 * profile was checked against. A misspelt Deployment field holds on every target: said once,
 * and its quick fix repairs it. Every wait is on an event (diagnostics, the feed's send), with a
 * deadline; none is a sleep.
 */
import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { KplaneApi } from '@kplane/extension';
import { kubeClient, mergedKubeconfig, startCluster, waitFor, type TestCluster } from '@kplane/bed';
import { KubeClient } from '@kplane/plane/cluster';
import { kubeConfigConnection } from '@kplane/kube';
import { codeOf, kplaneDiagnostics } from './diagnosticsWait.js';

const DEADLINE_MS = 90_000;

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { color: { type: 'string', enum: ['red', 'blue'] } } } } } } }],
  },
};

const PROFILE = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: live-schemas
spec:
  version: 1.0.0
  layers:
    - name: apps
      namespace: default
      manifests:
        - apiVersion: example.com/v1
          kind: Widget
          metadata: { name: w }
          spec:
            color: green
        - apiVersion: apps/v1
          kind: Deployment
          metadata: { name: web }
          spec:
            revisionHistroyLimit: 3
            selector: { matchLabels: { app: web } }
            template:
              metadata: { labels: { app: web } }
              spec:
                containers:
                  - { name: web, image: nginx }
`;

describe('live schemas of two bed clusters in the editor', function () {
  this.timeout(300_000);
  let withCrd: TestCluster;
  let plain: TestCluster;
  let api: KplaneApi;
  let scratch: string;
  let uri: vscode.Uri;

  before(async () => {
    [withCrd, plain] = await Promise.all([startCluster({ name: 'editor-crd' }), startCluster({ name: 'editor-plain' })]);
    scratch = mkdtempSync(join(tmpdir(), 'kplane-editor-schemas-'));
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(kubeconfig, mergedKubeconfig([withCrd, plain]), { mode: 0o600 });
    // Created as plain JSON: the bed's applyYaml drops `enum` from CRD schemas (client-node's _enum).
    const client = new KubeClient(kubeConfigConnection(kubeClient(withCrd)), { context: withCrd.name });
    await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { timeoutMs: 30_000, body: CRD });
    await waitFor(async () => Boolean(((await client.request<{ paths?: Record<string, unknown> }>('GET', '/openapi/v3', { timeoutMs: 5000 })).paths ?? {})['apis/example.com/v1']), { timeoutMs: 60_000, what: 'example.com/v1 in /openapi/v3' });
    client.close();

    api = (await vscode.extensions.getExtension<KplaneApi>('kplane.kplane')!.activate())!;
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', [withCrd.name, plain.name], vscode.ConfigurationTarget.Global);
    uri = vscode.Uri.file(join(process.env.KPLANE_TEST_WORKSPACE!, 'live-schemas.profile.yaml'));
    writeFileSync(uri.fsPath, PROFILE);
    // Sent once both targets are known (the fleet lists its clusters as it starts).
    const sent = new Promise<void>((resolve) => {
      const subscription = api.schemaFeed.onDidSend((state) => {
        if ((state.documents[uri.toString()] ?? []).filter((t) => t.state === 'live').length === 2) {
          subscription.dispose();
          resolve();
        }
      });
    });
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await api.fleet.restart();
    await Promise.race([sent, new Promise((_, reject) => setTimeout(() => reject(new Error(`the feed did not send two live targets within ${DEADLINE_MS / 1000} s: ${JSON.stringify(api.schemaFeed.state)}`)), DEADLINE_MS))]);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', undefined, vscode.ConfigurationTarget.Global);
    await Promise.all([withCrd?.stop(), plain?.stop()]);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    if (uri) rmSync(uri.fsPath, { force: true });
  });

  it('the custom resource: not served on exactly the cluster without the CRD, checked against the other\'s schema', async () => {
    const found = await kplaneDiagnostics(uri, (d) => d.some((x) => codeOf(x) === 'KIND_NOT_SERVED_ON_CLUSTER'), 'KIND_NOT_SERVED_ON_CLUSTER', DEADLINE_MS);
    const notServed = found.filter((d) => codeOf(d) === 'KIND_NOT_SERVED_ON_CLUSTER');
    assert.equal(notServed.length, 1, notServed.map((d) => d.message).join('\n'));
    assert.match(notServed[0].message, new RegExp(`^On cluster ${plain.name}: Widget example\\.com/v1 is not served there`));
    const document = await vscode.workspace.openTextDocument(uri);
    assert.equal(document.getText(notServed[0].range), 'Widget');
    const color = found.find((d) => codeOf(d) === 'MANIFEST_INVALID_ENUM_VALUE');
    assert.ok(color, `no enum finding among ${found.map(codeOf).join(', ')}`);
    assert.match(color.message, new RegExp(`^On cluster ${withCrd.name}: Widget spec\\.color is "green"; it must be one of red, blue`));
    assert.equal(document.getText(color.range), 'green');
    assert.ok(!found.some((d) => codeOf(d) === 'MANIFEST_KIND_UNKNOWN'), 'a live cluster knows the kind: no "not checked" note');
  });

  it('the CodeLens says what the profile was checked against', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.some((t) => /^checked against Kubernetes \d+\.\d+ \+ 2 clusters$/.test(t)), titles.join(' | '));
    const lens = lenses.find((l) => l.command?.title.startsWith('checked against'))!;
    const lines = await vscode.commands.executeCommand<string[]>(lens.command!.command, ...(lens.command!.arguments ?? []));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.ok(lines.some((l) => l.startsWith(`${plain.name}: live, Kubernetes `)), lines.join('\n'));
  });

  it('a misspelt Deployment field holds on every target: said once, and its quick fix repairs it', async () => {
    const found = await kplaneDiagnostics(uri, (d) => d.some((x) => codeOf(x) === 'MANIFEST_UNKNOWN_FIELD'), 'MANIFEST_UNKNOWN_FIELD', DEADLINE_MS);
    const misspelt = found.filter((d) => codeOf(d) === 'MANIFEST_UNKNOWN_FIELD');
    assert.equal(misspelt.length, 1);
    assert.match(misspelt[0].message, /^Deployment has no field "revisionHistroyLimit"/);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, misspelt[0].range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Change "revisionHistroyLimit" to "revisionHistoryLimit"');
    assert.ok(fix?.edit, `no quick fix among: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    await kplaneDiagnostics(uri, (d) => d.length > 0 && !d.some((x) => codeOf(x) === 'MANIFEST_UNKNOWN_FIELD'), 'diagnostics without MANIFEST_UNKNOWN_FIELD', DEADLINE_MS);
    assert.match((await vscode.workspace.openTextDocument(uri)).getText(), /\n {12}revisionHistoryLimit: 3\n/);
  });
});
