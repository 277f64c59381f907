/**
 * The Kubernetes checks of what a Helm layer's chart renders: every rendered object goes through
 * the same manifest walker as the profile's own manifests (@kplane/profile checkManifest, with
 * the chart's own CRDs), and each finding is put on the layer's `helm` key, naming the chart, the
 * rendered object, its template and the field. Shared by the editor (./helmValues.ts, with
 * objects rendered in the background by ../helmChartStore.ts) and `kplane validate`
 * (cli/src/helmValidation.ts). Pure.
 */
import { checkManifest, customKindsOf, formatPath, type Finding, type JsonPath, type KubeTypes, type Manifest } from '@kplane/profile';
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

export function renderedObjectFindings(rendered: RenderedChart, helmPath: JsonPath, opts: { kube: KubeTypes; kubeVersion?: string }): Finding[] {
  const kube = opts.kube.withCustomKinds(customKindsOf(rendered.objects.map((o) => o.manifest)));
  const found: { finding: Finding; object: string }[] = [];
  for (const o of rendered.objects) {
    const m = o.manifest;
    const object = `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}${o.source ? ` (${o.source})` : ''}`;
    for (const finding of checkManifest(m, [], { kube, kubeVersion: opts.kubeVersion, variableType: () => undefined })) found.push({ finding, object });
  }
  const out: Finding[] = found.slice(0, MAX_RENDERED_FINDINGS).map(({ finding, object }) => ({
    code: 'HELM_RENDERED_OBJECT',
    severity: finding.severity,
    message: `Chart ${rendered.chart} ${rendered.version} renders ${object}: ${formatPath(finding.path)}: ${finding.message} [${finding.code}]`,
    path: helmPath,
    on: 'key',
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
