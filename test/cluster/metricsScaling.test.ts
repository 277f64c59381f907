/**
 * Real resource metrics, on one bed cluster with metrics-server:
 *  - the pipeline: metrics-server (built from sigs.k8s.io/metrics-server) serves metrics.k8s.io
 *    through kube-apiserver's aggregation layer, scraping KWOK's simulated kubelet resource
 *    metrics over TLS; `kubectl top` shows the per-pod usage that the `kplane.dev/sim-cpu` /
 *    `kplane.dev/sim-memory` annotations set, and follows a change;
 *  - the agent scaling on it: a utilization policy scales up with its inputs in status, and bad
 *    input (containers without requests, no pods, a target that is no quantity, min above max,
 *    metrics-server down) is said in status while the replicas stay.
 * The side-by-side comparison with the HPA controller is test/faults/scalingVsHpa.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeClient, loadConnection } from '@kplane/kube';
import type { ClusterProfile, ScalingStatus } from '@kplane/profile';
import { applyYaml, ensureBinaries, kubeClient, startAgent, startCluster, waitFor, type RunningAgent, type TestCluster } from '@kplane/bed';

const run = promisify(execFile);

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: load, namespace: default }
spec:
  replicas: 2
  selector: { matchLabels: { app: load } }
  template:
    metadata:
      labels: { app: load }
      annotations: { kplane.dev/sim-cpu: 250m, kplane.dev/sim-memory: 64Mi }
    spec:
      containers:
        - name: app
          image: example.invalid/load:1
          resources: { requests: { cpu: 500m, memory: 128Mi } }
`;

// One cluster for both blocks; its hooks live in a describe, not in mocha's root suite, so a
// failure to start it fails these tests only, not every cluster test after them.
describe('real resource metrics (metrics-server on a bed cluster)', function () {
  let cluster: TestCluster;
  let kubectl: string;

  before(async function () {
    this.timeout(300_000);
    kubectl = (await ensureBinaries({ workloads: true })).kubectl;
    const started = Date.now();
    cluster = await startCluster({ name: 'metrics', metrics: true });
    console.log(`      (cluster with metrics-server Available in ${((Date.now() - started) / 1000).toFixed(1)}s)`);
  });
  after(async function () {
    this.timeout(60_000);
    await cluster?.stop();
  });

  describe('test bed: metrics.k8s.io from metrics-server over KWOK simulated usage', function () {
    this.timeout(300_000);

    /** `kubectl top pods` as { pod: [cpu, memory] }. */
    async function top(): Promise<Record<string, [string, string]>> {
      const { stdout } = await run(kubectl, ['--kubeconfig', cluster.kubeconfigPath, 'top', 'pods', '-n', 'default', '-l', 'app=load', '--no-headers'], { timeout: 20_000 });
      return Object.fromEntries(
        stdout
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((line) => line.trim().split(/\s+/))
          .map(([pod, cpu, memory]) => [pod, [cpu, memory] as [string, string]]),
      );
    }

    /**
     * KWOK integrates CPU at its own scrape time while metrics-server timestamps the sample at its
     * own, so a rate comes out a few tenths of a percent off (250m reads as 251m): close enough.
     */
    const near = (cpu: string | undefined, milli: number): boolean => cpu !== undefined && /^\d+m$/.test(cpu) && Math.abs(Number(cpu.slice(0, -1)) - milli) <= Math.max(2, milli * 0.01);

    it('kubectl top pods shows the usage each pod is annotated with, and follows a change', async function () {
      await applyYaml(cluster, deployment);
      const seen = await waitFor(
        async () => {
          const usage = await top();
          const rows = Object.values(usage);
          return rows.length === 2 && rows.every(([cpu, memory]) => near(cpu, 250) && memory === '64Mi') ? usage : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 2000, what: 'kubectl top pods to show 2 pods at 250m / 64Mi' },
      );
      const [first, second] = Object.keys(seen).sort();

      // One pod's load changes; only that pod's usage follows, on a later scrape.
      const core = kubeClient(cluster).makeApiClient(CoreV1Api);
      await core.patchNamespacedPod({ name: first, namespace: 'default', body: [{ op: 'add', path: '/metadata/annotations/kplane.dev~1sim-cpu', value: '700m' }] });
      const after = await waitFor(
        async () => {
          const usage = await top();
          return near(usage[first]?.[0], 700) ? usage : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 2000, what: `kubectl top pods to show ${first} at 700m` },
      );
      assert.ok(near(after[second][0], 250) && after[second][1] === '64Mi', `the other pod keeps its own usage, not ${after[second]}`);
    });

    it('kubectl top nodes sums the pods of each KWOK node', async function () {
      const { stdout } = await waitFor(
        async () => {
          const out = await run(kubectl, ['--kubeconfig', cluster.kubeconfigPath, 'top', 'nodes', '--no-headers'], { timeout: 20_000 });
          return out.stdout.trim().split('\n').length === 2 ? out : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 2000, what: 'kubectl top nodes to list 2 nodes' },
      );
      const cpus = stdout.trim().split('\n').map((line) => line.trim().split(/\s+/)[1]);
      // 250m + 700m spread over two nodes (or both on one): the total is what the pods use.
      const total = cpus.map((c) => (c.endsWith('m') ? Number(c.slice(0, -1)) : Number(c) * 1000)).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 950) <= 10, `node cpu ${cpus.join(' + ')} should add up to the pods' 950m`);
    });

    it('metrics.k8s.io answers 503 while metrics-server is down, and serves again after it restarts', async function () {
      /** 'ok' or kubectl's error line for GET /apis/metrics.k8s.io/.../pods. */
      const read = async (): Promise<string> => {
        try {
          await run(kubectl, ['--kubeconfig', cluster.kubeconfigPath, 'get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods'], { timeout: 20_000 });
          return 'ok';
        } catch (err) {
          return String((err as { stderr?: string }).stderr ?? err);
        }
      };
      assert.equal(await read(), 'ok');
      await cluster.stopMetricsServer();
      await waitFor(async () => /ServiceUnavailable/.test(await read()), { timeoutMs: 30_000, what: 'metrics.k8s.io to answer ServiceUnavailable without metrics-server' });
      await cluster.startMetricsServer();
      await waitFor(async () => (await read()) === 'ok', { timeoutMs: 60_000, what: 'metrics.k8s.io to answer again after the restart' });
    });
  });

  const NS = 'kplane-system';
  const PROFILES = `/apis/kplane.dev/v1alpha1/namespaces/${NS}/clusterprofiles`;

  /** A Deployment of `replicas` pods, each annotated with `cpu` usage, its containers requesting `requests` (undefined: none). */
  function app(name: string, replicas: number, cpu: string, requests: (string | undefined)[]): Record<string, unknown> {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name }, annotations: { 'kplane.dev/sim-cpu': cpu } },
          spec: { containers: requests.map((r, i) => ({ name: i ? `sidecar${i}` : 'app', image: 'example.invalid/app:1', ...(r ? { resources: { requests: { cpu: r } } } : {}) })) },
        },
      },
    };
  }

  function scalingProfile(name: string, manifest: Record<string, unknown>, policy: Record<string, unknown>): ClusterProfile {
    const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: (manifest.metadata as { name: string }).name, namespace: 'apps' };
    return {
      apiVersion: 'kplane.dev/v1alpha1',
      kind: 'ClusterProfile',
      metadata: { name, namespace: NS },
      spec: {
        version: '1.0.0',
        layers: [{ name: 'l', namespace: 'apps', manifests: [manifest] }],
        scaling: [{ name: 'cpu', target, minReplicas: 1, maxReplicas: 6, scaleDownStabilization: '0s', metric: { type: 'Resource', resource: { name: 'cpu' }, targetAverageUtilization: 50 }, ...policy }],
      },
    } as unknown as ClusterProfile;
  }

  describe('agent scaling on real metrics.k8s.io (cluster)', function () {
    this.timeout(300_000);
    let api: KubeClient;
    let agent: RunningAgent;

    const scaling = async (name: string): Promise<ScalingStatus | undefined> => (await api.request<ClusterProfile>('GET', `${PROFILES}/${name}`)).status?.scaling?.[0];
    const waitScaling = (name: string, what: string, test: (s: ScalingStatus) => boolean, timeoutMs = 90_000) =>
      waitFor(async () => {
        const s = await scaling(name);
        return s && test(s) ? s : undefined;
      }, { what: `profile ${name}: ${what}`, timeoutMs, intervalMs: 500 });
    const replicas = async (name: string): Promise<number> => (await api.request('GET', `/apis/apps/v1/namespaces/apps/deployments/${name}`)).spec.replicas;

    before(async function () {
      api = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
      await api.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } } });
      agent = await startAgent({ kubeconfigPath: cluster.kubeconfigPath, args: ['--scaling-period', '1s'] });
    });
    after(async function () {
      this.timeout(30_000);
      await agent?.stop();
      api?.close();
    });
    afterEach(function () {
      if (this.currentTest?.state === 'failed' && agent) console.log(`--- agent log (tail) ---\n${agent.logs().slice(-4000)}`);
    });

    it('scales up on cpu utilization and records the inputs of the decision', async () => {
      // 2 pods at 200m of a 200m request = 100 % against 50 % → ratio 2 → 4 replicas, the maximum
      // (new pods are annotated 200m too, so the ratio stays 2: 8, bounded to 4).
      await api.request('POST', PROFILES, { body: scalingProfile('busy', app('busy', 2, '200m', ['200m']), { maxReplicas: 4 }) });
      const s = await waitScaling('busy', 'ScaledUp', (x) => x.lastDecision === 'ScaledUp');
      assert.equal(s.desired, 4, s.reason);
      assert.equal(s.utilization, 100);
      assert.equal(s.target, '50% of requests');
      assert.equal(s.readyPods, 2);
      assert.equal(s.requests, 0.4);
      assert.ok(Math.abs(s.usage! - 0.4) <= 0.004, `usage ${s.usage}`);
      assert.match(s.reason ?? '', /100% of requests over 2 ready pod\(s\) vs target 50% of requests \(ratio 2\.00\): ceil\(2\.00 × 2\) = 4; scaled 2→4$/);
      await waitFor(async () => (await replicas('busy')) === 4, { what: 'Deployment busy at 4 replicas', timeoutMs: 30_000 });
    });

    it('bad input says what is wrong in status and changes no replicas', async () => {
      // Containers without a cpu request under a utilization target: the containers are named.
      await api.request('POST', PROFILES, { body: scalingProfile('norequests', app('norequests', 2, '200m', ['200m', undefined]), {}) });
      let s = await waitScaling('norequests', 'MissingRequests', (x) => /^MissingRequests: /.test(x.reason ?? ''));
      assert.match(s.reason!, /container "sidecar1" requests no cpu; add resources\.requests\.cpu or use targetAverageValue/);
      // A target whose pods do not exist (0 replicas).
      await api.request('POST', PROFILES, { body: scalingProfile('nopods', app('nopods', 0, '200m', ['200m']), {}) });
      s = await waitScaling('nopods', 'NoPods', (x) => /^NoPods: /.test(x.reason ?? ''));
      assert.match(s.reason!, /no pods match the target's selector/);
      // A target value that is no quantity (the spec is then invalid, so nothing of it is applied either).
      await api.request('POST', PROFILES, { body: scalingProfile('badquantity', app('badquantity', 2, '200m', ['200m']), { metric: { type: 'Resource', resource: { name: 'cpu' }, targetAverageValue: 'lots' } }) });
      s = await waitScaling('badquantity', 'InvalidQuantity', (x) => /^InvalidQuantity: /.test(x.reason ?? ''));
      assert.match(s.reason!, /targetAverageValue "lots" is not a quantity/);
      // None of them moved.
      assert.deepEqual([await replicas('norequests'), await replicas('nopods')], [2, 0]);

      // minReplicas above maxReplicas arriving from an edited profile: the replicas stay at 4.
      await api.request('PATCH', `${PROFILES}/busy`, { body: [{ op: 'replace', path: '/spec/scaling/0/minReplicas', value: 9 }], contentType: 'application/json-patch+json' });
      s = await waitScaling('busy', 'InvalidRange', (x) => /^InvalidRange: /.test(x.reason ?? ''));
      assert.match(s.reason!, /minReplicas 9 is above maxReplicas 4/);
      assert.equal(await replicas('busy'), 4);
      await api.request('PATCH', `${PROFILES}/busy`, { body: [{ op: 'replace', path: '/spec/scaling/0/minReplicas', value: 1 }], contentType: 'application/json-patch+json' });
    });

    it('holds the last replicas while metrics-server is down, says why, and scales again after', async () => {
      await waitScaling('busy', 'a decision again after the range was fixed', (x) => !/^InvalidRange/.test(x.reason ?? ''));
      await cluster.stopMetricsServer();
      try {
        const s = await waitScaling('busy', 'MetricsUnavailable', (x) => /^MetricsUnavailable: /.test(x.reason ?? ''), 60_000);
        assert.match(s.reason!, /metrics\.k8s\.io is unavailable \(503: is metrics-server running\?\); holding 4 replica\(s\)/);
        // The load falls meanwhile; nothing can be read, so nothing moves.
        const pods = await api.request<{ items: { metadata: { name: string } }[] }>('GET', '/api/v1/namespaces/apps/pods', { query: { labelSelector: 'app=busy' } });
        for (const pod of pods.items) {
          await api.request('PATCH', `/api/v1/namespaces/apps/pods/${pod.metadata.name}`, { body: { metadata: { annotations: { 'kplane.dev/sim-cpu': '20m' } } }, contentType: 'application/merge-patch+json' });
        }
        await new Promise((r) => setTimeout(r, 3000));
        assert.equal(await replicas('busy'), 4);
      } finally {
        await cluster.startMetricsServer();
      }
      // 4 pods at 20m of 200m = 10 % → ratio 0.2 → ceil(0.8) = 1.
      const s = await waitScaling('busy', 'ScaledDown after metrics-server is back', (x) => x.lastDecision === 'ScaledDown', 120_000);
      assert.equal(s.desired, 1, s.reason);
      assert.ok((s.history ?? []).length >= 2, `timeline ${JSON.stringify(s.history)}`);
    });
  });
});
