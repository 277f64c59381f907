/** Small helpers tests share: a client for a bed cluster, deadline-based waiting, applying YAML. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
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
 *
 * The objects go to the API server as the JSON they are, not through client-node's models: those
 * rename fields (V1JSONSchemaProps has `_enum`, `_default`, `xKubernetesPreserveUnknownFields`),
 * so a CRD sent through them lost its enums, defaults and preserve-unknown-fields.
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
  const kc = kubeClient(cluster);
  const resources = new Map<string, { name: string; kind: string; namespaced: boolean }[]>();
  const applied: KubernetesObject[] = [];
  for (const obj of objects) {
    const { apiVersion, kind } = obj as { apiVersion: string; kind: string };
    const name = obj.metadata!.name!;
    // A kind of a CRD applied just before is served once the CRD is established.
    const resource = await waitFor(
      async () => {
        let list = resources.get(apiVersion);
        if (!list?.some((r) => r.kind === kind)) {
          const answer = await send(kc, 'GET', apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
          list = answer.status === 200 ? ((JSON.parse(answer.text) as { resources?: { name: string; kind: string; namespaced: boolean }[] }).resources ?? []) : [];
          resources.set(apiVersion, list);
        }
        return list.find((r) => r.kind === kind && !r.name.includes('/'));
      },
      { what: `applyYaml: the API server to serve ${apiVersion} ${kind}`, timeoutMs: 30_000, intervalMs: 250 },
    );
    const namespace = resource.namespaced ? (obj.metadata!.namespace ?? 'default') : undefined;
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const path = `${base}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${resource.name}/${encodeURIComponent(name)}?fieldManager=kplane-bed&force=true`;
    const answer = await send(kc, 'PATCH', path, JSON.stringify(obj), 'application/apply-patch+yaml');
    if (answer.status < 200 || answer.status >= 300) {
      const message = (() => {
        try {
          return (JSON.parse(answer.text) as { message?: string }).message ?? answer.text;
        } catch {
          return answer.text;
        }
      })();
      throw new Error(`applyYaml: ${kind} ${namespace ? `${namespace}/` : ''}${name}: the API server answered ${answer.status}: ${message.slice(0, 2000)}`);
    }
    applied.push(JSON.parse(answer.text) as KubernetesObject);
  }
  return applied;
}

/** One request with the kubeconfig's credentials, the body sent and read as text. */
async function send(kc: KubeConfig, method: 'GET' | 'PATCH', path: string, body?: string, contentType?: string): Promise<{ status: number; text: string }> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('applyYaml: the kubeconfig has no current cluster.');
  const url = new URL(path, server);
  const options: RequestOptions = { method, headers: { Accept: 'application/json', ...(contentType ? { 'Content-Type': contentType } : {}) }, timeout: 30_000 };
  await kc.applyToHTTPSOptions(options);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`applyYaml: ${method} ${path}: no answer within 30 s`)));
    req.on('error', reject);
    req.end(body);
  });
}
