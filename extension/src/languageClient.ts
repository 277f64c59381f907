/**
 * Starts the kplane language server (dist/server.js, bundled from language-server/src/server.ts)
 * for YAML files. The server itself decides which files are profiles: documents with
 * `kind: ClusterProfile`, and files named *.profile.yaml; every other YAML file gets no
 * diagnostics from it, so it never competes with other YAML tooling there.
 *
 * Coexisting with Red Hat's YAML extension (redhat.vscode-yaml): both would report the same YAML
 * syntax errors on a profile, so when that extension is installed our server leaves YAML syntax
 * to it (initializationOptions.yamlSyntax = false) and reports only what it alone knows: the
 * profile schema and the semantic checks. We do not contribute `yamlValidation` (a schema for
 * Red Hat's server) for the same reason: it would repeat our schema findings.
 */
import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { HelmSettingsNotification, RenderedGroupVersionsNotification, type HelmSettings, type InitializationOptions } from '@kplane/language-server/protocol';

/** kplane.helm.* as the server takes them. */
function helmSettings(): HelmSettings {
  const config = vscode.workspace.getConfiguration('kplane.helm');
  return { path: config.get<string>('path') || undefined, caFile: config.get<string>('caFile') || undefined, offline: config.get<boolean>('offline') === true };
}

export const RED_HAT_YAML = 'redhat.vscode-yaml';

/**
 * `restarted`: the server runs again after a crash, without what it was sent before.
 * `rendered`: the group/versions a document's Helm layers render (for the live schemas read).
 */
export async function startLanguageClient(context: vscode.ExtensionContext, restarted: () => void = () => undefined, rendered: (params: RenderedGroupVersionsNotification.Params) => void = () => undefined): Promise<LanguageClient> {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const initializationOptions: InitializationOptions = { yamlSyntax: vscode.extensions.getExtension(RED_HAT_YAML) === undefined, helm: helmSettings() };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'untitled', language: 'yaml' },
    ],
    initializationOptions,
    diagnosticPullOptions: { onChange: true, onSave: true },
  };
  const client = new LanguageClient('kplane', 'kplane profiles', serverOptions, clientOptions);
  context.subscriptions.push(client);
  await client.start();
  context.subscriptions.push(client.onNotification(RenderedGroupVersionsNotification.method, rendered));
  context.subscriptions.push(client.onDidChangeState((e) => e.newState === State.Running && restarted()));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('kplane.helm')) void client.sendNotification(HelmSettingsNotification.method, helmSettings());
    }),
  );
  return client;
}
