/**
 * `kplane rbac <profile.yaml>`: the least RBAC the agent needs to manage exactly the objects of
 * one profile, to use instead of the broad ClusterRole kplane-agent-managed of
 * agent/deploy/rbac.yaml. The rules themselves are pure (agentRbacFor in @kplane/plane).
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { DEFAULT_NAMESPACE, expandManifests, renderProfile, scopeWithCrds } from '@kplane/profile';
import { agentRbacFor, guessPlural } from '@kplane/plane';
import { Discovery, KubeClient, loadConnection } from '@kplane/kube';
import type { Command } from '../main.js';
import { loadProfileArgument } from '../profileArgument.js';

const usage = `Usage: kplane rbac <profile.yaml> [--service-account NS/NAME] [--context NAME] [--kubeconfig PATH]

Prints the least-privilege RBAC the kplane agent needs for exactly the objects of one profile:
per object get/create/patch/delete by name, in a Role per namespace and a ClusterRole for
cluster-scoped objects, plus list/watch on each kind (the agent watches the kinds it manages
cluster-wide; RBAC cannot narrow a watch by label). Bind it to the agent's ServiceAccount
(default kplane-system/kplane-agent) instead of ClusterRole kplane-agent-managed. Without
--context the resource names are guessed from the kinds as Kubernetes guesses them; with it,
the cluster's discovery says (CRDs included). Helm layers are rendered on the cluster and are
not covered. Exit 0 printed, 1 the profile has a Helm layer (printed without it), 2 usage or I/O.`;

export const command: Command = {
  summary: 'print the least-privilege RBAC the agent needs for one profile',
  usage,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { 'service-account': { type: 'string' }, context: { type: 'string' }, kubeconfig: { type: 'string' } },
      }));
    } catch (err) {
      console.error(`kplane rbac: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    if (positionals.length !== 1) {
      console.error(`kplane rbac: name one profile file.\n\n${usage}`);
      return 2;
    }
    const [saNamespace, saName] = (values['service-account'] ?? `${DEFAULT_NAMESPACE}/kplane-agent`).split('/');
    if (!saNamespace || !saName) {
      console.error(`kplane rbac: --service-account "${values['service-account']}" is not NAMESPACE/NAME.`);
      return 2;
    }
    const input = await loadProfileArgument('rbac', positionals[0], 2);
    if ('exitCode' in input) return input.exitCode;
    const { profiles } = input.preflight;

    // Without a cluster, the kinds of the profiles' own CRDs are scoped as those say.
    const knownScope = scopeWithCrds(profiles.flatMap((p) => (p.spec.layers ?? []).flatMap((l) => expandManifests(l.manifests ?? [], false).map((o) => o.manifest))));
    let resolve = (apiVersion: string, kind: string) => ({ plural: guessPlural(kind), clusterScoped: knownScope(apiVersion, kind) });
    let api: KubeClient | undefined;
    try {
      if (values.context || values.kubeconfig) {
        api = new KubeClient(loadConnection({ kubeconfigPath: values.kubeconfig, context: values.context }));
        const discovery = new Discovery(api);
        const manifests = profiles.flatMap((p) => (p.spec.layers ?? []).flatMap((l) => l.manifests ?? []));
        await discovery.prime(manifests);
        const known = new Map<string, { plural: string; clusterScoped: boolean }>();
        for (const m of manifests) {
          const info = await discovery.resource(m.apiVersion, m.kind);
          if (info) known.set(`${m.apiVersion}/${m.kind}`, { plural: info.plural, clusterScoped: !info.namespaced });
        }
        const guess = resolve;
        resolve = (apiVersion, kind) => known.get(`${apiVersion}/${kind}`) ?? guess(apiVersion, kind);
      }
    } catch (err) {
      console.error(`kplane rbac: cannot read the cluster's APIs (context ${values.context ?? '(current)'}): ${err instanceof Error ? err.message : String(err)}`);
      return 2;
    } finally {
      api?.close();
    }
    let uncovered = false;
    const out: string[] = [];
    for (const profile of profiles) {
      const rendered = renderProfile(profile.spec, (apiVersion, kind) => resolve(apiVersion, kind).clusterScoped);
      const helmLayers = rendered.layers.filter((l) => l.helm).map((l) => l.name);
      const rbac = agentRbacFor(profile.metadata.name, rendered.layers.flatMap((l) => l.manifests), resolve, { namespace: saNamespace, name: saName });
      const header = [
        `# Least-privilege RBAC for the kplane agent (ServiceAccount ${saNamespace}/${saName}) to manage profile ${profile.metadata.name}`,
        `# (kplane rbac ${positionals[0]}). Also needed: Role kplane-agent and ClusterRole kplane-agent-status of agent/deploy/rbac.yaml.`,
        ...rbac.notes.map((n) => `# ${n}`),
        ...(helmLayers.length ? [`# NOT COVERED: Helm layer(s) ${helmLayers.join(', ')} render on the cluster; add the kinds their charts create (kplane template shows them).`] : []),
      ];
      out.push(`${header.join('\n')}\n${rbac.objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n')}`);
      if (helmLayers.length) {
        uncovered = true;
        console.error(`kplane rbac: ${profile.metadata.name}: layer(s) ${helmLayers.join(', ')} are Helm charts, not covered; add the kinds they create.`);
      }
    }
    console.log(out.join('---\n'));
    return uncovered ? 1 : 0;
  },
};
