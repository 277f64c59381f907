import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { placeInRelease, renderProfile, scopeWithCrds, type Manifest } from '@kplane/profile';
import { splitChartOutput } from '@kplane/agent/core';
import { HelmCli, findHelm } from '@kplane/agent/helm';
import { Discovery, KubeClient, loadConnection, type Capabilities } from '@kplane/kube';
import type { Command } from '../main.js';
import { loadProfileArgument } from '../profileArgument.js';

const usage = `Usage: kplane template <profile.yaml> [--layer NAME] [--context NAME] [--kubeconfig PATH] [--ca-file PEM]

Prints the objects of a profile's layers as the agent renders them: manifests with variables
substituted, Helm layers through the real \`helm template --include-crds\` (helm on PATH, or
KPLANE_HELM). With --context, the chart sees that cluster's version and APIs
(.Capabilities), as it does in the agent; without, Helm's defaults. The chart is pulled from its
repository; --ca-file trusts a private CA (credentialsSecret lives in the cluster and is not read).
Test hooks are left out, as the agent does. Exit 0 rendered, 1 a layer did not render, 2 usage or I/O.`;

export const command: Command = {
  summary: "print the objects a profile's layers render to, Helm charts included",
  usage,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { layer: { type: 'string' }, context: { type: 'string' }, kubeconfig: { type: 'string' }, 'ca-file': { type: 'string' } },
      }));
    } catch (err) {
      console.error(`kplane template: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    if (positionals.length !== 1) {
      console.error(`kplane template: name one profile file.\n\n${usage}`);
      return 2;
    }
    const input = await loadProfileArgument('template', positionals[0], 2);
    if ('exitCode' in input) return input.exitCode;
    let caPem: string | undefined;
    if (values['ca-file']) {
      try {
        caPem = await readFile(values['ca-file'], 'utf8');
      } catch (err) {
        console.error(`kplane template: cannot read --ca-file "${values['ca-file']}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        return 2;
      }
    }
    let caps: Capabilities = { apiVersions: [] };
    let discovery: Discovery | undefined;
    let api: KubeClient | undefined;
    if (values.context || values.kubeconfig) {
      try {
        api = new KubeClient(loadConnection({ kubeconfigPath: values.kubeconfig, context: values.context }));
        discovery = new Discovery(api);
        caps = await discovery.capabilities();
      } catch (err) {
        console.error(`kplane template: cannot read the cluster's APIs (context ${values.context ?? '(current)'}): ${err instanceof Error ? err.message : String(err)}`);
        api?.close();
        return 2;
      }
    }
    try {
      let failed = false;
      let found = false;
      const base = discovery ? (apiVersion: string, kind: string) => discovery!.isClusterScoped(apiVersion, kind) : undefined;
      for (const profile of input.preflight.profiles) {
        // Charts first: the kinds their CRDs define are scoped as those say, in every layer.
        const layers = renderProfile(profile.spec, base).layers.filter((layer) => !values.layer || layer.name === values.layer);
        found ||= layers.length > 0;
        const charts = new Map<string, { objects: Manifest[]; title: string } | { error: string }>();
        for (const layer of layers) {
          if (!layer.helm) continue;
          const bin = findHelm();
          if (!bin) {
            console.error('kplane template: Helm is needed for Helm layers: put helm on PATH or set KPLANE_HELM.');
            return 2;
          }
          const helm = new HelmCli(bin);
          try {
            const pulled = await helm.pull(layer.helm.repo, layer.helm.chart, layer.helm.version, { caPem });
            const text = await helm.template({ archive: pulled.archive, releaseName: layer.helm.releaseName, namespace: layer.namespace ?? 'default', values: layer.helm.values ?? {}, kubeVersion: caps.kubeVersion, apiVersions: caps.apiVersions });
            const split = splitChartOutput(text);
            if (!split.render) throw new Error(split.error);
            charts.set(layer.name, { objects: split.render.objects.map((o) => o.manifest), title: `chart ${layer.helm.chart} ${pulled.version}, ${pulled.digest}` });
          } catch (err) {
            charts.set(layer.name, { error: `layer ${layer.name}: chart ${layer.helm.chart} ${layer.helm.version} from ${layer.helm.repo}: ${err instanceof Error ? err.message : String(err)}` });
          }
        }
        const scoped = scopeWithCrds(
          [...charts.values()].flatMap((c) => ('objects' in c ? c.objects : [])),
          base,
        );
        const rendered = renderProfile(profile.spec, scoped).layers.filter((layer) => !values.layer || layer.name === values.layer);
        for (const layer of rendered) {
          const header = `# ${profile.metadata.name} / layer ${layer.name}`;
          let objects: Manifest[] = layer.manifests;
          const chart = charts.get(layer.name);
          if (chart && 'error' in chart) {
            console.error(`kplane template: ${chart.error}`);
            failed = true;
            continue;
          }
          if (chart) {
            // As the agent does: namespaced objects without a namespace go to the layer's.
            objects = placeInRelease(chart.objects, layer.namespace ?? 'default', scoped);
            process.stdout.write(`${header} (${chart.title})\n`);
          } else process.stdout.write(`${header}\n`);
          for (const object of objects) process.stdout.write(`---\n${stringify(object, { lineWidth: 0 })}`);
        }
      }
      if (values.layer && !found) {
        console.error(`kplane template: no layer "${values.layer}" in ${positionals[0]}.`);
        return 2;
      }
      return failed ? 1 : 0;
    } finally {
      api?.close();
    }
  },
};
