/**
 * Cluster schemas sent by the client: the one connected cluster's kinds (kplane/clusterSchemas,
 * a ClusterSchemaSource) and each document's live target clusters (kplane/liveTargets), with the
 * "checked against …" CodeLens that says what a profile was checked against.
 */
import { CodeLensRefreshRequest, type ClientCapabilities, type Connection, type TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { KubeTypes, type ClusterSchemaSource, type JsonSchema, type KubeSchemaData } from '@kplane/profile';
import { ClusterSchemasNotification, LiveTargetsRequest, type LiveTargetParams } from '../protocol.js';
import type { LanguageService, LiveTarget } from '../service/languageService.js';

export function registerClusterSchemas(connection: Connection, service: LanguageService, changed: () => void): void {
  connection.onNotification(ClusterSchemasNotification.method, (params: ClusterSchemasNotification.Params) => {
    let source: ClusterSchemaSource | undefined;
    if (params) {
      const byKind = new Map<string, JsonSchema>();
      for (const { apiVersion, kind, schema } of params.schemas ?? []) byKind.set(`${apiVersion}/${kind}`, schema);
      source = { schemaFor: (apiVersion, kind) => byKind.get(`${apiVersion}/${kind}`) };
    }
    service.configure({ clusterSchemas: source });
    changed();
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A set's data as far as KubeTypes relies on its shape; anything else is refused, not half-used. */
function schemaData(data: unknown): KubeSchemaData | undefined {
  if (!isObj(data) || typeof data.kubernetes !== 'string' || !isObj(data.groupVersions) || !isObj(data.schemas)) return undefined;
  if (!Object.values(data.groupVersions).every((kinds) => isObj(kinds) && Object.values(kinds).every((k) => Array.isArray(k) && typeof k[0] === 'string' && typeof k[1] === 'string'))) return undefined;
  // A set from a cluster lists all it serves: a group it lacks is not served there.
  return { ...(data as unknown as KubeSchemaData), complete: true };
}

export interface LiveTargetsHandler {
  /** Called from onInitialize: whether the client can be asked to refresh its CodeLenses. */
  start(capabilities: ClientCapabilities): void;
}

/**
 * kplane/liveTargets: per document, its target clusters; schema sets are kept by id, one
 * KubeTypes per id however many clusters share it, and dropped when no target refers to them.
 */
export function registerLiveTargets(connection: Connection, documents: TextDocuments<TextDocument>, service: LanguageService, changed: () => void): LiveTargetsHandler {
  const sets = new Map<string, KubeTypes>();
  let targets = new Map<string, LiveTarget[]>();
  let lensRefresh = false;
  service.configure({ liveTargets: (uri) => targets.get(uri) });

  connection.onRequest(LiveTargetsRequest.method, (params: LiveTargetsRequest.Params): LiveTargetsRequest.Result => {
    for (const set of Array.isArray(params?.sets) ? params.sets : []) {
      const data = isObj(set) && typeof set.id === 'string' && !sets.has(set.id) ? schemaData(set.data) : undefined;
      if (data) sets.set(set.id, new KubeTypes(data));
    }
    const missing = new Set<string>();
    const next = new Map<string, LiveTarget[]>();
    for (const [uri, list] of Object.entries(isObj(params?.documents) ? params.documents : {})) {
      if (!Array.isArray(list)) continue;
      next.set(
        uri,
        (list as LiveTargetParams[]).filter((t) => isObj(t) && typeof t.name === 'string').map((t) => {
          const kube = typeof t.set === 'string' ? sets.get(t.set) : undefined;
          if (typeof t.set === 'string' && !kube) missing.add(t.set);
          const state = t.state === 'live' || t.state === 'cached' ? t.state : 'unreachable';
          const problems = Array.isArray(t.problems) ? t.problems.filter((p) => typeof p === 'string') : [];
          return { name: t.name, state: kube ? state : 'unreachable', kube, kubernetes: typeof t.kubernetes === 'string' ? t.kubernetes : undefined, fetchedAt: typeof t.fetchedAt === 'number' ? t.fetchedAt : undefined, problems };
        }),
      );
    }
    // The client sends the sets we lack again; until then, keep the targets we had.
    if (missing.size) return { missingSets: [...missing] };
    const used = new Set([...next.values()].flatMap((list) => list.map((t) => t.kube)));
    for (const [id, kube] of sets) if (!used.has(kube)) sets.delete(id);
    targets = next;
    changed();
    if (lensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
    return { missingSets: [] };
  });

  connection.onCodeLens((params) => {
    const document = documents.get(params.textDocument.uri);
    return document ? service.getCodeLenses(document) : [];
  });

  return {
    start(capabilities) {
      lensRefresh = capabilities.workspace?.codeLens?.refreshSupport === true;
    },
  };
}
