/**
 * The editor's chart cache: charts of Helm layers, fetched with the real `helm pull` (as the
 * agent does, agent/src/helm/helmCli.ts) and kept on disk outside the repository
 * ($KPLANE_CACHE or ~/.cache/kplane, under charts/), so a chart once fetched works offline.
 * Version lists come from the repository's index.yaml or the OCI registry's tag list, with the
 * user's Helm (or Docker) login where the registry asks for one (./registryCredentials.ts).
 *
 * Never blocks the event loop: every fetch is a child process or an async request, at most two
 * at once, each cancellable (a layer that now names another version or chart aborts the fetch
 * it no longer needs). `chart()` and `versions()` answer at once from memory; what is missing is
 * fetched in the background, and `onChange` tells the server to validate again.
 *
 * A cached chart is also rendered in the background with each layer's values (`helm template`,
 * ./helmRender.ts), so the service can check the rendered objects (./service/helmRendered.ts):
 * after a quiet moment (values being typed), one render per layer at a time (a newer one aborts
 * the older), the last RENDERS_KEPT kept in memory.
 *
 * Node-only; the pure service (./service/helmValues.ts) sees it as a HelmChartProvider. Also used
 * by `kplane validate` (which renders with the cached archive) and the Render Layer request.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { chartPlacement, chartTemplateSource, placeObjectsInRelease, type Manifest } from '@kplane/profile';
import { helmTemplate } from './helmRender.js';
import type { RenderedObject, RenderLookup, RenderRequest } from './service/helmRendered.js';
import { credentialFiles, registryLogin, repositoryLogin, type CredentialFiles, type CredentialsLookup } from './registryCredentials.js';
import { chartFacts, type ChartFacts, type ChartLookup, type ChartRef, type HelmChartProvider, type VersionsLookup } from './service/helmValues.js';

const gunzipAsync = promisify(gunzip);

/** Chart archives over this size are not read (as the agent refuses them). */
export const MAX_CHART_BYTES = 20 * 1024 * 1024;
/** A range, and a version list, are asked again after this long (an exact version never). */
const REFRESH_MS = 10 * 60_000;
/** A failed fetch is not tried again for this long, unless the layer changes. */
const RETRY_MS = 60_000;
const FETCH_TIMEOUT_MS = 60_000;
const MAX_PARALLEL = 2;
const HELM_CACHE_NAME = 'helm-v4.3.2-registry-v3.1.2';
/** Renders of layers kept in memory (the newest used). */
const RENDERS_KEPT = 20;
/** As the agent (agent/src/core/helmManifests.ts MAX_CHART_OBJECTS): more is a runaway template. */
const MAX_RENDERED_OBJECTS = 5000;

export interface HelmChartStoreOptions {
  /** helm to run; default KPLANE_HELM, then helm on PATH, then the one bed/build-helm.sh caches. */
  helmPath?: string;
  /** Cache root (charts go to <root>/charts); default $KPLANE_CACHE or ~/.cache/kplane. */
  cacheRoot?: string;
  /** PEM file of a CA to trust for chart repositories (besides the system's). */
  caFile?: string;
  /** Only the cache: nothing is fetched. */
  offline?: boolean;
  /** A background fetch ended (the chart or versions are ready, or failed). */
  onChange?: () => void;
  /** Lines for the server's log. */
  log?: (line: string) => void;
  /** Wait this long after a chart is first asked for before fetching it (typing a version). */
  quietMs?: number;
  /** Render cached charts with the layers' values in the background (the editor); otherwise `rendered` stays pending (the CLI renders itself). */
  renderLayers?: boolean;
  /** Where logins are read (default: where Helm reads them, ./registryCredentials.ts); set ones are passed to helm pull too. */
  credentialFiles?: Partial<CredentialFiles>;
}

/** A chart ready to render: its archive, as pulled. */
export interface CachedChart {
  facts: ChartFacts;
  archive: Buffer;
  /** sha256:<hex> of the archive. */
  digest: string;
}

type RenderEntry =
  | { state: 'pending'; controller: AbortController; promise: Promise<void>; used: number }
  | { state: 'ready'; lookup: Extract<RenderLookup, { state: 'ready' }>; used: number }
  | { state: 'failed'; lookup: Extract<RenderLookup, { state: 'failed' }>; used: number };

