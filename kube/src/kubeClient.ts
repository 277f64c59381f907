/**
 * The one request client of kplane's Kubernetes access layer, for the agent, the management
 * plane, the CLI and the test bed, on Node's own transports:
 *   - requests over node:https (or node:http) with keep-alive, on a pool shared by every client of
 *     the process: Node's Agent keys its sockets by server and TLS identity, so the plane's many
 *     contexts of one API server share connections instead of opening one set each;
 *   - watches on a connection of their own (HTTP/1.1), or, when the client is made with
 *     `http2: true` (the plane), as streams on shared HTTP/2 sessions (./h2Sessions.ts, loaded only
 *     then: the agent never loads it);
 *   - every request and watch has a deadline and takes an AbortSignal; every failure is a
 *     KubeError; watch lines go through the one decoder (./watchLines.ts).
 * No @kubernetes/client-node and no undici at run time: the agent's RSS budget (bench:kube,
 * bench:agent). Credentials come from a Connection (./kubeconfig.ts), which the plane builds
 * from client-node's KubeConfig (kubeConfigConnection) for exec and OIDC plugins.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeError, type WatchEvent } from './errors.js';
import type { Connection } from './kubeconfig.js';
import type { SessionLease } from './h2Sessions.js';

import { parseWatchLine, WatchLineDecoder } from './watchLines.js';

type SessionsModule = typeof import('./h2Sessions.js');
/** ./h2Sessions.ts once a client with `http2: true` loaded it. */
let sessions: SessionsModule | undefined;

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Query;
  /** Deadline for the whole exchange, the answer's body included (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface WatchOptions {
  /** Ends the watch; the promise then resolves. */
  signal: AbortSignal;
  /** Deadline for the response to begin (default 30 s). */
  connectTimeoutMs?: number;
  /**
   * Fails the watch when nothing, bookmarks included, came for this long: a half-open connection
   * looks like that. Default: no limit.
   */
  idleMs?: number;
  /** Cap per event line (default MAX_WATCH_LINE_BYTES of ./watchLines.ts). */
  maxLineBytes?: number;
}

export interface ClientOptions {
  /** The kubeconfig context: it starts every error message, for a plane that talks to many clusters. */
  context?: string;
  /** Watches as streams on shared HTTP/2 sessions (https servers); default: a connection per watch. */
  http2?: boolean;
  /** Connections per API server for requests (watches not counted); default 16. */
  maxSockets?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Request pools by protocol and size, shared by all clients: the Agent keys sockets by server and TLS identity. */
const pools = new Map<string, http.Agent>();

function pool(secure: boolean, maxSockets: number): http.Agent {
  const key = `${secure ? 'https' : 'http'}|${maxSockets}`;
  let agent = pools.get(key);
  if (!agent) {
    // Keep-alive: apply of hundreds of objects is mostly connection reuse. Idle sockets are
    // unref'd by Node's Agent, so they never keep a CLI alive.
    agent = secure ? new https.Agent({ keepAlive: true, maxSockets }) : new http.Agent({ keepAlive: true, maxSockets });
    pools.set(key, agent);
  }
  return agent;
}

/**
 * Connections of the process (for bench:fleet's report): request connections in the shared
 * pools (busy or idle), and HTTP/2 sessions with their watch streams. Watches on connections of
 * their own (no http2 option) are not counted.
 */
export function connectionStats(): { requestSockets: number; h2Sessions: number; h2Streams: number } {
  let requestSockets = 0;
  for (const agent of pools.values()) {
    for (const list of [...Object.values(agent.sockets), ...Object.values(agent.freeSockets)]) requestSockets += list?.length ?? 0;
  }
  return { requestSockets, ...(sessions?.connectionStats() ?? { h2Sessions: 0, h2Streams: 0 }) };
}

export class KubeClient {
  /** Exchanges in flight, for close(); a set rather than listeners on one signal, which Node warns about past 10. */
  private readonly inFlight = new Set<Scope>();
  private readonly prefix: string;
  private h2: Promise<SessionLease> | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly options: ClientOptions = {},
  ) {
    this.prefix = options.context ? `${options.context}: ` : '';
  }

  get server(): string {
    return this.connection.server;
  }

  get context(): string | undefined {
    return this.options.context;
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const what = `${method} ${path}`;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (payload !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const scope = this.scope(options.signal, timeoutMs);
    try {
      const url = this.url(path, options.query);
      const res = await this.send(method, url, headers, payload, pool(url.protocol === 'https:', this.options.maxSockets ?? 16), scope.signal);
      const text = await readText(res);
      let body: any = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (e.g. /healthz); keep the text
      }
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return body as T;
      throw new KubeError(`${this.prefix}${what}: ${status} ${body?.message ?? text.slice(0, 300)}`, status, body?.reason);
    } catch (err) {
      throw this.failure(err, what, scope, timeoutMs);
    } finally {
      scope.dispose();
      this.inFlight.delete(scope);
    }
  }

