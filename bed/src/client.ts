/** Small helpers tests share: a client for a bed cluster, deadline-based waiting, applying YAML. */
import { KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/** A KubeConfig for the cluster's admin (anything with `kubeconfig` YAML text, e.g. a TestCluster). */
export function kubeClient(cluster: { kubeconfig: string }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  return kc;
}

export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Poll period (default 200 ms). */
  intervalMs?: number;
  /** What is awaited, for the timeout message: "deployment web Available". */
  what: string;
}

/**
 * Polls `fn` until it returns a truthy value (which is returned), or fails with "timed out after
 * Ns waiting for <what>" plus the last error `fn` threw. Errors thrown while polling are retried:
 * a cluster that is still coming up answers with errors for a while.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? `; last error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : '';
      throw new Error(`timed out after ${(timeoutMs / 1000).toFixed(1)}s waiting for ${opts.what}${why}`);
    }
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}

/**
 * Server-side applies every document of `text` (multi-document YAML) in order, as field manager
 * "kplane-bed", and returns the objects as the server stored them. A document that is not an
 * object with apiVersion, kind and metadata.name is rejected before anything is sent.
 */
export async function applyYaml(cluster: { kubeconfig: string }, text: string): Promise<KubernetesObject[]> {
  const objects: KubernetesObject[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length) throw new Error(`applyYaml: document ${i + 1} is not valid YAML: ${doc.errors[0].message}`);
    const obj = doc.toJS() as KubernetesObject | null;
    if (obj === null || obj === undefined) continue;
    if (typeof obj !== 'object' || !obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      throw new Error(`applyYaml: document ${i + 1} needs apiVersion, kind and metadata.name.`);
    }
    objects.push(obj);
  }
  const client = KubernetesObjectApi.makeApiClient(kubeClient(cluster));
  const applied: KubernetesObject[] = [];
  for (const obj of objects) {
    applied.push(await client.patch(obj, undefined, undefined, 'kplane-bed', true, PatchStrategy.ServerSideApply));
  }
  return applied;
}
