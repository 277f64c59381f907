/**
 * Helm layers in the server: the chart cache (../helmChartStore.ts) behind the service's
 * completion and validation of `helm.values` and the checks of the rendered objects (rendered in
 * the background, never while typing), kplane.helm settings from the client, and the
 * Render Layer request (`helm template` of a layer of an open document, as the agent renders it
 * but without a cluster's Capabilities).
 */
import type { Connection, TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { HelmSettingsNotification, RenderLayerRequest, type HelmSettings, type RenderLayerParams, type RenderLayerResult } from '../protocol.js';
import type { LanguageService } from '../service/languageService.js';
import { HelmChartStore } from '../helmChartStore.js';
import { renderLayer } from '../helmRender.js';

export interface HelmHandler {
  store: HelmChartStore;
  configure(settings: HelmSettings | undefined): void;
}

export function registerHelm(connection: Connection, documents: TextDocuments<TextDocument>, service: LanguageService, changed: () => void): HelmHandler {
  const store = new HelmChartStore({ onChange: changed, log: (line) => connection.console.log(line), renderLayers: true });
  service.configure({ helmCharts: store });
  const configure = (settings: HelmSettings | undefined) => store.configure({ helmPath: settings?.path || undefined, caFile: settings?.caFile || undefined, offline: settings?.offline === true });
  connection.onNotification(HelmSettingsNotification.method, (params: HelmSettingsNotification.Params) => {
    configure(params);
    changed();
  });
  documents.onDidClose((e) => store.release(e.document.uri));
  connection.onShutdown(() => store.dispose());
  connection.onRequest(RenderLayerRequest.method, async (params: RenderLayerParams, token): Promise<RenderLayerResult> => {
    const document = documents.get(params.uri);
    if (!document) return { error: `${params.uri} is not open.` };
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    return renderLayer(store, document.getText(), params, controller.signal);
  });
  return { store, configure };
}
