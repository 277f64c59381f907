import { parseArgs } from 'node:util';
import { parseDuration } from '@kplane/profile';
import type { ClusterProfile } from '@kplane/profile';
import { isHubMemberId, matchesSelector, parseSelector, terminalSafe, type ProfileChange, type Selector } from '@kplane/plane';
// The diff entry and KubeClient, not @kplane/plane/cluster and KubeClient: those load
// @kubernetes/client-node, whose import alone cost this command 1-3 s (bench:diff).
import { describeKept, diffLive, type ChartRenderer } from '@kplane/plane/live-diff';
import { HelmChartStore } from '@kplane/language-server/helm-charts';
import { renderHelmLayer } from '../helmLayers.js';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { Command } from '../main.js';
import { loadProfileArgument } from '../profileArgument.js';

const usage = `Usage: kplane diff <profile.yaml> (--context NAME[,NAME…] | --hub CONTEXT [--selector LABELS]) [--kubeconfig PATHS] [--timeout 10s] [--ca-file PEM]

Shows, per cluster, what applying the file would change there: the profile rendered for that
cluster, each object dry-run by the API server as the agent would apply it (server-side apply,
field manager kplane-agent), compared with the live object on the fields the agent manages; plus
the objects the agent would create and those it would prune (an adopted object, and a Namespace or
CRD without the kplane.dev/prune: "true" annotation, left the profile but stay: listed as kept). Helm layers are rendered with the real
\`helm template\` and that cluster's Capabilities, as the agent renders them (charts from the chart
cache, ~/.cache/kplane/charts; --ca-file trusts a private CA). Sensitive values are masked. Like
kubectl diff: exit 0 no differences, 1 differences, 2 error.

With --hub, for the hub's members (all, those matching --selector, or --context hub:<hub>/<name>):
the change to each member's ClusterProfile on the hub, dry-run there. Their objects are not
compared: the plane has no route to a member's API server; its agent reports drift in the
profile's status ("kplane status --hub").`;

