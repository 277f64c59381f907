import { parseArgs } from 'node:util';
import { parseDuration } from '@kplane/profile';
import { terminalSafe, type ProfileChange } from '@kplane/plane';
import { diffLive, fleetContexts, loadKubeconfig } from '@kplane/plane/cluster';
import { KubeClient } from '@kplane/kube/client';
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
    const loaded = loadKubeconfig(values.kubeconfig ?? '');
    const { contexts: found, unknown } = fleetContexts(loaded.kubeConfig, contexts);
    for (const e of [...loaded.errors, ...unknown.map((n) => `context "${n}" is not in the kubeconfig`)]) console.error(`kplane diff: ${e}`);
    if (unknown.length || loaded.errors.length) return 2;
    let differs = false;
    let broken = false;
    for (const context of found) {
      const client = new KubeClient(context.kubeConfig, context.name, timeoutMs);
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
        console.error(terminalSafe(`kplane diff: ${err instanceof Error ? err.message : String(err)}`));
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
