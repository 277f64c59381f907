/**
 * Helm layers for the CLI's checks (`kplane validate`, `kplane diff`): the chart from the editor's
 * chart cache (@kplane/language-server/helm-charts: fetched once with helm pull, then read from
 * ~/.cache/kplane/charts, or only read with --offline), rendered with the real `helm template`
 * as the agent renders it (@kplane/agent/helm), cut into phases (@kplane/agent/core), and
 * namespaced objects without a namespace put in the layer's, as the agent does.
 */
import { splitChartOutput, type ChartObject } from '@kplane/agent/core';
import { HelmCli, findHelm } from '@kplane/agent/helm';
import type { Capabilities } from '@kplane/kube';
import { HelmChartStore } from '@kplane/language-server/helm-charts';
import { placeObjectsInRelease, type RenderedLayer } from '@kplane/profile';

export interface RenderedHelmLayer {
  chart: string;
  version: string;
  digest: string;
  /** In apply order (CRDs, pre hooks, objects, post hooks), namespaces defaulted. */
  objects: ChartObject[];
  skipped: { kind: string; name: string; reason: string }[];
}

export type HelmLayerResult = { ok: true; rendered: RenderedHelmLayer } | { ok: false; reason: 'not-cached' | 'no-helm' | 'fetch' | 'render'; message: string };

export interface HelmLayerOptions {
  store: HelmChartStore;
  offline?: boolean;
  capabilities?: Capabilities;
  isClusterScoped?: (apiVersion: string, kind: string) => boolean;
}

export async function renderHelmLayer(layer: RenderedLayer, opts: HelmLayerOptions): Promise<HelmLayerResult> {
  const helm = layer.helm!;
  const ref = { repo: helm.repo, chart: helm.chart, version: helm.version };
  const bin = findHelm();
  if (!bin) return { ok: false, reason: 'no-helm', message: 'Helm is not installed: put helm on PATH or set KPLANE_HELM' };
  let chart;
  try {
    chart = await opts.store.load(ref, { offline: opts.offline });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: opts.offline && /not in the chart cache/.test(message) ? 'not-cached' : 'fetch', message: `cannot fetch chart ${helm.chart} ${helm.version} from ${helm.repo}: ${message}` };
  }
  const namespace = layer.namespace ?? 'default';
  let text: string;
  try {
    const caps = opts.capabilities ?? { apiVersions: [] };
    text = await new HelmCli(bin).template({ archive: chart.archive, releaseName: helm.releaseName, namespace, values: helm.values ?? {}, kubeVersion: caps.kubeVersion, apiVersions: caps.apiVersions });
  } catch (err) {
    return { ok: false, reason: 'render', message: `chart ${helm.chart} ${chart.facts.version} did not render: ${err instanceof Error ? err.message : String(err)}` };
  }
  const split = splitChartOutput(text);
  if (!split.render) return { ok: false, reason: 'render', message: `chart ${helm.chart} ${chart.facts.version}: ${split.error}` };
  return {
    ok: true,
    rendered: { chart: helm.chart, version: chart.facts.version, digest: chart.digest, objects: placeObjectsInRelease(split.render.objects, namespace, opts.isClusterScoped), skipped: split.render.skipped },
  };
}