  /**
   * A GET for documents a cluster may make huge or slow (OpenAPI, discovery): the body is read up
   * to `maxBytes` and within `timeoutMs` (both fail with a KubeError naming the limit, without
   * holding more than the limit in memory); `etag` revalidates (answer 304, no body).
   */
  async getDocument(path: string, options: { timeoutMs: number; maxBytes: number; etag?: string; accept?: string; signal?: AbortSignal }): Promise<{ status: 200 | 304; etag?: string; text: string }> {
    const what = `GET ${path}`;
    const scope = this.scope(options.signal, options.timeoutMs);
    try {
      const url = this.url(path, undefined);
      const headers: Record<string, string> = { ...(options.accept ? { Accept: options.accept } : {}), ...(options.etag ? { 'If-None-Match': options.etag } : {}) };
      const res = await this.send('GET', url, headers, undefined, pool(url.protocol === 'https:', this.options.maxSockets ?? 16), scope.signal);
      const status = res.statusCode ?? 0;
      const header = res.headers.etag;
      const etag = typeof header === 'string' ? header : undefined;
      if (status === 304) {
        res.resume();
        return { status: 304, etag: etag ?? options.etag, text: '' };
      }
      const tooLarge = () => new KubeError(`${this.prefix}${what}: the answer is more than kplane reads (${options.maxBytes} bytes)`, status, 'TooLarge');
      if (Number(res.headers['content-length'] ?? 0) > options.maxBytes) {
        res.destroy();
        throw tooLarge();
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > options.maxBytes) {
          res.destroy();
          throw tooLarge();
        }
        chunks.push(chunk);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      if (status >= 300 || status < 200) {
        const body = safeJson(text) as { message?: unknown; reason?: unknown } | undefined;
        throw new KubeError(`${this.prefix}${what}: ${status} ${typeof body?.message === 'string' ? body.message.slice(0, 300) : text.slice(0, 200)}`, status, typeof body?.reason === 'string' ? body.reason : undefined);
      }
      return { status: 200, etag, text };
    } catch (err) {
      throw this.failure(err, what, scope, options.timeoutMs);
    } finally {
      scope.dispose();
      this.inFlight.delete(scope);
    }
  }

  /** GET that answers undefined for 404 instead of throwing. */
  async getOrUndefined<T = any>(path: string, options: RequestOptions = {}): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', path, options);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Server-side apply, as field manager `manager`, forcing ownership of the fields it sets. */
  apply<T = any>(path: string, object: unknown, manager: string, options: Omit<RequestOptions, 'body' | 'contentType'> = {}): Promise<T> {
    return this.request<T>('PATCH', path, {
      ...options,
      body: JSON.stringify(object),
      contentType: 'application/apply-patch+yaml',
      query: { ...options.query, fieldManager: manager, force: true },
    });
  }

