/**
 * `startCluster`: a real Kubernetes control plane (etcd + kube-apiserver, and with `workloads`
 * kube-controller-manager, kube-scheduler and KWOK fake nodes, and with `metrics` metrics-server
 * serving metrics.k8s.io from KWOK's simulated usage) on loopback ports, in a throwaway dir under
 * runsRoot(). The kplane CRDs are installed and Established, and namespace `kplane-system`
 * exists, before it resolves.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureBinaries, ensureMetricsServer, repoRoot, type Binaries } from './binaries.js';
import { FRONT_PROXY_CN, makeMetricsPki, makePki, type MetricsPki, type Pki } from './pki.js';
import { forgetRunDir, freePort, logTail, reapStaleRuns, registerRunDir, runsRoot, spawnComponent, stopComponent, type Component } from './processes.js';
import { applyYaml, kubeClient, waitFor } from './client.js';
import { ApiextensionsV1Api, ApiregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';

export interface StartClusterOptions {
  /** Used in the dir name, the kubeconfig context and logs; default "bed". */
  name?: string;
  /** Also run kube-controller-manager, kube-scheduler and KWOK, so workloads really run. */
  workloads?: boolean;
  /** Fake KWOK nodes when `workloads` (default 2). */
  nodes?: number;
  /**
   * Also run metrics-server (built from sigs.k8s.io/metrics-server) as the v1beta1.metrics.k8s.io
   * APIService, scraping KWOK's simulated kubelet resource metrics; pods' usage comes from their
   * `kplane.dev/sim-cpu` / `kplane.dev/sim-memory` annotations (bed/kwok-metrics.yaml).
   * Implies `workloads`. Resolves once the APIService is Available.
   */
  metrics?: boolean;
  /** Progress lines (default: silent). */
  log?: (line: string) => void;
  /**
   * Called when a component dies on its own after the start (not through stop() or
   * stopApiServer()), with the tail of its log; `kplane dev up` reports it to the user.
   */
  onComponentExit?: (event: { cluster: string; component: string; exit: number | string; logPath: string; logTail: string }) => void;
}

export interface TestCluster {
  name: string;
  /** The run dir: pki/, etcd/, logs/<component>.log, kubeconfig. */
  dir: string;
  kubeconfigPath: string;
  /** The kubeconfig as YAML text (context = name, admin client certificate). */
  kubeconfig: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** Kills every component and removes the dir (kept when KPLANE_KEEP_CLUSTERS=1). Idempotent. */
  stop(): Promise<void>;
  /** Stops only kube-apiserver; etcd and its data stay. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port with the same etcd; resolves when /readyz is ok. */
  startApiServer(): Promise<void>;
  /** With `metrics`: stops metrics-server only (metrics.k8s.io then answers 503). */
  stopMetricsServer(): Promise<void>;
  /** With `metrics`: starts metrics-server again on the same port; resolves when it is ready. */
  startMetricsServer(): Promise<void>;
  /** Process ids of the running components by name (for measuring them). */
  pids(): Record<string, number>;
}

const READY_TIMEOUT_MS = Number(process.env.KPLANE_BED_READY_TIMEOUT_MS ?? 120_000);
/** Attempts when another process grabbed one of our ports between probe and bind. */
const PORT_ATTEMPTS = 3;

/** Thrown for a port lost to another process; startCluster retries with fresh ports. */
class PortTaken extends Error {}