type Entry =
  | { state: 'fetching'; controller: AbortController; promise: Promise<void> }
  | { state: 'ready'; chart: ChartFacts; at: number }
  | { state: 'unavailable'; message: string; at: number };

export function findHelmBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KPLANE_HELM) return env.KPLANE_HELM;
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'helm'))) return join(dir, 'helm');
  const cached = join(env.KPLANE_CACHE ?? join(homedir(), '.cache', 'kplane'), HELM_CACHE_NAME, 'helm');
  return existsSync(cached) ? cached : undefined;
}

const isExact = (version: string) => /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version);
const refKey = (ref: ChartRef) => JSON.stringify([ref.repo, ref.chart, ref.version]);
const describe = (ref: ChartRef) => `chart ${ref.chart} ${ref.version} from ${ref.repo}`;

export class HelmChartStore implements HelmChartProvider {
  private readonly entries = new Map<string, Entry>();
  private readonly versionEntries = new Map<string, Entry | { state: 'ready'; versions: string[]; at: number }>();
  /** Who wants which chart: a fetch no owner wants any more is aborted. */
  private readonly owners = new Map<string, string>();
  private readonly queue: (() => void)[] = [];
  private running = 0;
  /** Ranges being resolved again while their last chart stays in use. */
  private readonly refreshing = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();
  private caPem: Promise<string | undefined> | undefined;
  private readonly renders = new Map<string, RenderEntry>();
  /** Which render each layer (owner) last asked for: an older one still running is aborted. */
  private readonly renderOwners = new Map<string, string>();

  constructor(private options: HelmChartStoreOptions = {}) {}

  configure(next: Partial<HelmChartStoreOptions>): void {
    const changed = next.caFile !== this.options.caFile || next.helmPath !== this.options.helmPath;
    this.options = { ...this.options, ...next };
    if (changed) {
      this.caPem = undefined;
      // What failed may work now: forget the failures.
      for (const [key, entry] of this.entries) if (entry.state === 'unavailable') this.entries.delete(key);
      for (const [key, entry] of this.versionEntries) if (entry.state === 'unavailable') this.versionEntries.delete(key);
    }
  }

  /** The helm binary this store runs (settings, KPLANE_HELM, PATH, the bed's cache). */
  helmBinary(): string | undefined {
    return this.options.helmPath || findHelmBinary();
  }

  get cacheDir(): string {
    return join(this.options.cacheRoot ?? process.env.KPLANE_CACHE ?? join(homedir(), '.cache', 'kplane'), 'charts');
  }

  chart(ref: ChartRef, owner?: string): ChartLookup {
    const key = refKey(ref);
    if (owner) this.claim(owner, key);
    const entry = this.entries.get(key);
    if (entry?.state === 'ready') {
      if (!isExact(ref.version) && Date.now() - entry.at > REFRESH_MS && !this.options.offline) this.startFetch(key, ref, entry);
      return { state: 'ready', chart: entry.chart };
    }
    if (entry?.state === 'fetching') return { state: 'fetching' };
    if (entry?.state === 'unavailable' && Date.now() - entry.at < RETRY_MS) return { state: 'unavailable', message: entry.message };
    this.startFetch(key, ref);
    return { state: 'fetching' };
  }

  versions(repo: string, chart: string): VersionsLookup {
    const key = JSON.stringify([repo, chart]);
    const entry = this.versionEntries.get(key);
    if (entry?.state === 'ready' && 'versions' in entry && (Date.now() - entry.at < REFRESH_MS || this.options.offline)) return { state: 'ready', versions: entry.versions };
    if (entry?.state === 'fetching') return { state: 'fetching' };
    if (entry?.state === 'unavailable' && Date.now() - entry.at < RETRY_MS) return { state: 'unavailable', message: entry.message };
    const controller = new AbortController();
    const promise = this.listVersions(repo, chart, controller.signal).then(
      (versions) => void this.versionEntries.set(key, { state: 'ready', versions, at: Date.now() }),
      (err: unknown) => void this.versionEntries.set(key, { state: 'unavailable', message: errorText(err), at: Date.now() }),
    );
    this.versionEntries.set(key, { state: 'fetching', controller, promise: promise.then(() => this.options.onChange?.()) });
    return { state: 'fetching' };
  }