export const command: Command = {
  summary: 'show what applying a profile would change on each cluster',
  usage,
  async run(argv) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { context: { type: 'string', multiple: true }, hub: { type: 'string', multiple: true }, selector: { type: 'string' }, kubeconfig: { type: 'string' }, timeout: { type: 'string', default: '10s' }, 'ca-file': { type: 'string' } },
      }));
    } catch (err) {
      console.error(`kplane diff: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    const list = (v: string[] | undefined) => (v ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
    const named = list(values.context);
    const hubs = list(values.hub);
    const contexts = named.filter((c) => !isHubMemberId(c));
    const timeoutMs = parseDuration(values.timeout!);
    if (positionals.length !== 1 || (!named.length && !hubs.length) || !timeoutMs) {
      console.error(`kplane diff: name one profile file, --context or --hub, and a --timeout duration.\n\n${usage}`);
      return 2;
    }
    const selector = values.selector !== undefined ? parseSelector(values.selector) : undefined;
    if (selector && !selector.ok) {
      console.error(`kplane diff: ${selector.error}`);
      return 2;
    }
    if (selector && !hubs.length) {
      console.error('kplane diff: --selector picks hub members; name the hub with --hub');
      return 2;
    }
    const file = positionals[0];
    const input = await loadProfileArgument('diff', file, 2);
    if ('exitCode' in input) return input.exitCode;
    const { preflight } = input;
    let differs = false;
    let broken = false;
    if (hubs.length) {
      const result = await diffHubMembers(preflight.profiles, { kubeconfig: values.kubeconfig ?? '', hubs, members: named.filter(isHubMemberId), selector: selector?.ok ? selector.selector : undefined, timeoutMs });
      differs ||= result.differs;
      broken ||= result.broken;
      if (!contexts.length) return broken ? 2 : differs ? 1 : 0;
    }
    const clusters: { name: string; client: KubeClient }[] = [];
    const problems: string[] = [];
    for (const name of contexts) {
      try {
        clusters.push({ name, client: new KubeClient(loadConnection({ kubeconfigPath: values.kubeconfig, context: name })) });
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    for (const p of problems) console.error(`kplane diff: ${p}`);
    if (problems.length) {
      for (const c of clusters) c.client.close();
      return 2;
    }
    const store = new HelmChartStore({ caFile: values['ca-file'], quietMs: 0 });
    const renderChart: ChartRenderer = async (layer, cluster) => {
      const result = await renderHelmLayer(layer, { store, capabilities: cluster.capabilities, isClusterScoped: cluster.isClusterScoped });
      // A hook-succeeded hook is gone once it ran (the agent deletes it, as Helm does): nothing to compare.
      return result.ok ? { manifests: result.rendered.objects.filter((o) => !o.deletePolicies?.includes('hook-succeeded')).map((o) => o.manifest), chart: `${result.rendered.chart} ${result.rendered.version}` } : { error: result.message };
    };
    for (const context of clusters) {
      const { client } = context;
      try {
        for (const profile of preflight.profiles) {
          const result = await diffLive(client, profile, { timeoutMs, label: context.name, renderChart });
          const name = `${profile.metadata.namespace ?? 'kplane-system'}/${profile.metadata.name}`;
          const changed = result.objects.filter((o) => o.action !== 'unchanged');
          for (const o of changed) process.stdout.write(terminalSafe(o.patch));
          for (const note of result.notes) console.error(terminalSafe(`kplane diff: ${context.name}: ${name}: ${note}`));
          const count = (action: string) => changed.filter((o) => o.action === action).length;
          if (changed.length || result.profile.kind !== 'unchanged') {
            differs = true;
            const kept = result.kept.length ? `, ${result.kept.length} kept` : '';
            console.log(terminalSafe(`${context.name}: ClusterProfile ${name}: ${describeProfileChange(result.profile)}; objects: ${count('create')} to create, ${count('update')} to change, ${count('prune')} to prune${kept}`));
            for (const k of result.kept) console.log(terminalSafe(`${context.name}: ${describeKept(k)}`));
          } else console.log(terminalSafe(`${context.name}: ${name}: no differences`));
        }
      } catch (err) {
        console.error(terminalSafe(`kplane diff: ${context.name}: ${err instanceof Error ? err.message : String(err)}`));
        broken = true;
      } finally {
        client.close();
      }
    }
    return broken ? 2 : differs ? 1 : 0;
  },
};

/** Through a hub: the profile change per member, dry-run on the hub in the member's namespace. */
async function diffHubMembers(profiles: ClusterProfile[], o: { kubeconfig: string; hubs: string[]; members: string[]; selector?: Selector; timeoutMs: number }): Promise<{ differs: boolean; broken: boolean }> {
  // Loaded only for --hub: the cluster entry brings @kubernetes/client-node (see the imports above).
  const { openFleet, previewApply } = await import('@kplane/plane/cluster');
  const session = openFleet({ kubeconfig: o.kubeconfig, hubs: o.hubs, requestTimeoutMs: o.timeoutMs });
  try {
    for (const e of session.errors) console.error(terminalSafe(`kplane diff: ${e}`));
    for (const w of session.warnings) console.error(terminalSafe(`kplane diff: warning: ${w}`));
    await session.watcher.settled(Math.max(60_000, o.timeoutMs * 6));
    const problems = [...session.errors, ...session.watcher.hubProblems()];
    for (const p of session.watcher.hubProblems()) console.error(terminalSafe(`kplane diff: ${p}`));
    if (problems.length) return { differs: false, broken: true };
    const members = session.model.list().filter((v) => v.hub !== undefined).map((v) => v.id).sort();
    const missing = o.members.filter((id) => !members.includes(id));
    for (const id of missing) console.error(terminalSafe(`kplane diff: ${id} is not a member of its hub; "kplane status --hub <context>" lists the members`));
    const targets = o.members.length ? o.members.filter((id) => members.includes(id)) : members.filter((id) => !o.selector || matchesSelector(o.selector, session.model.get(id)!.labels));
    if (!targets.length && !missing.length) console.error(terminalSafe(`kplane diff: no hub member matches${o.selector ? ` "${o.selector.text}"` : ''}`));
    let differs = false;
    let broken = missing.length > 0;
    for (const id of targets) {
      for (const profile of profiles) {
        const name = profile.metadata.name;
        try {
          const { change } = await previewApply(session.watcher.target(id)!, profile, o.timeoutMs);
          if (change.kind !== 'unchanged') differs = true;
          console.log(terminalSafe(`${id}: ClusterProfile ${name}: ${change.kind === 'unchanged' ? 'no differences' : describeProfileChange(change)} (objects not compared through the hub)`));
        } catch (err) {
          console.error(terminalSafe(`kplane diff: ${id}: ${name}: ${err instanceof Error ? err.message : String(err)}`));
          broken = true;
        }
      }
    }
    return { differs, broken };
  } finally {
    session.dispose();
  }
}

function describeProfileChange(change: ProfileChange): string {
  if (change.kind === 'create') return `create (${change.version})`;
  if (change.kind === 'unchanged') return 'spec unchanged';
  return `update ${change.version ?? ''}: ${change.paths.slice(0, 5).join(', ')}${change.paths.length > 5 ? ` (+${change.paths.length - 5})` : ''}`;
}
