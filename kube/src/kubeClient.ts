/**
 * A small HTTP client for one cluster: requests with a deadline, and watch streams. It uses
 * @kubernetes/client-node for what is hard (auth: certificates, tokens, exec plugins) and keeps
 * one connection pool per cluster, so list, watch and apply reuse connections.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { Agent, fetch } from 'undici';
import { KubeError, type WatchEvent } from './errors.js';
import { H2SessionPool } from './h2Sessions.js';
import { parseWatchLine, WatchLineDecoder } from './watchLines.js';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}


export class KubeClient {
  private dispatcher: Agent | undefined;

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly context: string,
    /** TCP+TLS connect deadline; undici's default (10s) would keep a CLI alive after it answered. */
    private readonly connectTimeoutMs = 10_000,
    /** Watches as HTTP/2 streams on shared sessions; false = an HTTP/1.1 connection per watch (the benchmark's baseline). */
    private readonly http2 = true,
  ) {}

  get server(): string {
    return this.kubeConfig.getCurrentCluster()?.server ?? '';
  }

  async request<T = any>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, options: RequestOptions): Promise<T> {
    const signal = deadline(options.timeoutMs, options.signal);
    const response = await this.send(method, path, options, signal);
    const text = await response.text().catch((err: unknown) => {
      throw this.networkError(err, options.timeoutMs, signal);
    });
    const body = text ? safeJson(text) : undefined;
    if (response.status >= 400) {
      const status = body as { message?: string; reason?: string } | undefined;
      throw new KubeError(`${this.context}: ${method} ${path}: ${response.status} ${status?.message ?? text.slice(0, 200)}`, response.status, status?.reason);
    }
    return body as T;
  }

  /**
   * Streams a watch until the server ends it (resolves) or it fails (rejects with KubeError; a
   * 410 Gone, in the stream or as the response, has status 410). `idleMs` aborts a stream that
   * sends nothing, bookmarks included, for that long: a half-open connection looks like that.
   */
  async watch(path: string, query: Record<string, string | number | boolean | undefined>, onEvent: (event: WatchEvent) => void, options: { connectTimeoutMs: number; idleMs: number; signal: AbortSignal }): Promise<void> {
    const idle = new AbortController();
    const signal = AbortSignal.any([options.signal, idle.signal]);
    let timer = setTimeout(() => idle.abort(new Error('connect timeout')), options.connectTimeoutMs);
    const bump = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error(`no data for ${Math.round(options.idleMs / 1000)}s`)), options.idleMs);
    };
    try {
      const { status, body } = await this.openWatch(path, { ...query, watch: true }, signal, options.connectTimeoutMs);
      if (status >= 400) {
        const text = await readAll(body).catch(() => '');
        const parsed = safeJson(text) as { message?: string; reason?: string } | undefined;
        throw new KubeError(`${this.context}: watch ${path}: ${status} ${parsed?.message ?? text.slice(0, 200)}`, status, parsed?.reason);
      }
      bump();
      const lines = new WatchLineDecoder(path);
      const deliver = (line: string) => {
        const event = parseWatchLine(line, path);
        if (event.type === 'ERROR') {
          const code = event.object?.code as number | undefined;
          throw new KubeError(`${this.context}: watch ${path}: ${code ?? ''} ${event.object?.message ?? 'error event'}`, code ?? 500, event.object?.reason);
        }
        onEvent(event);
      };
      for await (const chunk of body) {
        bump();
        lines.push(chunk, deliver);
      }
      lines.end(deliver);
    } catch (err) {
      if (err instanceof KubeError) throw err;
      if (options.signal.aborted) return;
      throw this.networkError(err, options.connectTimeoutMs, signal);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A watch stream: HTTP/2 for https servers (shared sessions), HTTP/1.1 otherwise. */
  private async openWatch(path: string, query: RequestOptions['query'], signal: AbortSignal, connectTimeoutMs: number): Promise<{ status: number; body: AsyncIterable<Uint8Array> & { readableEnded?: boolean } }> {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    if (url.protocol === 'https:' && this.http2) {
      const https: Record<string, any> = {};
      await this.kubeConfig.applyToHTTPSOptions(https);
      this.dispatcher ??= sharedAgent(https, this.connectTimeoutMs);
      const pool = h2Pool(this.dispatcher, url.origin, https, connectTimeoutMs);
      if (pool) {
        const headers: Record<string, string> = { accept: 'application/json' };
        for (const [k, v] of Object.entries((https.headers ?? {}) as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
        if (https.auth) headers.authorization = `Basic ${Buffer.from(String(https.auth)).toString('base64')}`;
        try {
          const { status, stream } = await pool.get(url.pathname + url.search, headers, signal);
          return { status, body: stream };
        } catch (err) {
          throw this.networkError(err, connectTimeoutMs, signal);
        }
      }
    }
    const response = await this.send('GET', path, { query, timeoutMs: 0 }, signal);
    return { status: response.status, body: response.body as unknown as AsyncIterable<Uint8Array> };
  }

  private async send(method: string, path: string, options: Omit<RequestOptions, 'signal'>, signal: AbortSignal) {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    try {
      // client-node resolves the credentials (certificates, bearer token, exec plugin, basic
      // auth); the connection pool is ours, one per cluster, so every request reuses it.
      const https: Record<string, any> = {};
      await this.kubeConfig.applyToHTTPSOptions(https);
      this.dispatcher ??= sharedAgent(https, this.connectTimeoutMs);
      const headers: Record<string, string> = { accept: 'application/json' };
      for (const [k, v] of Object.entries((https.headers ?? {}) as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
      if (https.auth) headers.authorization = `Basic ${Buffer.from(String(https.auth)).toString('base64')}`;
      if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      return await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
        signal,
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      if (err instanceof KubeError) throw err;
      throw this.networkError(err, options.timeoutMs, signal);
    }
  }

  private networkError(err: unknown, timeoutMs: number, signal: AbortSignal): KubeError {
    if (signal.aborted) {
      const reason = signal.reason instanceof Error && signal.reason.name !== 'TimeoutError' && signal.reason.name !== 'AbortError' ? signal.reason.message : '';
      return new KubeError(`${this.context}: ${reason || `no answer within ${Math.round(timeoutMs / 1000)}s`} from ${this.server}`);
    }
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
    const detail = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return new KubeError(`${this.context}: cannot reach ${this.server} (${detail})`);
  }

  close(): void {
    if (this.dispatcher) releaseAgent(this.dispatcher);
    this.dispatcher = undefined;
  }
}

/**
 * Connection pools shared by clients with the same TLS identity (CA, client certificate, server
 * name): many contexts of one API server then share one TLS setup instead of one each. Watches
 * go over HTTP/2 sessions of the same identity (./h2Sessions.ts).
 */
const agents = new Map<string, { agent: Agent; users: number; h2: Map<string, H2SessionPool> }>();
const agentKeys = new WeakMap<Agent, string>();

/** The TLS settings of a client credential, only those it sets, for undici's Agent and the HTTP/2 pool alike. */
function tlsOptions(https: Record<string, any>): Record<string, unknown> {
  return {
    ...(https.ca ? { ca: https.ca } : {}),
    ...(https.cert ? { cert: https.cert } : {}),
    ...(https.key ? { key: https.key } : {}),
    ...(https.pfx ? { pfx: https.pfx, passphrase: https.passphrase } : {}),
    ...(https.rejectUnauthorized !== undefined ? { rejectUnauthorized: https.rejectUnauthorized } : {}),
    ...(https.servername ? { servername: https.servername } : {}),
  };
}

function sharedAgent(https: Record<string, any>, connectTimeoutMs: number): Agent {
  const hash = (v: unknown) => (v === undefined ? '' : createHash('sha256').update(String(v)).digest('hex').slice(0, 16));
  const key = [hash(https.ca), hash(https.cert), hash(https.key), hash(https.pfx), String(https.rejectUnauthorized), https.servername ?? '', connectTimeoutMs].join('|');
  const found = agents.get(key);
  if (found) {
    found.users++;
    return found.agent;
  }
  const agent = new Agent({
    connect: {
      ...tlsOptions(https),
      timeout: connectTimeoutMs,
      keepAlive: true,
      keepAliveInitialDelay: 30_000,
    },
  });
  agents.set(key, { agent, users: 1, h2: new Map() });
  agentKeys.set(agent, key);
  return agent;
}

/** Open HTTP/2 sessions and watch streams over every pool (for the benchmark's report). */
export function connectionStats(): { h2Sessions: number; h2Streams: number } {
  let h2Sessions = 0;
  let h2Streams = 0;
  for (const entry of agents.values()) {
    for (const pool of entry.h2.values()) {
      const s = pool.stats();
      h2Sessions += s.sessions;
      h2Streams += s.streams;
    }
  }
  return { h2Sessions, h2Streams };
}

/** The HTTP/2 session pool for `origin` that belongs with `agent`'s TLS identity. */
function h2Pool(agent: Agent, origin: string, https: Record<string, any>, connectTimeoutMs: number): H2SessionPool | undefined {
  const key = agentKeys.get(agent);
  const entry = key !== undefined ? agents.get(key) : undefined;
  if (!entry) return undefined;
  let pool = entry.h2.get(origin);
  if (!pool) {
    pool = new H2SessionPool(
      origin,
      tlsOptions(https),
      connectTimeoutMs,
    );
    entry.h2.set(origin, pool);
  }
  return pool;
}

function releaseAgent(agent: Agent): void {
  const key = agentKeys.get(agent);
  const entry = key !== undefined ? agents.get(key) : undefined;
  if (!entry || --entry.users > 0) return;
  agents.delete(key!);
  for (const pool of entry.h2.values()) pool.close();
  // destroy, not close: close waits for in-flight requests, and a hung server never finishes them.
  void agent.destroy().catch(() => undefined);
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  return text;
}

function deadline(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([timeout, signal]) : timeout;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