  /**
   * The layer's chart rendered with its values: at once from memory, else `pending` and rendered in
   * the background once the chart is cached (onChange when done).
   */
  rendered(request: RenderRequest, owner?: string): RenderLookup {
    const chart = this.entries.get(refKey(request.ref));
    // Without helm nothing renders; the chart's own message (it cannot be fetched) says why.
    if (!this.options.renderLayers || chart?.state !== 'ready' || !this.helmBinary()) return { state: 'pending' };
    const key = createHash('sha256').update(JSON.stringify([refKey(request.ref), chart.chart.version, request.releaseName, request.namespace, request.values ?? {}])).digest('hex');
    if (owner) {
      const previous = this.renderOwners.get(owner);
      this.renderOwners.set(owner, key);
      if (previous && previous !== key && ![...this.renderOwners.values()].includes(previous)) {
        const old = this.renders.get(previous);
        if (old?.state === 'pending') {
          old.controller.abort();
          this.renders.delete(previous);
        }
      }
    }
    const known = this.renders.get(key);
    if (known) {
      known.used = Date.now();
      return known.state === 'pending' ? { state: 'pending' } : known.lookup;
    }
    const controller = new AbortController();
    const { signal } = controller;
    const entry: RenderEntry = { state: 'pending', controller, promise: Promise.resolve(), used: Date.now() };
    const version = chart.chart.version;
    const promise = (async (): Promise<RenderLookup> => {
      await abortableDelay(this.options.quietMs ?? 300, signal);
      const cached = await this.load(request.ref, { offline: true, signal });
      const text = await this.slot(() => helmTemplate(this.helmBinary(), { archive: cached.archive, releaseName: request.releaseName, namespace: request.namespace, values: request.values ?? {} }, signal), signal);
      const objects = renderedObjects(text, request.namespace);
      if (objects.length > MAX_RENDERED_OBJECTS) return { state: 'failed', message: `Chart ${request.ref.chart} ${version} renders ${objects.length} objects with these values, over the ${MAX_RENDERED_OBJECTS} the agent accepts.` };
      return { state: 'ready', rendered: { chart: cached.facts.name, version: cached.facts.version, objects } };
    })()
      .then(
        (lookup) => {
          if (this.renders.get(key) !== entry) return;
          this.renders.set(key, lookup.state === 'ready' ? { state: 'ready', lookup, used: entry.used } : { state: 'failed', lookup: lookup as Extract<RenderLookup, { state: 'failed' }>, used: entry.used });
        },
        (err: unknown) => {
          if (signal.aborted || this.renders.get(key) !== entry) return;
          this.renders.set(key, { state: 'failed', lookup: { state: 'failed', message: `Chart ${request.ref.chart} ${version} did not render with the layer's values (helm template): ${errorText(err)}` }, used: entry.used });
        },
      )
      .finally(() => {
        this.inflight.delete(promise);
        this.evictRenders();
        if (!signal.aborted) this.options.onChange?.();
      });
    entry.promise = promise;
    this.inflight.add(promise);
    this.renders.set(key, entry);
    return { state: 'pending' };
  }

  /**
   * The group/versions of what the layers of owners starting with `prefix` (a document's URI)
   * last rendered, sorted: a client reading live schemas needs them, the profile's text may not name them.
   */
  renderedGroupVersions(prefix: string): string[] {
    const found = new Set<string>();
    for (const [owner, key] of this.renderOwners) {
      const render = owner.startsWith(prefix) ? this.renders.get(key) : undefined;
      if (render?.state === 'ready') for (const o of render.lookup.rendered.objects) found.add(o.manifest.apiVersion);
    }
    return [...found].sort();
  }

