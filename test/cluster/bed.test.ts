/**
 * Proves the test bed is real: the kplane CRDs are enforced by a real kube-apiserver, the status
 * subresource and watches behave as Kubernetes does, clusters are independent, workloads really
 * run on KWOK nodes, the API server can be restarted under a client, and nothing is orphaned.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { ensureBinaries, kubeClient, reapStaleRuns, repoRoot, startCluster, waitFor, type TestCluster } from '@kplane/bed';

const group = 'kplane.dev';
const version = 'v1alpha1';
const plural = 'clusterprofiles';
const namespace = 'kplane-system';

async function fixtureProfile(): Promise<Record<string, any>> {
  return parse(await readFile(join(repoRoot(), 'test', 'fixtures', 'profiles', 'edge-baseline.profile.yaml'), 'utf8')) as Record<string, any>;
}

function profileNamed(base: Record<string, any>, name: string): Record<string, any> {
  const copy = structuredClone(base);
  copy.metadata = { name, namespace };
  return copy;
}

/** The HTTP status and message of a failed client-node call. */
function apiError(err: unknown): { code: number; message: string } {
  const e = err as { code?: number; body?: string | { message?: string } };
  const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : e.body;
  return { code: e.code ?? 0, message: body?.message ?? String(err) };
}

/** Running, not a zombie: a killed child of a dead owner may wait a while to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

describe('test bed: real Kubernetes control planes', function () {
  let a: TestCluster;
  let b: TestCluster;
  let c: TestCluster;
  let base: Record<string, any>;

  before(async function () {
    base = await fixtureProfile();
    const started = Date.now();
    // Three at once, one with workloads: also proves parallel starts do not collide.
    [a, b, c] = await Promise.all([startCluster({ name: 'bed-a', workloads: true }), startCluster({ name: 'bed-b' }), startCluster({ name: 'bed-c' })]);
    console.log(`      (3 clusters, one with workloads, started in parallel in ${((Date.now() - started) / 1000).toFixed(1)}s)`);
  });

  after(async function () {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  });

  it('stores a ClusterProfile from the fixture', async function () {
    const api = kubeClient(a).makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({ group, version, namespace, plural, body: profileNamed(base, 'edge-baseline') });
    const got = (await api.getNamespacedCustomObject({ group, version, namespace, plural, name: 'edge-baseline' })) as Record<string, any>;
    assert.equal(got.spec.version, '1.4.0');
    assert.deepEqual(got.spec.layers.map((l: { name: string }) => l.name), ['base', 'web']);
    assert.equal(got.metadata.generation, 1);
  });

  it('is refused by the API server when it breaks the CRD schema', async function () {
    const api = kubeClient(a).makeApiClient(CustomObjectsApi);
    const badVersion = profileNamed(base, 'bad-version');
    badVersion.spec.version = 'v1.4';
    const noLayers = profileNamed(base, 'no-layers');
    delete noLayers.spec.layers;
    const badName = profileNamed(base, 'bad-layer-name');
    badName.spec.layers[0].name = 'Not_A_Label';
    for (const [body, field] of [[badVersion, 'spec.version'], [noLayers, 'spec.layers'], [badName, 'spec.layers[0].name']] as const) {
      await assert.rejects(api.createNamespacedCustomObject({ group, version, namespace, plural, body }), (err) => {
        const { code, message } = apiError(err);
        assert.equal(code, 422, `expected 422 Invalid for ${field}, got ${code}: ${message}`);
        assert.match(message, new RegExp(field.replace(/[[\].]/g, '\\$&')));
        return true;
      });
    }
  });

  it('changes status only through the status subresource', async function () {
    const api = kubeClient(a).makeApiClient(CustomObjectsApi);
    const name = 'status-only';
    await api.createNamespacedCustomObject({ group, version, namespace, plural, body: profileNamed(base, name) });
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const status = { observedGeneration: 1, appliedVersion: '1.4.0' };
    const patched = (await api.patchNamespacedCustomObjectStatus({ group, version, namespace, plural, name, body: { status } }, merge)) as Record<string, any>;
    assert.deepEqual({ observedGeneration: patched.status.observedGeneration, appliedVersion: patched.status.appliedVersion }, status);
    assert.equal(patched.metadata.generation, 1, 'a status write must not bump the generation');

    // A write to the main resource ignores status and bumps the generation for the spec change.
    const main = (await api.patchNamespacedCustomObject(
      { group, version, namespace, plural, name, body: { spec: { description: 'changed' }, status: { appliedVersion: 'forged' } } },
      merge,
    )) as Record<string, any>;
    assert.equal(main.spec.description, 'changed');
    assert.equal(main.status.appliedVersion, '1.4.0');
    assert.equal(main.metadata.generation, 2);
  });

  it('delivers ADDED, MODIFIED and DELETED to a watch', async function () {
    const kc = kubeClient(a);
    const api = kc.makeApiClient(CustomObjectsApi);
    const name = 'watched';
    const seen: string[] = [];
    const controller = await new Watch(kc).watch(
      `/apis/${group}/${version}/namespaces/${namespace}/${plural}`,
      { fieldSelector: `metadata.name=${name}` },
      (phase) => seen.push(phase),
      () => undefined,
    );
    try {
      await api.createNamespacedCustomObject({ group, version, namespace, plural, body: profileNamed(base, name) });
      await api.patchNamespacedCustomObject({ group, version, namespace, plural, name, body: { spec: { paused: true } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await api.deleteNamespacedCustomObject({ group, version, namespace, plural, name });
      await waitFor(() => seen.includes('DELETED'), { timeoutMs: 15_000, what: `watch events for ${name} (seen so far: ${seen.join(', ')})` });
      assert.deepEqual(seen, ['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      controller.abort();
    }
  });

  it('keeps three clusters independent', async function () {
    assert.equal(new Set([a.server, b.server, c.server]).size, 3, 'each cluster has its own API server');
    assert.equal(new Set([a.dir, b.dir, c.dir]).size, 3, 'each cluster has its own dir');
    const apis = [a, b, c].map((cl) => kubeClient(cl).makeApiClient(CustomObjectsApi));
    await apis[1].createNamespacedCustomObject({ group, version, namespace, plural, body: profileNamed(base, 'only-in-b') });
    for (const [i, api] of apis.entries()) {
      const found = await api.getNamespacedCustomObject({ group, version, namespace, plural, name: 'only-in-b' }).then(
        () => true,
        (err) => (apiError(err).code === 404 ? false : Promise.reject(err)),
      );
      assert.equal(found, i === 1, `only-in-b in cluster ${['a', 'b', 'c'][i]}`);
    }
    // Each cluster has its own CA: b's credentials are not accepted by c.
    const crossed = kubeClient({ kubeconfig: b.kubeconfig.replace(b.server, c.server) }).makeApiClient(CoreV1Api);
    await assert.rejects(crossed.listNamespace());
  });

  it('runs a Deployment of 3 replicas to Available on Ready KWOK nodes', async function () {
    const kc = kubeClient(a);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    const nodes = await core.listNode();
    assert.equal(nodes.items.length, 2);
    for (const node of nodes.items) {
      assert.equal(node.status?.conditions?.find((cond) => cond.type === 'Ready')?.status, 'True', `node ${node.metadata?.name} Ready`);
    }
    await core.createNamespace({ body: { metadata: { name: 'web' } } });
    await apps.createNamespacedDeployment({
      namespace: 'web',
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
        },
      },
    });
    const deployment = await waitFor(
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace: 'web', name: 'web' });
        const available = d.status?.conditions?.find((cond) => cond.type === 'Available')?.status === 'True';
        return available && d.status?.availableReplicas === 3 ? d : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'deployment web/web Available with 3 replicas' },
    );
    assert.equal(deployment.status?.readyReplicas, 3);
    const pods = await core.listNamespacedPod({ namespace: 'web', labelSelector: 'app=web' });
    assert.equal(pods.items.length, 3);
    for (const pod of pods.items) {
      assert.equal(pod.status?.phase, 'Running');
      assert.match(pod.spec?.nodeName ?? '', /^kwok-node-/, 'scheduled onto a KWOK node by the real scheduler');
    }

    // Scaling down really deletes pods (KWOK plays the kubelet that confirms termination).
    await apps.patchNamespacedDeploymentScale({ namespace: 'web', name: 'web', body: { spec: { replicas: 1 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await waitFor(async () => (await core.listNamespacedPod({ namespace: 'web', labelSelector: 'app=web' })).items.length === 1, {
      timeoutMs: 30_000,
      what: 'web scaled down to 1 pod',
    });
  });

  it('restarts the API server on the same port and keeps the data', async function () {
    const api = kubeClient(c).makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({ group, version, namespace, plural, body: profileNamed(base, 'survives-restart') });
    await c.stopApiServer();
    await assert.rejects(api.listNamespacedCustomObject({ group, version, namespace, plural }), 'the API server is down');
    await c.startApiServer();
    const got = (await api.getNamespacedCustomObject({ group, version, namespace, plural, name: 'survives-restart' })) as Record<string, any>;
    assert.equal(got.spec.version, '1.4.0');
  });

  it('fails a start with the failing component and the tail of its log', async function () {
    // The real kube-apiserver, given a flag it does not know, exits at once.
    const real = await ensureBinaries();
    const binDir = await mkdtemp(join(tmpdir(), 'kplane-badbin-'));
    const saved = process.env.KPLANE_K8S_BIN;
    try {
      await symlink(real.etcd, join(binDir, 'etcd'));
      await writeFile(join(binDir, 'kube-apiserver'), `#!/bin/sh\nexec '${real.kubeApiserver}' "$@" --no-such-flag\n`);
      await chmod(join(binDir, 'kube-apiserver'), 0o755);
      process.env.KPLANE_K8S_BIN = binDir;
      await assert.rejects(startCluster({ name: 'bed-broken' }), (err: Error) => {
        assert.match(err.message, /kube-apiserver exited before it was ready/);
        assert.match(err.message, /unknown flag: --no-such-flag/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.KPLANE_K8S_BIN;
      else process.env.KPLANE_K8S_BIN = saved;
      await rm(binDir, { recursive: true, force: true });
    }
  });

  it('retries with fresh ports when another process takes one before kube-apiserver binds', async function () {
    // Fault injection around the real binary: the first start fails as a lost port race does.
    const real = await ensureBinaries();
    const binDir = await mkdtemp(join(tmpdir(), 'kplane-racebin-'));
    const saved = process.env.KPLANE_K8S_BIN;
    let cluster: TestCluster | undefined;
    try {
      await symlink(real.etcd, join(binDir, 'etcd'));
      await writeFile(
        join(binDir, 'kube-apiserver'),
        `#!/bin/sh\nif [ ! -e '${binDir}/lost-once' ]; then touch '${binDir}/lost-once'; echo 'failed to listen: bind: address already in use' >&2; exit 1; fi\nexec '${real.kubeApiserver}' "$@"\n`,
      );
      await chmod(join(binDir, 'kube-apiserver'), 0o755);
      process.env.KPLANE_K8S_BIN = binDir;
      const lines: string[] = [];
      cluster = await startCluster({ name: 'bed-race', log: (line) => lines.push(line) });
      assert.ok(lines.some((l) => /port was taken by another process; retrying with fresh ports/.test(l)), lines.join('\n'));
      const namespaces = await kubeClient(cluster).makeApiClient(CoreV1Api).listNamespace();
      assert.ok(namespaces.items.some((ns) => ns.metadata?.name === 'kplane-system'));
    } finally {
      if (saved === undefined) delete process.env.KPLANE_K8S_BIN;
      else process.env.KPLANE_K8S_BIN = saved;
      await cluster?.stop();
      await rm(binDir, { recursive: true, force: true });
    }
  });

  describe('when the owning process dies', function () {
    // Each case has a separate Node process that starts a cluster and reports its pids, with a
    // private runs root so that no other bed user on this machine reaps its dir first. Both
    // owners start in parallel to keep the suite short.
    interface Owner { proc: ChildProcess; dir: string; pids: number[]; exited: Promise<unknown> }
    let runs: string;
    const owners: ChildProcess[] = [];
    let toTerm: Owner;
    let toKill: Owner;

    async function startOwner(name: string): Promise<Owner> {
      const script = `
        import { startCluster } from ${JSON.stringify(join(repoRoot(), 'bed', 'out', 'index.js'))};
        import { readFileSync } from 'node:fs';
        const c = await startCluster({ name: '${name}' });
        console.log(JSON.stringify({ dir: c.dir, pids: readFileSync(c.dir + '/pids', 'utf8').split('\\n').map(Number) }));
        setInterval(() => {}, 1000);
      `;
      const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KPLANE_BED_DIR: runs } });
      owners.push(proc);
      const exited = new Promise((r) => proc.on('exit', r));
      let out = '';
      proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const { dir, pids } = await waitFor(() => (out.includes('\n') ? (JSON.parse(out.split('\n')[0]) as { dir: string; pids: number[] }) : undefined), {
        timeoutMs: 120_000,
        what: `owner process ${name} to start its cluster`,
      });
      assert.equal(pids.length, 2, 'etcd and kube-apiserver recorded');
      assert.ok(pids.every(alive));
      return { proc, dir, pids, exited };
    }

    before(async function () {
      runs = await mkdtemp(join(tmpdir(), 'kplane-owner-runs-'));
      [toTerm, toKill] = await Promise.all([startOwner('bed-owner-term'), startOwner('bed-owner-kill')]);
    });

    after(async function () {
      for (const proc of owners) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await rm(runs, { recursive: true, force: true });
    });

    it('kills the cluster on SIGTERM and removes its dir', async function () {
      const { proc, dir, pids, exited } = toTerm;
      proc.kill('SIGTERM');
      await exited;
      assert.equal(proc.signalCode, 'SIGTERM', 'the owner still dies of the signal');
      await waitFor(() => pids.every((pid) => !alive(pid)), { timeoutMs: 10_000, what: `etcd and kube-apiserver (${pids.join(', ')}) to die` });
      assert.ok(!existsSync(dir));
    });

    it('kills the cluster even on SIGKILL, and the reaper removes the dir', async function () {
      const { proc, dir, pids, exited } = toKill;
      proc.kill('SIGKILL');
      await exited;
      // Nothing in Node runs on SIGKILL: the kernel's parent-death signal (setpriv) kills them.
      await waitFor(() => pids.every((pid) => !alive(pid)), { timeoutMs: 15_000, what: `etcd and kube-apiserver (${pids.join(', ')}) to die with their owner` });
      assert.ok(existsSync(dir), 'a SIGKILLed owner cannot clean up its dir');
      assert.deepEqual(reapStaleRuns(runs), [dir]);
      assert.ok(!existsSync(dir));
    });
  });
});

describe('test bed: reaping runs of dead owners', function () {
  it('kills only processes that name the dead run, then removes it; live owners are left alone', async function () {
    const runs = await mkdtemp(join(tmpdir(), 'kplane-reap-runs-'));
    const spawned: ChildProcess[] = [];
    const start = (args: string[]): ChildProcess => {
      const p = spawn('sh', args, { detached: true, stdio: 'ignore' });
      spawned.push(p);
      return p;
    };
    try {
      // A pid that certainly belongs to a dead owner: a process that has exited.
      const gone = spawn(process.execPath, ['-e', '0']);
      await new Promise((r) => gone.on('exit', r));
      const deadRun = join(runs, 'dead-owner');
      const liveRun = join(runs, 'live-owner');
      // The survivor names its run dir in its command line, as every bed component does.
      const survivor = start(['-c', 'sleep 600', deadRun]);
      // A recycled pid: recorded in the dead run's pid file, but it is someone else's process.
      const stranger = start(['-c', 'sleep 600', 'not-a-run']);
      const liveMember = start(['-c', 'sleep 600', liveRun]);
      for (const [dir, owner, pids] of [[deadRun, gone.pid, [survivor.pid, stranger.pid]], [liveRun, process.pid, [liveMember.pid]]] as const) {
        await mkdir(dir);
        await writeFile(join(dir, 'owner.json'), JSON.stringify({ ownerPid: owner }));
        await writeFile(join(dir, 'pids'), pids.join('\n'));
      }
      assert.deepEqual(reapStaleRuns(runs), [deadRun]);
      await waitFor(() => !alive(survivor.pid!), { timeoutMs: 5000, what: 'the dead run\'s survivor to be killed' });
      assert.ok(alive(stranger.pid!), 'a recycled pid that does not name the run is not killed');
      assert.ok(alive(liveMember.pid!), 'a run whose owner lives is not touched');
      assert.ok(!existsSync(deadRun));
      assert.ok(existsSync(liveRun));
    } finally {
      for (const p of spawned) p.kill('SIGKILL');
      await rm(runs, { recursive: true, force: true });
    }
  });
});
