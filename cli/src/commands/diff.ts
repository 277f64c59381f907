import { parseArgs } from 'node:util';
import { parseDuration } from '@kplane/profile';
import { terminalSafe, type ProfileChange } from '@kplane/plane';
// The diff entry and KubeApi, not @kplane/plane/cluster and KubeClient: those load
// @kubernetes/client-node, whose import alone cost this command 1-3 s (bench:diff).
import { diffLive } from '@kplane/plane/live-diff';
import { KubeApi, loadKubeConfig } from '@kplane/kube';
import type { Command } from '../main.js';
import { loadProfileArgument } from '../profileArgument.js';

const usage = `Usage: kplane diff <profile.yaml> --context NAME[,NAME…] [--kubeconfig PATHS] [--timeout 10s]

Shows, per cluster, what applying the file would change there: the profile rendered for that
cluster, each object dry-run by the API server as the agent would apply it (server-side apply,
field manager kplane-agent), compared with the live object on the fields the agent manages; plus
the objects the agent would create and those it would prune. Sensitive values are masked. Like
kubectl diff: exit 0 no differences, 1 differences, 2 error.`;

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
        options: { context: { type: 'string', multiple: true }, kubeconfig: { type: 'string' }, timeout: { type: 'string', default: '10s' } },
      }));
    } catch (err) {
      console.error(`kplane diff: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    const contexts = (values.context ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
    const timeoutMs = parseDuration(values.timeout!);
    if (positionals.length !== 1 || !contexts.length || !timeoutMs) {
      console.error(`kplane diff: name one profile file, --context, and a --timeout duration.\n\n${usage}`);
      return 2;
    }
    const file = positionals[0];
    const input = await loadProfileArgument('diff', file, 2);
    if ('exitCode' in input) return input.exitCode;
    const { preflight } = input;
    const clusters: { name: string; client: KubeApi }[] = [];
    const problems: string[] = [];
    for (const name of contexts) {
      try {
        clusters.push({ name, client: new KubeApi(loadKubeConfig({ kubeconfigPath: values.kubeconfig, context: name })) });
      } catch (err) {
        problems.push(err instanceof Error ? err.message : String(err));
      }
    }
    for (const p of problems) console.error(`kplane diff: ${p}`);
    if (problems.length) {
      for (const c of clusters) c.client.close();
      return 2;
    }
    let differs = false;
    let broken = false;
    for (const context of clusters) {
      const { client } = context;
      try {
        for (const profile of preflight.profiles) {
          const result = await diffLive(client, profile, { timeoutMs, label: context.name });
          const name = `${profile.metadata.namespace ?? 'kplane-system'}/${profile.metadata.name}`;
          const changed = result.objects.filter((o) => o.action !== 'unchanged');
          for (const o of changed) process.stdout.write(terminalSafe(o.patch));
          for (const note of result.notes) console.error(terminalSafe(`kplane diff: ${context.name}: ${name}: ${note}`));
          const count = (action: string) => changed.filter((o) => o.action === action).length;
          if (changed.length || result.profile.kind !== 'unchanged') {
            differs = true;
            console.log(terminalSafe(`${context.name}: ClusterProfile ${name}: ${describeProfileChange(result.profile)}; objects: ${count('create')} to create, ${count('update')} to change, ${count('prune')} to prune`));
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

function describeProfileChange(change: ProfileChange): string {
  if (change.kind === 'create') return `create (${change.version})`;
  if (change.kind === 'unchanged') return 'spec unchanged';
  return `update ${change.version ?? ''}: ${change.paths.slice(0, 5).join(', ')}${change.paths.length > 5 ? ` (+${change.paths.length - 5})` : ''}`;
}
