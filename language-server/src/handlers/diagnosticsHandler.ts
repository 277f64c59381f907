/**
 * Diagnostics, pulled or pushed, as the client can take them. A client that advertises
 * `textDocument.diagnostic` (LSP 3.17, e.g. VS Code) pulls; any other client (LSP 3.16 and
 * older: many Neovim, Helix and Emacs setups) gets `textDocument/publishDiagnostics`.
 *
 * Either way, validation starts in the background as soon as a document opens or changes, after
 * a short quiet period, so a burst of edits is checked once. A newer edit cancels the run still
 * waiting for an older version, and a result is never pushed for a version that is no longer
 * current. Pulls: a pull starts the run of its version at once, results are remembered per
 * document version (an unchanged document answers `unchanged`), and a pull cancelled by the
 * client, or overtaken by a newer edit, stops waiting at once.
 *
 * A big profile's stored size (compressed, @kplane/profile checkSize) is judged after the
 * diagnostics are answered: the compression its size check needs runs in slices of SLICE_MS
 * (setImmediate, so requests and edits get in between), is dropped when the document changes or
 * closes, and ends with the document checked again, as when a Helm render ends (a refresh for
 * pulling clients, a new publish for pushed ones).
 */
import { LSPErrorCodes, ResponseError, type ClientCapabilities, type Connection, type TextDocuments } from 'vscode-languageserver';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { LanguageService } from '../service/languageService.js';

/** Edits closer together than this are validated once. */
export const QUIET_MS = 15;

/** The longest one slice of background size work keeps the event loop (one step may take longer). */
export const SLICE_MS = 4;

export type DiagnosticsMode = 'pull' | 'push';

/** Pull when the client says it can (textDocument.diagnostic), push otherwise. */
export function diagnosticsMode(capabilities: ClientCapabilities): DiagnosticsMode {
  return capabilities.textDocument?.diagnostic ? 'pull' : 'push';
}

interface Pending {
  version: number;
  result: Promise<Diagnostic[]>;
  /** Stops the run if it has not started; its result becomes [] (stale). */
  cancel(): void;
  /** Runs it now if it is still waiting out the quiet period. */
  hurry(): void;
}

export interface DiagnosticsHandler {
  /** Called once from onInitialize, with what the client declared. */
  start(capabilities: ClientCapabilities): DiagnosticsMode;
  /** Settings or cluster schemas changed: forget every result and check every open document again. */
  revalidateAll(): void;
}

