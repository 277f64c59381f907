/**
 * Where the real Kubernetes binaries come from, and where the repository is.
 *
 * Binaries, first match wins:
 *   1. `KPLANE_K8S_BIN` or `KUBEBUILDER_ASSETS`: a folder that already holds them;
 *   2. the cache `${KPLANE_CACHE:-~/.cache/kplane}/k8s-<version>/` filled by bed/build-k8s.sh;
 *   3. otherwise build-k8s.sh runs now (minutes the first time) and its progress is printed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const K8S_VERSION = process.env.KPLANE_K8S_VERSION ?? 'v1.36.3';
export const METRICS_SERVER_VERSION = process.env.KPLANE_METRICS_SERVER_VERSION ?? 'v0.9.0';

/** The binaries one cluster may need; `workloads` ones are only checked when asked for. */
export const CONTROL_PLANE_BINARIES = ['etcd', 'kube-apiserver'] as const;
export const WORKLOAD_BINARIES = ['kube-controller-manager', 'kube-scheduler', 'kwok'] as const;

export interface Binaries {
  dir: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kwok: string;
  kubectl: string;
}

/**
 * The repository root. `KPLANE_REPO_ROOT` wins because the VS Code-host tests load the bed from
 * an esbuild CJS bundle, where `import.meta.url` does not exist; otherwise walk up from this
 * file (ESM) or from the bundle's folder (CJS) to the package.json that declares workspaces.
 */
export function repoRoot(): string {
  if (process.env.KPLANE_REPO_ROOT) return resolve(process.env.KPLANE_REPO_ROOT);
  const starts: string[] = [];
  try {
    starts.push(dirname(fileURLToPath(import.meta.url)));
  } catch {
    // CJS bundle: import.meta.url is undefined there.
  }
  if (typeof __dirname === 'string') starts.push(__dirname);
  starts.push(process.cwd());
  for (const start of starts) {
    const found = findUp(start);
    if (found) return found;
  }
  throw new Error(`kplane bed: cannot find the repository root from ${starts.join(', ')}; set KPLANE_REPO_ROOT to the kplane checkout.`);
}

function findUp(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; workspaces?: unknown };
        if (pkg.name === 'kplane' && Array.isArray(pkg.workspaces)) return dir;
      } catch {
        // An unreadable package.json on the way up is not ours; keep walking.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function cacheRoot(): string {
  return process.env.KPLANE_CACHE ?? join(homedir(), '.cache', 'kplane');
}

function cacheDir(): string {
  return join(cacheRoot(), `k8s-${K8S_VERSION}`);
}

function binariesIn(dir: string): Binaries {
  return {
    dir,
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    kwok: join(dir, 'kwok'),
    kubectl: join(dir, 'kubectl'),
  };
}

function missingIn(dir: string, names: readonly string[]): string[] {
  return names.filter((name) => !existsSync(join(dir, name)));
}

let building: Promise<void> | undefined;

/**
 * Finds (or builds, once per process) the binaries. `workloads` also requires kcm, the scheduler
 * and kwok. Throws an error naming the folder and the missing files when an explicit folder is
 * incomplete, since silently building over a user's choice would be surprising.
 */
export async function ensureBinaries(opts: { workloads?: boolean; log?: (line: string) => void } = {}): Promise<Binaries> {
  const needed = opts.workloads ? [...CONTROL_PLANE_BINARIES, ...WORKLOAD_BINARIES] : [...CONTROL_PLANE_BINARIES];
  const explicit = process.env.KPLANE_K8S_BIN ?? process.env.KUBEBUILDER_ASSETS;
  if (explicit) {
    const missing = missingIn(explicit, needed);
    if (missing.length) {
      const which = process.env.KPLANE_K8S_BIN ? 'KPLANE_K8S_BIN' : 'KUBEBUILDER_ASSETS';
      throw new Error(`kplane bed: ${which}=${explicit} lacks ${missing.join(', ')}; put them there or unset ${which} to use the cache built by bed/build-k8s.sh.`);
    }
    return binariesIn(explicit);
  }
  const dir = cacheDir();
  if (!existsSync(join(dir, '.complete')) || missingIn(dir, needed).length) {
    const log = opts.log ?? ((line) => console.log(line));
    log(`kplane bed: Kubernetes ${K8S_VERSION} binaries not in ${dir}; building them with bed/build-k8s.sh (minutes the first time)`);
    building ??= runBuildScript('build-k8s.sh', { KPLANE_K8S_VERSION: K8S_VERSION }, log).finally(() => {
      building = undefined;
    });
    await building;
    const missing = missingIn(dir, needed);
    if (missing.length) throw new Error(`kplane bed: bed/build-k8s.sh finished but ${dir} lacks ${missing.join(', ')}; see its output above.`);
  }
  return binariesIn(dir);
}

let buildingMetricsServer: Promise<void> | undefined;

/**
 * metrics-server for `metrics: true`: `KPLANE_METRICS_SERVER_BIN` (the binary) if set, else the
 * cache `${KPLANE_CACHE:-~/.cache/kplane}/metrics-server-<version>/` filled by
 * bed/build-metrics-server.sh, which runs now when the cache is empty.
 */
export async function ensureMetricsServer(opts: { log?: (line: string) => void } = {}): Promise<string> {
  const explicit = process.env.KPLANE_METRICS_SERVER_BIN;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`kplane bed: KPLANE_METRICS_SERVER_BIN=${explicit} does not exist; point it at a metrics-server binary or unset it to build one with bed/build-metrics-server.sh.`);
    return explicit;
  }
  const dir = join(cacheRoot(), `metrics-server-${METRICS_SERVER_VERSION}`);
  const bin = join(dir, 'metrics-server');
  if (!existsSync(join(dir, '.complete')) || !existsSync(bin)) {
    const log = opts.log ?? ((line) => console.log(line));
    log(`kplane bed: metrics-server ${METRICS_SERVER_VERSION} not in ${dir}; building it with bed/build-metrics-server.sh (minutes the first time)`);
    buildingMetricsServer ??= runBuildScript('build-metrics-server.sh', { KPLANE_METRICS_SERVER_VERSION: METRICS_SERVER_VERSION }, log).finally(() => {
      buildingMetricsServer = undefined;
    });
    await buildingMetricsServer;
    if (!existsSync(bin)) throw new Error(`kplane bed: bed/build-metrics-server.sh finished but ${bin} is missing; see its output above.`);
  }
  return bin;
}

/** Runs a build script of bed/ with `env`, streaming its output to `log`; rejects with its last output. */
export function runBuildScript(name: string, env: Record<string, string>, log: (line: string) => void): Promise<void> {
  const script = join(repoRoot(), 'bed', name);
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let tail = '';
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (err) => reject(new Error(`kplane bed: cannot run ${script}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`kplane bed: ${script} failed (exit ${code}). Its last output:\n${tail}`));
    });
  });
}
