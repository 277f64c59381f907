/**
 * What `helm template --include-crds` printed, sorted into the phases the agent applies one after
 * the other: the chart's CRDs (Established before anything else), pre-install/pre-upgrade hooks,
 * the chart's objects, post-install/post-upgrade hooks. Test, delete and rollback hooks are left
 * out (reported as skipped). Pure: the text in, manifests or a message out.
 */
import { parseAllDocuments } from 'yaml';
import { chartPlacement, chartTemplateSource, CHART_PHASES, type ChartPhase, type Manifest } from '@kplane/profile';

// Which object goes in which phase is profile's (profile/src/helmOutput.ts), shared with the
// editor's check of rendered charts; re-exported for the agent's steps.
export { CHART_PHASES, HOOK_ANNOTATION, HOOK_DELETE_POLICY_ANNOTATION, HOOK_WEIGHT_ANNOTATION, type ChartPhase } from '@kplane/profile';

export interface ChartObject {
  manifest: Manifest;
  /** The template it came from (`# Source:` of helm's output), for messages. */
  source?: string;
  phase: ChartPhase;
  /** Hooks only: helm.sh/hook-delete-policy, default before-hook-creation as in Helm. */
  deletePolicies?: string[];
}

export interface ChartRender {
  objects: ChartObject[];
  /** Objects not applied, with why (test hooks, delete/rollback hooks). */
  skipped: { kind: string; name: string; reason: string }[];
}

/** Most objects one chart may render: more is almost certainly a runaway `range`. */
export const MAX_CHART_OBJECTS = 5000;

/** Helm's install order of kinds (pkg/release/util/kind_sorter.go), for objects within a phase. */
const KIND_ORDER = [
  'PriorityClass', 'Namespace', 'NetworkPolicy', 'ResourceQuota', 'LimitRange', 'PodSecurityPolicy', 'PodDisruptionBudget',
  'ServiceAccount', 'Secret', 'SecretList', 'ConfigMap', 'StorageClass', 'PersistentVolume', 'PersistentVolumeClaim',
  'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleList', 'ClusterRoleBinding', 'ClusterRoleBindingList', 'Role',
  'RoleList', 'RoleBinding', 'RoleBindingList', 'Service', 'DaemonSet', 'Pod', 'ReplicationController', 'ReplicaSet',
  'Deployment', 'HorizontalPodAutoscaler', 'StatefulSet', 'Job', 'CronJob', 'IngressClass', 'Ingress', 'APIService',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration',
];
const kindRank = (kind: string): number => {
  const i = KIND_ORDER.indexOf(kind);
  return i < 0 ? KIND_ORDER.length : i;
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Splits helm's output into phases; `error` names the template and what is wrong. */
export function splitChartOutput(text: string): { render?: ChartRender; error?: string } {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { render: { objects: [], skipped: [] } };
  const objects: (ChartObject & { weight: number; order: number })[] = [];
  const skipped: ChartRender['skipped'] = [];
  for (const doc of docs) {
    const source = chartTemplateSource(`${doc.commentBefore ?? ''} ${doc.contents?.commentBefore ?? ''}`);
    const where = source ? ` (${source})` : '';
    if (doc.errors.length) return { error: `the chart rendered invalid YAML${where}: ${doc.errors[0].message.split('\n')[0]}` };
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    if (!isRecord(value)) return { error: `the chart rendered something that is no Kubernetes object${where}` };
    const metadata = isRecord(value.metadata) ? value.metadata : undefined;
    if (typeof value.apiVersion !== 'string' || typeof value.kind !== 'string' || typeof metadata?.name !== 'string' || !metadata.name) {
      return { error: `the chart rendered an object without apiVersion, kind or metadata.name${where}` };
    }
    const manifest = value as unknown as Manifest;
    const placement = chartPlacement(manifest);
    if ('skipped' in placement) skipped.push({ kind: manifest.kind, name: metadata.name, reason: placement.skipped });
    else objects.push({ manifest, source, weight: 0, order: objects.length, ...placement });
    if (objects.length > MAX_CHART_OBJECTS) return { error: `the chart rendered more than ${MAX_CHART_OBJECTS} objects; check its values (a runaway range?)` };
  }
  // Hooks by weight, then every phase in Helm's kind order; otherwise as rendered.
  objects.sort((a, b) => CHART_PHASES.indexOf(a.phase) - CHART_PHASES.indexOf(b.phase) || a.weight - b.weight || kindRank(a.manifest.kind) - kindRank(b.manifest.kind) || a.order - b.order);
  return { render: { objects: objects.map(({ weight: _w, order: _o, ...rest }) => rest), skipped } };
}
