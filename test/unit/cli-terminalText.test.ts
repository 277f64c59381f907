/**
 * Cluster text reaches the terminal without its control characters (issue 10, finding 4), checked
 * where it is printed: `kplane status` and `kplane diff` against an endpoint that answers every
 * request with a Kubernetes Status whose message carries escape sequences (as a hostile proxy in
 * front of an API server could), and a kubeconfig whose context names carry them.
 * test/unit/extension/terminalText.test.ts checks the filter itself; this one fails when a
 * command prints such text without it.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const HOSTILE = 'clear\x1b[2J\x1b[1;1H title\x1b]0;owned\x07 link\x1b]8;;https://evil.example\x1b\\x\x1b]8;;\x1b\\ c1\u009b31m bell\x07';
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const context = 'evil\x1b]0;ctx\x07-one';

function kplane(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'cli', 'bin', 'kplane.js'), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('kplane status and diff print cluster text without control characters', function () {
  this.timeout(90_000);
  let server: Server;
  let dir: string;
  let kubeconfig: string;

  before(async () => {
    server = createServer((req, res) => {
      const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: `${req.url} is forbidden: ${HOSTILE}` };
      res.writeHead(403, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(status));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'kplane-terminal-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // http: the plane allows it only with insecure-skip-tls-verify (which it warns about).
      clusters: [{ name: 'c', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: context, context: { cluster: 'c', user: 'u' } }],
      'current-context': context,
    }));
    writeFileSync(join(dir, 'p.profile.yaml'), stringify({
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name: 'p', namespace: 'kplane-system' },
      spec: { version: '1.0.0', layers: [{ name: 'base', manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: 'b' } }] }] },
    }));
  });
  after(() => {
    server?.close();
    server?.closeAllConnections();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kplane status: the table, the reasons and the errors', async () => {
    const r = await kplane(['status', '--kubeconfig', kubeconfig, '--timeout', '3s'], {});
    const out = r.stdout + r.stderr;
    assert.match(out, /evil.*-one/, out);
    assert.match(out, /forbidden: clear.* title.* link/, out);
    assert.ok(!CONTROL.test(out), JSON.stringify(out));
  });

  it('kplane diff: the errors about the cluster', async () => {
    const r = await kplane(['diff', join(dir, 'p.profile.yaml'), '--context', context, '--kubeconfig', kubeconfig, '--timeout', '3s'], {});
    const out = r.stdout + r.stderr;
    assert.notEqual(r.status, 0, out);
    assert.match(out, /forbidden: clear.* title/, out);
    assert.ok(!CONTROL.test(out), JSON.stringify(out));
  });
});
