/**
 * Helm layers in the server: the chart cache (../helmChartStore.ts) behind the service's
 * completion and validation of `helm.values` and the checks of the rendered objects (rendered in
 * the background, never while typing), kplane.helm settings from the client, and the
 * Render Layer request (`helm template` of a layer of an open document, as the agent renders it
 * but without a cluster's Capabilities). When a render ends, the client is told the group/versions
 * a document's charts render (kplane/renderedGroupVersions), for the live schemas it reads.
 */
import type { Connection, TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { HelmSettingsNotification, RenderedGroupVersionsNotification, RenderLayerRequest, type HelmSettings, type RenderLayerParams, type RenderLayerResult } from '../protocol.js';
import type { LanguageService } from '../service/languageService.js';
import { HelmChartStore } from '../helmChartStore.js';
import { renderLayer } from '../helmRender.js';

export interface HelmHandler {
  store: HelmChartStore;
  configure(settings: HelmSettings | undefined): void;
}

export function registerHelm(connection: Connection, documents: TextDocuments<TextDocument>, service: LanguageService, changed: () => void): HelmHandler {
  /** Per open document: the group/versions its renders use, as last sent. */
  const announced = new Map<string, string>();
  const announce = () => {
    for (const document of documents.all()) {
      const groupVersions = store.renderedGroupVersions(`${document.uri}@`);
      if (groupVersions.join(' ') === (announced.get(document.uri) ?? '')) continue;
      announced.set(document.uri, groupVersions.join(' '));
      void connection.sendNotification(RenderedGroupVersionsNotification.method, { uri: document.uri, groupVersions } satisfies RenderedGroupVersionsNotification.Params);
    }
  };
  const store: HelmChartStore = new HelmChartStore({
    onChange: () => {
      changed();
      announce();
    },
    log: (line) => connection.console.log(line),
    renderLayers: true,
  });
  service.configure({ helmCharts: store });
  const configure = (settings: HelmSettings | undefined) => store.configure({ helmPath: settings?.path || undefined, caFile: settings?.caFile || undefined, offline: settings?.offline === true });
  connection.onNotification(HelmSettingsNotification.method, (params: HelmSettingsNotification.Params) => {
    configure(params);
    changed();
  });
  documents.onDidClose((e) => {
    store.release(e.document.uri);
    announced.delete(e.document.uri);
  });
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
