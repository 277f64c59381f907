/**
 * A Helm layer against the live API of two bed clusters in a real VS Code host: the project's
 * gizmos chart (from the bed's chart repository) renders a custom resource whose CRD only one
 * cluster has. Once the server has rendered the chart it tells the extension which group/versions
 * the chart renders (kplane/renderedGroupVersions), the extension reads their schemas from both
 * clusters, and the rendered object is reported on the layer's `helm` key: not served on exactly
 * the cluster without the CRD, and checked against the live CRD schema of the other (a
 * group/version the profile's text does not name). A CRD a chart renders (gizmo-crds) is known to
 * a manifest layer's custom resource once the render ends (the server checks the manifests again):
 * checked against that CRD, and not "not served" on the cluster without it. Every wait is on an
 * event, with a deadline.
 */
import * as assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { KplaneApi } from '@kplane/extension';
import { ensureHelmTools, fixtureChart, kubeClient, mergedKubeconfig, packageChart, startChartRepo, startCluster, waitFor, type ChartRepo, type TestCluster } from '@kplane/bed';
import { KubeClient } from '@kplane/plane/cluster';
import { kubeConfigConnection } from '@kplane/kube';
import { codeOf, kplaneDiagnostics } from './diagnosticsWait.js';

const DEADLINE_MS = 120_000;

const CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gizmos.gizmos.kplane.dev' },
  spec: {
    group: 'gizmos.kplane.dev',
    scope: 'Namespaced',
    names: { plural: 'gizmos', singular: 'gizmo', kind: 'Gizmo', listKind: 'GizmoList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { color: { type: 'string', enum: ['red', 'blue'] } } } } } } }],
  },
};

