/** Completion, hover, symbols, definition and quick fixes: each adapts one LSP request to the service. */
import type { Connection, TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { LanguageService } from '../service/languageService.js';

export function registerFeatures(connection: Connection, documents: TextDocuments<TextDocument>, service: LanguageService): void {
  const withDocument = <P extends { textDocument: { uri: string } }, R>(empty: R, run: (document: TextDocument, params: P) => R) => (params: P): R => {
    const document = documents.get(params.textDocument.uri);
    return document ? run(document, params) : empty;
  };
  connection.onCompletion(withDocument({ isIncomplete: false, items: [] }, (d, p) => service.doComplete(d, p.position)));
  connection.onHover(withDocument(null, (d, p) => service.doHover(d, p.position)));
  connection.onDocumentSymbol(withDocument([], (d) => service.findDocumentSymbols(d)));
  connection.onDefinition(withDocument([], (d, p) => service.findDefinition(d, p.position)));
  connection.onCodeAction(withDocument([], (d, p) => service.getCodeActions(d, p.range, p.context.diagnostics)));
}
