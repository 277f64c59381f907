/** /healthz (the process answers), /readyz (informers synced, or a ready standby) and /metrics. */
import * as http from 'node:http';
import type { AgentRuntime } from './agentRuntime.js';

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

export function startHttpServer(runtime: AgentRuntime, addr: string, inCluster = process.env.KUBERNETES_SERVICE_HOST !== undefined): Promise<http.Server> {
  const parsed = parseListenAddr(addr, inCluster);
  if ('error' in parsed) return Promise.reject(new Error(parsed.error));
  const { host, port } = parsed;
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/healthz') return send(res, 200, 'ok\n');
    if (url === '/readyz') return runtime.ready ? send(res, 200, `ok${runtime.leader ? ' (leader)' : ' (standby)'}\n`) : send(res, 503, 'not ready: caches not synced yet\n');
    if (url === '/metrics') return send(res, 200, runtime.metrics.render(), 'text/plain; version=0.0.4');
    send(res, 404, 'not found: try /healthz, /readyz or /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`--metrics-addr ${addr}: ${err.message}; pick a free port or 0 to disable.`)));
    server.listen(port, host, () => resolve(server));
  });
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'Content-Type': type });
  res.end(body);
}