export function registerDiagnostics(connection: Connection, documents: TextDocuments<TextDocument>, service: LanguageService): DiagnosticsHandler {
  const pending = new Map<string, Pending>();
  let generation = 0;
  let mode: DiagnosticsMode = 'push';
  let refreshSupport = false;
  /** Per document: how many background size checks ended, part of its resultId. */
  const rechecks = new Map<string, number>();
  /** Per document: the background size work running, stopped by cancel(). */
  const warming = new Map<string, { version: number; cancel(): void }>();

  /** Per document: the version whose background size work ended. */
  const warmed = new Map<string, number>();

  const stopWarming = (uri: string) => {
    warming.get(uri)?.cancel();
    warming.delete(uri);
  };

  /** Runs `step` in slices until it is done, then checks the document's same version again. */
  const warm = (uri: string, version: number, step: () => boolean): void => {
    const known = warming.get(uri);
    if (known && known.version === version) return;
    // Done once for this version: checking it again must not start it over (no loop).
    if (warmed.get(uri) === version) return;
    stopWarming(uri);
    let handle: NodeJS.Immediate | undefined;
    const slice = () => {
      handle = undefined;
      if (documents.get(uri)?.version !== version) return stopWarming(uri);
      const until = performance.now() + SLICE_MS;
      let more = true;
      try {
        while ((more = step()) && performance.now() < until);
      } catch {
        more = false;
      }
      if (more) {
        handle = setImmediate(slice);
        return;
      }
      warming.delete(uri);
      warmed.set(uri, version);
      recheck(uri);
    };
    warming.set(uri, {
      version,
      cancel: () => {
        if (handle) clearImmediate(handle);
        handle = undefined;
      },
    });
    handle = setImmediate(slice);
  };

  const schedule = (document: TextDocument, delay: number): Pending => {
    const known = pending.get(document.uri);
    if (known && known.version === document.version) return known;
    known?.cancel();
    let timer: NodeJS.Timeout | undefined;
    let settle: (items: Diagnostic[]) => void = () => undefined;
    const run = () => {
      timer = undefined;
      // Newer text arrived while we waited: its own entry does the work.
      const current = documents.get(document.uri);
      settle(current && current.version === document.version ? service.doValidation(current, { sizeInBackground: (step) => warm(current.uri, current.version, step) }) : []);
    };
    const entry: Pending = {
      version: document.version,
      result: new Promise((resolve) => {
        settle = resolve;
        timer = setTimeout(run, delay);
      }),
      cancel() {
        if (timer === undefined) return;
        clearTimeout(timer);
        timer = undefined;
        settle([]);
      },
      hurry() {
        if (timer === undefined) return;
        clearTimeout(timer);
        run();
      },
    };
    pending.set(document.uri, entry);
    return entry;
  };

  /** Validates after `delay` and publishes the result, unless a newer version overtook it. */
  const push = (document: TextDocument, delay: number): void => {
    const entry = schedule(document, delay);
    void entry.result.then((diagnostics) => {
      if (pending.get(document.uri) !== entry || documents.get(document.uri)?.version !== entry.version) return;
      void connection.sendDiagnostics({ uri: document.uri, version: entry.version, diagnostics });
    });
  };

  /** Background work for this document ended: its diagnostics may have changed. */
  const recheck = (uri: string): void => {
    const document = documents.get(uri);
    if (!document) return;
    rechecks.set(uri, (rechecks.get(uri) ?? 0) + 1);
    pending.get(uri)?.cancel();
    pending.delete(uri);
    if (mode === 'push') push(document, 0);
    else if (refreshSupport) connection.languages.diagnostics.refresh().catch(() => undefined);
  };

  const changed = (document: TextDocument, delay: number): void => {
    stopWarming(document.uri);
    if (mode === 'push') push(document, delay);
    else schedule(document, delay);
  };

  documents.onDidOpen((e) => changed(e.document, 0));
  documents.onDidChangeContent((e) => changed(e.document, QUIET_MS));
  documents.onDidClose((e) => {
    pending.get(e.document.uri)?.cancel();
    pending.delete(e.document.uri);
    stopWarming(e.document.uri);
    rechecks.delete(e.document.uri);
    warmed.delete(e.document.uri);
    service.forget(e.document.uri);
    // A pushed diagnostic stays in the client until replaced: clear the closed document's.
    if (mode === 'push') void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.languages.diagnostics.on(async (params, token) => {
    const document = documents.get(params.textDocument.uri);
    if (!document) return { kind: 'full', items: [] };
    const resultId = `${generation}:${rechecks.get(document.uri) ?? 0}:${document.version}`;
    if (params.previousResultId === resultId) return { kind: 'unchanged', resultId };
    // The client asks for this version now: the quiet period is for edits nobody has asked about yet.
    const entry = schedule(document, 0);
    entry.hurry();
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
    start(capabilities) {
      mode = diagnosticsMode(capabilities);
      refreshSupport = capabilities.workspace?.diagnostics?.refreshSupport === true;
      return mode;
    },
    revalidateAll() {
      generation++;
      for (const entry of pending.values()) entry.cancel();
      pending.clear();
      if (mode === 'push') {
        for (const document of documents.all()) push(document, 0);
      } else if (refreshSupport) {
        // A client without refresh support pulls again on its own next edit or focus.
        connection.languages.diagnostics.refresh().catch(() => undefined);
      }
    },
  };
}
