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
}