  /** Aborts what the owners starting with `prefix` (a closed document's URI) asked for. */
  release(prefix: string): void {
    for (const owner of [...this.renderOwners.keys()]) if (owner.startsWith(prefix)) this.renderOwners.delete(owner);
    for (const owner of [...this.owners.keys()]) {
      if (!owner.startsWith(prefix)) continue;
      const key = this.owners.get(owner)!;
      this.owners.delete(owner);
      this.abortUnwanted(key);
    }
  }

  /** The chart and its archive, fetched unless cached (`offline`: cache only); for rendering. */
  async load(ref: ChartRef, opts: { offline?: boolean; signal?: AbortSignal } = {}): Promise<CachedChart> {
    const offline = opts.offline ?? this.options.offline;
    const cached = await this.readCached(ref);
    // A range resolved long ago is asked again when online; offline, what it last resolved to will do.
    if (cached && (offline || isExact(ref.version) || Date.now() - cached.resolvedAt < REFRESH_MS)) return cached;
    if (offline) throw new Error(`${describe(ref)} is not in the chart cache (${this.cacheDir}); fetch it once without --offline`);
    try {
      return await this.pull(ref, opts.signal ?? new AbortController().signal);
    } catch (err) {
      if (cached) return cached;
      throw err;
    }
  }

  /** Waits for the background work started so far (tests, the CLI). */
  async settled(): Promise<void> {
    for (;;) {
      const pending = [...this.inflight, ...[...this.versionEntries.values()].flatMap((e) => (e.state === 'fetching' ? [e.promise] : []))];
      if (!pending.length) return;
      await Promise.all(pending);
    }
  }

  dispose(): void {
    for (const entry of [...this.entries.values(), ...this.versionEntries.values()]) if (entry.state === 'fetching') entry.controller.abort();
    for (const entry of this.renders.values()) if (entry.state === 'pending') entry.controller.abort();
  }

  private evictRenders(): void {
    const done = [...this.renders.entries()].filter(([, e]) => e.state !== 'pending').sort((a, b) => a[1].used - b[1].used);
    for (const [key] of done.slice(0, Math.max(0, done.length - RENDERS_KEPT))) this.renders.delete(key);
  }

  private claim(owner: string, key: string): void {
    const previous = this.owners.get(owner);
    if (previous === key) return;
    this.owners.set(owner, key);
    if (previous) this.abortUnwanted(previous);
  }

  private abortUnwanted(key: string): void {
    if ([...this.owners.values()].includes(key)) return;
    const entry = this.entries.get(key);
    if (entry?.state === 'fetching') {
      entry.controller.abort();
      this.entries.delete(key);
    }
  }

  private startFetch(key: string, ref: ChartRef, stale?: Extract<Entry, { state: 'ready' }>): void {
    if (stale && this.refreshing.has(key)) return;
    const controller = new AbortController();
    const { signal } = controller;
    const run = async (): Promise<{ chart: ChartFacts; at: number }> => {
      // A version still being typed ("1", "1.", "1.2") is not fetched.
      if (!stale) await abortableDelay(this.options.quietMs ?? 300, signal);
      if (!stale) {
        const cached = await this.readCached(ref);
        if (cached) return { chart: cached.facts, at: cached.resolvedAt };
      }
      if (this.options.offline) throw new Error('it is not in the chart cache and the editor is offline');
      return { chart: (await this.slot(() => this.pull(ref, signal), signal)).facts, at: Date.now() };
    };
    const entry: Extract<Entry, { state: 'fetching' }> = { state: 'fetching', controller, promise: Promise.resolve() };
    const promise = run()
      .then(
        ({ chart, at }) => {
          if (stale || this.entries.get(key) === entry) this.entries.set(key, { state: 'ready', chart, at });
        },
        (err: unknown) => {
          if (signal.aborted) return;
          // A range asked again keeps its chart while the repository is unreachable.
          if (stale) this.entries.set(key, { ...stale, at: Date.now() });
          else if (this.entries.get(key) === entry) this.entries.set(key, { state: 'unavailable', message: unavailableMessage(ref, err), at: Date.now() });
        },
      )
      .finally(() => {
        this.refreshing.delete(key);
        this.inflight.delete(promise);
        if (!signal.aborted) this.options.onChange?.();
      });
    entry.promise = promise;
    this.inflight.add(promise);
    if (stale) this.refreshing.add(key);
    else this.entries.set(key, entry);
  }

