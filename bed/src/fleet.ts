/** Several bed clusters at once, with one kubeconfig that has a context per cluster. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { startCluster, type StartClusterOptions, type TestCluster } from './cluster.js';

export interface StartFleetOptions {
  /** How many clusters (1..20); they are named and their contexts called kplane-1..N. */
  clusters: number;
  workloads?: boolean;
  /** Which clusters (0-based) also run metrics-server (startCluster's `metrics`). */
  metrics?: number[];
  /** Where the merged kubeconfig is written. */
  kubeconfigPath: string;
  log?: (line: string) => void;
  onComponentExit?: StartClusterOptions['onComponentExit'];
}

export interface Fleet {
  clusters: TestCluster[];
  kubeconfigPath: string;
  /** Stops every cluster (in parallel). Idempotent. */
  stop(): Promise<void>;
}

interface KubeconfigDoc {
  clusters: unknown[];
  users: unknown[];
  contexts: unknown[];
}

/** One kubeconfig holding each cluster's context (named as the cluster); the first is current. */
export function mergedKubeconfig(clusters: readonly TestCluster[]): string {
  const docs = clusters.map((c) => parse(c.kubeconfig) as KubeconfigDoc);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: docs.flatMap((d) => d.clusters),
    users: docs.flatMap((d) => d.users),
    contexts: docs.flatMap((d) => d.contexts),
    'current-context': clusters[0]?.name ?? '',
  });
}

/**
 * Starts the clusters in parallel. If one fails, the others are stopped and the first error is
 * thrown, so a failed start leaves nothing running.
 */
export async function startFleet(opts: StartFleetOptions): Promise<Fleet> {
  if (!Number.isInteger(opts.clusters) || opts.clusters < 1 || opts.clusters > 20) {
    throw new Error(`kplane bed: clusters=${opts.clusters} is out of range; give a whole number from 1 to 20.`);
  }
  const results = await Promise.allSettled(
    Array.from({ length: opts.clusters }, (_, i) => startCluster({ name: `kplane-${i + 1}`, workloads: opts.workloads, metrics: opts.metrics?.includes(i), log: opts.log, onComponentExit: opts.onComponentExit })),
  );
  const clusters = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const stop = async (): Promise<void> => {
    await Promise.all(clusters.map((c) => c.stop()));
  };
  if (failure) {
    await stop();
    throw failure.reason;
  }
  const kubeconfigPath = resolve(opts.kubeconfigPath);
  try {
    await mkdir(dirname(kubeconfigPath), { recursive: true });
    await writeFile(kubeconfigPath, mergedKubeconfig(clusters), { mode: 0o600 });
  } catch (err) {
    await stop();
    throw new Error(`kplane bed: cannot write the kubeconfig ${kubeconfigPath}: ${(err as Error).message}`);
  }
  return { clusters, kubeconfigPath, stop };
}
