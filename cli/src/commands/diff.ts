import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { maskSpec, parseDuration } from '@kplane/profile';
import { unifiedDiff } from '@kplane/plane';
import { fleetContexts, loadKubeconfig, previewApply } from '@kplane/plane/cluster';
import { KubeClient } from '@kplane/kube/client';
import type { Command } from '../main.js';
import { loadProfileArgument } from '../profileArgument.js';

const usage = `Usage: kplane diff <profile.yaml> --context NAME[,NAME…] [--kubeconfig PATHS] [--timeout 10s]

Shows, per cluster, how the live ClusterProfile's spec would change if the file were applied: the
live object against the API server's own server-side-apply dry-run of the file (so defaults and
admission are the cluster's). Like kubectl diff: exit 0 no differences, 1 differences, 2 error.`;

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
          const { live, after } = await previewApply(client, profile, timeoutMs);
          const name = `${after.metadata.namespace}/${after.metadata.name}`;
          // Sensitive values are masked before anything is printed (CI logs keep diffs); a changed one says so.
          const patch = unifiedDiff(live ? stringify(maskSpec(live.spec)) : '', stringify(maskSpec(after.spec, live?.spec)), { before: `${context.name}: ${name} (live${live ? '' : ', absent'})`, after: `${context.name}: ${name} (${file})` });
          if (patch) {
            differs = true;
            process.stdout.write(patch);
          } else console.log(`${context.name}: ${name}: no differences`);
        }
      } catch (err) {
        console.error(`kplane diff: ${err instanceof Error ? err.message : String(err)}`);
        broken = true;
      } finally {
        client.close();
      }
    }
    return broken ? 2 : differs ? 1 : 0;
  },
};
