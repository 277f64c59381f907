/**
 * `kplane dev up` as a user runs it: a child process that prints "ready <kubeconfig>", serves a
 * working kubeconfig, and on SIGTERM exits 0 leaving no process and no run dir behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { repoRoot, startFleet, waitFor } from '@kplane/bed';

const cli = (): string => join(repoRoot(), 'cli', 'bin', 'kplane.js');

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('kplane dev up', function () {
  let work: string;

  before(async function () {
    work = await mkdtemp(join(tmpdir(), 'kplane-dev-test-'));
  });

  after(async function () {
    await rm(work, { recursive: true, force: true });
  });

  it('startFleet writes one kubeconfig whose contexts reach different clusters', async function () {
    const fleet = await startFleet({ clusters: 2, kubeconfigPath: join(work, 'fleet', 'kubeconfig') });
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(fleet.kubeconfigPath);
      assert.deepEqual(kc.getContexts().map((c) => c.name), ['kplane-1', 'kplane-2']);
      const namespaceIn = (context: string): CoreV1Api => {
        kc.setCurrentContext(context);
        return kc.makeApiClient(CoreV1Api);
      };
      await namespaceIn('kplane-1').createNamespace({ body: { metadata: { name: 'only-in-one' } } });
      const names = async (context: string): Promise<string[]> => (await namespaceIn(context).listNamespace()).items.map((ns) => ns.metadata?.name ?? '');
      assert.ok((await names('kplane-1')).includes('only-in-one'));
      assert.ok(!(await names('kplane-2')).includes('only-in-one'));
    } finally {
      await fleet.stop();
    }
  });

  it('refuses bad flags with a usage error (exit 2)', function () {
    for (const args of [['up', '--clusters', '0'], ['up', '--clusters', 'two'], ['up', '--frobnicate'], ['down']]) {
      const res = spawnSync(process.execPath, [cli(), 'dev', ...args], { encoding: 'utf8' });
      assert.equal(res.status, 2, `kplane dev ${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, /Usage: kplane dev up/);
    }
  });

  it('starts a cluster, prints ready, and on SIGTERM stops everything and exits 0', async function () {
    const kubeconfigPath = join(work, 'kubeconfig');
    const child = spawn(process.execPath, [cli(), 'dev', 'up', '--clusters', '1', '--kubeconfig', kubeconfigPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolvePromise) => child.on('exit', (code) => resolvePromise(code)));
    try {
      const ready = await waitFor(() => /^ready (.+)$/m.exec(out)?.[1], {
        timeoutMs: 120_000,
        what: `"ready" from kplane dev up (stderr so far: ${err.slice(-500)})`,
      });
      assert.equal(ready, kubeconfigPath);

      const kc = new KubeConfig();
      kc.loadFromString(await readFile(kubeconfigPath, 'utf8'));
      assert.deepEqual(kc.getContexts().map((c) => c.name), ['kplane-1']);
      kc.setCurrentContext('kplane-1');
      const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
      assert.ok(namespaces.items.some((ns) => ns.metadata?.name === 'kplane-system'));

      const dir = /kplane-1 \S+ \(logs: (.+)\/logs\)/.exec(err)?.[1];
      assert.ok(dir, `the cluster dir is printed: ${err}`);
      const pids = readFileSync(join(dir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number);
      assert.equal(pids.length, 2, 'etcd and kube-apiserver');
      assert.ok(pids.every(alive));

      // A component dying under `dev up` is reported, not silently ignored.
      process.kill(pids[1], 'SIGKILL');
      await waitFor(() => /kplane-1: kube-apiserver exited unexpectedly \(SIGKILL\)/.test(err), { timeoutMs: 10_000, what: 'dev up to report the killed kube-apiserver' });

      child.kill('SIGTERM');
      assert.equal(await exited, 0, `exit code after SIGTERM; stderr:\n${err}`);
      assert.deepEqual(pids.filter(alive), [], 'no component of the run survives');
      assert.ok(!existsSync(dir), 'the run dir is removed');
      assert.ok(!existsSync(kubeconfigPath), 'the kubeconfig of dead clusters is removed');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
