/**
 * A target cluster's own API for manifest validation: its version, aggregated discovery (every
 * kind it serves, CRDs included) and the OpenAPI v3 documents of only the group/versions a
 * profile uses, read when first needed. Kept on disk outside the repository (default
 * ~/.cache/kplane/schemas, or the extension's storage path), revalidated with ETags, so a cluster
 * that cannot be reached is checked against its last known schemas, with their age.
 *
 * A cluster may be hostile or broken: every answer is read within a deadline and a byte limit,
 * parsed without trust, and reduced by @kplane/profile's liveSchemas.ts (bounded depth and size).
 * Clusters that serve the same release, kinds and documents share one KubeTypes in memory.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describeAge, groupVersionSchemasOf, kubernetesReleaseOf, KubeTypes, liveSchemaData, openApiPathsOf, servedKindsOf, type GroupVersionSchemas, type ServedKinds } from '@kplane/profile';
import { KubeError, type KubeClient } from '@kplane/kube';

export interface LiveSchemaOptions {
  /** Where documents are kept; default $XDG_CACHE_HOME/kplane/schemas or ~/.cache/kplane/schemas. */
  cacheDir?: string;
  /** Deadline of one request (a slow cluster is given up on, then its cache is used). */
  timeoutMs?: number;
  /** Largest answer read from a cluster (one group/version's OpenAPI document). */
  maxDocumentBytes?: number;
  /** The cache is pruned, oldest first, to this size. */
  maxCacheBytes?: number;
  /** Cached files unused for longer are deleted. */
  maxCacheAgeMs?: number;
  now?: () => number;
}

export interface LiveSchemaSet {
  /** The kubeconfig context. */
  context: string;
  server: string;
  /** e.g. v1.36.3 */
  kubernetes: string;
  /** live: read from the cluster now (or revalidated); cached: the cluster did not answer. */
  state: 'live' | 'cached';
  /** When the cluster last answered (ms since epoch). */
  fetchedAt: number;
  kube: KubeTypes;
  /**
   * Names the content of `kube` (release, served kinds, documents read): clusters with equal ids
   * have the same schemas, so the language server is sent, and keeps, one set per id.
   */
  id: string;
  /** The group/versions whose schemas are in `kube` (the others are known by discovery only). */
  groupVersions: string[];
  /** What could not be read, each naming the cluster and what to do. */
  problems: string[];
}

// Moved to @kplane/profile (the language server says the same ages); kept here for the CLI.
export { describeAge };

const DISCOVERY_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9';
const DEFAULTS = {
  timeoutMs: 15_000,
  maxDocumentBytes: 48 * 1024 * 1024,
  maxCacheBytes: 256 * 1024 * 1024,
  maxCacheAgeMs: 30 * 24 * 3600_000,
};
/** Discovery, /version and the OpenAPI index are small; a cluster sending more is broken. */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;

interface ServerEntry {
  server: string;
  kubernetes: string;
  fetchedAt: number;
  etags: { api?: string; apis?: string; openapi?: string };
  served: ServedKinds;
  /** group/version → serverRelativeURL (with its ?hash=). */
  paths: Record<string, string>;
}

/** The context, for messages (a client made without one: its server). */
const nameOf = (client: KubeClient): string => client.context ?? client.server;
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function defaultSchemaCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'kplane', 'schemas');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new KubeError(`${what} is not JSON (${(err as Error).message.slice(0, 120)})`, undefined, 'BadResponse');
  }
}

export class LiveSchemaStore {
  private readonly options: Required<Omit<LiveSchemaOptions, 'now'>> & { now: () => number };
  /** Schema sets by what makes them equal (release, served kinds, document hashes): shared by clusters. */
  private readonly sets = new Map<string, KubeTypes>();
  /** Per server: the last entry read or written, so a second profile asks the cluster only for new group/versions. */
  private readonly entries = new Map<string, { entry: ServerEntry; state: 'live' | 'cached'; at: number; problems: string[] }>();
  private writes = 0;

