/**
 * Chart sources on loopback for tests, benchmarks and the demo: a real OCI registry
 * (distribution's `registry`, TLS with its own CA) and a classic HTTP chart repository (a small
 * Node server over a folder holding index.yaml, written by `helm repo index`, and the .tgz).
 * Helm and the registry are built from upstream Go modules by bed/build-helm.sh.
 */
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, runBuildScript } from './binaries.js';
import { makePki } from './pki.js';
import { forgetRunDir, freePort, logTail, registerRunDir, runsRoot, spawnComponent, stopComponent, type Component } from './processes.js';

const run = promisify(execFile);

export const HELM_VERSION = process.env.KPLANE_HELM_VERSION ?? 'v4.3.2';
export const REGISTRY_VERSION = process.env.KPLANE_REGISTRY_VERSION ?? 'v3.1.2';

export interface HelmTools {
  /** The helm binary: KPLANE_HELM, else the one built into the cache. */
  helm: string;
  /** distribution's registry binary. */
  registry: string;
}

function cacheDir(): string {
  return join(process.env.KPLANE_CACHE ?? join(homedir(), '.cache', 'kplane'), `helm-${HELM_VERSION}-registry-${REGISTRY_VERSION}`);
}

let building: Promise<void> | undefined;

/** Finds (or builds once per process, minutes the first time) helm and the registry. */
export async function ensureHelmTools(opts: { log?: (line: string) => void } = {}): Promise<HelmTools> {
  const dir = cacheDir();
  if (!existsSync(join(dir, '.complete'))) {
    building ??= runBuild(opts.log ?? ((line) => console.log(line))).finally(() => (building = undefined));
    await building;
  }
  const explicit = process.env.KPLANE_HELM;
  return { helm: explicit ? resolve(explicit) : join(dir, 'helm'), registry: join(dir, 'registry') };
}

/** The directory to put on the agent's PATH so that it finds the bed's helm. */
export async function helmPathDir(): Promise<string> {
  await ensureHelmTools();
  return cacheDir();
}

/** PATH with the bed's helm first. */
export async function pathWithHelm(): Promise<string> {
  return [await helmPathDir(), process.env.PATH ?? ''].join(delimiter);
}

function runBuild(log: (line: string) => void): Promise<void> {
  log(`kplane bed: helm ${HELM_VERSION} / registry ${REGISTRY_VERSION} not in ${cacheDir()}; building them with bed/build-helm.sh (minutes the first time)`);
  return runBuildScript('build-helm.sh', { KPLANE_HELM_VERSION: HELM_VERSION, KPLANE_REGISTRY_VERSION: REGISTRY_VERSION }, log);
}