export async function startCluster(opts: StartClusterOptions = {}): Promise<TestCluster> {
  const name = opts.name ?? 'bed';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new Error(`kplane bed: cluster name "${name}" is not a DNS-1123 label; use lowercase letters, digits and '-'.`);
  }
  const log = opts.log ?? (() => undefined);
  const nodes = opts.nodes ?? 2;
  const workloads = !!(opts.workloads || opts.metrics);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 50) throw new Error(`kplane bed: nodes=${nodes} is out of range; give 1..50 fake nodes.`);
  reapStaleRuns().forEach((dir) => log(`reaped stale run ${dir}`));
  const bin = await ensureBinaries({ workloads, log });
  const metricsServerBin = opts.metrics ? await ensureMetricsServer({ log }) : undefined;
  await mkdir(runsRoot(), { recursive: true });
  const dir = await mkdtemp(join(runsRoot(), `${name}-`));
  registerRunDir(dir, process.env.KPLANE_KEEP_CLUSTERS === '1');
  await mkdir(join(dir, 'logs'));
  const started = Date.now();
  const components: Component[] = [];
  const stopAll = async (): Promise<void> => {
    // Clients of the API server first (in parallel), then kube-apiserver, etcd last, so no
    // component spends its grace period retrying a server that is already gone.
    const [etcd, apiserver, ...clients] = components;
    await Promise.all(clients.map((c) => stopComponent(c)));
    if (apiserver) await stopComponent(apiserver);
    if (etcd) await stopComponent(etcd);
  };
  try {
    const pki = await makePki(join(dir, 'pki'));
    const metricsPki = opts.metrics ? await makeMetricsPki(pki) : undefined;
    let plane: { etcd: Component; apiserver: Component; apiserverArgs: string[]; port: number } | undefined;
    for (let attempt = 1; !plane; attempt++) {
      try {
        plane = await startControlPlane(dir, bin, pki, workloads, metricsPki, components);
      } catch (err) {
        await stopAll();
        components.length = 0;
        if (!(err instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw err;
        log(`${name}: ${err.message}; retrying with fresh ports`);
        // etcd may have bootstrapped with the old peer URL; a fresh data dir avoids a mismatch.
        await rm(join(dir, 'etcd'), { recursive: true, force: true });
      }
    }
    const server = `https://127.0.0.1:${plane.port}`;
    const kubeconfig = kubeconfigYaml(name, server, pki);
    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
    log(`${name}: kube-apiserver ready at ${server} after ${Date.now() - started} ms`);

    let apiserver = plane.apiserver;
    const apiserverArgs = plane.apiserverArgs;
    let stopped = false;
    const stoppedOnPurpose = new Set<Component>();
    let metricsServer: { component: Component; args: string[]; port: number } | undefined;
    const watchExit = (c: Component): void => {
      void c.exited.then((exit) => {
        if (!stopped && !stoppedOnPurpose.has(c)) opts.onComponentExit?.({ cluster: name, component: c.name, exit, logPath: c.logPath, logTail: logTail(c.logPath) });
      });
    };
    const cluster: TestCluster = {
      name,
      dir,
      kubeconfigPath,
      kubeconfig,
      server,
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
        forgetRunDir(dir);
      },
      async stopApiServer() {
        stoppedOnPurpose.add(apiserver);
        await stopComponent(apiserver);
      },
      async startApiServer() {
        if (!apiserver.hasExited()) return;
        if (stopped) throw new Error(`kplane bed: cluster ${name} was stopped; start a new one instead.`);
        const previous = apiserver;
        apiserver = spawnComponent(dir, 'kube-apiserver', bin.kubeApiserver, apiserverArgs);
        components[components.indexOf(previous)] = apiserver;
        watchExit(apiserver);
        await waitHttpsReady(apiserver, plane.port, pki, '/readyz');
      },
      async stopMetricsServer() {
        if (!metricsServer) throw new Error(`kplane bed: cluster ${name} runs no metrics-server; start it with metrics: true.`);
        stoppedOnPurpose.add(metricsServer.component);
        await stopComponent(metricsServer.component);
      },
      async startMetricsServer() {
        if (!metricsServer || !metricsServerBin) throw new Error(`kplane bed: cluster ${name} runs no metrics-server; start it with metrics: true.`);
        if (!metricsServer.component.hasExited()) return;
        if (stopped) throw new Error(`kplane bed: cluster ${name} was stopped; start a new one instead.`);
        const previous = metricsServer.component;
        metricsServer.component = spawnComponent(dir, 'metrics-server', metricsServerBin, metricsServer.args);
        components[components.indexOf(previous)] = metricsServer.component;
        watchExit(metricsServer.component);
        await waitHttpsReady(metricsServer.component, metricsServer.port, pki, '/livez');
      },
      pids() {
        return Object.fromEntries(components.filter((c) => !c.hasExited()).map((c) => [c.name, c.pid]));
      },
    };

    await installCrds(cluster);
    log(`${name}: CRDs Established, kplane-system created after ${Date.now() - started} ms`);
    if (workloads) {
      await startWorkloadComponents(dir, bin, pki, metricsPki, components, nodes, cluster);
      log(`${name}: ${nodes} KWOK nodes Ready after ${Date.now() - started} ms`);
    }
    if (metricsPki && metricsServerBin) {
      metricsServer = await startMetricsServer(dir, metricsServerBin, pki, metricsPki, components, cluster);
      log(`${name}: metrics.k8s.io Available after ${Date.now() - started} ms`);
    }
    components.forEach(watchExit);
    return cluster;
  } catch (err) {
    await stopAll();
    // Keep the dir (and its logs) when the start failed and the user asked to keep clusters.
    forgetRunDir(dir);
    throw err;
  }
}

