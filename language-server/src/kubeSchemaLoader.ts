/**
 * The built-in Kubernetes API (./data/kubeSchemas.generated.ts), decoded on first use only: the
 * server starts and the extension activates without paying for it, and a file without manifests
 * never does. Node-only (zlib), so it lives outside the pure service, which receives it as a function.
 */
import { brotliDecompressSync } from 'node:zlib';
import { KubeTypes, type KubeSchemaData } from '@kplane/profile';
import { KUBE_SCHEMAS_BROTLI_BASE64, KUBERNETES_RELEASE } from './data/kubeSchemas.generated.js';

let loaded: KubeTypes | undefined;

export { KUBERNETES_RELEASE };

export function builtinKubeTypes(): KubeTypes {
  loaded ??= new KubeTypes(JSON.parse(brotliDecompressSync(Buffer.from(KUBE_SCHEMAS_BROTLI_BASE64, 'base64')).toString('utf8')) as KubeSchemaData);
  return loaded;
}
