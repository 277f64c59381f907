/**
 * Helm layers in a real VS Code host, against a real chart repository from the bed (helm repo
 * index over loopback, the project's web chart with its values.schema.json): the language server
 * fetches the chart, a value the schema refuses gets its diagnostic on the value, completion
 * offers the chart's keys with their comments, and kplane: Render Layer shows the rendered
 * manifests read-only. With the gateway chart (no schema): the quick fix of a misspelt values key,
 * and a Kubernetes finding on an object the chart renders.
 */
import * as assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ensureHelmTools, fixtureChart, packageChart, startChartRepo, type ChartRepo } from '@kplane/bed';
import { codeOf, kplaneDiagnostics } from './diagnosticsWait.js';

const DEADLINE_MS = 90_000;

describe('Helm layers in the editor (real chart repository)', function () {
  this.timeout(600_000);
  let repo: ChartRepo;
  let uri: vscode.Uri;
  let gatewayUri: vscode.Uri | undefined;

  before(async () => {
    const extension = vscode.extensions.getExtension('kplane.kplane');
    assert.ok(extension, 'kplane.kplane is not loaded');
    await extension.activate();
    const tools = await ensureHelmTools();
    repo = await startChartRepo({ name: 'vscode-charts' });
    await repo.add(await packageChart(fixtureChart('web'), await mkdtemp(join(tmpdir(), 'kplane-vscode-chart-')), '1.0.0'));
    await repo.add(await packageChart(fixtureChart('gateway'), await mkdtemp(join(tmpdir(), 'kplane-vscode-chart-'))));
    await vscode.workspace.getConfiguration('kplane.helm').update('path', tools.helm, vscode.ConfigurationTarget.Global);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    uri = vscode.Uri.joinPath(folder.uri, 'chart.profile.yaml');
    const text = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: chart
spec:
  version: 1.0.0
  layers:
    - name: web
      namespace: web
      helm:
        repo: ${repo.url}
        chart: web
        version: 1.0.0
        values:
          replicaCount: 50
`;
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    if (gatewayUri) await vscode.workspace.fs.delete(gatewayUri).then(undefined, () => undefined);
    await vscode.workspace.getConfiguration('kplane.helm').update('path', undefined, vscode.ConfigurationTarget.Global);
    await repo?.stop();
  });

  it("a value the chart's values.schema.json refuses is an error on the value, once the chart is fetched", async () => {
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const diagnostics = await kplaneDiagnostics(uri, (d) => d.some((x) => codeOf(x) === 'HELM_VALUES_SCHEMA'), 'HELM_VALUES_SCHEMA', DEADLINE_MS);
    const schema = diagnostics.find((d) => codeOf(d) === 'HELM_VALUES_SCHEMA')!;
    assert.equal(document.getText(schema.range), '50');
    assert.match(schema.message, /replicaCount is 50; the chart wants it <= 10/);
  });

  it("completes helm.values keys from the chart's values.yaml, with its comments", async () => {
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    const end = document.lineAt(document.lineCount - 1).range.end;
    await editor.edit((e) => e.insert(end, '          '));
    const position = document.lineAt(document.lineCount - 1).range.end;
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position);
    const greeting = list.items.find((i) => (typeof i.label === 'string' ? i.label : i.label.label) === 'greeting');
    assert.ok(greeting, `greeting not offered: ${list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label)).join(', ')}`);
    const doc = typeof greeting.documentation === 'string' ? greeting.documentation : greeting.documentation?.value ?? '';
    assert.match(doc, /Greeting written into the settings ConfigMap/);
  });

  it('kplane: Render Layer opens the rendered manifests read-only', async () => {
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    // A valid value first: helm template itself refuses what the schema refuses.
    const line = document.getText().split('\n').findIndex((l) => l.includes('replicaCount: 50'));
    await editor.edit((e) => e.replace(new vscode.Range(line, 0, document.lineCount - 1, document.lineAt(document.lineCount - 1).text.length), '          replicaCount: 3\n          greeting: rendered in the editor'));
    await kplaneDiagnostics(uri, (d) => !d.some((x) => codeOf(x).startsWith('HELM_')), 'HELM diagnostics gone after the fix', DEADLINE_MS);
    const view = await vscode.commands.executeCommand<vscode.Uri>('kplane.renderLayer', uri, 'web');
    assert.ok(view, 'Render Layer returned no document');
    const rendered = await vscode.workspace.openTextDocument(view);
    const text = rendered.getText();
    assert.match(text, /^# chart \/ layer web: chart web 1\.0\.0 \(sha256:/);
    assert.match(text, /kind: Deployment/);
    assert.match(text, /replicas: 3/);
    assert.match(text, /greeting: "rendered in the editor"/);
    assert.equal(view.scheme, 'kplane-render');
  });

  it('gateway chart: the quick fix renames a misspelt values key to the suggestion; an object the chart renders with a bad label is a finding on the helm key', async () => {
    const folder = vscode.workspace.workspaceFolders![0];
    gatewayUri = vscode.Uri.joinPath(folder.uri, 'gateway.profile.yaml');
    await vscode.workspace.fs.writeFile(
      gatewayUri,
      Buffer.from(`apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: gateway
spec:
  version: 1.0.0
  layers:
    - name: gw
      namespace: edge
      helm:
        repo: ${repo.url}
        chart: gateway
        version: 0.3.0
        values:
          controller:
            logLeve: debug
`),
    );
    const document = await vscode.workspace.openTextDocument(gatewayUri);
    await vscode.window.showTextDocument(document);
    const diagnostics = await kplaneDiagnostics(gatewayUri, (d) => d.some((x) => codeOf(x) === 'HELM_VALUES_UNKNOWN_KEY'), 'HELM_VALUES_UNKNOWN_KEY', DEADLINE_MS);
    const unknown = diagnostics.find((d) => codeOf(d) === 'HELM_VALUES_UNKNOWN_KEY')!;
    assert.equal(document.getText(unknown.range), 'logLeve');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', gatewayUri, unknown.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Change "logLeve" to "logLevel"');
    assert.ok(fix?.edit, `no quick fix: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(document.getText(), /^ {12}logLevel: debug$/m);
    await kplaneDiagnostics(gatewayUri, (d) => !d.some((x) => codeOf(x) === 'HELM_VALUES_UNKNOWN_KEY'), 'HELM_VALUES_UNKNOWN_KEY gone after the quick fix', DEADLINE_MS);

    const editor = await vscode.window.showTextDocument(document);
    const end = document.lineAt(document.lineCount - 1).range.end;
    await editor.edit((e) => e.insert(end, '          extraLabels: { team: "not a label!" }\n'));
    const rendered = await kplaneDiagnostics(gatewayUri, (d) => d.some((x) => codeOf(x) === 'HELM_RENDERED_OBJECT'), 'HELM_RENDERED_OBJECT', DEADLINE_MS);
    const finding = rendered.find((d) => codeOf(d) === 'HELM_RENDERED_OBJECT')!;
    assert.equal(document.getText(finding.range), 'helm');
    assert.match(finding.message, /Chart gateway 0\.3\.0 renders Deployment edge\/gw-gateway \(gateway\/templates\/deployment\.yaml\): metadata\.labels\.team: /);
  });
});
