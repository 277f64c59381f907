/**
 * A small HTTP client for one cluster: requests with a deadline, and watch streams. It uses
 * @kubernetes/client-node for what is hard (auth: certificates, tokens, exec plugins) and keeps
 * one connection pool per cluster, so list, watch and apply reuse connections.
 */
import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch, type Dispatcher } from 'undici';

export class KubeError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when the server never answered. */
    readonly status?: number,
    /** The Status object's reason (NotFound, Conflict, Expired, …). */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }

  /** The server could not be reached or did not answer in time. */
  get unreachable(): boolean {
    return this.status === undefined;
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export type WatchEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: any };

export class KubeClient {
  private dispatcher: Dispatcher | undefined;

  constructor(
    readonly kubeConfig: KubeConfig,
    readonly context: string,
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
      const response = await this.send('GET', path, { query: { ...query, watch: true }, timeoutMs: 0 }, signal);
      if (response.status >= 400) {
        const text = await response.text().catch(() => '');
        const status = safeJson(text) as { message?: string; reason?: string } | undefined;
        throw new KubeError(`${this.context}: watch ${path}: ${response.status} ${status?.message ?? text.slice(0, 200)}`, response.status, status?.reason);
      }
      bump();
      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        bump();
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          const event = safeJson(line) as WatchEvent | undefined;
          if (!event) continue;
          if (event.type === 'ERROR') {
            const code = event.object?.code as number | undefined;
            throw new KubeError(`${this.context}: watch ${path}: ${code ?? ''} ${event.object?.message ?? 'error event'}`, code ?? 500, event.object?.reason);
          }
          onEvent(event);
        }
      }
    } catch (err) {
      if (err instanceof KubeError) throw err;
      if (options.signal.aborted) return;
      throw this.networkError(err, options.connectTimeoutMs, signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private async send(method: string, path: string, options: Omit<RequestOptions, 'signal'>, signal: AbortSignal) {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    try {
      const ctx = new RequestContext(url.toString(), method as HttpMethod);
      await this.kubeConfig.applySecurityAuthentication(ctx);
      // client-node makes a new connection pool per request; keep the first so requests share it.
      this.dispatcher ??= ctx.getDispatcher() as Dispatcher | undefined;
      const headers: Record<string, string> = { ...ctx.getHeaders(), accept: 'application/json' };
      if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      return await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
        signal,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (err) {
      if (err instanceof KubeError) throw err;
      throw this.networkError(err, options.timeoutMs, signal);
    }
  }

  private networkError(err: unknown, timeoutMs: number, signal: AbortSignal): KubeError {
    if (signal.aborted) {
      const reason = signal.reason instanceof Error ? signal.reason.message : '';
      return new KubeError(`${this.context}: ${reason && reason !== 'This operation was aborted' ? reason : `no answer within ${Math.round(timeoutMs / 1000)}s`} from ${this.server}`);
    }
    const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
    const detail = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    return new KubeError(`${this.context}: cannot reach ${this.server} (${detail})`);
  }

  close(): void {
    void this.dispatcher?.close().catch(() => undefined);
    this.dispatcher = undefined;
  }
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
