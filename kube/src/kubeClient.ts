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
 *     KubeError; watch lines go through the one decoder (./watchLines.ts);
 *   - a request costs little more than a bare node:https request (bench:kube prints the ratio):
 *     no AbortController, timer or URL object per request (see Exchange).
 * No @kubernetes/client-node and no undici at run time: the agent's RSS budget (bench:kube,
 * bench:agent). Credentials come from a Connection (./kubeconfig.ts), which the plane builds
 * from client-node's KubeConfig (kubeConfigConnection) for exec and OIDC plugins.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { finished, type Readable } from 'node:stream';
import { KubeError, type WatchEvent } from './errors.js';
import type { Connection } from './kubeconfig.js';
import type { SessionLease } from './h2Sessions.js';

import { parseWatchLine, WatchLineDecoder } from './watchLines.js';

type SessionsModule = typeof import('./h2Sessions.js');
/** ./h2Sessions.ts once a client with `http2: true` loaded it. */
let sessions: SessionsModule | undefined;

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * Accept header asking for the object's metadata only (meta.k8s.io/v1 PartialObjectMetadata): a
 * GET or write of one object of any kind, CRDs included (k8s.io/apiserver endpoints/handlers: the
 * answer of patch.go and create.go goes through transformResponseObject). A LIST needs
 * METADATA_LIST_ONLY: asked with this one, kube-apiserver answers 406 Not Acceptable.
 */
export const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
/** Accept header of a metadata-only LIST (meta.k8s.io/v1 PartialObjectMetadataList). */
export const METADATA_LIST_ONLY = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  /**
   * The Accept header, e.g. METADATA_ONLY: a write whose caller needs only the metadata back
   * (resourceVersion, generation) then does not download and parse a whole big object.
   */
  accept?: string;
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
  /**
   * Hands over the events at most once per this many milliseconds: what came meanwhile is decoded
   * and delivered together (in one `batch`). For a watch that gets hundreds of small events a
   * second (a hub of 10,000 members), one pass over warm code and data per interval instead of
   * one per event; each event is that much later at most. Default: none.
   */
  coalesceMs?: number;
  /** Wraps the delivery of each chunk's events (the plane: FleetModel.batch, one change notice per chunk). */
  batch?: (deliver: () => void) => void;
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
/** Resends of a request that failed on a dead kept-alive socket (see KubeClient.send). */
const STALE_RETRIES = 2;
/** How a dead kept-alive socket fails a request before any answer ("socket hang up" is ECONNRESET). */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
/** Errors of requests that failed that way (marked where `req.reusedSocket` is known). */
const staleSocketErrors = new WeakSet<object>();

/**
 * Closes the pool's idle sockets to one server (Node's Agent names a pool entry
 * `host:port:…`); a destroyed socket leaves the pool by the Agent's own close handler.
 */
function dropIdleSockets(agent: http.Agent, server: Server): void {
  const prefix = `${server.hostname}:${server.port || (server.secure ? 443 : 80)}:`;
  for (const [name, sockets] of Object.entries(agent.freeSockets)) {
    if (name.startsWith(prefix)) for (const socket of [...(sockets ?? [])]) socket.destroy();
  }
}

