/**
 * `kplane status` answers when API servers never reply: one context points at a TCP server that
 * accepts connections and never says a word (a hung API server looks like that), one at a port
 * nobody listens on. No API server is imitated: neither endpoint speaks HTTP. How long it takes,
 * next to a plain `kplane validate`: npm run bench:bad-input.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../fixtures/paths.js';

function kubeconfig(hungPort: number, closedPort: number): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: hung
  cluster: { server: "https://127.0.0.1:${hungPort}", insecure-skip-tls-verify: true }
- name: closed
  cluster: { server: "https://127.0.0.1:${closedPort}", insecure-skip-tls-verify: true }
users:
- name: u
  user: { token: not-a-real-token }
contexts:
- name: hung
  context: { cluster: hung, user: u }
- name: closed
  context: { cluster: closed, user: u }
current-context: hung
`;
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'cli', 'bin', 'kplane.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kplane status', () => {
  let hung: Server;
  const sockets: Socket[] = [];
  let dir: string;
  let path: string;

  before(async () => {
    hung = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    dir = mkdtempSync(join(tmpdir(), 'kplane-status-test-'));
    path = join(dir, 'kubeconfig');
    writeFileSync(path, kubeconfig((hung.address() as { port: number }).port, closedPort));
  });

  after(() => {
    for (const s of sockets) s.destroy();
    hung.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers with every context Unreachable, as the promised JSON, although one server never replies', async function () {
    this.timeout(30_000);
    const result = await run(['status', '--kubeconfig', path, '--timeout', '2s', '--output', 'json']);
    assert.equal(result.code, 0, result.stderr);
    // It reached the hung server and still answered: a CLI that waited on it would never answer
    // and hit the test's own timeout. How long it takes: npm run bench:bad-input (kplane status).
    assert.ok(sockets.length > 0, 'the CLI never connected to the hung server');
    const json = JSON.parse(result.stdout) as { clusters: { context: string; state: string; lastSeen: string; profiles: unknown[] }[] };
    assert.deepEqual(json, {
      clusters: [
        { context: 'hung', state: 'Unreachable', lastSeen: '', profiles: [] },
        { context: 'closed', state: 'Unreachable', lastSeen: '', profiles: [] },
      ],
    });
  });

  it('names an unknown context and what to do', async function () {
    this.timeout(30_000);
    const result = await run(['status', '--kubeconfig', path, '--context', 'nope', '--timeout', '1s']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /context "nope" is not in the kubeconfig.*kubectl config get-contexts/);
  });

  it('rejects a bad --timeout with the value and an example', async function () {
    this.timeout(30_000);
    const result = await run(['status', '--kubeconfig', path, '--timeout', 'soon']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--timeout "soon" is not a duration; write e\.g\. 10s/);
  });
});
