/**
 * kplane: Render Layer: the manifests a Helm layer renders to, in a read-only document. The
 * language server does the work (the chart from its cache, `helm template` as the agent renders
 * it, kplane/renderLayer); this command only picks the layer and shows the result.
 */
import * as vscode from 'vscode';
import { parseAllDocuments } from 'yaml';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RenderLayerRequest, type RenderLayerResult } from '@kplane/language-server/protocol';
import type { Host } from '../host.js';

export const RENDER_SCHEME = 'kplane-render';

/** Serves rendered layers as read-only documents; nothing touches disk. */
export class RenderedLayerProvider implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  set(uri: vscode.Uri, text: string): void {
    this.contents.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '# no longer available: run kplane: Render Layer again\n';
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The Helm layers of a file: profile and layer names. */
export function helmLayersIn(text: string): { profile: string; layer: string; chart: string }[] {
  const out: { profile: string; layer: string; chart: string }[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (!('toJS' in doc)) continue;
    const value = doc.toJS({ maxAliasCount: 100 }) as { kind?: unknown; metadata?: { name?: unknown }; spec?: { layers?: unknown } } | null;
    if (value?.kind !== 'ClusterProfile' || !Array.isArray(value.spec?.layers)) continue;
    for (const layer of value.spec.layers as { name?: unknown; helm?: { chart?: unknown; version?: unknown } }[]) {
      if (layer?.helm && typeof layer.name === 'string') out.push({ profile: String(value.metadata?.name ?? ''), layer: layer.name, chart: `${String(layer.helm.chart)} ${String(layer.helm.version)}` });
    }
  }
  return out;
}

export async function renderLayerCommand(client: LanguageClient | undefined, host: Host, provider: RenderedLayerProvider, arg?: unknown, layerName?: string): Promise<vscode.Uri | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!client) return void host.error('kplane: the language server is not running, so layers cannot be rendered. See the kplane log.');
  if (!uri) return void host.info('kplane: open a profile file with a Helm layer first.');
  const document = await vscode.workspace.openTextDocument(uri);
  const layers = helmLayersIn(document.getText());
  let chosen = layerName ? layers.find((l) => l.layer === layerName) : layers.length === 1 ? layers[0] : undefined;
  if (!chosen && !layerName && layers.length > 1) {
    const pick = await host.pickOne(layers.map((l) => ({ label: l.layer, description: l.chart, detail: l.profile, layer: l })), { placeHolder: 'Helm layer to render' });
    chosen = pick?.layer;
    if (!chosen) return undefined;
  }
  if (!chosen) return void host.info(layerName ? `kplane: no Helm layer "${layerName}" in ${vscode.workspace.asRelativePath(uri)}.` : `kplane: ${vscode.workspace.asRelativePath(uri)} has no Helm layer (a layer with helm: instead of manifests:).`);
  const target = chosen;
  const result = await host.progress(`kplane: rendering layer ${target.layer} (${target.chart})`, (_progress, token) =>
    client.sendRequest<RenderLayerResult>(RenderLayerRequest.method, { uri: document.uri.toString(), profile: target.profile || undefined, layer: target.layer }, token),
  );
  if (!result.yaml) return void host.error(`kplane: ${result.error ?? 'the layer did not render'}`);
  const view = vscode.Uri.from({ scheme: RENDER_SCHEME, path: `/${target.profile || 'profile'}/${target.layer}.yaml`, query: document.uri.toString() });
  provider.set(view, `# ${target.profile ? `${target.profile} / ` : ''}layer ${target.layer}: ${result.title ?? target.chart}, rendered by helm template (read-only)\n${result.yaml}`);
  const shown = await vscode.workspace.openTextDocument(view);
  await vscode.languages.setTextDocumentLanguage(shown, 'yaml');
  await vscode.window.showTextDocument(shown, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  return view;
}