async function startControlPlane(dir: string, bin: Binaries, pki: Pki, workloads: boolean, metricsPki: MetricsPki | undefined, components: Component[]) {
  const [etcdPort, peerPort, port] = await Promise.all([freePort(), freePort(), freePort()]);
  const etcd = spawnComponent(dir, 'etcd', bin.etcd, [
    '--name=bed',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
    `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
    `--initial-cluster=bed=http://127.0.0.1:${peerPort}`,
    // Throwaway data: no fsync keeps several clusters from thrashing a shared disk.
    '--unsafe-no-fsync=true',
    '--log-level=warn',
  ]);
  components.push(etcd);
  await waitHttpReady(etcd, `http://127.0.0.1:${etcdPort}/health`);

  const apiserverArgs = [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'pki')}`,
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--service-cluster-ip-range=10.96.0.0/16',
    '--authorization-mode=Node,RBAC',
    '--allow-privileged=true',
    // The `kubernetes` endpoints would point at 127.0.0.1, which the reconciler rejects noisily.
    '--endpoint-reconciler-type=none',
    '--profiling=false',
    // Without kube-controller-manager nobody creates the `default` ServiceAccount, and the
    // ServiceAccount admission plugin would then refuse every Pod.
    ...(workloads ? [] : ['--disable-admission-plugins=ServiceAccount']),
    // Aggregated APIs (metrics.k8s.io): kube-apiserver proxies to metrics-server with a client
    // certificate and the user in X-Remote-* headers, which metrics-server trusts from this CA and
    // name only (it reads these settings from kube-system/extension-apiserver-authentication).
    ...(metricsPki
      ? [
          `--proxy-client-cert-file=${metricsPki.frontProxyCert}`,
          `--proxy-client-key-file=${metricsPki.frontProxyKey}`,
          `--requestheader-client-ca-file=${pki.caCert}`,
          `--requestheader-allowed-names=${FRONT_PROXY_CN}`,
          '--requestheader-username-headers=X-Remote-User',
          '--requestheader-group-headers=X-Remote-Group',
          '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        ]
      : []),
  ];
  const apiserver = spawnComponent(dir, 'kube-apiserver', bin.kubeApiserver, apiserverArgs);
  components.push(apiserver);
  await waitHttpsReady(apiserver, port, pki, '/readyz');
  return { etcd, apiserver, apiserverArgs, port };
}

async function startWorkloadComponents(dir: string, bin: Binaries, pki: Pki, metricsPki: MetricsPki | undefined, components: Component[], nodes: number, cluster: TestCluster): Promise<void> {
  const kc = cluster.kubeconfigPath;
  // With metrics, KWOK also serves kubelet-like endpoints over TLS on a loopback port, and the
  // fake nodes' InternalIP and kubelet port point there, which is where metrics-server scrapes.
  const kwokPort = metricsPki ? await freePort() : undefined;
  const kwokMetricsArgs = metricsPki
    ? [
        `--config=${join(repoRoot(), 'bed', 'kwok-metrics.yaml')}`,
        '--node-ip=127.0.0.1',
        `--node-port=${kwokPort}`,
        `--server-address=127.0.0.1:${kwokPort}`,
        `--tls-cert-file=${metricsPki.kwokCert}`,
        `--tls-private-key-file=${metricsPki.kwokKey}`,
      ]
    : ['--node-ip=10.0.0.1'];
  const common = [`--kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`, '--leader-elect=false', '--secure-port=0'];
  components.push(
    spawnComponent(dir, 'kube-controller-manager', bin.kubeControllerManager, [
      ...common,
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      '--use-service-account-credentials=false',
    ]),
    spawnComponent(dir, 'kube-scheduler', bin.kubeScheduler, common),
    spawnComponent(dir, 'kwok', bin.kwok, [
      `--kubeconfig=${kc}`,
      `--config=${join(repoRoot(), 'bed', 'kwok-stages.yaml')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      // KWOK renews each node's Lease, which is the heartbeat kcm's node-lifecycle controller reads.
      '--node-lease-duration-seconds=40',
      '--cidr=10.244.0.1/16',
      ...kwokMetricsArgs,
    ]),
  );
  const core = kubeClient(cluster).makeApiClient(CoreV1Api);
  for (let i = 1; i <= nodes; i++) {
    await core.createNode({
      body: {
        metadata: {
          name: `kwok-node-${i}`,
          labels: { type: 'kwok', 'kubernetes.io/hostname': `kwok-node-${i}`, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
          annotations: {
            'kwok.x-k8s.io/node': 'fake',
            'node.alpha.kubernetes.io/ttl': '0',
            // metrics-server (>= 0.7) scrapes this path instead of /metrics/resource.
            ...(metricsPki ? { 'metrics.k8s.io/resource-metrics-path': `/metrics/nodes/kwok-node-${i}/metrics/resource` } : {}),
          },
        },
      },
    });
  }
  await waitFor(
    async () => {
      for (const c of components) {
        if (c.hasExited()) throw new Error(`kplane bed: ${c.name} exited during start; log ${c.logPath}:\n${logTail(c.logPath)}`);
      }
      const list = await core.listNode();
      const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length >= nodes;
    },
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: 250, what: `${nodes} KWOK nodes Ready in ${cluster.name} (logs in ${join(dir, 'logs')})` },
  );
}

