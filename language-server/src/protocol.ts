/**
 * kplane's own LSP messages, declared once and imported by the server and the extension's client.
 * Only names and shapes live here (no jsonrpc import), so both sides use their own library's
 * NotificationType with the same method and parameter type.
 */
import type { KubeSchemaData } from '@kplane/profile';

/** One kind's schema from the target cluster's OpenAPI v3 ($refs resolved). */
export interface ClusterKindSchema {
  apiVersion: string;
  kind: string;
  schema: Record<string, unknown>;
}

export interface ClusterSchemasParams {
  /** Name of the cluster the schemas come from, for messages. */
  cluster: string;
  schemas: ClusterKindSchema[];
}

/**
 * Client → server: check manifests against these types from now on; `null` goes back to the
 * profile schema only (no cluster connected).
 */
// The LSP convention (vscode-languageserver-node): a message is a namespace of method and types.
// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace ClusterSchemasNotification {
  export const method = 'kplane/clusterSchemas';
  export type Params = ClusterSchemasParams | null;
}

/**
 * A target cluster's live API as the language server takes it: the data of
 * @kplane/profile's liveSchemaData (discovery + the OpenAPI v3 documents of the group/versions
 * the profile uses, trimmed). `id` names its content: clusters of the same release and CRD set
 * share one id, and so one set in the server, however many they are.
 */
export interface LiveSchemaSetParams {
  id: string;
  data: KubeSchemaData;
}

/** One cluster a document's profiles run on, or are about to be applied to. */
export interface LiveTargetParams {
  /** The kubeconfig context (or hub member) name, for messages ("On cluster eu-prod-1: …"). */
  name: string;
  /**
   * live: read from the cluster now; cached: the cluster did not answer, its last known
   * schemas are used; unreachable: nothing is known of it (not checked, only counted).
   */
  state: 'live' | 'cached' | 'unreachable';
  /** The LiveSchemaSetParams.id (not for unreachable targets). */
  set?: string;
  /** e.g. v1.36.3 */
  kubernetes?: string;
  /** When the cluster last answered (ms since epoch). */
  fetchedAt?: number;
  /** What could not be read, each naming the cluster and what to do. */
  problems?: string[];
}

export interface LiveTargetsParams {
  /**
   * Each document's targets from now on; a document not listed has none (built-in API only).
   * Keys are document URIs as the client sends them in textDocument/didOpen.
   */
  documents: Record<string, LiveTargetParams[]>;
  /**
   * Schema sets the server may not have yet. The server keeps every set a listed target refers to
   * and drops the others; a set it was sent before need not be sent again.
   */
  sets: LiveSchemaSetParams[];
}

export interface LiveTargetsResult {
  /** Set ids referred to but unknown to the server (it restarted): send again with these. */
  missingSets: string[];
}

/**
 * Client → server: the live target clusters of open documents (what the extension reads with
 * plane/src/cluster/liveSchemas.ts; any client may send the same). Every manifest is then also
 * checked against each target's API, a finding true on some targets only naming them ("On
 * cluster eu-prod-1: …"), and a CodeLens says what the profile was checked against.
 */
// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace LiveTargetsRequest {
  export const method = 'kplane/liveTargets';
  export type Params = LiveTargetsParams;
  export type Result = LiveTargetsResult;
}

/**
 * Server → client: the group/versions of the objects an open document's Helm layers render (sorted;
 * sent when they change, once a render ends). The profile's text may not name them: a client
 * feeding kplane/liveTargets reads these group/versions' schemas too, so what the charts render is
 * checked against each target's live schema (without them, a target that serves the kind checks
 * only that it serves it).
 */
export interface RenderedGroupVersionsParams {
  uri: string;
  groupVersions: string[];
}

// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace RenderedGroupVersionsNotification {
  export const method = 'kplane/renderedGroupVersions';
  export type Params = RenderedGroupVersionsParams;
}

/**
 * The command of the "checked against …" CodeLens: arguments [uri, lines], `lines` saying per
 * target what it was checked against (the extension shows them; another client may ignore it).
 */
export const CHECKED_AGAINST_COMMAND = 'kplane.showCheckedAgainst';

/** initializationOptions the client sends. */
export interface InitializationOptions {
  /** false when another extension (Red Hat YAML) already reports YAML syntax problems. */
  yamlSyntax?: boolean;
  /** Helm layers: how the server fetches charts (see HelmSettings). */
  helm?: HelmSettings;
}

/** Settings of the editor's chart fetching (kplane.helm.*). */
export interface HelmSettings {
  /** The helm binary; default KPLANE_HELM, then helm on PATH. */
  path?: string;
  /** PEM file of a CA to trust for chart repositories. */
  caFile?: string;
  /** Fetch nothing: use only charts already cached. */
  offline?: boolean;
}

/** A Helm layer, rendered with `helm template` as the agent would (without the cluster's Capabilities). */
export interface RenderLayerParams {
  uri: string;
  /** The profile (metadata.name) and the layer (its name). */
  profile?: string;
  layer: string;
}

export interface RenderLayerResult {
  /** The rendered manifests (YAML, `---` separated), or undefined with `error`. */
  yaml?: string;
  /** e.g. "chart web 1.1.0 (sha256:…)". */
  title?: string;
  error?: string;
}

/** Client → server: render a Helm layer of an open document. */
// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace RenderLayerRequest {
  export const method = 'kplane/renderLayer';
  export type Params = RenderLayerParams;
  export type Result = RenderLayerResult;
}

/** Client → server: kplane.helm settings changed. */
// eslint-disable-next-line @typescript-eslint/no-namespace
export namespace HelmSettingsNotification {
  export const method = 'kplane/helmSettings';
  export type Params = HelmSettings;
}