/** Where a client's requests go, parsed once from the connection's server URL. */
interface Server {
  secure: boolean;
  /** Without IPv6 brackets, as node:http wants it. */
  hostname: string;
  port: string;
  /** The server URL's path (a proxy's, e.g. Rancher's /k8s/clusters/<id>), put before every path. */
  base: string;
  origin: string;
}

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
  private readonly inFlight = new Set<Exchange>();
  private readonly prefix: string;
  private h2: Promise<SessionLease> | undefined;
  private parsed: Server | undefined;

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
    const headers: Record<string, string> = options.accept ? { Accept: options.accept } : {};
    if (payload !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const exchange = this.begin(options.signal, timeoutMs);
    try {
      const res = await this.send(method, withQuery(path, options.query), headers, payload, true, exchange);
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
      throw this.failure(err, what, exchange, timeoutMs);
    } finally {
      this.finish(exchange);
    }
  }

  /**
   * A GET for documents a cluster may make huge or slow (OpenAPI, discovery): the body is read up
   * to `maxBytes` and within `timeoutMs` (both fail with a KubeError naming the limit, without
   * holding more than the limit in memory); `etag` revalidates (answer 304, no body).
   */
  async getDocument(path: string, options: { timeoutMs: number; maxBytes: number; etag?: string; accept?: string; signal?: AbortSignal }): Promise<{ status: 200 | 304; etag?: string; text: string }> {
    const what = `GET ${path}`;
    const exchange = this.begin(options.signal, options.timeoutMs);
    try {
      const headers: Record<string, string> = { ...(options.accept ? { Accept: options.accept } : {}), ...(options.etag ? { 'If-None-Match': options.etag } : {}) };
      const res = await this.send('GET', path, headers, undefined, true, exchange);
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
      throw this.failure(err, what, exchange, options.timeoutMs);
    } finally {
      this.finish(exchange);
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
    const exchange = this.begin(options.signal, connectTimeoutMs);
    try {
      const { status, body } = await this.openWatch(withQuery(path, { ...query, watch: true, allowWatchBookmarks: true }), exchange);
      if (status >= 300) {
        const text = await readText(body);
        const parsed = safeJson(text) as { message?: string; reason?: string } | undefined;
        throw new KubeError(`${this.prefix}${what}: ${status} ${parsed?.message ?? text.slice(0, 300)}`, status, parsed?.reason);
      }
      exchange.idle(options.idleMs);
      const lines = new WatchLineDecoder(path, options.maxLineBytes);
      const deliver = (line: string) => {
        const event = parseWatchLine(line, path);
        if (event.type === 'ERROR') {
          const code = event.object?.code;
          throw new KubeError(`${this.prefix}${what}: ${code ?? ''} ${event.object?.message ?? 'error event'}`, code ?? 500, event.object?.reason);
        }
        onEvent(event);
      };
      const batch = options.batch;
      const read = (chunks: Buffer[]) => {
        for (const chunk of chunks) lines.push(chunk, deliver);
      };
      await readWatch(body as unknown as Readable, options.coalesceMs, (chunks) => {
        exchange.bump();
        if (batch) batch(() => read(chunks));
        else read(chunks);
      });
      lines.end(deliver);
    } catch (err) {
      if (options.signal.aborted) return;
      throw this.failure(err, what, exchange, connectTimeoutMs);
    } finally {
      this.finish(exchange);
    }
  }

  /**
   * Ends every request and watch of this client in flight and lets go of its HTTP/2 sessions. Like
   * the clients before it, it can still be used afterwards (it connects again).
   */
  close(): void {
    for (const exchange of this.inFlight) exchange.end(new Error('client closed'));
    this.inFlight.clear();
    void this.h2?.then((lease) => lease.release(), () => undefined);
    this.h2 = undefined;
  }

  private begin(signal: AbortSignal | undefined, timeoutMs: number): Exchange {
    const exchange = new Exchange(signal, timeoutMs);
    this.inFlight.add(exchange);
    return exchange;
  }

  private finish(exchange: Exchange): void {
    exchange.dispose();
    this.inFlight.delete(exchange);
  }

  private target(): Server {
    if (this.parsed) return this.parsed;
    let url: URL;
    try {
      url = new URL(this.connection.server);
    } catch {
      throw new KubeError(`${this.prefix}no usable API server URL ("${this.connection.server}") in ${this.connection.source}: set the cluster's server in the kubeconfig`, undefined, 'BadConfig');
    }
    this.parsed = {
      secure: url.protocol === 'https:',
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      base: url.pathname.replace(/\/+$/, ''),
      origin: url.origin,
    };
    return this.parsed;
  }

  /**
   * One HTTP/1.1 exchange; resolves with the response once its head arrived. `pooled`: on the
   * shared keep-alive pool (requests) or on a connection of its own (watches).
   * A socket the pool kept idle may be dead without the client knowing: the server closed it
   * during a network partition (its FIN lost) or just as the client reused it. The request then
   * fails on it before any answer (ECONNRESET, EPIPE) and the server never read it, so it is sent
   * again, up to STALE_RETRIES times, after the server's other idle sockets are dropped (likely as
   * dead), so the retry dials anew. Go's net/http retries a reused connection the same way; Node
   * documents `reusedSocket` for it.
   */
  private async send(method: string, path: string, headers: Record<string, string>, payload: string | undefined, pooled: boolean, exchange: Exchange): Promise<http.IncomingMessage> {
    const server = this.target();
    const tls = await this.connection.requestOptions();
    for (let attempt = 0; ; attempt++) {
      exchange.throwIfEnded();
      try {
        return await this.sendOnce(server, tls, method, path, headers, payload, pooled, exchange);
      } catch (err) {
        if (!pooled || attempt >= STALE_RETRIES || !staleSocketErrors.has(err as object) || exchange.reason) throw err;
        dropIdleSockets(pool(server.secure, this.options.maxSockets ?? 16), server);
      }
    }
  }

  private sendOnce(server: Server, tls: https.RequestOptions, method: string, path: string, headers: Record<string, string>, payload: string | undefined, pooled: boolean, exchange: Exchange): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = (server.secure ? https : http).request(
        {
          ...tls,
          hostname: server.hostname,
          port: server.port,
          path: server.base + path,
          method,
          agent: pooled ? pool(server.secure, this.options.maxSockets ?? 16) : false,
          headers: { ...(tls.headers as Record<string, string> | undefined), Accept: 'application/json', ...headers },
        },
        (res) => {
          answered = true;
          resolve(res);
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && !answered && !exchange.reason && STALE_SOCKET_CODES.has(err.code ?? '')) staleSocketErrors.add(err);
        reject(err);
      });
      exchange.attach(req);
      req.end(payload);
    });
  }

  /** A watch response: a stream on a shared HTTP/2 session, or a connection of its own. */
  private async openWatch(path: string, exchange: Exchange): Promise<{ status: number; body: NodeJS.ReadableStream & AsyncIterable<Buffer> }> {
    const server = this.target();
    if (server.secure && this.options.http2) {
      this.h2 ??= import('./h2Sessions.js').then((module) => {
        sessions = module;
        return module.leaseSessions(this.connection, server.origin);
      });
      const lease = await this.h2;
      const tls = await this.connection.requestOptions();
      const headers: Record<string, string> = { accept: 'application/json' };
      for (const [k, v] of Object.entries((tls.headers ?? {}) as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
      // The pool cancels the stream (RST_STREAM CANCEL) when the signal aborts.
      const { status, stream } = await lease.pool.get(server.base + path, headers, exchange.signal());
      return { status, body: stream };
    }
    // A watch holds its connection for minutes: keep it out of the request pool.
    const res = await this.send('GET', path, {}, undefined, false, exchange);
    return { status: res.statusCode ?? 0, body: res };
  }

  private failure(err: unknown, what: string, exchange: Exchange, timeoutMs: number): KubeError {
    if (err instanceof KubeError) return err;
    if (exchange.timedOut) return new KubeError(`${this.prefix}${what}: no answer from ${this.server} within ${duration(timeoutMs)}`, undefined, 'Timeout');
    if (exchange.idleFor !== undefined) return new KubeError(`${this.prefix}${what}: no data from ${this.server} for ${duration(exchange.idleFor)}`, undefined, 'Timeout');
    if (exchange.reason) return new KubeError(`${this.prefix}${what}: ${exchange.reason.message}`, undefined, 'Aborted');
    const code = (err as { code?: string })?.code;
    const detail = code && code !== 'ERR_HTTP2_STREAM_ERROR' ? code : err instanceof Error ? err.message : String(err);
    return new KubeError(`${this.prefix}${what}: cannot reach ${this.server} (${detail})`, undefined, 'Unreachable');
  }
}

/**
 * One request or watch in flight, and what ends it early: the caller's signal, its deadline, a
 * watch's idle limit, or close(). Ending it destroys its request or stream.
 *
 * Per request there is no AbortController and no timer: with them (and a URL object per request)
 * KubeClient took 1.3-1.4x the CPU of a bare node:https request against a real API server, about
 * 0.1 ms each (bench:kube). Deadlines are checked by one timer shared by every exchange in flight
 * (checkDeadlines), which runs only while some are, and fires up to DEADLINE_TICK_MS late. A
 * watch, which lives for minutes, gets an AbortSignal (for its HTTP/2 stream) and a timer of its
 * own for its idle limit, so an idle agent or plane with only watches open has no ticking timer.
 */
class Exchange {
  /** performance.now() when it fails as Timeout; Infinity for none. */
  expiresAt = Infinity;
  timedOut = false;
  idleFor: number | undefined;
  /** Why it was ended early; undefined while it runs. */
  reason: Error | undefined;
  private target: { destroy(error?: Error): unknown } | undefined;
  private controller: AbortController | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private unhook: (() => void) | undefined;

  constructor(signal: AbortSignal | undefined, timeoutMs: number) {
    if (signal?.aborted) {
      this.end(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    if (signal) {
      const onAbort = () => this.end(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.unhook = () => signal.removeEventListener('abort', onAbort);
    }
    if (timeoutMs > 0) {
      this.expiresAt = performance.now() + timeoutMs;
      watchDeadline(this);
    }
  }

  /** What to destroy when it ends; destroyed at once if it already has. */
  attach(target: { destroy(error?: Error): unknown }): void {
    if (this.reason) target.destroy(this.reason);
    else this.target = target;
  }

  throwIfEnded(): void {
    if (this.reason) throw this.reason;
  }

  /** An AbortSignal that aborts when this ends (made on first use: only HTTP/2 watches need one). */
  signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.reason) this.controller.abort(this.reason);
    return this.controller.signal;
  }

  end(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.target?.destroy(reason);
    this.controller?.abort(reason);
  }

  /** Called by checkDeadlines. */
  expire(): void {
    this.timedOut = true;
    this.end(new Error('deadline'));
  }

  /** From now on, the deadline is `ms` without data (none when undefined). */
  idle(ms: number | undefined): void {
    this.expiresAt = Infinity;
    unwatchDeadline(this);
    if (!ms) return;
    this.idleTimer = setTimeout(() => {
      this.idleFor = ms;
      this.end(new Error('idle'));
    }, ms);
  }

  /** Data came: the idle limit starts again. */
  bump(): void {
    this.idleTimer?.refresh();
  }

  dispose(): void {
    unwatchDeadline(this);
    clearTimeout(this.idleTimer);
    this.unhook?.();
    this.unhook = undefined;
    this.target = undefined;
  }
}

/** Coalesced chunks waiting past this many bytes are read at once (a burst, a relist's catch-up). */
const COALESCE_MAX_BYTES = 1024 * 1024;

/**
 * Reads a watch body to its end, calling `onChunks` with what came, with 'data' events rather
 * than `for await`: the async iterator's promise and nextTicks per chunk were about a sixth of a
 * hub plane's JavaScript time at 10,000 members, which gets a chunk per event (bench:hub
 * --cpu-prof-dir). With `coalesceMs`, chunks are kept (never the stream paused: a paused HTTP/2
 * stream stops its flow-control window, and the API server ends a watcher that falls behind) and
 * handed over together at most that long after the first, or at COALESCE_MAX_BYTES; what is kept
 * when the stream ends is handed over before it resolves. Rejects as the iterator did: with the
 * stream's error, with ERR_STREAM_PREMATURE_CLOSE when it is destroyed before its end, or with
 * what `onChunks` threw, after destroying the stream.
 */
function readWatch(body: Readable, coalesceMs: number | undefined, onChunks: (chunks: Buffer[]) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let thrown = false;
    let kept: Buffer[] = [];
    let keptBytes = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const handOver = (chunks: Buffer[]): boolean => {
      if (thrown) return false;
      try {
        onChunks(chunks);
        return true;
      } catch (err) {
        thrown = true;
        reject(err);
        body.destroy();
        return false;
      }
    };
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      const chunks = kept;
      kept = [];
      keptBytes = 0;
      return chunks.length ? handOver(chunks) : true;
    };
    body.on('data', (chunk: Buffer) => {
      if (thrown) return;
      if (!coalesceMs) return void handOver([chunk]);
      kept.push(chunk);
      keptBytes += chunk.length;
      if (keptBytes >= COALESCE_MAX_BYTES) flush();
      else timer ??= setTimeout(flush, coalesceMs);
    });
    // A GET's request side has ended already; only the response side is waited for.
    finished(body, { writable: false }, (err) => {
      if (err) {
        clearTimeout(timer);
        if (!thrown) reject(err);
      } else if (flush() && !thrown) resolve();
    });
  });
}