/** Metric resolution: metrics-server's minimum, so tests see a usage change within ~10 s. */
const METRIC_RESOLUTION = '10s';

/**
 * metrics-server on a loopback port, registered as v1beta1.metrics.k8s.io through an ExternalName
 * Service (kube-apiserver runs on the host, so `localhost` reaches it), verified with the CA; it
 * verifies KWOK's kubelet endpoints with the same CA. Resolves when the APIService is Available.
 */
async function startMetricsServer(dir: string, binPath: string, pki: Pki, metricsPki: MetricsPki, components: Component[], cluster: TestCluster) {
  const kc = cluster.kubeconfigPath;
  const port = await freePort();
  const args = [
    `--kubeconfig=${kc}`,
    `--authentication-kubeconfig=${kc}`,
    `--authorization-kubeconfig=${kc}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${metricsPki.metricsServerCert}`,
    `--tls-private-key-file=${metricsPki.metricsServerKey}`,
    '--kubelet-preferred-address-types=InternalIP',
    '--kubelet-use-node-status-port',
    `--kubelet-certificate-authority=${pki.caCert}`,
    `--metric-resolution=${METRIC_RESOLUTION}`,
    // metrics-server wants 90 % of the resolution above the scrape timeout (default 10 s).
    '--kubelet-request-timeout=5s',
  ];
  const component = spawnComponent(dir, 'metrics-server', binPath, args);
  components.push(component);
  const b64 = Buffer.from(pki.pem.ca).toString('base64');
  await applyYaml(
    cluster,
    [
      stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'metrics-server', namespace: 'kube-system' }, spec: { type: 'ExternalName', externalName: 'localhost' } }),
      stringify({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: { name: 'v1beta1.metrics.k8s.io' },
        spec: {
          group: 'metrics.k8s.io',
          version: 'v1beta1',
          groupPriorityMinimum: 100,
          versionPriority: 100,
          caBundle: b64,
          service: { name: 'metrics-server', namespace: 'kube-system', port },
        },
      }),
    ].join('---\n'),
  );
  // /livez, not /readyz: metrics-server is ready only once it has metrics, and KWOK nodes without
  // pods use no CPU, which metrics-server drops as incomplete. The APIService check below is what counts.
  await waitHttpsReady(component, port, pki, '/livez');
  const registration = kubeClient(cluster).makeApiClient(ApiregistrationV1Api);
  await waitFor(
    async () => {
      if (component.hasExited()) throw new Error(`kplane bed: metrics-server exited during start; log ${component.logPath}:\n${logTail(component.logPath)}`);
      const apiService = await registration.readAPIServiceStatus({ name: 'v1beta1.metrics.k8s.io' });
      return apiService.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
    },
    { timeoutMs: READY_TIMEOUT_MS, intervalMs: 250, what: `APIService v1beta1.metrics.k8s.io Available in ${cluster.name} (log ${component.logPath})` },
  );
  return { component, args, port };
}

