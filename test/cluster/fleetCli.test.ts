/**
 * `kplane status`, `apply` and `diff` against real API servers from the test bed: one cluster with
 * an agent and labels, one cluster whose API server is stopped. The CLI runs as a child process,
 * as a user would run it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { kubeClient, mergedKubeconfig, repoRoot, runKplane, startCluster, type TestCluster, startAgent, type RunningAgent, type KplaneRun } from '@kplane/bed';

const profile = (version: string, value: string) => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: cli-test
  namespace: kplane-system
spec:
  version: ${version}
  layers:
    - name: base
      manifests:
        - apiVersion: v1
          kind: ConfigMap
          metadata:
            name: cli-test
            namespace: default
          data:
            value: "${value}"
`;

async function kplane(args: string[]): Promise<KplaneRun & { ms: number }> {
  const started = Date.now();
  const run = await runKplane(args);
  return { ...run, ms: Date.now() - started };
}

describe('kplane status / apply / diff against real clusters', function () {
  this.timeout(180_000);
  let live: TestCluster;
  let down: TestCluster;
  let agent: RunningAgent;
  let dir: string;
  let kubeconfig: string;
  let file: string;

  before(async () => {
    [live, down] = await Promise.all([startCluster({ name: 'cli-live' }), startCluster({ name: 'cli-down' })]);
    dir = mkdtempSync(join(tmpdir(), 'kplane-cli-test-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, mergedKubeconfig([live, down]), { mode: 0o600 });
    file = join(dir, 'cli-test.profile.yaml');
    await KubernetesObjectApi.makeApiClient(kubeClient(live)).patch(
      { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterAgent', metadata: { name: 'agent', namespace: 'kplane-system' }, spec: { labels: { env: 'prod', tier: 'edge' } } },
      undefined, undefined, 'kplane-test', true, PatchStrategy.ServerSideApply,
    );
    agent = await startAgent({ kubeconfigPath: kubeconfig, context: live.name, args: ['--heartbeat', '5s'] });
    await down.stopApiServer();
  });

  after(async () => {
    await agent?.stop();
    await Promise.all([live?.stop(), down?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('status: the live cluster as the agent reports it, the stopped one Unreachable, within the timeout', async () => {
    let result = await kplane(['status', '--kubeconfig', kubeconfig, '--timeout', '3s', '--output', 'json']);
    // The agent may not have written its first heartbeat yet; status is a snapshot, so ask again.
    for (let i = 0; i < 20 && !result.stdout.includes('"Healthy"'); i++) result = await kplane(['status', '--kubeconfig', kubeconfig, '--timeout', '3s', '--output', 'json']);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as { clusters: { context: string; state: string; lastSeen: string; profiles: unknown[] }[] };
    assert.deepEqual(json.clusters.map((c) => `${c.context}:${c.state}`), [`${live.name}:Healthy`, `${down.name}:Unreachable`]);
    assert.ok(!Number.isNaN(Date.parse(json.clusters[0].lastSeen)), `lastSeen is a time: ${json.clusters[0].lastSeen}`);
  });

  it('apply --selector rolls the profile out to the matching cluster until the agent reports Ready', async () => {
    writeFileSync(file, profile('1.0.0', 'one'));
    const result = await kplane(['apply', file, '--kubeconfig', kubeconfig, '--selector', 'env=prod,tier in (edge,core),!canary', '--timeout', '3s', '--wait', '90s']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`${live.name}: create \\(1\\.0\\.0\\)`));
    assert.match(result.stdout, new RegExp(`✓ ${live.name}: applied: agent reports Ready`));
    assert.doesNotMatch(result.stdout, new RegExp(down.name), 'the unreachable cluster has no labels to match');
  });

  it('diff: nothing after the apply, the changed field after an edit (exit 1), and apply --dry-run writes nothing', async () => {
    let result = await kplane(['diff', file, '--kubeconfig', kubeconfig, '--context', live.name]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /no differences/);
    writeFileSync(file, profile('1.1.0', 'two'));
    result = await kplane(['diff', file, '--kubeconfig', kubeconfig, '--context', live.name]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^-.*value: one$/m);
    assert.match(result.stdout, /^\+.*value: two$/m);
    assert.match(result.stdout, /ClusterProfile kplane-system\/cli-test: update 1\.0\.0 → 1\.1\.0: .*; objects: 0 to create, 1 to change, 0 to prune/);
    result = await kplane(['apply', file, '--kubeconfig', kubeconfig, '--context', live.name, '--dry-run']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /update 1\.0\.0 → 1\.1\.0: spec\.layers\[base\]\.manifests, spec\.version/);
    result = await kplane(['diff', file, '--kubeconfig', kubeconfig, '--context', live.name]);
    assert.equal(result.code, 1, 'the dry-run changed nothing on the cluster');
  });

  it('diff against the live objects: a field changed on the cluster, an object to create and one to prune, secrets masked', async () => {
    const stack = (version: string, names: string[]) => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: cli-stack
  namespace: kplane-system
spec:
  version: ${version}
  reconcile: { mode: monitor, prune: true }
  variables:
    - { name: token, type: string, sensitive: true }
  values: { token: s3cret-t0ken-${version} }
  layers:
    - name: base
      namespace: default
      manifests:
${names.map((n) => `        - { apiVersion: v1, kind: ConfigMap, metadata: { name: ${n} }, data: { value: three, token: "\${token}" } }`).join('\n')}
`;
    const stackFile = join(dir, 'cli-stack.profile.yaml');
    writeFileSync(stackFile, stack('2.0.0', ['stack-kept', 'stack-gone']));
    let result = await kplane(['apply', stackFile, '--kubeconfig', kubeconfig, '--context', live.name, '--timeout', '3s', '--wait', '90s']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    // Someone edits a managed field on the cluster; monitor mode leaves the edit in place.
    await KubernetesObjectApi.makeApiClient(kubeClient(live)).patch(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stack-kept', namespace: 'default' }, data: { value: 'edited' } },
      undefined, undefined, 'someone', true, PatchStrategy.ServerSideApply,
    );
    writeFileSync(stackFile, stack('2.1.0', ['stack-kept', 'stack-new']));
    result = await kplane(['diff', stackFile, '--kubeconfig', kubeconfig, '--context', live.name]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const out = result.stdout;
    assert.match(out, /^--- .*: ConfigMap default\/stack-kept \(live\)\n\+\+\+ .*ConfigMap default\/stack-kept \(after apply\)$/m);
    assert.match(out, /^-  value: edited$/m);
    assert.match(out, /^\+  value: three$/m);
    assert.match(out, /^--- .*: ConfigMap default\/stack-new \(live, absent\)$/m);
    assert.match(out, /^\+\+\+ .*: ConfigMap default\/stack-gone \(pruned\)$/m);
    assert.match(out, /objects: 1 to create, 1 to change, 1 to prune/);
    assert.match(out, /^-  token: •••••• *$/m);
    assert.match(out, /^\+  token: •••••• \(changed\)$/m);
    assert.doesNotMatch(out + result.stderr, /s3cret/);
    assert.doesNotMatch(out, /managedFields|resourceVersion|applied-hash/);
  });

  it('apply to a stopped API server fails naming the cluster, and blocks invalid files before any cluster', async () => {
    let result = await kplane(['apply', file, '--kubeconfig', kubeconfig, '--context', down.name, '--timeout', '2s']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, new RegExp(`✗ ${down.name}: dry-run failed: .*${down.name}`));
    writeFileSync(file, profile('not-a-version', 'x'));
    result = await kplane(['apply', file, '--kubeconfig', kubeconfig, '--context', live.name]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /INVALID_VERSION/);
  });

  it('status --watch prints a line when a cluster\'s state changes, and exits cleanly on SIGINT and on SIGTERM', async () => {
    const watching = watchStatus(['status', '--watch', '--output', 'json', '--kubeconfig', kubeconfig, '--context', live.name, '--timeout', '3s']);
    // The snapshot first (pretty-printed JSON), then one line per change.
    await watching.until((out) => out.includes(`"context": "${live.name}"`), 30_000, 'the first snapshot');
    const objects = KubernetesObjectApi.makeApiClient(kubeClient(live));
    const ref = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'cli-test', namespace: 'kplane-system' } };
    // Pausing the profile is a state change the plane derives from the spec alone, without the agent.
    await objects.patch({ ...ref, spec: { paused: true } }, undefined, undefined, 'kplane-test', undefined, PatchStrategy.MergePatch);
    try {
      // Update lines are one compact JSON object each; the snapshot's lines are indented.
      const pausedLine = (out: string) => out.split('\n').find((l) => l.startsWith('{') && l.includes('"state":"Paused"'));
      const update = JSON.parse(pausedLine(await watching.until((out) => pausedLine(out) !== undefined, 30_000, 'a Paused line'))!) as { context: string; state: string };
      assert.equal(update.context, live.name);
      const ended = await watching.signal('SIGINT', 10_000);
      assert.deepEqual(ended, { code: 0, signal: null }, `exit after SIGINT; stderr: ${watching.stderr()}`);
      assert.equal(watching.stderr(), '');
    } finally {
      await objects.patch({ ...ref, spec: { paused: false } }, undefined, undefined, 'kplane-test', undefined, PatchStrategy.MergePatch);
    }
    const table = watchStatus(['status', '--watch', '--kubeconfig', kubeconfig, '--context', live.name, '--timeout', '3s']);
    await table.until((out) => out.includes('CONTEXT'), 30_000, 'the table');
    const ended = await table.signal('SIGTERM', 10_000);
    assert.deepEqual(ended, { code: 0, signal: null }, `exit after SIGTERM; stderr: ${table.stderr()}`);
  });
});

/** `kplane status --watch` as a child process whose output the test waits on. */
function watchStatus(args: string[]) {
  const child = spawn(process.execPath, [join(repoRoot(), 'cli', 'bin', 'kplane.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (c) => {
    stdout += c;
    for (const l of listeners) l();
  });
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    stderr: () => stderr,
    /** Resolves with stdout once `test` holds for it; kills the child and rejects at the deadline. */
    until(test: (out: string) => boolean, timeoutMs: number, what: string): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!test(stdout)) return;
          done();
          resolve(stdout);
        };
        const timer = setTimeout(() => {
          done();
          child.kill('SIGKILL');
          reject(new Error(`kplane status --watch: no ${what} within ${timeoutMs / 1000}s; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    /** Sends the signal and resolves with how the process ended; SIGKILL and reject if it does not. */
    async signal(name: NodeJS.Signals, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
      child.kill(name);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`kplane status --watch did not exit within ${timeoutMs / 1000}s of ${name}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
