import { parseArgs } from 'node:util';
import { parseDuration } from '@kplane/profile';
import { alsoOnHubText, stateText, statusJson, statusTable, terminalJson, terminalSafe, type ClusterView } from '@kplane/plane';
import { openFleet } from '@kplane/plane/cluster';
import type { Command } from '../main.js';

const usage = `Usage: kplane status [--context NAME[,NAME…]] [--hub CONTEXT] [--kubeconfig PATHS] [--output table|json] [--watch] [--timeout 10s]

Shows each cluster's state as the management plane derives it from the cluster's ClusterAgent and
ClusterProfiles: Healthy, Degraded, Drifted, Paused, NoAgent, Stale or Unreachable. Covers every
context of the current kubeconfig ($KUBECONFIG, several files allowed) unless --context or --hub
is given. Answers within --timeout even when some API servers never reply (they show as Unreachable).

  --context     contexts to include (repeat or comma-separate)
  --hub         a hub's context: its members (hub:<context>/<name>) are read from the hub, one
                list + watch for all of them; a member's heartbeat is its Lease there (docs/hub.md).
                With --context too, the fleet mixes both
  --kubeconfig  kubeconfig file(s), separated like KUBECONFIG
  --output      table (default) or json: {"clusters":[{"context","state","lastSeen","profiles"}]};
                a cluster both in the kubeconfig and a hub member (same agent clusterId) shows once,
                as the direct context, with "alsoOnHub":[{"hub","context","state"}] (its member id
                and state on the hub) in json and an "also on hub" line under the table
  --watch       keep running and print a line each time a cluster's state changes
  --timeout     per-cluster deadline for the API server to answer (default 10s)
  --namespace   where ClusterAgent/ClusterProfiles live (default kplane-system)`;

export const command: Command = {
  summary: 'show the fleet: each cluster\'s state, heartbeat and profiles',
  usage,
  async run(argv) {
    let args;
    try {
      args = parseArgs({
        args: argv,
        options: {
          context: { type: 'string', multiple: true },
          hub: { type: 'string', multiple: true },
          kubeconfig: { type: 'string' },
          output: { type: 'string', default: 'table' },
          watch: { type: 'boolean', default: false },
          timeout: { type: 'string', default: '10s' },
          namespace: { type: 'string' },
        },
      }).values;
    } catch (err) {
      console.error(`kplane status: ${(err as Error).message}\n\n${usage}`);
      return 2;
    }
    const timeoutMs = parseDuration(args.timeout!);
    if (!timeoutMs) {
      console.error(`kplane status: --timeout "${args.timeout}" is not a duration; write e.g. 10s or 1m`);
      return 2;
    }
    if (args.output !== 'table' && args.output !== 'json') {
      console.error(`kplane status: --output "${args.output}" is not supported; use table or json`);
      return 2;
    }
    const list = (values: string[] | undefined) => (values ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
    const contexts = list(args.context);
    const hubs = list(args.hub);
    const session = openFleet({ kubeconfig: args.kubeconfig ?? '', contexts, hubs, requestTimeoutMs: timeoutMs, ...(args.namespace ? { namespace: args.namespace } : {}) });
    for (const e of session.errors) console.error(terminalSafe(`kplane status: ${e}`));
    for (const w of session.warnings) console.error(terminalSafe(`kplane status: warning: ${w}`));
    if (!session.contexts.length && !session.hubs.length) {
      console.error('kplane status: no contexts to show; pass --kubeconfig or set KUBECONFIG');
      session.dispose();
      return 2;
    }
    // Listening before the first line is printed: a Ctrl-C (or SIGTERM) that follows the first
    // output at once must end the watch cleanly, not kill it mid-way by the default handler
    // (seen in test/cluster/fleetCli.test.ts about one run in three against a live cluster).
    const interrupted = args.watch
      ? new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        })
      : undefined;
    // Every request has the deadline; the extra second covers the last retry's bookkeeping. A
    // hub's members come in pages, each with the deadline.
    await session.watcher.settled(session.hubs.length ? Math.max(60_000, timeoutMs * 6) : timeoutMs + 1000);
    const problems = session.watcher.hubProblems();
    for (const p of problems) console.error(terminalSafe(`kplane status: ${p}`));
    const order = session.contexts.map((c) => c.name);
    const members = () => session.model.list().filter((v) => v.hub !== undefined).sort((a, b) => a.id.localeCompare(b.id));
    const views = () => [...order.map((id) => session.model.get(id)).filter((v): v is ClusterView => v !== undefined), ...members()];
    if (args.output === 'json') console.log(terminalJson(statusJson(views()), 2));
    else console.log(terminalSafe(statusTable(views(), Date.now())));
    if (!args.watch) {
      session.dispose();
      return session.errors.length || problems.length ? 2 : 0;
    }
    session.watcher.startTicker(5000);
    session.model.onChange((ids) => {
      for (const id of ids) {
        const v = session.model.get(id);
        if (!v) continue;
        if (args.output === 'json') console.log(terminalJson(statusJson([v]).clusters[0]));
        else console.log(terminalSafe(`${new Date().toISOString()}  ${v.id}  ${stateText(v)}  ${v.reason}${alsoOnHubText(v) ? `  (${alsoOnHubText(v)})` : ''}`));
      }
    });
    // Watch connections do not keep the process alive on their own (a one-shot status must exit
    // at once); this does, until Ctrl-C.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    await interrupted;
    clearInterval(keepAlive);
    session.dispose();
    return 0;
  },
};
