/**
 * Render: validate the profile with the same service the editor uses, render its layers
 * (discovery decides which kinds are cluster-scoped, CRDs included), order them by the layer
 * graph, and stamp every object with its owner and any replicas a scaling policy decided.
 * An invalid profile renders to nothing, and nothing is applied. The last render of each
 * profile is kept (Renderer), since most runs see the spec of the run before.
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

/**
 * Renders a profile, reusing the last render of the same spec: validating, rendering and
 * fingerprinting a stack of a few MB took most of a run, and most runs (a watch event of an
 * owned object, a dependency's status, the wait poll) see the same spec. A render is reused
 * while the profile's generation (its spec), the scopes discovery gives its kinds (a CRD may
 * become served between runs) and the scaling decisions are the same; a profile with Helm
 * layers renders every time (its charts and the API versions they see may change).
 */
export class Renderer {
  private readonly last = new Map<string, { generation: string; kinds: Kind[]; invalid?: Rendered; scopes?: string; replicas?: string; rendered?: Rendered }>();

  constructor(private readonly deps: Pick<ReconcilerDeps, 'discovery' | 'namespace' | 'scaledReplicas' | 'charts'>) {}

  async render(ctx: RunContext): Promise<Rendered> {
    // A compressed layer that does not decode: nothing to validate or apply (./context.ts).
    if (ctx.storedFormError) return { ok: false, reason: 'ValidationFailed', message: ctx.storedFormError };
    const { profile } = ctx;
    const generation = `${String(profile.metadata.uid ?? '')}/${String(profile.metadata.generation ?? '')}`;
    let entry = this.last.get(ctx.key);
    if (entry?.generation !== generation || !profile.metadata.generation) {
      const findings = validateProfile(profile).filter((f) => f.severity === 'error');
      // Lists (ConfigMapList, v1 List) stand for their items: discovery needs the items' kinds.
      const kinds = distinctKinds(profile.spec.layers.flatMap((l) => expandManifests(l.manifests ?? []).map((e) => e.manifest as Manifest)));
      entry = { generation, kinds, invalid: hasErrors(findings) ? { ok: false, reason: 'ValidationFailed', message: summarizeFindings(findings) } : undefined };
      this.last.set(ctx.key, entry);
    }
    if (entry.invalid) return entry.invalid;
    await abortable(this.deps.discovery.prime(entry.kinds), ctx.signal);
    const scopes = entry.kinds.map((k) => (this.deps.discovery.isClusterScoped(k.apiVersion, k.kind) ? 'c' : 'n')).join('');
    if (entry.rendered?.ok && entry.scopes === scopes) {
      const refs = entry.rendered.refs;
      if (replicasOf(ctx, this.deps, refs) === entry.replicas) return entry.rendered;
    }
    const rendered = await renderSpec(ctx, this.deps);
    const cacheable = rendered.ok && rendered.apis === undefined;
    Object.assign(entry, { scopes, rendered: cacheable ? rendered : undefined, replicas: cacheable ? replicasOf(ctx, this.deps, rendered.refs) : undefined });
    return rendered;
  }

  forget(key: string): void {
    this.last.delete(key);
  }
}

interface Kind {
  apiVersion: string;
  kind: string;
}

function distinctKinds(manifests: readonly Manifest[]): Kind[] {
  const seen = new Map<string, Kind>();
  for (const m of manifests) if (typeof m.apiVersion === 'string' && typeof m.kind === 'string') seen.set(`${m.apiVersion}/${m.kind}`, { apiVersion: m.apiVersion, kind: m.kind });
  return [...seen.values()];
}

/** The replicas scaling policies decided for these objects, as one comparable string. */
function replicasOf(ctx: RunContext, deps: Pick<ReconcilerDeps, 'scaledReplicas'>, refs: readonly ObjectRef[]): string {
  return refs.map((ref) => deps.scaledReplicas(ctx.key, ctx.profile, ref) ?? '').join(',');
}

async function renderSpec(ctx: RunContext, deps: Pick<ReconcilerDeps, 'discovery' | 'namespace' | 'scaledReplicas' | 'charts'>): Promise<Rendered> {
  const { profile } = ctx;
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
