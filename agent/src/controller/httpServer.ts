/**
 * /healthz (the process answers), /readyz (informers synced, or a ready standby) and /metrics,
 * which in a cluster only a token the API server authorizes for `get /metrics` may read
 * (./metricsAuth.ts); the probes stay open, as the kubelet sends no token.
 */
import { readFileSync, statSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { join } from 'node:path';
import type { AgentRuntime } from './agentRuntime.js';
import type { MetricsAuth } from './metricsAuth.js';

/**
 * `--metrics-addr` as host and port: `[::1]:8080` (an IPv6 literal in brackets; it failed
 * before), `127.0.0.1:8080`, or `:8080` / `8080` with no host: every interface in a pod (the
 * kubelet probes the pod's IP, Prometheus scrapes it), loopback only out of cluster (`inCluster`:
 * KUBERNETES_SERVICE_HOST is set), where the unauthenticated endpoint used to listen on every
 * interface of a laptop.
 */
export function parseListenAddr(addr: string, inCluster: boolean): { host: string; port: number } | { error: string } {
  const bracketed = /^\[([0-9a-fA-F:.%a-zA-Z]+)\]:(\d+)$/.exec(addr);
  const colon = addr.lastIndexOf(':');
  const [host, portText] = bracketed ? [bracketed[1], bracketed[2]] : colon >= 0 ? [addr.slice(0, colon), addr.slice(colon + 1)] : ['', addr];
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) return { error: `--metrics-addr ${addr}: expected [host]:port, e.g. :8080, 127.0.0.1:8080 or [::1]:8080 (IPv6 in brackets), or 0 to disable` };
  if (!bracketed && host.includes(':')) return { error: `--metrics-addr ${addr}: an IPv6 address goes in brackets, e.g. [::1]:8080` };
  return { host: host || (inCluster ? '0.0.0.0' : '127.0.0.1'), port };
}

/** host:port as a URL authority: IPv6 in brackets. */
export function formatListenAddr(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Whether /metrics asks the API server who may read it: `kubernetes` by default in a pod, `none` elsewhere. */
export type MetricsAuthMode = 'kubernetes' | 'none';

export function defaultMetricsAuth(inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined): MetricsAuthMode {
  return inCluster ? 'kubernetes' : 'none';
}

export interface HttpServerOptions {
  inCluster?: boolean;
  /** Guards /metrics; without it /metrics is open (out of cluster, on loopback by default). */
  auth?: MetricsAuth;
  /**
   * A folder with tls.crt and tls.key (a kubernetes.io/tls Secret mounted, e.g. by cert-manager):
   * serve HTTPS, so the scraper's bearer token does not cross the network in clear. Files that
   * change are read again within a minute (a renewed certificate).
   */
  certDir?: string;
}

/** The key pair of `certDir`, with an error naming the file and what to do. */
function readKeyPair(certDir: string): { cert: Buffer; key: Buffer; mtimeMs: number } {
  const read = (name: string) => {
    try {
      return { data: readFileSync(join(certDir, name)), mtimeMs: statSync(join(certDir, name)).mtimeMs };
    } catch (err) {
      throw new Error(`--metrics-cert-dir ${certDir}: cannot read ${name} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); it needs tls.crt and tls.key, as a kubernetes.io/tls Secret holds them.`);
    }
  };
  const cert = read('tls.crt');
  const key = read('tls.key');
  return { cert: cert.data, key: key.data, mtimeMs: Math.max(cert.mtimeMs, key.mtimeMs) };
}

export function startHttpServer(runtime: Pick<AgentRuntime, 'ready' | 'leader' | 'metrics'>, addr: string, options: HttpServerOptions = {}): Promise<http.Server> {
  const parsed = parseListenAddr(addr, options.inCluster ?? process.env.KUBERNETES_SERVICE_HOST !== undefined);
  if ('error' in parsed) return Promise.reject(new Error(parsed.error));
  const { host, port } = parsed;
  const metrics = (res: http.ServerResponse) => send(res, 200, runtime.metrics.render(), 'text/plain; version=0.0.4');
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/healthz') return send(res, 200, 'ok\n');
    if (url === '/readyz') return runtime.ready ? send(res, 200, `ok${runtime.leader ? ' (leader)' : ' (standby)'}\n`) : send(res, 503, 'not ready: caches not synced yet\n');
    if (url === '/metrics') {
      if (!options.auth) return metrics(res);
      options.auth.check(req.method, url, req.headers.authorization).then(
        (decision) => {
          if (decision.status === 200) return metrics(res);
          if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="kplane-agent"');
          send(res, decision.status, `${decision.message}\n`);
        },
        (err: Error) => send(res, 500, `Internal Server Error: ${err.message}\n`),
      );
      return;
    }
    send(res, 404, 'not found: try /healthz, /readyz or /metrics\n');
  };
  let server: http.Server;
  if (options.certDir) {
    const certDir = options.certDir;
    let pair: ReturnType<typeof readKeyPair>;
    try {
      pair = readKeyPair(certDir);
      server = https.createServer({ cert: pair.cert, key: pair.key }, handler);
    } catch (err) {
      return Promise.reject(err instanceof Error && err.message.startsWith('--metrics-cert-dir') ? err : new Error(`--metrics-cert-dir ${certDir}: ${(err as Error).message}`));
    }
    const reload = setInterval(() => {
      try {
        const next = readKeyPair(certDir);
        if (next.mtimeMs === pair.mtimeMs) return;
        (server as https.Server).setSecureContext({ cert: next.cert, key: next.key });
        pair = next;
      } catch {
        // Mid-rotation or gone: keep serving the pair that worked.
      }
    }, 60_000);
    reload.unref();
    server.on('close', () => clearInterval(reload));
  } else {
    server = http.createServer(handler);
  }
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`--metrics-addr ${addr}: ${err.message}; pick a free port or 0 to disable.`)));
    server.listen(port, host, () => resolve(server));
  });
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'Content-Type': type });
  res.end(body);
}