/** Runs helm with an isolated config/cache (never the user's ~/.config/helm); returns stdout. */
export async function helm(args: string[], opts: { cwd?: string; home?: string } = {}): Promise<string> {
  const { helm: bin } = await ensureHelmTools();
  const home = opts.home ?? join(runsRoot(), 'helm-home');
  await mkdir(home, { recursive: true });
  try {
    const { stdout } = await run(bin, args, {
      cwd: opts.cwd,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, HELM_CONFIG_HOME: join(home, 'config'), HELM_CACHE_HOME: join(home, 'cache'), HELM_DATA_HOME: join(home, 'data') },
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kplane bed: helm ${args.slice(0, 2).join(' ')} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** The project's test charts (test/fixtures/charts/<name>). */
export function fixtureChart(name: string): string {
  return join(repoRoot(), 'test', 'fixtures', 'charts', name);
}

/** `helm package` of a chart folder into `outDir`, optionally as another version; returns the .tgz path. */
export async function packageChart(chartDir: string, outDir: string, version?: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const out = await helm(['package', chartDir, '--destination', outDir, ...(version ? ['--version', version] : [])]);
  const match = /saved it to: (.+\.tgz)/.exec(out);
  if (!match) throw new Error(`kplane bed: helm package printed no path: ${out}`);
  return match[1].trim();
}

export interface OciRegistry {
  /** 127.0.0.1:<port> */
  host: string;
  /** oci://127.0.0.1:<port>/charts, what a profile's helm.repo names. */
  url: string;
  /** PEM of the CA that signed the registry's certificate (for `ca.crt` of a credentials Secret). */
  caPem: string;
  caFile: string;
  dir: string;
  /** With `auth: 'htpasswd'`: the user the registry accepts (anything else gets 401). */
  credentials?: { username: string; password: string };
  /** `helm push` of a packaged chart into <url>. */
  push(tgz: string): Promise<void>;
  /** Stops the registry; its data stays, so start() serves the same charts on the same port. */
  stopServing(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its dir (kept when KPLANE_KEEP_CLUSTERS=1). */
  stop(): Promise<void>;
}

/**
 * A real OCI registry on a loopback port, serving HTTPS with a CA of its own. With
 * `auth: 'htpasswd'` it asks for a username and password (HTTP basic, htpasswd file): the
 * registry provisions the file itself on first start (user "docker", a random password it logs,
 * distribution's registry/auth/htpasswd/access.go), so no bcrypt tool is needed here.
 */
export async function startOciRegistry(opts: { name?: string; auth?: 'htpasswd' } = {}): Promise<OciRegistry> {
  const tools = await ensureHelmTools();
  await mkdir(runsRoot(), { recursive: true });
  const dir = await mkdtemp(join(runsRoot(), `${opts.name ?? 'registry'}-`));
  registerRunDir(dir, process.env.KPLANE_KEEP_CLUSTERS === '1');
  await mkdir(join(dir, 'logs'));
  const pki = await makePki(join(dir, 'pki'));
  const caPem = await readFile(pki.caCert, 'utf8');
  const port = await freePort();
  const config = join(dir, 'config.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: { level: warn }',
      `storage: { filesystem: { rootdirectory: ${JSON.stringify(join(dir, 'data'))} }, delete: { enabled: true } }`,
      `http: { addr: "127.0.0.1:${port}", tls: { certificate: ${JSON.stringify(pki.serverCert)}, key: ${JSON.stringify(pki.serverKey)} } }`,
      ...(opts.auth === 'htpasswd' ? [`auth: { htpasswd: { realm: kplane-bed, path: ${JSON.stringify(join(dir, 'auth', 'htpasswd'))} } }`] : []),
      '',
    ].join('\n'),
  );
  let component: Component | undefined;
  const start = async (): Promise<void> => {
    if (component && !component.hasExited()) return;
    component = spawnComponent(dir, 'registry', tools.registry, ['serve', config]);
    const deadline = Date.now() + 30_000;
    while (!(await probe(port, caPem))) {
      if (component.hasExited()) throw new Error(`kplane bed: the registry exited (${await component.exited}). Last lines of ${component.logPath}:\n${logTail(component.logPath)}`);
      if (Date.now() > deadline) throw new Error(`kplane bed: the registry was not ready after 30 s. Last lines of ${component.logPath}:\n${logTail(component.logPath)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await start();
  const host = `127.0.0.1:${port}`;
  let credentials: { username: string; password: string } | undefined;
  if (opts.auth === 'htpasswd') {
    const log = await readFile(component!.logPath, 'utf8');
    const password = /password"?[=:]"?([A-Za-z0-9_-]{20,})/.exec(log)?.[1];
    if (!password) throw new Error(`kplane bed: the registry logged no provisioned htpasswd user. Last lines of ${component!.logPath}:\n${logTail(component!.logPath)}`);
    credentials = { username: 'docker', password };
  }
  let stopped = false;
  return {
    host,
    url: `oci://${host}/charts`,
    caPem,
    caFile: pki.caCert,
    dir,
    credentials,
    async push(tgz) {
      const auth = credentials ? ['--username', credentials.username, '--password', credentials.password] : [];
      await helm(['push', tgz, `oci://${host}/charts`, '--ca-file', pki.caCert, ...auth]);
    },
    async stopServing() {
      if (component) await stopComponent(component);
    },
    start,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (component) await stopComponent(component);
      forgetRunDir(dir);
    },
  };
}

function probe(port: number, ca: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/v2/', ca, timeout: 2000, agent: false }, (res) => {
      res.resume();
      // 401: up, and asking for credentials (auth: 'htpasswd').
      resolvePromise(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('error', () => resolvePromise(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface ChartRepo {
  /** http://127.0.0.1:<port>, what a profile's helm.repo names. */
  url: string;
  /** The served folder: index.yaml and the .tgz files. */
  dir: string;
  /** With `auth: 'basic'`: the user the repository accepts (anything else gets 401). */
  credentials?: { username: string; password: string };
  /** Copies a packaged chart into the repository and rewrites index.yaml (`helm repo index`). */
  add(tgz: string): Promise<void>;
  /** Stops serving (same port on start()). */
  stopServing(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A classic HTTP chart repository: index.yaml + .tgz files served over plain HTTP on loopback.
 * With `auth: 'basic'` every request needs HTTP basic auth of a random password (as a private
 * repository added with `helm repo add --username` asks).
 */
export async function startChartRepo(opts: { name?: string; auth?: 'basic' } = {}): Promise<ChartRepo> {
  await ensureHelmTools();
  await mkdir(runsRoot(), { recursive: true });
  const dir = await mkdtemp(join(runsRoot(), `${opts.name ?? 'chartrepo'}-`));
  registerRunDir(dir, process.env.KPLANE_KEEP_CLUSTERS === '1');
  const served = join(dir, 'charts');
  await mkdir(served);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let server: Server | undefined;
  const credentials = opts.auth === 'basic' ? { username: 'charts', password: randomBytes(18).toString('base64url') } : undefined;
  const expected = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}` : undefined;
  const start = async (): Promise<void> => {
    if (server) return;
    const s = createHttpServer((req, res) => {
      if (expected && req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="kplane-bed"' }).end();
        return;
      }
      const name = decodeURIComponent((req.url ?? '/').split('?')[0]).replace(/^\/+/, '');
      // Only plain file names of the served folder: no traversal.
      if (!/^[A-Za-z0-9._-]+$/.test(name) || req.method !== 'GET') {
        res.writeHead(404).end();
        return;
      }
      const file = join(served, name);
      stat(file).then(
        (st) => {
          res.writeHead(200, { 'content-length': st.size, 'content-type': name.endsWith('.yaml') ? 'application/yaml' : 'application/gzip' });
          createReadStream(file).pipe(res);
        },
        () => res.writeHead(404).end(),
      );
    });
    await new Promise<void>((resolvePromise, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolvePromise());
    });
    s.unref();
    server = s;
  };
  const stopServing = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  };
  await start();
  return {
    url,
    dir: served,
    credentials,
    async add(tgz) {
      await copyFile(tgz, join(served, tgz.split('/').pop()!));
      await helm(['repo', 'index', served, '--url', url]);
    },
    stopServing,
    start,
    async stop() {
      await stopServing();
      forgetRunDir(dir);
    },
  };
}