  /**
   * One watch stream (with bookmarks): calls `onEvent` per event and resolves when the server
   * ends the stream or `signal` aborts. Rejects with a KubeError otherwise; a 410 Gone, as the
   * response or as an ERROR event in the stream (kube-apiserver's way: test/cluster/kubeClient.test.ts),
   * has status 410. ERROR events never reach `onEvent`.
   */
  async watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, options: WatchOptions): Promise<void> {
    const what = `watch ${path}`;
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const scope = this.scope(options.signal, connectTimeoutMs);
    try {
      const url = this.url(path, { ...query, watch: true, allowWatchBookmarks: true });
      const { status, body } = await this.openWatch(url, scope.signal);
      if (status >= 300) {
        const text = await readText(body);
        const parsed = safeJson(text) as { message?: string; reason?: string } | undefined;
        throw new KubeError(`${this.prefix}${what}: ${status} ${parsed?.message ?? text.slice(0, 300)}`, status, parsed?.reason);
      }
      scope.idle(options.idleMs);
      const lines = new WatchLineDecoder(path, options.maxLineBytes);
      const deliver = (line: string) => {
        const event = parseWatchLine(line, path);
        if (event.type === 'ERROR') {
          const code = event.object?.code;
          throw new KubeError(`${this.prefix}${what}: ${code ?? ''} ${event.object?.message ?? 'error event'}`, code ?? 500, event.object?.reason);
        }
        onEvent(event);
      };
      for await (const chunk of body) {
        scope.bump();
        lines.push(chunk as Buffer, deliver);
      }
      lines.end(deliver);
    } catch (err) {
      if (options.signal.aborted) return;
      throw this.failure(err, what, scope, connectTimeoutMs);
    } finally {
      scope.dispose();
      this.inFlight.delete(scope);
    }
  }

  /**
   * Ends every request and watch of this client in flight and lets go of its HTTP/2 sessions. Like
   * the clients before it, it can still be used afterwards (it connects again).
   */
  close(): void {
    for (const scope of this.inFlight) scope.abort(new Error('client closed'));
    this.inFlight.clear();
    void this.h2?.then((lease) => lease.release(), () => undefined);
    this.h2 = undefined;
  }

  private scope(signal: AbortSignal | undefined, timeoutMs: number): Scope {
    const scope = new Scope(signal, timeoutMs);
    this.inFlight.add(scope);
    return scope;
  }

  private url(path: string, query: Query | undefined): URL {
    let url: URL;
    try {
      url = new URL(path, this.connection.server);
    } catch {
      throw new KubeError(`${this.prefix}no usable API server URL ("${this.connection.server}") in ${this.connection.source}: set the cluster's server in the kubeconfig`, undefined, 'BadConfig');
    }
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private async send(method: string, url: URL, headers: Record<string, string>, payload: string | undefined, agent: http.Agent | false, signal: AbortSignal): Promise<http.IncomingMessage> {
    const tls = await this.connection.requestOptions();
    signal.throwIfAborted();
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = transport.request(url, {
        ...tls,
        agent,
        method,
        headers: { ...(tls.headers as Record<string, string> | undefined), Accept: 'application/json', ...headers },
      }, resolve);
      // By hand rather than the `signal` option, whose stream bookkeeping costs more per request.
      const onAbort = () => req.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => signal.removeEventListener('abort', onAbort));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A watch response: a stream on a shared HTTP/2 session, or a connection of its own. */
  private async openWatch(url: URL, signal: AbortSignal): Promise<{ status: number; body: NodeJS.ReadableStream & AsyncIterable<Buffer> }> {
    if (url.protocol === 'https:' && this.options.http2) {
      this.h2 ??= import('./h2Sessions.js').then((module) => {
        sessions = module;
        return module.leaseSessions(this.connection, url.origin);
      });
      const lease = await this.h2;
      const tls = await this.connection.requestOptions();
      const headers: Record<string, string> = { accept: 'application/json' };
      for (const [k, v] of Object.entries((tls.headers ?? {}) as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
      const { status, stream } = await lease.pool.get(url.pathname + url.search, headers, signal);
      return { status, body: stream };
    }
    // A watch holds its connection for minutes: keep it out of the request pool.
    const res = await this.send('GET', url, {}, undefined, false, signal);
    return { status: res.statusCode ?? 0, body: res };
  }

  private failure(err: unknown, what: string, scope: Scope, timeoutMs: number): KubeError {
    if (err instanceof KubeError) return err;
    if (scope.timedOut) return new KubeError(`${this.prefix}${what}: no answer from ${this.server} within ${duration(timeoutMs)}`, undefined, 'Timeout');
    if (scope.idleFor !== undefined) return new KubeError(`${this.prefix}${what}: no data from ${this.server} for ${duration(scope.idleFor)}`, undefined, 'Timeout');
    if (scope.signal.aborted) {
      const reason = scope.signal.reason instanceof Error ? scope.signal.reason.message : 'aborted';
      return new KubeError(`${this.prefix}${what}: ${reason}`, undefined, 'Aborted');
    }
    const code = (err as { code?: string })?.code;
    const detail = code && code !== 'ERR_HTTP2_STREAM_ERROR' ? code : err instanceof Error ? err.message : String(err);
    return new KubeError(`${this.prefix}${what}: cannot reach ${this.server} (${detail})`, undefined, 'Unreachable');
  }
}

/**
 * The signal of one exchange: aborts when the caller's signal does, at the deadline, (after
 * idle()) when no data came for the idle time, or on close(). Its listener on the caller's signal
 * is removed by dispose(), so a long-lived signal (a watch loop's) does not collect one per request.
 */
class Scope {
  private readonly controller = new AbortController();
  private unhook: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  timedOut = false;
  idleFor: number | undefined;

  constructor(signal: AbortSignal | undefined, timeoutMs: number) {
    if (signal?.aborted) this.controller.abort(signal.reason);
    else if (signal) {
      const onAbort = () => this.controller.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.unhook = () => signal.removeEventListener('abort', onAbort);
    }
    if (timeoutMs > 0 && !this.controller.signal.aborted) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort(new Error('deadline'));
      }, timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** From now on, the deadline is `ms` without data (none when undefined). */
  idle(ms: number | undefined): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!ms) return;
    this.timer = setTimeout(() => {
      this.idleFor = ms;
      this.controller.abort(new Error('idle'));
    }, ms);
  }

  abort(reason: Error): void {
    this.controller.abort(reason);
  }

  bump(): void {
    this.timer?.refresh();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.unhook?.();
    this.unhook = undefined;
  }
}

/** The whole body as text; with events rather than an async iterator, which costs more per request. */
function readText(body: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    body.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    body.on('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    body.on('error', reject);
    body.on('close', () => {
      if (!ended) reject(new Error('connection closed before the answer ended'));
    });
  });
}

function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms} ms`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
