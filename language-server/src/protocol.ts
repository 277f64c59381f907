/**
 * kplane's own LSP messages, declared once and imported by the server and the extension's client.
 * Only names and shapes live here (no jsonrpc import), so both sides use their own library's
 * NotificationType with the same method and parameter type.
 */

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