  constructor(options: LiveSchemaOptions = {}) {
    this.options = { cacheDir: options.cacheDir ?? defaultSchemaCacheDir(), timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs, maxDocumentBytes: options.maxDocumentBytes ?? DEFAULTS.maxDocumentBytes, maxCacheBytes: options.maxCacheBytes ?? DEFAULTS.maxCacheBytes, maxCacheAgeMs: options.maxCacheAgeMs ?? DEFAULTS.maxCacheAgeMs, now: options.now ?? Date.now };
  }

  get cacheDir(): string {
    return this.options.cacheDir;
  }

  /**
   * The cluster's schema set with the schemas of `groupVersions` (those it serves). Discovery is
   * revalidated at most every `maxAgeMs` per store. Throws a KubeError only when the cluster
   * cannot be reached and nothing is cached for it.
   */
  async schemaSet(client: KubeClient, groupVersions: readonly string[], maxAgeMs = 60_000): Promise<LiveSchemaSet> {
    const server = client.server;
    const known = this.entries.get(server);
    let current = known;
    if (!known || this.options.now() - known.at > maxAgeMs) current = await this.refreshIndex(client, known?.entry);
    const { entry, state } = current!;
    const problems = [...current!.problems];
    const wanted = [...new Set(groupVersions)].filter((gv) => Object.hasOwn(entry.served, gv) && Object.hasOwn(entry.paths, gv)).sort();
    const key = sha(JSON.stringify([entry.kubernetes, entry.served, wanted.map((gv) => entry.paths[gv])]));
    let id = key;
    let kube = this.sets.get(key);
    if (!kube) {
      const documents = new Map<string, GroupVersionSchemas>();
      for (const gv of wanted) {
        const doc = await this.document(client, entry, gv, state, problems);
        if (doc) documents.set(gv, doc);
      }
      kube = new KubeTypes(liveSchemaData(entry.kubernetes, entry.served, documents));
      // A set with a missing document is not shared: the next call tries that document again.
      if (documents.size === wanted.length) this.sets.set(key, kube);
      else id = sha(`${key}\n${[...documents.keys()].join(',')}`);
    }
    return { context: client.context ?? server, server, kubernetes: entry.kubernetes, state, fetchedAt: entry.fetchedAt, kube, id, groupVersions: wanted, problems };
  }

  private async refreshIndex(client: KubeClient, previous: ServerEntry | undefined): Promise<{ entry: ServerEntry; state: 'live' | 'cached'; at: number; problems: string[] }> {
    const server = client.server;
    const file = join(this.options.cacheDir, 'servers', `${sha(server)}.json`);
    const cached = previous ?? (await this.readEntry(file, server));
    let result: { entry: ServerEntry; state: 'live' | 'cached'; at: number; problems: string[] };
    try {
      const entry = await this.readIndex(client, cached);
      await this.write(file, JSON.stringify(entry));
      result = { entry, state: 'live', at: this.options.now(), problems: [] };
    } catch (err) {
      if (!cached) throw err instanceof KubeError ? err : new KubeError(`${client.context ?? server}: ${(err as Error).message}`);
      const age = describeAge(this.options.now() - cached.fetchedAt);
      result = { entry: cached, state: 'cached', at: this.options.now(), problems: [`${(err as Error).message}; checked against its schemas of ${age} ago`] };
    }
    this.entries.set(server, result);
    return result;
  }

