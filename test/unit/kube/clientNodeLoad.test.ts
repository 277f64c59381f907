/**
 * @kubernetes/client-node stays out of the agent's process unless a kubeconfig needs an auth
 * plugin (README, "The agent"; bench:kube measures why: its KubeConfig module alone is ~85 MB of
 * RSS). A child process refuses to resolve the package at all; the agent's code and a plain
 * token kubeconfig must run without it, and an exec kubeconfig must reach for it (so the
 * refusal can be seen to work).
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../fixtures/paths.js';

const REFUSE = `export async function resolve(specifier, context, next) {
  if (specifier === '@kubernetes/client-node' || specifier.startsWith('@kubernetes/client-node/')) throw new Error('REFUSED @kubernetes/client-node');
  return next(specifier, context);
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(REFUSE)}`)});`;

const kubeconfig = (user: string) => `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { server: "https://127.0.0.1:1", insecure-skip-tls-verify: true }
users:
- name: u
  user: ${user}
contexts:
- name: c
  context: { cluster: c, user: u }
current-context: c
`;

const PROFILE = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata: { name: p, namespace: kplane-system }
spec:
  version: 1.0.0
  layers:
    - name: base
      manifests:
        - { apiVersion: v1, kind: ConfigMap, metadata: { name: c, namespace: default }, data: { k: v } }
`;

function run(path: string): { status: number | null; out: string } {
  const script = `
    await import('@kplane/agent');
    const { loadConnection } = await import('@kplane/kube');
    try {
      await loadConnection({ kubeconfigPath: ${JSON.stringify(path)} }).requestOptions();
      console.log('no client-node');
    } catch (err) {
      console.log(String(err.message));
    }`;
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `kplane …` in a child that cannot resolve @kubernetes/client-node. */
function kplane(args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, join(repoRoot, 'cli', 'bin', 'kplane.js'), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('@kubernetes/client-node in the agent and kplane diff', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kplane-client-node-'));
    writeFileSync(join(dir, 'token'), kubeconfig('{ token: not-a-real-token }'));
    writeFileSync(join(dir, 'exec'), kubeconfig('{ exec: { apiVersion: client.authentication.k8s.io/v1, command: /bin/false, interactiveMode: Never } }'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is never loaded by the agent\'s code with a token kubeconfig', function () {
    this.timeout(60_000);
    const r = run(join(dir, 'token'));
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /no client-node/);
  });

  it('is not loaded by kplane diff against a cluster (README: its import alone cost the command 1-3 s)', function () {
    this.timeout(60_000);
    writeFileSync(join(dir, 'p.profile.yaml'), PROFILE);
    const r = kplane(['diff', 'p.profile.yaml', '--context', 'c', '--kubeconfig', join(dir, 'token'), '--timeout', '2s'], dir);
    // Nothing listens on port 1: the cluster is an error (exit 2), reached without client-node.
    assert.equal(r.status, 2, r.out);
    assert.doesNotMatch(r.out, /REFUSED @kubernetes|client-node/);
    assert.match(r.out, /cannot reach https:\/\/127\.0\.0\.1:1/);
  });

  it('is loaded for an auth plugin (exec), and the refusal is seen', function () {
    this.timeout(60_000);
    const r = run(join(dir, 'exec'));
    assert.match(r.out, /REFUSED @kubernetes\/client-node/);
  });
});
