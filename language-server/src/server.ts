/**
 * The kplane language server: bundled to dist/server.js (started by the extension over IPC) and
 * to language-server/dist/server.cjs (the `kplane-language-server --stdio` executable, for any
 * LSP client). Everything it knows lives in ./service; ./handlers adapt LSP.
 */
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from './service/languageService.js';
import { registerDiagnostics } from './handlers/diagnosticsHandler.js';
import { registerFeatures } from './handlers/featureHandlers.js';
import { registerClusterSchemas, registerLiveTargets } from './handlers/clusterSchemaHandler.js';
import { registerHelm } from './handlers/helmHandler.js';
import { transportProblem } from './commandLine.js';
import { builtinKubeTypes } from './kubeSchemaLoader.js';
import type { InitializationOptions } from './protocol.js';

const problem = transportProblem(process.argv.slice(2));
if (problem) {
  (problem.exitCode === 0 ? process.stdout : process.stderr).write(problem.message);
  process.exit(problem.exitCode);
}

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const service = getLanguageService({ kubeTypes: builtinKubeTypes });
const diagnostics = registerDiagnostics(connection, documents, service);
const helm = registerHelm(connection, documents, service, () => diagnostics.revalidateAll());
const live = registerLiveTargets(connection, documents, service, () => diagnostics.revalidateAll());

connection.onInitialize((params) => {
  const options = (params.initializationOptions ?? {}) as InitializationOptions;
  service.configure({ yamlSyntax: options.yamlSyntax !== false });
  helm.configure(options.helm);
  live.start(params.capabilities);
  const pull = diagnostics.start(params.capabilities) === 'pull';
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      ...(pull ? { diagnosticProvider: { interFileDependencies: false, workspaceDiagnostics: false } } : {}),
      completionProvider: { triggerCharacters: ['{', ' ', ':', '[', ','] },
      hoverProvider: true,
      documentSymbolProvider: true,
      definitionProvider: true,
      codeActionProvider: { codeActionKinds: ['quickfix'] },
      codeLensProvider: {},
    },
    serverInfo: { name: 'kplane-language-server' },
  };
});

registerFeatures(connection, documents, service);
registerClusterSchemas(connection, service, () => diagnostics.revalidateAll());

documents.listen(connection);
connection.listen();