  private async readIndex(client: KubeClient, cached: ServerEntry | undefined): Promise<ServerEntry> {
    const small = { timeoutMs: this.options.timeoutMs, maxBytes: MAX_INDEX_BYTES };
    const version = parseJson((await client.getDocument('/version', small)).text, `${nameOf(client)}: /version`);
    const kubernetes = kubernetesReleaseOf(version);
    const [api, apis, openapi] = await Promise.all([
      client.getDocument('/api', { ...small, accept: DISCOVERY_ACCEPT, etag: cached?.etags.api }),
      client.getDocument('/apis', { ...small, accept: DISCOVERY_ACCEPT, etag: cached?.etags.apis }),
      client.getDocument('/openapi/v3', { ...small, etag: cached?.etags.openapi }),
    ]);
    let served: ServedKinds;
    if (api.status === 304 && apis.status === 304 && cached) served = cached.served; // still what the cluster serves
    else if (api.status === 304 || apis.status === 304) return this.readIndex(client, undefined); // one changed: read both again, never mix
    else served = servedKindsOf(parseJson(api.text, `${nameOf(client)}: /api`), parseJson(apis.text, `${nameOf(client)}: /apis`));
    if (!Object.keys(served).length) throw new KubeError(`${nameOf(client)}: discovery lists no kinds (is ${client.server} a Kubernetes API server with aggregated discovery, v1.30 or later?)`, undefined, 'BadResponse');
    let paths: Record<string, string>;
    if (openapi.status === 304 && cached) paths = cached.paths;
    else paths = openApiPathsOf(parseJson(openapi.text, `${nameOf(client)}: /openapi/v3`));
    return { server: client.server, kubernetes, fetchedAt: this.options.now(), etags: { api: api.etag, apis: apis.etag, openapi: openapi.etag }, served, paths };
  }

  private async readEntry(file: string, server: string): Promise<ServerEntry | undefined> {
    try {
      const entry = JSON.parse(await readFile(file, 'utf8')) as ServerEntry;
      return entry.server === server && isObj(entry.served) && isObj(entry.paths) ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /** One group/version's schemas: from the cache by its URL (which carries the content hash), or read now. */
  private async document(client: KubeClient, entry: ServerEntry, gv: string, state: 'live' | 'cached', problems: string[]): Promise<GroupVersionSchemas | undefined> {
    const url = entry.paths[gv];
    const file = join(this.options.cacheDir, 'documents', `${sha(`${entry.server}\n${url}`)}.json`);
    try {
      const doc = JSON.parse(await readFile(file, 'utf8')) as GroupVersionSchemas;
      const now = new Date(this.options.now());
      await utimes(file, now, now).catch(() => undefined);
      return doc;
    } catch {
      // not cached (or unreadable): read it from the cluster
    }
    if (state === 'cached') {
      problems.push(`${nameOf(client)}: the schemas of ${gv} were never read from this cluster and it does not answer now; ${gv} kinds are checked for being served only`);
      return undefined;
    }
    try {
      const answer = await client.getDocument(url, { timeoutMs: this.options.timeoutMs, maxBytes: this.options.maxDocumentBytes });
      const doc = groupVersionSchemasOf(gv, parseJson(answer.text, `${nameOf(client)}: ${url}`));
      problems.push(...doc.problems.map((p) => `${nameOf(client)}: ${p}`));
      await this.write(file, JSON.stringify(doc));
      return doc;
    } catch (err) {
      problems.push(`${nameOf(client)}: the schemas of ${gv} could not be read (${(err as Error).message}); ${gv} kinds are checked for being served only`);
      return undefined;
    }
  }

  /** Atomic write (a reader never sees half a file), then a prune every few writes. */
  private async write(file: string, text: string): Promise<void> {
    try {
      await mkdir(join(file, '..'), { recursive: true });
      const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(temp, text);
      await rename(temp, file);
      if (++this.writes % 16 === 1) await this.prune();
    } catch {
      // A read-only or full disk costs the cache, not the check.
    }
  }

  /** Deletes files unused for maxCacheAgeMs, then the oldest until the cache fits maxCacheBytes. */
  async prune(): Promise<void> {
    const files: { path: string; size: number; used: number }[] = [];
    for (const dir of ['documents', 'servers']) {
      const names = await readdir(join(this.options.cacheDir, dir)).catch(() => [] as string[]);
      for (const name of names) {
        const path = join(this.options.cacheDir, dir, name);
        const info = await stat(path).catch(() => undefined);
        if (info?.isFile()) files.push({ path, size: info.size, used: info.mtimeMs });
      }
    }
    const now = this.options.now();
    files.sort((a, b) => a.used - b.used);
    let total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files) {
      if (now - f.used <= this.options.maxCacheAgeMs && total <= this.options.maxCacheBytes) break;
      await unlink(f.path).catch(() => undefined);
      total -= f.size;
    }
  }
}
