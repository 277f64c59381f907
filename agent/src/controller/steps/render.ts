/**
 * Render: validate the profile with the same service the editor uses, render its layers
 * (discovery decides which kinds are cluster-scoped, CRDs included), order them by the layer
 * graph, and stamp every object with its owner and any replicas a scaling policy decided.
 * An invalid profile renders to nothing, and nothing is applied.
 */
import { expandManifests, hasErrors, renderProfile, validateProfile, type Manifest, type ObjectRef, type RenderedLayer } from '@kplane/profile';
import { summarizeFindings } from '../../core/findings.js';
import { refOf } from '../../core/inventory.js';
import { fingerprint, withOwnership, withReplicas } from '../../core/objects.js';
import { planLayers } from '../../core/plan.js';
import { renderChartLayer, type ChartPart } from './chart.js';
import { abortable, type ReconcilerDeps, type RunContext } from './context.js';

export interface DesiredLayer {
  layer: RenderedLayer;
  objects: Manifest[];
  /** Helm layers: which chart, version and phase these objects are (a Helm layer is several desired layers in a row). */
  chart?: ChartPart;
}

export type Rendered =
  | { ok: true; layers: DesiredLayer[]; refs: ObjectRef[]; hash: string; apis?: string }
  | { ok: false; reason: 'ValidationFailed' | 'RenderFailed'; message: string };

export async function render(ctx: RunContext, deps: Pick<ReconcilerDeps, 'discovery' | 'namespace' | 'scaledReplicas' | 'charts'>): Promise<Rendered> {
  const { profile } = ctx;
  const findings = validateProfile(profile).filter((f) => f.severity === 'error');
  if (hasErrors(findings)) {
    return { ok: false, reason: 'ValidationFailed', message: summarizeFindings(findings) };
  }

  // Lists (ConfigMapList, v1 List) stand for their items: discovery needs the items' kinds.
  const manifests = profile.spec.layers.flatMap((l) => expandManifests(l.manifests ?? []).map((e) => e.manifest as Manifest));
  await abortable(deps.discovery.prime(manifests), ctx.signal);
  const rendered = renderProfile(profile.spec, (apiVersion, kind) => deps.discovery.isClusterScoped(apiVersion, kind));
  const plan = planLayers(rendered.layers);
  const problems = [...rendered.problems.map((p) => ({ message: p.message, path: ['spec', ...p.path] })), ...plan.problems.map((message) => ({ message, path: ['spec', 'layers'] }))];
  if (problems.length) return { ok: false, reason: 'RenderFailed', message: summarizeFindings(problems) };

  const owner = { namespace: profile.metadata.namespace ?? deps.namespace, name: profile.metadata.name };
  // A Helm layer is rendered by Helm into phases; from here on its objects are like any others.
  // The APIs its charts saw are remembered: a CRD applied by this run may change what they render.
  const apis = plan.order.some((l) => l.helm) ? fingerprint((await abortable(deps.discovery.capabilities(), ctx.signal)).apiVersions) : undefined;
  const parts = await Promise.all(
    plan.order.map((layer) => (layer.helm ? renderChartLayer(ctx, deps, layer, rendered.layers) : Promise.resolve([{ layer, manifests: layer.manifests, chart: undefined }]))),
  );
  const layers: DesiredLayer[] = parts.flat().map(({ layer, manifests, chart }) => ({
    layer,
    chart,
    objects: manifests.map((m) => {
      const owned = withOwnership(m, owner, layer.name);
      const replicas = deps.scaledReplicas(ctx.key, profile, refOf(m));
      return replicas === undefined ? owned : withReplicas(owned, replicas);
    }),
  }));
  return { ok: true, layers, refs: layers.flatMap((d) => d.objects.map(refOf)), hash: fingerprint(layers.map((d) => d.objects)), apis };
}
