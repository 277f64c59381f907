import { parseArgs } from 'node:util';
import { HUB_SECRET_NAME, hubNamespaceFor, memberNameProblem, parseDuration } from '@kplane/profile';
import { terminalSafe } from '@kplane/plane';
import { contextClient, forContext, hubInit, hubJoin, hubLeave, loadKubeconfig, parseLabels } from '@kplane/plane/cluster';
import type { Command } from '../main.js';

const usage = `Usage:
  kplane hub init --context HUB [--kubeconfig PATHS]
  kplane hub join NAME --hub-context HUB --context MEMBER [--labels k=v,…] [--display-name TEXT]
                  [--hub-server URL] [--token-ttl 8760h] [--update] [--kubeconfig PATHS]
  kplane hub leave NAME --hub-context HUB [--context MEMBER] [--remove-profiles] [--kubeconfig PATHS]

Hub mode (docs/hub.md): members' agents dial out to one Kubernetes API server, the hub, which
holds a namespace per member (kplane-member-NAME) with its ClusterAgent, its ClusterProfiles and
a heartbeat Lease. No kplane controller runs on the hub.

  init   installs the kplane CRDs on the hub (needs cluster-admin there)
  join   creates the member's hub namespace, a ServiceAccount and Role limited to it, the hub
         ClusterAgent with --labels (what "kplane apply --hub --selector" matches), and stores a
         token kubeconfig in the member as Secret kplane-system/${HUB_SECRET_NAME}; the member's
         agent then runs in hub mode (within 15 s, no restart)
           --hub-server  the hub address the member dials, when it differs from the context's
           --token-ttl   lifetime of the hub token (default 8760h = one year; the hub may cap it)
           --update      re-join: new token, labels and display name updated
  leave  revokes the member's hub token, deletes its Secret and hub namespace; the member's
         copies of hub profiles stay as local profiles unless --remove-profiles (their objects
         are then removed by the agent). Without --context only the hub side is removed.`;

export const command: Command = {
  summary: 'hub mode: init a hub, join or leave member clusters',
  usage,
  async run(argv) {
    const [verb, ...rest] = argv;
    if (verb !== 'init' && verb !== 'join' && verb !== 'leave') {
      console.error(`kplane hub: ${verb ? `unknown subcommand "${verb}"` : 'a subcommand is required'}; use init, join or leave.\n\n${usage}`);
      return 2;
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          kubeconfig: { type: 'string' },
          context: { type: 'string' },
          'hub-context': { type: 'string' },
          labels: { type: 'string' },
          'display-name': { type: 'string' },
          'hub-server': { type: 'string' },
          'token-ttl': { type: 'string' },
          update: { type: 'boolean', default: false },
          'remove-profiles': { type: 'boolean', default: false },
        },
      });
    } catch (err) {
      console.error(`kplane hub ${verb}: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    const args = parsed.values;
    const loaded = loadKubeconfig(args.kubeconfig);
    for (const e of loaded.errors) console.error(terminalSafe(`kplane hub ${verb}: ${e}`));
    const progress = (line: string) => console.error(terminalSafe(`  ${line}`));
    const clients: { close(): void }[] = [];
    const client = (context: string | undefined, flag: string) => {
      try {
        const c = contextClient(loaded.kubeConfig, context ?? '', flag);
        clients.push(c);
        return c;
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    };
    try {
      if (verb === 'init') {
        if (parsed.positionals.length) throw new UsageError(`init takes no NAME (got "${parsed.positionals.join(' ')}"); the hub is --context`);
        const hub = client(args.context, '--context');
        const crds = await hubInit(hub, progress);
        console.log(terminalSafe(`hub ${hub.context} is ready: ${crds.join(', ')} installed. Join members with "kplane hub join NAME --hub-context ${hub.context} --context MEMBER".`));
        return 0;
      }
      const name = parsed.positionals[0];
      if (!name) throw new UsageError(`a member NAME is required: kplane hub ${verb} NAME --hub-context HUB …`);
      const bad = memberNameProblem(name);
      if (bad) throw new UsageError(`${bad}.`);
      if (parsed.positionals.length > 1) throw new UsageError(`one member NAME at a time (got ${parsed.positionals.map((p) => `"${p}"`).join(' ')})`);
      const hub = client(args['hub-context'], '--hub-context');
      if (verb === 'join') {
        const member = client(args.context, '--context');
        const { labels, error } = parseLabels(args.labels ?? '');
        if (error) throw new UsageError(`--labels: ${error}`);
        let tokenSeconds: number | undefined;
        if (args['token-ttl'] !== undefined) {
          const ms = parseDuration(args['token-ttl']);
          if (!ms || ms < 600_000) throw new UsageError(`--token-ttl "${args['token-ttl']}" is not a duration of at least 10m; write e.g. 720h`);
          tokenSeconds = Math.round(ms / 1000);
        }
        if (args['hub-server'] !== undefined && !/^https?:\/\/[^/\s]+/.test(args['hub-server'])) throw new UsageError(`--hub-server "${args['hub-server']}" is not a URL; write e.g. https://hub.example.com:6443`);
        const result = await hubJoin({ hub, member }, forContext(loaded.kubeConfig, args['hub-context'] ?? ''), {
          name,
          labels,
          ...(args['display-name'] ? { displayName: args['display-name'] } : {}),
          ...(args['hub-server'] ? { hubServer: args['hub-server'] } : {}),
          ...(tokenSeconds ? { tokenSeconds } : {}),
          update: args.update,
          progress,
        });
        console.log(terminalSafe(`${name} joined hub ${hub.context} (namespace ${result.namespace}; the agent dials ${result.hubServer}${result.tokenExpires ? `; token expires ${result.tokenExpires}, renew with --update` : ''}).`));
        return 0;
      }
      const member = args.context ? client(args.context, '--context') : undefined;
      const result = await hubLeave(hub, member, { name, removeProfiles: args['remove-profiles'], progress });
      const kept = result.profiles.length ? ` Profiles from the hub ${args['remove-profiles'] ? 'deleted' : 'kept as local profiles'}: ${result.profiles.join(', ')}.` : '';
      console.log(terminalSafe(`${name} left hub ${hub.context} (namespace ${hubNamespaceFor(name)} deleted${member ? '' : '; the member cluster was not touched: pass --context to remove its Secret too'}).${kept}`));
      return 0;
    } catch (err) {
      console.error(terminalSafe(`kplane hub ${verb}: ${(err as Error).message}`));
      return err instanceof UsageError ? 2 : 1;
    } finally {
      for (const c of clients) c.close();
    }
  },
};

class UsageError extends Error {}