describe('a Helm layer against the live schemas of two bed clusters in the editor', function () {
  this.timeout(600_000);
  let withCrd: TestCluster;
  let plain: TestCluster;
  let repo: ChartRepo;
  let scratch: string;
  let uri: vscode.Uri;
  let manifestUri: vscode.Uri | undefined;

  before(async () => {
    const tools = await ensureHelmTools();
    [withCrd, plain, repo] = await Promise.all([startCluster({ name: 'editor-helm-crd' }), startCluster({ name: 'editor-helm-plain' }), startChartRepo({ name: 'vscode-gizmos' })]);
    scratch = await mkdtemp(join(tmpdir(), 'kplane-editor-helm-live-'));
    for (const chart of ['gizmos', 'gizmo-crds']) await repo.add(await packageChart(fixtureChart(chart), join(scratch, 'pkg')));
    const kubeconfig = join(scratch, 'kubeconfig');
    await writeFile(kubeconfig, mergedKubeconfig([withCrd, plain]), { mode: 0o600 });
    // Plain JSON: the bed's applyYaml drops `enum` from CRD schemas (client-node's _enum).
    const client = new KubeClient(kubeConfigConnection(kubeClient(withCrd)), { context: withCrd.name });
    try {
      await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { timeoutMs: 30_000, body: CRD });
      await waitFor(async () => Boolean(((await client.request<{ paths?: Record<string, unknown> }>('GET', '/openapi/v3', { timeoutMs: 5000 })).paths ?? {})['apis/gizmos.kplane.dev/v1']), { timeoutMs: 60_000, what: 'gizmos.kplane.dev/v1 in /openapi/v3' });
    } finally {
      client.close();
    }

    const api = (await vscode.extensions.getExtension<KplaneApi>('kplane.kplane')!.activate())!;
    await vscode.workspace.getConfiguration('kplane.helm').update('path', tools.helm, vscode.ConfigurationTarget.Global);
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', [withCrd.name, plain.name], vscode.ConfigurationTarget.Global);
    uri = vscode.Uri.file(join(process.env.KPLANE_TEST_WORKSPACE!, 'helm-live.profile.yaml'));
    await writeFile(
      uri.fsPath,
      `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: helm-live
spec:
  version: 1.0.0
  layers:
    - name: gizmos
      namespace: apps
      helm:
        repo: ${repo.url}
        chart: gizmos
        version: 1.0.0
        values:
          color: green
`,
    );
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await api.fleet.restart();
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const config = vscode.workspace.getConfiguration('kplane');
    await config.update('fleet.kubeconfig', undefined, vscode.ConfigurationTarget.Global);
    await config.update('fleet.contexts', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('kplane.helm').update('path', undefined, vscode.ConfigurationTarget.Global);
    await Promise.all([withCrd?.stop(), plain?.stop(), repo?.stop()]);
    if (scratch) await rm(scratch, { recursive: true, force: true });
    if (uri) await rm(uri.fsPath, { force: true });
    if (manifestUri) await rm(manifestUri.fsPath, { force: true });
  });

  it('the rendered custom resource: not served on exactly the cluster without the CRD, checked against the live CRD of the other, on the helm key', async () => {
    const rendered = (d: vscode.Diagnostic[]) => d.filter((x) => codeOf(x) === 'HELM_RENDERED_OBJECT');
    const found = rendered(await kplaneDiagnostics(uri, (d) => rendered(d).some((x) => x.message.includes('[MANIFEST_INVALID_ENUM_VALUE]')) && rendered(d).some((x) => x.message.includes('[KIND_NOT_SERVED_ON_CLUSTER]')), 'both per-cluster findings of the rendered Gizmo', DEADLINE_MS));
    assert.equal(found.length, 2, found.map((d) => d.message).join('\n'));
    const notServed = found.find((d) => d.message.includes('[KIND_NOT_SERVED_ON_CLUSTER]'))!;
    assert.match(notServed.message, new RegExp(`^On cluster ${plain.name}: Chart gizmos 1\\.0\\.0 renders Gizmo apps/gizmos-gizmo \\(gizmos/templates/gizmo\\.yaml\\): kind: Gizmo gizmos\\.kplane\\.dev/v1 is not served there`));
    const color = found.find((d) => d.message.includes('[MANIFEST_INVALID_ENUM_VALUE]'))!;
    assert.match(color.message, new RegExp(`^On cluster ${withCrd.name}: Chart gizmos 1\\.0\\.0 renders Gizmo apps/gizmos-gizmo .*spec\\.color is "green"; it must be one of red, blue`));
    const document = await vscode.workspace.openTextDocument(uri);
    for (const d of found) assert.equal(document.getText(d.range), 'helm');
  });

  it("a manifest layer's custom resource of a CRD that a chart renders: checked against that CRD once the render ends, not \"not served\" where the cluster lacks it", async () => {
    manifestUri = vscode.Uri.file(join(process.env.KPLANE_TEST_WORKSPACE!, 'helm-crds-manifest.profile.yaml'));
    await writeFile(
      manifestUri.fsPath,
      `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: helm-crds-manifest
spec:
  version: 1.0.0
  layers:
    - name: crds
      helm:
        repo: ${repo.url}
        chart: gizmo-crds
        version: 1.0.0
    - name: gizmos
      namespace: apps
      dependsOn: [crds]
      manifests:
        - apiVersion: gizmos.kplane.dev/v1
          kind: Gizmo
          metadata:
            name: g
          spec:
            color: green
`,
    );
    const document = await vscode.workspace.openTextDocument(manifestUri);
    await vscode.window.showTextDocument(document);
    const manifest = (d: vscode.Diagnostic[]) => d.filter((x) => /^(MANIFEST_|KIND_)/.test(codeOf(x)));
    // Before the render ends the cluster without the CRD says "not served"; after, both refuse green, said once.
    const settled = (d: vscode.Diagnostic[]) => manifest(d).length === 1 && codeOf(manifest(d)[0]) === 'MANIFEST_INVALID_ENUM_VALUE' && !manifest(d)[0].message.startsWith('On cluster');
    const [found] = manifest(await kplaneDiagnostics(manifestUri, settled, 'the Gizmo checked against the CRD of the gizmo-crds chart on both clusters', DEADLINE_MS));
    assert.match(found.message, /^Gizmo spec\.color is "green"; it must be one of red, blue/);
    assert.equal(document.getText(found.range), 'green');
  });
});
