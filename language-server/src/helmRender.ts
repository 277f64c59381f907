/**
 * `helm template` for the editor's Render Layer: the same flags as the agent's render
 * (agent/src/helm/helmCli.ts: --include-crds, values through a JSON file, never --set), in a
 * throwaway Helm home with an empty kubeconfig, so a chart's `lookup` reads nothing. Async and
 * cancellable: the server's event loop never waits on it.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderProfile, type ClusterProfileSpec } from '@kplane/profile';
import type { HelmChartStore } from './helmChartStore.js';
import type { RenderLayerParams, RenderLayerResult } from './protocol.js';

export interface TemplateRequest {
  archive: Buffer;
  releaseName: string;
  namespace: string;
  values: unknown;
  kubeVersion?: string;
  apiVersions?: readonly string[];
}

export async function helmTemplate(bin: string | undefined, input: TemplateRequest, signal?: AbortSignal): Promise<string> {
  if (!bin) throw new Error('Helm is not installed: put helm on PATH, set kplane.helm.path, or set KPLANE_HELM');
  const home = await mkdtemp(join(tmpdir(), 'kplane-render-'));
  try {
    await mkdir(join(home, 'config'));
    await writeFile(join(home, 'kubeconfig'), '');
    await writeFile(join(home, 'chart.tgz'), input.archive);
    await writeFile(join(home, 'values.json'), JSON.stringify(input.values ?? {}));
    const args = ['template', input.releaseName, join(home, 'chart.tgz'), '--namespace', input.namespace, '--include-crds', '--values', join(home, 'values.json')];
    if (input.kubeVersion) args.push('--kube-version', input.kubeVersion);
    if (input.apiVersions?.length) args.push('--api-versions', input.apiVersions.join(','));
    const env = { PATH: process.env.PATH, HOME: home, TMPDIR: home, HELM_CONFIG_HOME: join(home, 'config'), HELM_CACHE_HOME: join(home, 'cache'), HELM_DATA_HOME: join(home, 'data'), KUBECONFIG: join(home, 'kubeconfig') };
    return await new Promise<string>((resolve, reject) => {
      execFile(bin, args, { env, signal, timeout: 120_000, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const lines = (stderr || err.message).split('\n').map((l) => l.trim()).filter((l) => l && !/^WARNING: /.test(l));
        reject(new Error(lines.slice(-3).join(' ').replace(/^Error: /, '') || 'helm template failed'));
      });
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Finds the layer in the text, substitutes its variables, fetches (or reads the cached) chart and renders it. */
export async function renderLayer(store: HelmChartStore, text: string, params: Pick<RenderLayerParams, 'profile' | 'layer'>, signal: AbortSignal): Promise<RenderLayerResult> {
  for (const doc of parseAllDocuments(text)) {
    if (!('toJS' in doc)) continue;
    const value = doc.toJS({ maxAliasCount: 100 }) as { kind?: unknown; metadata?: { name?: unknown }; spec?: ClusterProfileSpec } | null;
    if (value?.kind !== 'ClusterProfile' || !value.spec || (params.profile && value.metadata?.name !== params.profile)) continue;
    const layer = renderProfile(value.spec).layers.find((l) => l.name === params.layer);
    if (!layer) continue;
    if (!layer.helm) return { error: `Layer "${params.layer}" has no helm chart: only Helm layers are rendered.` };
    const { helm } = layer;
    try {
      const chart = await store.load({ repo: helm.repo, chart: helm.chart, version: helm.version }, { signal });
      const yaml = await helmTemplate(store.helmBinary(), { archive: chart.archive, releaseName: helm.releaseName, namespace: layer.namespace ?? 'default', values: helm.values ?? {} }, signal);
      return { yaml, title: `chart ${chart.facts.name} ${chart.facts.version} (${chart.digest.slice(0, 19)}…)` };
    } catch (err) {
      return { error: `Layer "${params.layer}": chart ${helm.chart} ${helm.version} from ${helm.repo} did not render: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return { error: `No layer "${params.layer}"${params.profile ? ` in profile ${params.profile}` : ''} in this file.` };
}
