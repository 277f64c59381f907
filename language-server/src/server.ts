/**
 * The kplane language server: bundled to dist/server.js and started by the extension over IPC
 * (or by anyone over --stdio). Everything it knows lives in ./service; ./handlers adapt LSP.
 */
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from './service/languageService.js';
import { registerDiagnostics } from './handlers/diagnosticsHandler.js';
import { registerFeatures } from './handlers/featureHandlers.js';
import { registerClusterSchemas } from './handlers/clusterSchemaHandler.js';
import type { InitializationOptions } from './protocol.js';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const service = getLanguageService();

connection.onInitialize((params) => {
  const options = (params.initializationOptions ?? {}) as InitializationOptions;
  service.configure({ yamlSyntax: options.yamlSyntax !== false });
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      diagnosticProvider: { interFileDependencies: false, workspaceDiagnostics: false },
      completionProvider: { triggerCharacters: ['{', ' ', ':', '[', ','] },
      hoverProvider: true,
      documentSymbolProvider: true,
      definitionProvider: true,
      codeActionProvider: { codeActionKinds: ['quickfix'] },
    },
    serverInfo: { name: 'kplane-language-server' },
  };
});

const diagnostics = registerDiagnostics(connection, documents, service);
registerFeatures(connection, documents, service);
registerClusterSchemas(connection, service, () => diagnostics.revalidateAll());

documents.listen(connection);
connection.listen();
