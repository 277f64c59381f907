/**
 * Install or upgrade the agent on a cluster: server-side apply of every manifest under
 * agent/deploy/ (CRDs first, then namespaces, service accounts and RBAC, then the rest), so
 * running it again upgrades in place.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { PLANE_FIELD_MANAGER } from '@kplane/profile';
import { parseAllDocuments } from 'yaml';

const ORDER = ['CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'ConfigMap', 'Secret', 'Service'];

export interface InstallManifest {
  file: string;
  object: KubernetesObject;
}

/** Reads the deploy directory; errors name the file and what to fix. */
export function readDeployManifests(dir: string): { manifests: InstallManifest[]; errors: string[] } {
  const manifests: InstallManifest[] = [];
  const errors: string[] = [];
  const walk = (d: string): string[] =>
    readdirSync(d)
      .sort()
      .flatMap((name) => {
        const full = join(d, name);
        return statSync(full).isDirectory() ? walk(full) : /\.ya?ml$/.test(name) ? [full] : [];
      });
  let files: string[];
  try {
    files = walk(dir);
  } catch (err) {
    return { manifests, errors: [`cannot read ${dir}: ${(err as Error).message}`] };
  }
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length) {
        errors.push(`${file}: ${doc.errors[0].message}`);
        continue;
      }
      const object = doc.toJS() as KubernetesObject | null;
      if (!object) continue;
      if (!object.apiVersion || !object.kind || !object.metadata?.name) {
        errors.push(`${file}: a document without apiVersion, kind or metadata.name`);
        continue;
      }
      manifests.push({ file, object });
    }
  }
  const rank = (m: InstallManifest) => {
    const i = ORDER.indexOf(m.object.kind!);
    return i < 0 ? ORDER.length : i;
  };
  manifests.sort((a, b) => rank(a) - rank(b));
  return { manifests, errors };
}

export async function installAgent(kubeConfig: KubeConfig, manifests: readonly InstallManifest[], onProgress?: (text: string) => void): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const m of manifests) {
    const what = `${m.object.kind} ${m.object.metadata?.namespace ? `${m.object.metadata.namespace}/` : ''}${m.object.metadata?.name}`;
    onProgress?.(what);
    try {
      await api.patch(m.object, undefined, undefined, PLANE_FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (err) {
      const body = (err as { body?: string }).body;
      const detail = body ? (JSON.parse(body) as { message?: string }).message : (err as Error).message;
      throw new Error(`applying ${what} from ${m.file}: ${detail}`);
    }
    if (m.object.kind === 'CustomResourceDefinition') await waitEstablished(api, m.object);
  }
}

// Objects of a new CRD's kind are refused until the CRD is Established.
async function waitEstablished(api: KubernetesObjectApi, crd: KubernetesObject): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const live = (await api.read(crd as KubernetesObject & { metadata: { name: string } })) as KubernetesObject & { status?: { conditions?: { type: string; status: string }[] } };
    if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`CustomResourceDefinition ${crd.metadata?.name} did not become Established within 30s`);
}
