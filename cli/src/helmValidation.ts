/**
 * `kplane validate` on Helm layers: each layer's chart rendered with the real `helm template`
 * (./helmLayers.ts) and every object it renders checked against the built-in Kubernetes API and,
 * with --context, each target cluster's live API (with the schemas of the group/versions the
 * chart renders, which the profile's text does not name), with the manifest walker
 * (profile/src/validation/manifestCheck.ts), its own CRDs and the profile's included, by the
 * same code as the editor (@kplane/language-server renderedObjectFindings). Findings sit on the
 * layer's `helm` key and name the rendered object, its template and the field.
 * The layers are rendered before the profile's manifests are checked (renderHelmLayers), so the
 * CRDs the charts render are known to them too (renderedCrdsOf).
 * Sensitive values never reach a message: they are masked wherever they appear.
 */
import { parseAllDocuments } from 'yaml';
import { customKindsOf, renderProfile, scopeWithCrds, sensitiveValues, type ClusterProfileSpec, type Finding, type FindingCode, type KubeTypes, type RenderedLayer, type SchemaTarget } from '@kplane/profile';
import { renderedObjectFindings, type LanguageService, type textDocument } from '@kplane/language-server';

type TextDocument = ReturnType<typeof textDocument>;
import type { HelmChartStore } from '@kplane/language-server/helm-charts';
import { renderHelmLayer, type HelmLayerResult } from './helmLayers.js';

export interface HelmDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: Finding['severity'];
  code: FindingCode;
  message: string;
  /** HELM_RENDERED_OBJECT: the code of the check the rendered object failed (e.g. MANIFEST_UNKNOWN_FIELD). */
  rule?: FindingCode;
}

export interface HelmValidationStats {
  rendered: number;
  notRendered: number;
}

/** One profile document of a file with its Helm layers rendered (or why not). */
interface RenderedProfile {
  /** Index of the YAML document in the file. */
  index: number;
  layers: RenderedLayer[];
  mask: (text: string) => string;
  results: { li: number; range: HelmDiagnostic['range']; result: HelmLayerResult }[];
}

/** What renderHelmLayers rendered of one file. */
export interface HelmRenders {
  profiles: RenderedProfile[];
}

/** Renders every Helm layer of every ClusterProfile document of the file (helm template). */
export async function renderHelmLayers(document: TextDocument, service: LanguageService, opts: { store: HelmChartStore; offline: boolean }): Promise<HelmRenders> {
  const profiles: RenderedProfile[] = [];
  const docs = parseAllDocuments(document.getText());
  const list = Array.isArray(docs) ? docs : [];
  for (let index = 0; index < list.length; index++) {
    const value = list[index].toJS({ maxAliasCount: 100 }) as { kind?: unknown; spec?: ClusterProfileSpec } | null;
    if (value?.kind !== 'ClusterProfile' || !Array.isArray(value.spec?.layers) || !value.spec.layers.some((l) => l && typeof l === 'object' && 'helm' in l)) continue;
    let layers;
    try {
      layers = renderProfile(value.spec).layers;
    } catch {
      continue; // the profile's own findings say what is wrong
    }
    const secrets = sensitiveValues(value.spec).filter((s) => s.length > 0);
    const mask = (text: string) => secrets.reduce((t, s) => t.split(s).join('••••••'), text);
    const results: RenderedProfile['results'] = [];
    // A chart's objects of kinds the profile's own CRDs define are scoped as those say.
    const profileScopes = scopeWithCrds(layers.flatMap((l) => l.manifests));
    for (let li = 0; li < layers.length; li++) {
      const layer = layers[li];
      const helm = layer.helm;
      if (!helm || typeof helm.repo !== 'string' || typeof helm.chart !== 'string' || typeof helm.version !== 'string') continue;
      const range = service.rangeOfFinding(document, index, { path: ['spec', 'layers', li, 'helm'], on: 'key' });
      if (!range) continue;
      results.push({ li, range, result: await renderHelmLayer(layer, { store: opts.store, offline: opts.offline, isClusterScoped: profileScopes }) });
    }
    profiles.push({ index, layers, mask, results });
  }
  return { profiles };
}