  /** Runs `fn` when fewer than MAX_PARALLEL fetches run. */
  private async slot<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.running >= MAX_PARALLEL) {
      await new Promise<void>((resolve, reject) => {
        this.queue.push(resolve);
        signal.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
      });
    }
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  private chartDir(ref: Pick<ChartRef, 'repo' | 'chart'>): string {
    const hash = createHash('sha256').update(ref.repo).digest('hex').slice(0, 12);
    const safe = ref.repo.replace(/^[a-z]+:\/\//, '').replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 60);
    return join(this.cacheDir, `${safe}-${hash}`, ref.chart.replace(/[^A-Za-z0-9._-]+/g, '_'));
  }

  /** The cached chart for `ref`: an exact version by name, a range by what it last resolved to (and when). */
  private async readCached(ref: ChartRef): Promise<(CachedChart & { resolvedAt: number }) | undefined> {
    const dir = this.chartDir(ref);
    let version = ref.version.replace(/^v/, '');
    let resolvedAt = Number.MAX_SAFE_INTEGER;
    if (!isExact(ref.version)) {
      const hit = (await readJson<Record<string, { version: string; at: number }>>(join(dir, 'ranges.json')))?.[ref.version];
      if (!hit) return undefined;
      version = hit.version;
      resolvedAt = hit.at;
    }
    try {
      const archive = await readFile(join(dir, `${version}.tgz`));
      return { archive, digest: digestOf(archive), facts: await factsOf(archive, { name: ref.chart, version }), resolvedAt };
    } catch {
      return undefined;
    }
  }

  private async pull(ref: ChartRef, signal: AbortSignal): Promise<CachedChart> {
    const bin = this.helmBinary();
    if (!bin) throw new Error('Helm is not installed: put helm on PATH, set kplane.helm.path, or set KPLANE_HELM');
    const work = await mkdtemp(join(tmpdir(), 'kplane-chart-'));
    try {
      const args = ['pull', '--destination', work, '--version', ref.version];
      const ca = this.options.caFile ? ['--ca-file', this.options.caFile] : [];
      const login = ref.repo.startsWith('oci://') ? undefined : await repositoryLogin(ref.repo, { ...credentialFiles(), ...this.options.credentialFiles });
      if (ref.repo.startsWith('oci://')) args.splice(1, 0, `${ref.repo.replace(/\/+$/, '')}/${ref.chart}`);
      else if (login?.found) {
        // `helm pull --repo` reads no repositories.yaml: as the agent does (agent/src/helm/helmCli.ts),
        // the user's login goes into this pull's own repository config through stdin, never argv.
        const own = ['--repository-config', join(work, '.helm', 'repositories.yaml'), '--repository-cache', join(work, '.helm', 'cache')];
        await runHelm(bin, ['repo', 'add', 'kplane-source', ref.repo, '--username', login.found.username, '--password-stdin', ...ca, ...own], signal, login.found.password);
        args.splice(1, 0, `kplane-source/${ref.chart}`);
        args.push(...own);
      } else args.splice(1, 0, ref.chart, '--repo', ref.repo);
      args.push(...ca);
      if (this.options.credentialFiles?.registryConfig) args.push('--registry-config', this.options.credentialFiles.registryConfig);
      await runHelm(bin, args, signal);
      const files = (await readdir(work)).filter((f) => f.endsWith('.tgz'));
      if (files.length !== 1) throw new Error(`helm pull wrote no chart archive`);
      const archive = await readFile(join(work, files[0]));
      if (archive.length > MAX_CHART_BYTES) throw new Error(`the chart archive is ${(archive.length / 1048576).toFixed(1)} MB, over the ${MAX_CHART_BYTES / 1048576} MB limit`);
      const version = files[0].slice(ref.chart.length + 1, -'.tgz'.length);
      const facts = await factsOf(archive, { name: ref.chart, version });
      const dir = this.chartDir(ref);
      await mkdir(dir, { recursive: true });
      // Write then rename: a reader never sees half an archive.
      await writeFile(join(dir, `.${version}.tgz.tmp`), archive);
      await rename(join(dir, `.${version}.tgz.tmp`), join(dir, `${version}.tgz`));
      if (!isExact(ref.version)) {
        const ranges = (await readJson<Record<string, { version: string; at: number }>>(join(dir, 'ranges.json'))) ?? {};
        ranges[ref.version] = { version, at: Date.now() };
        await writeFile(join(dir, 'ranges.json'), JSON.stringify(ranges));
      }
      this.options.log?.(`kplane: fetched ${describe(ref)} (${version}, ${archive.length} bytes)`);
      return { archive, digest: digestOf(archive), facts };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private async listVersions(repo: string, chart: string, signal: AbortSignal): Promise<string[]> {
    const file = join(this.chartDir({ repo, chart }), 'versions.json');
    const cached = await readJson<{ versions: string[]; at: number }>(file);
    if (cached && (this.options.offline || Date.now() - cached.at < REFRESH_MS)) return cached.versions;
    if (this.options.offline) throw new Error('offline and no version list cached');
    this.caPem ??= this.options.caFile ? readFile(this.options.caFile, 'utf8').catch(() => undefined) : Promise.resolve(undefined);
    const ca = await this.caPem;
    const files = { ...credentialFiles(), ...this.options.credentialFiles };
    let versions: string[];
    try {
      versions = sortVersions(
        repo.startsWith('oci://') ? await ociTags(repo, chart, { ca, signal, login: (host) => registryLogin(host, files) }) : await indexVersions(repo, chart, { ca, signal, login: () => repositoryLogin(repo, files) }),
      );
    } catch (err) {
      // Offline after all: an old list beats none.
      if (cached) return cached.versions;
      throw err;
    }
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, JSON.stringify({ versions, at: Date.now() }));
    return versions;
  }
}

/**
 * The objects of `helm template` output, with the template each came from; hooks the agent does
 * not run (test, delete, rollback) are left out and namespaced objects without a namespace get
 * the layer's, as the agent does both (profile/src/helmOutput.ts, shared with it). Unlike the
 * agent, which refuses the whole chart, documents that are no object are passed over here.
 */
export function renderedObjects(text: string, namespace: string): RenderedObject[] {
  const out: RenderedObject[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
    if (!('toJS' in doc)) continue;
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const manifest = value as Manifest;
    if (typeof manifest.kind !== 'string' || typeof manifest.apiVersion !== 'string' || !manifest.metadata || typeof manifest.metadata !== 'object') continue;
    if ('skipped' in chartPlacement(manifest)) continue;
    const source = chartTemplateSource(`${doc.commentBefore ?? ''} ${(doc.contents as { commentBefore?: string } | null)?.commentBefore ?? ''}`);
    out.push(source ? { manifest, source } : { manifest });
  }
  // Placed once all are read: the kinds of the chart's own CRDs are scoped as those say.
  return placeObjectsInRelease(out, namespace);
}

function unavailableMessage(ref: ChartRef, err: unknown): string {
  return `kplane cannot fetch the ${describe(ref)}: ${errorText(err)}. Its values are not checked until it can: check repo, chart and version; for a private registry log in with helm registry login (or helm repo add --username); for a private CA set kplane.helm.caFile (charts are cached in ~/.cache/kplane/charts once fetched).`;
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim().slice(0, 400);
}

export function digestOf(archive: Buffer): string {
  return `sha256:${createHash('sha256').update(archive).digest('hex')}`;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('cancelled'));
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('cancelled'))), { once: true });
  });
}