async function installCrds(cluster: TestCluster): Promise<void> {
  const crdDir = join(repoRoot(), 'agent', 'deploy', 'crds');
  const files = (await readdir(crdDir)).filter((f) => f.endsWith('.yaml')).sort();
  if (!files.length) throw new Error(`kplane bed: no CRDs in ${crdDir}; run scripts/gen-crds.mjs.`);
  const texts = await Promise.all(files.map((f) => readFile(join(crdDir, f), 'utf8')));
  const applied = await applyYaml(cluster, [...texts, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kplane-system\n'].join('\n---\n'));
  const ext = kubeClient(cluster).makeApiClient(ApiextensionsV1Api);
  const names = applied.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata?.name ?? '');
  await waitFor(
    async () => {
      for (const crdName of names) {
        const crd = await ext.readCustomResourceDefinition({ name: crdName });
        if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
      }
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `CRDs ${names.join(', ')} Established in ${cluster.name}` },
  );
}

function kubeconfigYaml(name: string, server: string, pki: Pki): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': b64(pki.pem.ca) } }],
    users: [{ name: `${name}-admin`, user: { 'client-certificate-data': b64(pki.pem.adminCert), 'client-key-data': b64(pki.pem.adminKey) } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
  });
}

/** Why a component died, with the tail of its log; a lost port becomes PortTaken (retried). */
function startFailure(c: Component, what: string): Error {
  const tail = logTail(c.logPath);
  if (/address already in use/i.test(tail)) return new PortTaken(`${c.name}: a port was taken by another process`);
  const keep = process.env.KPLANE_KEEP_CLUSTERS === '1' ? '' : ' (the dir is removed; set KPLANE_KEEP_CLUSTERS=1 to keep it)';
  return new Error(`kplane bed: ${c.name} ${what}. Last lines of ${c.logPath}${keep}:\n${tail}`);
}

async function pollUntilReady(c: Component, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (c.hasExited()) throw startFailure(c, `exited before it was ready (${await c.exited})`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw startFailure(c, `was not ready after ${READY_TIMEOUT_MS / 1000}s (set KPLANE_BED_READY_TIMEOUT_MS on a slow machine)`);
}

function waitHttpReady(c: Component, url: string): Promise<void> {
  return pollUntilReady(c, () =>
    new Promise<boolean>((resolvePromise) => {
      const req = httpRequest(url, { timeout: 2000 }, (res) => {
        res.resume();
        resolvePromise(res.statusCode === 200);
      });
      req.on('error', () => resolvePromise(false));
      req.on('timeout', () => req.destroy());
      req.end();
    }),
  );
}

function waitHttpsReady(c: Component, port: number, pki: Pki, path: string): Promise<void> {
  return pollUntilReady(c, () =>
    new Promise<boolean>((resolvePromise) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path, timeout: 2000, ca: pki.pem.ca, cert: pki.pem.adminCert, key: pki.pem.adminKey, agent: false },
        (res) => {
          res.resume();
          resolvePromise(res.statusCode === 200);
        },
      );
      req.on('error', () => resolvePromise(false));
      req.on('timeout', () => req.destroy());
      req.end();
    }),
  );
}
