/**
 * The real Helm CLI, run as a child process (as Argo CD's repo-server does, argo-cd
 * util/helm/cmd.go): `helm pull` fetches a chart from an OCI registry or a classic HTTP(S)
 * repository, `helm template` renders it. Every run gets its own empty Helm home and an empty
 * kubeconfig, without the in-cluster service-account variables, so a chart's `lookup` cannot
 * read the cluster and the user's Helm configuration plays no part.
 *
 * Which helm: `KPLANE_HELM`, else `helm` on PATH, else the one bed/build-helm.sh builds
 * into ~/.cache/kplane.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Bigger chart archives are refused before anything is rendered. */
export const MAX_CHART_BYTES = 20 * 1024 * 1024;
const RUN_TIMEOUT_MS = 120_000;
const HELM_CACHE_NAME = 'helm-v4.3.2-registry-v3.1.2';

export interface RepoCredentials {
  username?: string;
  password?: string;
  /** PEM of the CA that signs the repository's HTTPS certificate. */
  caPem?: string;
}

export interface PulledChart {
  /** The archive as pulled. */
  archive: Buffer;
  /** sha256:<hex> of the archive. */
  digest: string;
  /** The chart version the constraint resolved to. */
  version: string;
}

export interface TemplateInput {
  archive: Buffer;
  releaseName: string;
  namespace: string;
  values: Record<string, unknown>;
  kubeVersion?: string;
  apiVersions: readonly string[];
}

/** A failure of helm itself, with its own words (first lines of stderr). */
export class HelmError extends Error {}

export function findHelm(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KPLANE_HELM) return env.KPLANE_HELM;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'helm'))) return join(dir, 'helm');
  }
  const cached = join(env.KPLANE_CACHE ?? join(homedir(), '.cache', 'kplane'), HELM_CACHE_NAME, 'helm');
  return existsSync(cached) ? cached : undefined;
}

export function digestOf(archive: Buffer): string {
  return `sha256:${createHash('sha256').update(archive).digest('hex')}`;
}

export class HelmCli {
  constructor(private readonly bin: string) {}

  /** `helm pull` of the newest version matching `version` (exact or a range). */
  async pull(repo: string, chart: string, version: string, credentials: RepoCredentials = {}): Promise<PulledChart> {
    return this.withHome(async (home, env) => {
      const out = join(home, 'out');
      await mkdir(out);
      const args = ['pull', '--destination', out, '--version', version];
      if (credentials.caPem) {
        await writeFile(join(home, 'ca.crt'), credentials.caPem);
        args.push('--ca-file', join(home, 'ca.crt'));
      }
      if (repo.startsWith('oci://')) {
        args.splice(1, 0, `${repo.replace(/\/+$/, '')}/${chart}`);
        if (credentials.username !== undefined) {
          // Docker-style auth file instead of --password: argv is visible to every process.
          const host = repo.slice('oci://'.length).split('/')[0];
          const auth = Buffer.from(`${credentials.username}:${credentials.password ?? ''}`).toString('base64');
          await writeFile(join(home, 'registry.json'), JSON.stringify({ auths: { [host]: { auth } } }), { mode: 0o600 });
        }
      } else {
        if (credentials.username !== undefined) {
          // The password goes through stdin into this run's own repositories.yaml, never argv.
          const add = ['repo', 'add', 'source', repo, '--username', credentials.username, '--password-stdin'];
          if (credentials.caPem) add.push('--ca-file', join(home, 'ca.crt'));
          await this.run(add, env, credentials.password ?? '');
          args.splice(1, 0, 'source/' + chart);
        } else args.splice(1, 0, chart, '--repo', repo);
      }
      await this.run(args, env);
      const files = (await readdir(out)).filter((f) => f.endsWith('.tgz'));
      if (files.length !== 1) throw new HelmError(`helm pull wrote no chart archive for ${chart} ${version} from ${repo}`);
      const size = (await stat(join(out, files[0]))).size;
      if (size > MAX_CHART_BYTES) throw new HelmError(`chart ${chart} from ${repo} is ${(size / 1048576).toFixed(1)} MB, over the ${MAX_CHART_BYTES / 1048576} MB limit`);
      const archive = await readFile(join(out, files[0]));
      const pulledVersion = files[0].slice(chart.length + 1, -'.tgz'.length);
      return { archive, digest: digestOf(archive), version: pulledVersion };
    });
  }

  /** `helm template` of an archive; returns helm's YAML output. */
  async template(input: TemplateInput): Promise<string> {
    if (input.archive.length > MAX_CHART_BYTES) throw new HelmError(`the chart archive is over the ${MAX_CHART_BYTES / 1048576} MB limit`);
    return this.withHome(async (home, env) => {
      await writeFile(join(home, 'chart.tgz'), input.archive);
      // JSON is YAML: the values go through a file, never through --set parsing.
      await writeFile(join(home, 'values.json'), JSON.stringify(input.values ?? {}));
      const args = ['template', input.releaseName, join(home, 'chart.tgz'), '--namespace', input.namespace, '--include-crds', '--values', join(home, 'values.json')];
      if (input.kubeVersion) args.push('--kube-version', input.kubeVersion);
      if (input.apiVersions.length) args.push('--api-versions', input.apiVersions.join(','));
      return this.run(args, env);
    });
  }

  async version(): Promise<string> {
    return this.withHome(async (_home, env) => (await this.run(['version', '--short'], env)).trim());
  }

  /** A throwaway Helm home, an empty kubeconfig and no in-cluster variables. */
  private async withHome<T>(fn: (home: string, env: NodeJS.ProcessEnv) => Promise<T>): Promise<T> {
    const home = await mkdtemp(join(tmpdir(), 'kplane-helm-'));
    try {
      await mkdir(join(home, 'config'), { recursive: true });
      await writeFile(join(home, 'kubeconfig'), '');
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: home,
        TMPDIR: home,
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_DATA_HOME: join(home, 'data'),
        HELM_REGISTRY_CONFIG: join(home, 'registry.json'),
        HELM_REPOSITORY_CONFIG: join(home, 'config', 'repositories.yaml'),
        KUBECONFIG: join(home, 'kubeconfig'),
        // Proxy settings are honoured, like any HTTP client of the agent.
        ...pick(process.env, ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR']),
      };
      return await fn(home, env);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }

  private run(args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(this.bin, args, { env, timeout: RUN_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new HelmError(`cannot run helm (${this.bin}): not found; put helm on PATH or set KPLANE_HELM`));
        if (e.killed) return reject(new HelmError(`helm ${args[0]} did not finish within ${RUN_TIMEOUT_MS / 1000} s`));
        reject(new HelmError(cleanHelmMessage(stderr || e.message)));
      });
      child.stdin?.end(stdin ?? '');
    });
  }
}

/** Helm's error text without its "Error: " prefix and noise, at most a few lines. */
export function cleanHelmMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^WARNING: /.test(l) && !/^(level=|time=)/.test(l));
  return lines.slice(-3).join(' ').replace(/^Error: /, '').slice(0, 1000) || 'helm failed without a message';
}

function pick(env: NodeJS.ProcessEnv, names: string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(names.filter((n) => env[n] !== undefined).map((n) => [n, env[n]]));
}
