/** Cluster schemas sent by the extension become the service's ClusterSchemaSource. */
import type { Connection } from 'vscode-languageserver';
import type { ClusterSchemaSource, JsonSchema } from '@kplane/profile';
import { ClusterSchemasNotification } from '../protocol.js';
import type { LanguageService } from '../service/languageService.js';

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