function runHelm(bin: string, args: string[], signal: AbortSignal, stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { signal, timeout: FETCH_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      if (e.code === 'ENOENT') return reject(new Error(`cannot run helm (${bin}): not found`));
      if (e.name === 'AbortError') return reject(new Error('cancelled'));
      const lines = (stderr || e.message).split('\n').map((l) => l.trim()).filter((l) => l && !/^WARNING: /.test(l) && !/^(level=|time=)/.test(l));
      reject(new Error(lines.slice(-2).join(' ').replace(/^Error: /, '') || 'helm failed'));
    });
    child.stdin?.end(stdin ?? '');
  });
}

// --- archives -------------------------------------------------------------------------------

/** The files of a chart archive the editor reads: the chart's own Chart.yaml, values, schema. */
export async function readChartArchive(archive: Buffer): Promise<{ chartYaml?: string; valuesYaml?: string; schemaJson?: string; subchartDirs: string[] }> {
  const tar = await gunzipAsync(archive, { maxOutputLength: 8 * MAX_CHART_BYTES });
  const out: { chartYaml?: string; valuesYaml?: string; schemaJson?: string; subchartDirs: string[] } = { subchartDirs: [] };
  const subcharts = new Set<string>();
  for (const { name, data } of tarEntries(tar)) {
    const parts = name.split('/').filter(Boolean);
    if (parts.length === 2) {
      if (parts[1] === 'Chart.yaml') out.chartYaml = data.toString('utf8');
      else if (parts[1] === 'values.yaml') out.valuesYaml = data.toString('utf8');
      else if (parts[1] === 'values.schema.json') out.schemaJson = data.toString('utf8');
    } else if (parts.length >= 3 && parts[1] === 'charts') {
      subcharts.add(parts.length === 3 ? parts[2].replace(/-\d+\.\d+\.\d+.*\.tgz$/, '') : parts[2]);
    }
  }
  out.subchartDirs = [...subcharts];
  return out;
}