/**
 * The CRDs each profile document's charts render (by document index), for the check of its
 * manifests (LanguageService doValidation's customResourceDefinitions); undefined when none do.
 */
export function renderedCrdsOf(renders: HelmRenders): ((documentIndex: number) => readonly unknown[] | undefined) | undefined {
  const byDocument = new Map<number, unknown[]>();
  for (const { index, results } of renders.profiles) {
    const crds = results.flatMap(({ result }) => (result.ok ? result.rendered.objects.map((o) => o.manifest).filter((m) => customKindsOf([m]).length > 0) : []));
    if (crds.length) byDocument.set(index, crds);
  }
  return byDocument.size ? (index) => byDocument.get(index) : undefined;
}

/** The findings of what renderHelmLayers rendered: layers not rendered, and each rendered object's. */
export async function helmLayerDiagnostics(
  renders: HelmRenders,
  opts: {
    offline: boolean;
    kube: KubeTypes;
    kubeVersion?: string;
    stats: HelmValidationStats;
    alreadyUnavailable: (line: number) => boolean;
    /** The target clusters (--context), with the schemas of these group/versions. */
    targets?: (groupVersions: readonly string[]) => Promise<readonly SchemaTarget[]>;
  },
): Promise<HelmDiagnostic[]> {
  const out: HelmDiagnostic[] = [];
  for (const { layers, mask, results } of renders.profiles) {
    const rendered = [];
    for (const { li, range, result } of results) {
      const layer = layers[li];
      const helm = layer.helm!;
      const add = (severity: Finding['severity'], code: FindingCode, message: string, rule?: FindingCode) => out.push({ range, severity, code, message: mask(message), ...(rule ? { rule } : {}) });
      if (!result.ok) {
        opts.stats.notRendered++;
        if (result.reason === 'not-cached') add('information', 'HELM_CHART_NOT_RENDERED', `--offline: layer "${layer.name}" was not rendered: the chart ${helm.chart} ${helm.version} from ${helm.repo} is not in the chart cache; run kplane validate once without --offline to fetch it.`);
        else if (result.reason === 'no-helm') {
          if (!opts.alreadyUnavailable(range.start.line)) add('information', 'HELM_CHART_NOT_RENDERED', `Layer "${layer.name}" was not rendered: ${result.message}.`);
        }
        else if (result.reason === 'render') add('error', 'HELM_RENDER_FAILED', `Layer "${layer.name}": ${result.message}`);
        // A chart that cannot be fetched already has HELM_CHART_UNAVAILABLE from the editor checks.
        else if (!opts.alreadyUnavailable(range.start.line)) add('information', 'HELM_CHART_UNAVAILABLE', `Layer "${layer.name}" was not rendered: ${result.message}`);
        continue;
      }
      opts.stats.rendered++;
      rendered.push({ li, chart: result.rendered, add });
    }
    // Checked once every chart is rendered: the CRDs of the profile's manifests and of every chart make their kinds known to all.
    const customKinds = customKindsOf([...layers.flatMap((l) => l.manifests), ...rendered.flatMap((r) => r.chart.objects.map((o) => o.manifest))]);
    for (const { li, chart, add } of rendered) {
      const targets = opts.targets ? await opts.targets([...new Set(chart.objects.map((o) => o.manifest.apiVersion))]) : undefined;
      for (const finding of renderedObjectFindings(chart, ['spec', 'layers', li, 'helm'], { kube: opts.kube, kubeVersion: opts.kubeVersion, targets, customKinds })) {
        add(finding.severity, finding.code, finding.message, typeof finding.data?.rule === 'string' ? (finding.data.rule as FindingCode) : undefined);
      }
    }
  }
  return out;
}
