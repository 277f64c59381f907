/**
 * Chart: a Helm layer becomes ordinary desired objects. The chart is pulled and rendered by the
 * real Helm (../../helm/chartSource.ts), and its output is cut into phases that the reconciler
 * applies one after the other through the same apply/health/drift/prune path as manifests:
 * the chart's CRDs (and the release namespace), pre-install/pre-upgrade hooks, the chart's
 * objects, post-install/post-upgrade hooks. Each phase but the last is waited for, so CRDs are
 * Established and pre hooks done before what needs them.
 */
import { inReleaseNamespace, type Manifest, type RenderedLayer } from '@kplane/profile';
import type { ChartPhase } from '../../core/helmManifests.js';
import type { ChartSource } from '../../helm/chartSource.js';
import type { Discovery } from '@kplane/kube';
import { abortable, type RunContext } from './context.js';
import { transientPolicies } from './hooks.js';

/** A rendered Helm layer's part, as one desired layer of the run. */
export interface ChartPart {
  chart: string;
  version?: string;
  phase?: ChartPhase;
  /** The chart could not be fetched or rendered: the layer fails with this, and nothing of it is applied or pruned. */
  error?: string;
  /** The repository was unreachable and the stored chart is enforced. */
  warning?: string;
}

export interface ChartPhaseLayer {
  layer: RenderedLayer;
  manifests: Manifest[];
  chart: ChartPart;
}

/** The phases of one Helm layer, in apply order (empty phases left out), or one failed part. */
export async function renderChartLayer(
  ctx: RunContext,
  deps: { charts: ChartSource; discovery: Discovery },
  layer: RenderedLayer,
  otherLayers: readonly RenderedLayer[],
): Promise<ChartPhaseLayer[]> {
  const helm = layer.helm!;
  const namespace = layer.namespace ?? 'default';
  const result = await abortable(deps.charts.render({ profile: { namespace: ctx.profile.metadata.namespace!, name: ctx.profile.metadata.name }, layer: layer.name, helm, namespace }), ctx.signal);
  if (!result.chart) return [{ layer, manifests: [], chart: { chart: helm.chart, error: result.error } }];
  const { chart } = result;
  if (chart.warning) ctx.log.warn('chart repository unreachable', { layer: layer.name, message: chart.warning });
  const part = (phase: ChartPhase): ChartPart => ({ chart: chart.chart, version: chart.version, phase, warning: chart.warning });

  await abortable(deps.discovery.prime(chart.render.objects.map((o) => o.manifest)), ctx.signal);
  const byPhase = new Map<ChartPhase, Manifest[]>();
  for (const o of chart.render.objects) {
    // As `helm install --namespace`: namespaced objects without a namespace go to the release's.
    const manifest = inReleaseNamespace(o.manifest, namespace, (apiVersion, kind) => deps.discovery.isClusterScoped(apiVersion, kind));
    byPhase.set(o.phase, [...(byPhase.get(o.phase) ?? []), manifest]);
  }
  // The release namespace is created first (as `helm install --create-namespace`) by the first
  // Helm layer that names it, unless the chart or a manifest layer of the profile has it.
  const hasNamespace = (ms: readonly Manifest[]) => ms.some((m) => m.kind === 'Namespace' && m.apiVersion === 'v1' && m.metadata.name === namespace);
  const creator = otherLayers.find((l) => l.helm && l.namespace === namespace);
  if (layer.namespace && creator?.name === layer.name && !hasNamespace(chart.render.objects.map((o) => o.manifest)) && !otherLayers.some((l) => hasNamespace(l.manifests))) {
    byPhase.set('crds', [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, ...(byPhase.get('crds') ?? [])]);
  }

  const phases = (['crds', 'pre', 'main', 'post'] as const).filter((p) => byPhase.get(p)?.length || p === 'main');
  return phases.map((phase, i) => {
    const last = i === phases.length - 1;
    // Every phase but the last is waited for; the last waits as the layer says, unless it has
    // hooks that delete themselves: those are waited for, as Helm does, before they go.
    const wait = last && !(byPhase.get(phase) ?? []).some((m) => transientPolicies(m)) ? layer.wait : true;
    return { layer: { ...layer, wait }, manifests: byPhase.get(phase) ?? [], chart: part(phase) };
  });
}
