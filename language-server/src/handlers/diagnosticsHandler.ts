/**
 * Pull diagnostics (textDocument/diagnostic). Validation starts in the background as soon as a
 * document opens or changes (after a short quiet period, so a burst of edits is checked once),
 * so a pull usually finds its result ready or in progress instead of starting the work. Results
 * are remembered per document version: an unchanged document answers `unchanged`. A pull
 * cancelled by the client, or overtaken by a newer edit, stops waiting at once.
 */
import { LSPErrorCodes, ResponseError, type Connection, type TextDocuments } from 'vscode-languageserver';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { LanguageService } from '../service/languageService.js';

/** Edits closer together than this are validated once. */
export const QUIET_MS = 15;

interface Pending {
  version: number;
  result: Promise<Diagnostic[]>;
}

export function registerDiagnostics(connection: Connection, documents: TextDocuments<TextDocument>, service: LanguageService): { revalidateAll(): void } {
  const pending = new Map<string, Pending>();
  let generation = 0;

  const schedule = (document: TextDocument, delay: number): Pending => {
    const known = pending.get(document.uri);
    if (known && known.version === document.version) return known;
    const entry: Pending = {
      version: document.version,
      result: new Promise((resolve) => {
        setTimeout(() => {
          // Newer text arrived while we waited: its own entry does the work.
          const current = documents.get(document.uri);
          if (!current || current.version !== document.version) return resolve([]);
          resolve(service.doValidation(current));
        }, delay);
      }),
    };
    pending.set(document.uri, entry);
    return entry;
  };

  documents.onDidOpen((e) => schedule(e.document, 0));
  documents.onDidChangeContent((e) => schedule(e.document, QUIET_MS));
  documents.onDidClose((e) => {
    pending.delete(e.document.uri);
    service.forget(e.document.uri);
  });

  connection.languages.diagnostics.on(async (params, token) => {
    const document = documents.get(params.textDocument.uri);
    if (!document) return { kind: 'full', items: [] };
    const resultId = `${generation}:${document.version}`;
    if (params.previousResultId === resultId) return { kind: 'unchanged', resultId };
    const entry = schedule(document, 0);
    let listener: { dispose(): void } | undefined;
    const cancelled = new Promise<'cancelled'>((resolve) => {
      listener = token.onCancellationRequested(() => resolve('cancelled'));
    });
    const items = await Promise.race([entry.result, cancelled]).finally(() => listener?.dispose());
    if (items === 'cancelled') throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    const latest = documents.get(params.textDocument.uri);
    if (latest && latest.version !== entry.version) {
      // The document changed while we worked: tell the client to ask again for the new text.
      throw new ResponseError(LSPErrorCodes.ServerCancelled, 'document changed', { retriggerRequest: true });
    }
    return { kind: 'full', resultId, items };
  });

  return {
    /** Settings or cluster schemas changed: forget every result and ask the client to pull again. */
    revalidateAll() {
      generation++;
      pending.clear();
      void connection.languages.diagnostics.refresh();
    },
  };
}
