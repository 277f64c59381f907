/** /healthz (the process answers), /readyz (informers synced, or a ready standby) and /metrics. */
import * as http from 'node:http';
import type { AgentRuntime } from './agentRuntime.js';

export function startHttpServer(runtime: AgentRuntime, addr: string): Promise<http.Server> {
  const [host, portText] = addr.includes(':') ? [addr.slice(0, addr.lastIndexOf(':')) || '0.0.0.0', addr.slice(addr.lastIndexOf(':') + 1)] : ['0.0.0.0', addr];
  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/healthz') return send(res, 200, 'ok\n');
    if (url === '/readyz') return runtime.ready ? send(res, 200, `ok${runtime.leader ? ' (leader)' : ' (standby)'}\n`) : send(res, 503, 'not ready: caches not synced yet\n');
    if (url === '/metrics') return send(res, 200, runtime.metrics.render(), 'text/plain; version=0.0.4');
    send(res, 404, 'not found: try /healthz, /readyz or /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`--metrics-addr ${addr}: ${err.message}; pick a free port or 0 to disable.`)));
    server.listen(Number(portText), host, () => resolve(server));
  });
}

function send(res: http.ServerResponse, status: number, body: string, type = 'text/plain'): void {
  res.writeHead(status, { 'Content-Type': type });
  res.end(body);
}