async function factsOf(archive: Buffer, fallback: { name: string; version: string }): Promise<ChartFacts> {
  const files = await readChartArchive(archive);
  if (!files.chartYaml) throw new Error('the archive is not a Helm chart (no Chart.yaml at its top)');
  return chartFacts(files, fallback);
}

/** Regular files of a tar (ustar, with pax and GNU long names). */
function* tarEntries(tar: Buffer): Generator<{ name: string; data: Buffer }> {
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) return;
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    let name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    const data = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') longName = data.toString('utf8').replace(/\0.*$/s, '');
    else if (type === 'x') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (path) longName = path[1];
    } else if (type === '0' || type === '\0') {
      name = name.replace(/^\.\//, '');
      yield { name, data };
    }
  }
}

// --- version lists --------------------------------------------------------------------------

function get(url: string, opts: { ca?: string; signal: AbortSignal; headers?: Record<string, string> }): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(target, { headers: opts.headers, signal: opts.signal, timeout: 15_000, ...(opts.ca && target.protocol === 'https:' ? { ca: opts.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_CHART_BYTES) req.destroy(new Error(`${url} answered more than ${MAX_CHART_BYTES / 1048576} MB`));
        else chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${target.host} did not answer within 15 s`)));
    req.on('error', reject);
    req.end();
  });
}

interface ListOptions {
  ca: string | undefined;
  signal: AbortSignal;
  /** The user's login for the host (OCI) or repository (index.yaml), looked up when asked for one. */
  login: (host: string) => Promise<CredentialsLookup>;
}

async function indexVersions(repo: string, chart: string, { ca, signal, login }: ListOptions): Promise<string[]> {
  let url = `${repo.replace(/\/+$/, '')}/index.yaml`;
  const origin = new URL(url).origin;
  let authorization: string | undefined;
  let source = '';
  for (let hop = 0; hop < 4; hop++) {
    // As helm without --pass-credentials: a login goes to the repository's own host only.
    const res = await get(url, { ca, signal, headers: authorization && new URL(url).origin === origin ? { Authorization: authorization } : undefined });
    if (res.status >= 300 && res.status < 400 && res.headers.location) {
      url = new URL(res.headers.location, url).toString();
      continue;
    }
    if (res.status === 401 && !authorization) {
      const found = await login(new URL(url).host);
      if (!found.found) throw new Error(`${repo} needs a login to read its index.yaml (${found.why}): add it with helm repo add --username; a layer's credentialsSecret is the agent's, in the cluster`);
      authorization = found.found.authorization;
      source = found.found.source;
      continue;
    }
    if (res.status === 401) throw new Error(`${repo} rejected the login from ${source} (401): check it with helm repo add --force-update --username`);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    const index = parseYaml(res.body.toString('utf8'), { maxAliasCount: 100 }) as { entries?: Record<string, { version?: string }[]> } | null;
    const entries = index?.entries?.[chart];
    if (!Array.isArray(entries)) throw new Error(`the repository's index.yaml has no chart "${chart}"`);
    return entries.map((e) => String(e.version ?? '')).filter(Boolean);
  }
  throw new Error(`${repo}/index.yaml redirects too often`);
}

const loginHint = (host: string, why: string) => `${host} needs a login to list tags (${why}): run helm registry login ${host}; a layer's credentialsSecret is the agent's, in the cluster`;

/**
 * OCI tags (Helm writes `+` as `_` in tags): anonymously first; when the registry asks, with the
 * user's login, either as HTTP basic (a registry with htpasswd) or through the registry's token
 * service (anonymous token first, as public registries give one, then with the login).
 */
async function ociTags(repo: string, chart: string, { ca, signal, login }: ListOptions): Promise<string[]> {
  const rest = repo.slice('oci://'.length).replace(/\/+$/, '');
  const host = rest.split('/')[0];
  const path = [...rest.split('/').slice(1), chart].join('/');
  const url = `https://${host}/v2/${path}/tags/list`;
  let res = await get(url, { ca, signal });
  if (res.status === 401) {
    const challenge = String(res.headers['www-authenticate'] ?? '');
    const realm = /realm="([^"]+)"/.exec(challenge)?.[1];
    if (/^Basic/i.test(challenge)) {
      const found = await login(host);
      if (!found.found) throw new Error(loginHint(host, found.why));
      res = await get(url, { ca, signal, headers: { Authorization: found.found.authorization } });
      if (res.status === 401) throw new Error(`${host} rejected the login from ${found.found.source} (401): run helm registry login ${host} again`);
    } else if (/^Bearer/i.test(challenge) && realm) {
      const service = /service="([^"]+)"/.exec(challenge)?.[1];
      const tokenUrl = new URL(realm);
      if (service) tokenUrl.searchParams.set('service', service);
      tokenUrl.searchParams.set('scope', `repository:${path}:pull`);
      const tokenFor = async (authorization?: string) => {
        const token = await get(tokenUrl.toString(), { ca, signal, headers: authorization ? { Authorization: authorization } : undefined });
        if (token.status !== 200) return undefined;
        const body = JSON.parse(token.body.toString('utf8') || '{}') as { token?: string; access_token?: string };
        return body.token ?? body.access_token;
      };
      let bearer = await tokenFor();
      if (bearer) res = await get(url, { ca, signal, headers: { Authorization: `Bearer ${bearer}` } });
      if (!bearer || res.status === 401 || res.status === 403) {
        const found = await login(host);
        if (!found.found) throw new Error(loginHint(host, found.why));
        bearer = await tokenFor(found.found.authorization);
        if (!bearer) throw new Error(`${host}'s token service rejected the login from ${found.found.source}: run helm registry login ${host} again`);
        res = await get(url, { ca, signal, headers: { Authorization: `Bearer ${bearer}` } });
      }
    } else throw new Error(`${host} asks for an authentication the editor does not know (${challenge.split(' ')[0] || 'none'})`);
  }
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const tags = (JSON.parse(res.body.toString('utf8')) as { tags?: string[] | null }).tags ?? [];
  return tags.filter((t) => /^v?\d+\.\d+\.\d+/.test(t)).map((t) => t.replace(/_/g, '+'));
}

/** Newest first, by semver precedence (prereleases below their release). */
export function sortVersions(versions: string[]): string[] {
  const parse = (v: string) => {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?/.exec(v);
    return m ? { nums: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] } : undefined;
  };
  const compare = (a: string, b: string): number => {
    const pa = parse(a);
    const pb = parse(b);
    if (!pa || !pb) return pa ? -1 : pb ? 1 : a.localeCompare(b);
    for (let i = 0; i < 3; i++) if (pa.nums[i] !== pb.nums[i]) return pb.nums[i] - pa.nums[i];
    if (!pa.pre !== !pb.pre) return pa.pre ? 1 : -1;
    return (pb.pre ?? '').localeCompare(pa.pre ?? '', undefined, { numeric: true });
  };
  return [...new Set(versions)].sort(compare);
}
