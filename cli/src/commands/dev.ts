import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from '../main.js';

const usage = `Usage: kplane dev up [--clusters N] [--workloads] [--kubeconfig FILE]

Starts N local Kubernetes control planes (real etcd + kube-apiserver, kplane CRDs installed)
in parallel, writes one kubeconfig with contexts kplane-1..N, prints "ready <kubeconfig>" and
stays in the foreground; Ctrl-C or SIGTERM stops every cluster and removes the kubeconfig.

  --clusters N       how many clusters, 1..20 (default 1)
  --workloads        also run kube-controller-manager, kube-scheduler and KWOK fake nodes,
                     so Deployments really become Available
  --kubeconfig FILE  where to write the kubeconfig (default .kplane/kubeconfig)

Logs of each component stay in the cluster's dir while it runs (printed at start);
KPLANE_KEEP_CLUSTERS=1 keeps the dirs after exit.`;

interface DevOptions {
  clusters: number;
  workloads: boolean;
  kubeconfig: string;
}

/** Parses `up` flags; returns an error message for bad input instead of throwing. */
export function parseDevArgs(args: string[]): DevOptions | string {
  const [sub, ...rest] = args;
  if (sub !== 'up') return sub ? `unknown subcommand "${sub}"; the only one is "up".` : 'missing subcommand "up".';
  const opts: DevOptions = { clusters: 1, workloads: false, kubeconfig: '.kplane/kubeconfig' };
  for (let i = 0; i < rest.length; i++) {
    const [flag, inline] = rest[i].split(/=(.*)/s, 2);
    const value = (): string | undefined => inline ?? rest[++i];
    switch (flag) {
      case '--clusters': {
        const v = value();
        if (!v || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 20) return `--clusters needs a whole number from 1 to 20, got ${v === undefined ? 'nothing' : `"${v}"`}.`;
        opts.clusters = Number(v);
        break;
      }
      case '--workloads':
        if (inline !== undefined) return '--workloads takes no value.';
        opts.workloads = true;
        break;
      case '--kubeconfig': {
        const v = value();
        if (!v || v.startsWith('--')) return '--kubeconfig needs a file path.';
        opts.kubeconfig = v;
        break;
      }
      default:
        return `unknown option "${rest[i]}".`;
    }
  }
  return opts;
}

export const command: Command = {
  summary: 'run local Kubernetes control planes for development (dev up)',
  usage,
  async run(args) {
    const opts = parseDevArgs(args);
    if (typeof opts === 'string') {
      console.error(`kplane dev: ${opts}\n\n${usage}`);
      return 2;
    }
    const kubeconfigPath = resolve(opts.kubeconfig);
    // dev up removes its kubeconfig when it stops: it must never take over a file it did not
    // write (`--kubeconfig ~/.kube/config` overwrote, then deleted, the user's kubeconfig). The
    // marker beside it says an earlier run (perhaps killed) wrote the file.
    const marker = `${kubeconfigPath}.kplane-dev`;
    if (existsSync(kubeconfigPath) && !existsSync(marker)) {
      console.error(`kplane dev: ${kubeconfigPath} already exists and was not written by kplane dev; dev up writes a kubeconfig of its own and deletes it when it stops, so it leaves this one alone. Name a new file with --kubeconfig, or move this one away.`);
      return 2;
    }

    // Signals are ours from the start: during startup they abort it (the bed's exit hook kills
    // whatever already runs), once up they trigger a graceful stop.
    let onSignal: (signal: NodeJS.Signals) => void = () => {
      console.error('kplane dev: interrupted while starting; stopping what already runs');
      process.exit(130);
    };
    const handler = (signal: NodeJS.Signals): void => onSignal(signal);
    process.on('SIGINT', handler).on('SIGTERM', handler).on('SIGHUP', handler);

    // Loaded lazily so that `kplane --help` does not pay for the Kubernetes client.
    const { startFleet } = await import('@kplane/bed');
    const started = Date.now();
    await mkdir(dirname(marker), { recursive: true });
    await writeFile(marker, `written by kplane dev up (pid ${process.pid}); ${kubeconfigPath} is its kubeconfig\n`);
    const fleet = await startFleet({
      clusters: opts.clusters,
      workloads: opts.workloads,
      kubeconfigPath,
      log: (line) => console.error(`kplane dev: ${line}`),
      // Stay up (the other clusters may still be useful) but say loudly what died and why.
      onComponentExit: (e) => console.error(`kplane dev: ${e.cluster}: ${e.component} exited unexpectedly (${e.exit}); last lines of ${e.logPath}:\n${e.logTail}`),
    });
    for (const c of fleet.clusters) console.error(`kplane dev: ${c.name} ${c.server} (logs: ${c.dir}/logs)`);
    console.error(`kplane dev: ${fleet.clusters.length} cluster(s) up in ${((Date.now() - started) / 1000).toFixed(1)}s; try: KUBECONFIG=${kubeconfigPath} kubectl --context kplane-1 get clusterprofiles -A`);
    console.log(`ready ${kubeconfigPath}`);

    // The bed's child processes are unref'd; this timer is what keeps us in the foreground.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const signal = await new Promise<NodeJS.Signals>((resolvePromise) => {
      onSignal = resolvePromise;
    });
    onSignal = () => console.error('kplane dev: already stopping');
    console.error(`kplane dev: ${signal}: stopping ${fleet.clusters.length} cluster(s)`);
    await fleet.stop();
    await rm(kubeconfigPath, { force: true });
    await rm(marker, { force: true });
    clearInterval(keepAlive);
    process.off('SIGINT', handler).off('SIGTERM', handler).off('SIGHUP', handler);
    console.error('kplane dev: stopped');
    return 0;
  },
};
