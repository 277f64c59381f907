/**
 * The Kubernetes checks of what a Helm layer's chart renders: every rendered object goes through
 * the same manifest walker as the profile's own manifests (@kplane/profile checkManifest, with
 * the chart's own CRDs and the profile's), against the built-in API and, as for manifests, each
 * target cluster's live API (a finding on some targets only says where: "On cluster b: …"). Each
 * finding is put on the layer's `helm` key, naming the chart, the rendered object, its template
 * and the field: rendered objects have no place in the profile's text. Shared by the editor
 * (./helmValues.ts, with objects rendered in the background by ../helmChartStore.ts) and
 * `kplane validate` (cli/src/helmValidation.ts). Pure.
 */
import { checkManifest, customKindsOf, formatPath, KubeTypes, mergeTargetFindings, type CustomKind, type Finding, type JsonPath, type Manifest, type SchemaTarget } from '@kplane/profile';
import type { ChartRef } from './helmValues.js';

/** One object `helm template` printed. */
export interface RenderedObject {
  manifest: Manifest;
  /** The template it came from (`# Source:` of helm's output). */
  source?: string;
}

export interface RenderedChart {
  chart: string;
  version: string;
  objects: readonly RenderedObject[];
}

/** What to render: the layer's chart with its values as the agent passes them. */
export interface RenderRequest {
  ref: ChartRef;
  releaseName: string;
  namespace: string;
  values: unknown;
}

export type RenderLookup = { state: 'ready'; rendered: RenderedChart } | { state: 'pending' } | { state: 'failed'; message: string };

/** Findings of rendered objects shown per layer; the rest are counted in one more. */
export const MAX_RENDERED_FINDINGS = 20;

export interface RenderedCheckOptions {
  kube: KubeTypes;
  kubeVersion?: string;
  /** Target clusters with their live types (clusters sharing a set are checked once). */
  targets?: readonly SchemaTarget[];
  /**
   * Kinds the CRDs of the profile define, its manifests' and every chart's, this one's included
   * (a chart's custom resource may rely on a CRD of another layer); default: this chart's own.
   */
  customKinds?: readonly CustomKind[];
}

/** The types with the profile's CRDs, kept per base set while the same CRDs (objects) are given. */
const withKindsCache = new WeakMap<KubeTypes, { custom: readonly CustomKind[]; types: KubeTypes }>();

/**
 * Not KubeTypes.withCustomKinds: that keeps one per set, and the profile's manifests ask it for
 * theirs; alternating would make a new one each time, and every manifest of the profile be
 * checked again on each edit (test/bench/helmRenderedEditBench.ts).
 */
function withKinds(kube: KubeTypes, custom: readonly CustomKind[]): KubeTypes {
  if (!custom.length) return kube;
  const last = withKindsCache.get(kube);
  if (last && last.custom.length === custom.length && last.custom.every((c, i) => c.source === custom[i].source)) return last.types;
  const types = new KubeTypes(kube.data, custom);
  withKindsCache.set(kube, { custom, types });
  return types;
}

export function renderedObjectFindings(rendered: RenderedChart, helmPath: JsonPath, opts: RenderedCheckOptions): Finding[] {
  const custom = opts.customKinds ?? customKindsOf(rendered.objects.map((o) => o.manifest));
  const withCustom = (kube: KubeTypes) => withKinds(kube, custom);
  const builtin = withCustom(opts.kube);
  const sets = new Map<KubeTypes, string[]>([[builtin, []]]);
  const live = new Map<KubeTypes, KubeTypes>();
  for (const t of opts.targets ?? []) {
    let kube = live.get(t.kube);
    if (!kube) live.set(t.kube, (kube = withCustom(t.kube)));
    sets.set(kube, [...(sets.get(kube) ?? []), t.name]);
  }
  const found: Finding[] = [];
  for (const o of rendered.objects) {
    const m = o.manifest;
    const object = `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}${o.source ? ` (${o.source})` : ''}`;
    // Worded before merging, so a finding of some targets only gets its place first ("On cluster b: Chart …").
    const check = (kube: KubeTypes) => checkManifest(m, [], { kube, kubeVersion: opts.kubeVersion, variableType: () => undefined }).map((f) => ({ ...f, message: `Chart ${rendered.chart} ${rendered.version} renders ${object}: ${formatPath(f.path)}: ${f.message} [${f.code}]` }));
    // Merged per object: the walker's keys (code and path) are unique within one object only.
    const checked = [...sets].filter(([kube]) => !servedUnread(kube, m));
    const findings = checked.length === 1 ? check(builtin) : mergeTargetFindings(checked.map(([kube, targets]) => ({ kube, targets, findings: check(kube) })));
    for (const finding of findings) found.push(finding);
  }
  // One code for the editor and tools (the finding sits on the layer, not on the object's field,
  // so the inner check's quick fixes must not apply); the inner check's own code is `data.rule`.
  const out: Finding[] = found.slice(0, MAX_RENDERED_FINDINGS).map((finding) => ({
    code: 'HELM_RENDERED_OBJECT',
    severity: finding.severity,
    message: finding.message,
    path: helmPath,
    on: 'key',
    data: { rule: finding.code },
  }));
  if (found.length > MAX_RENDERED_FINDINGS) {
    out.push({
      code: 'HELM_RENDERED_OBJECT',
      severity: 'warning',
      message: `Chart ${rendered.chart} ${rendered.version}: ${found.length - MAX_RENDERED_FINDINGS} more finding(s) in its rendered objects; run kplane template to see them.`,
      path: helmPath,
      on: 'key',
    });
  }
  return out;
}

/**
 * A live set that serves the kind but holds no schema of its group/version (the editor reads those
 * the profile's text names; a chart may render others) can tell nothing of its fields: left out
 * for that object, so the built-in API's findings are not said to hold "in built-in" only.
 */
function servedUnread(kube: KubeTypes, m: Manifest): boolean {
  return kube.live && kube.kind(m.apiVersion, m.kind)?.schema.$ref === '';
}