/** How often the shared timer checks deadlines; a deadline fires up to this late. */
const DEADLINE_TICK_MS = 100;
const withDeadline = new Set<Exchange>();
let deadlineTimer: ReturnType<typeof setInterval> | undefined;

function watchDeadline(exchange: Exchange): void {
  withDeadline.add(exchange);
  // Unref'd: an exchange in flight holds its socket, which keeps the process alive anyway.
  deadlineTimer ??= setInterval(checkDeadlines, DEADLINE_TICK_MS).unref();
}

function unwatchDeadline(exchange: Exchange): void {
  withDeadline.delete(exchange);
}

function checkDeadlines(): void {
  // Stopped here rather than when the last exchange finishes: back-to-back requests would
  // otherwise start and stop it once each.
  if (!withDeadline.size) {
    clearInterval(deadlineTimer);
    deadlineTimer = undefined;
    return;
  }
  const now = performance.now();
  for (const exchange of withDeadline) {
    if (exchange.expiresAt <= now) {
      withDeadline.delete(exchange);
      exchange.expire();
    }
  }
}

/** `path` with `query` appended (undefined values left out), as the API server reads it. */
function withQuery(path: string, query: Query | undefined): string {
  let search = '';
  for (const key in query) {
    const value = query[key];
    if (value !== undefined) search += `${search ? '&' : ''}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return search ? `${path}${path.includes('?') ? '&' : '?'}${search}` : path;
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
