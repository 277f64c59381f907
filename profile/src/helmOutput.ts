/**
 * How kplane reads one object of `helm template` output, the same for the agent, which applies
 * it (agent/src/core/helmManifests.ts), and the editor, which checks it
 * (language-server/src/helmChartStore.ts): which phase it is applied in, whether it is a hook
 * kplane does not run, the template it came from, and its namespace. Pure: parsing the YAML is
 * the caller's.
 */
import { isKnownClusterScoped } from './identity.js';
import { scopeWithCrds } from './kubeTypes.js';
import type { Manifest } from './types.js';

export const HOOK_ANNOTATION = 'helm.sh/hook';
export const HOOK_WEIGHT_ANNOTATION = 'helm.sh/hook-weight';
export const HOOK_DELETE_POLICY_ANNOTATION = 'helm.sh/hook-delete-policy';

/** The chart's CRDs, pre-install/pre-upgrade hooks, the chart's objects, post-install/post-upgrade hooks. */
export type ChartPhase = 'crds' | 'pre' | 'main' | 'post';
export const CHART_PHASES: readonly ChartPhase[] = ['crds', 'pre', 'main', 'post'];

/** Where an object of a chart goes: a phase (hooks with their weight and delete policies), or skipped, with why. */
export type ChartPlacement =
  | { phase: 'crds' | 'main' }
  | { phase: 'pre' | 'post'; weight: number; deletePolicies: string[] }
  | { skipped: string };

const PRE = new Set(['pre-install', 'pre-upgrade']);
const POST = new Set(['post-install', 'post-upgrade']);

const annotationsOf = (manifest: Manifest): Record<string, unknown> => {
  const annotations = (manifest.metadata as { annotations?: unknown } | undefined)?.annotations;
  return typeof annotations === 'object' && annotations !== null && !Array.isArray(annotations) ? (annotations as Record<string, unknown>) : {};
};

const list = (value: string): string[] => value.split(',').map((v) => v.trim()).filter(Boolean);

/**
 * The phase an object of a chart is applied in. An object without a (non-empty) helm.sh/hook is
 * the chart's (a CustomResourceDefinition goes first, as `helm install` does); a hook runs
 * before the objects if it is a pre-install or pre-upgrade hook, after them if post-install or
 * post-upgrade; test, delete and rollback hooks are not run by kplane. Delete policies default to
 * before-hook-creation, as in Helm.
 */
export function chartPlacement(manifest: Manifest): ChartPlacement {
  const annotations = annotationsOf(manifest);
  const hook = annotations[HOOK_ANNOTATION];
  if (typeof hook !== 'string' || !hook) {
    const crd = manifest.kind === 'CustomResourceDefinition' && typeof manifest.apiVersion === 'string' && manifest.apiVersion.startsWith('apiextensions.k8s.io/');
    return { phase: crd ? 'crds' : 'main' };
  }
  const events = list(hook);
  const phase = events.some((e) => PRE.has(e)) ? 'pre' : events.some((e) => POST.has(e)) ? 'post' : undefined;
  if (!phase) return { skipped: `helm.sh/hook ${hook} is not run by kplane` };
  const weight = Number.parseInt(String(annotations[HOOK_WEIGHT_ANNOTATION] ?? '0'), 10) || 0;
  const policy = annotations[HOOK_DELETE_POLICY_ANNOTATION];
  const deletePolicies = typeof policy === 'string' && policy ? list(policy) : ['before-hook-creation'];
  return { phase, weight, deletePolicies };
}

/** The template an object came from: the `# Source: <path>` comment helm writes above each document. */
export function chartTemplateSource(comments: string): string | undefined {
  return /Source: (\S+)/.exec(comments)?.[1];
}

/**
 * The object in the release namespace if it is namespaced and names none, as `helm install
 * --namespace` does. CustomResourceDefinitions and Namespaces are cluster-scoped whatever
 * `isClusterScoped` (the built-in list by default; the agent asks discovery) knows.
 */
export function inReleaseNamespace(
  manifest: Manifest,
  namespace: string,
  isClusterScoped: (apiVersion: string, kind: string) => boolean = isKnownClusterScoped,
): Manifest {
  const scoped = manifest.kind === 'CustomResourceDefinition' || manifest.kind === 'Namespace' || isClusterScoped(manifest.apiVersion, manifest.kind);
  return scoped || manifest.metadata.namespace ? manifest : { ...manifest, metadata: { ...manifest.metadata, namespace } };
}

/**
 * inReleaseNamespace for a chart's whole output: the kinds of the chart's own CRDs (`helm template
 * --include-crds`) are scoped as those say, the others as `isClusterScoped` does.
 */
export function placeInRelease(
  manifests: readonly Manifest[],
  namespace: string,
  isClusterScoped: (apiVersion: string, kind: string) => boolean = isKnownClusterScoped,
): Manifest[] {
  const scoped = scopeWithCrds(manifests, isClusterScoped);
  return manifests.map((m) => inReleaseNamespace(m, namespace, scoped));
}

/** placeInRelease for a chart's objects that carry more than their manifest (template source, hook): each keeps the rest. */
export function placeObjectsInRelease<T extends { manifest: Manifest }>(
  objects: readonly T[],
  namespace: string,
  isClusterScoped?: (apiVersion: string, kind: string) => boolean,
): T[] {
  const manifests = placeInRelease(
    objects.map((o) => o.manifest),
    namespace,
    isClusterScoped,
  );
  return objects.map((o, i) => ({ ...o, manifest: manifests[i] }));
}
