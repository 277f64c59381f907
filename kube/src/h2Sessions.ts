/**
 * Watches over HTTP/2: kube-apiserver serves HTTP/2 over TLS and allows 100 concurrent streams
 * per connection. A fleet of 1,000 clusters holds 2,000 watches; as HTTP/1.1 requests that is
 * 2,000 TLS connections (and their memory and handshakes), as HTTP/2 streams it is a few dozen
 * (bench:fleet). One pool per API server and TLS identity, shared by every client of the process
 * with that identity; a session is opened when the others are full. ./kubeClient.ts loads this
 * module only for a client made with `http2: true`, so the agent never loads node:http2.
 */
import { createHash } from 'node:crypto';
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type SecureClientSessionOptions } from 'node:http2';
import type { Connection } from './kubeconfig.js';

/** Below the server's 100, leaving room for the odd list or write on the same session. */
const STREAMS_PER_SESSION = 90;
/** A session that has not connected by then is dropped; each watch has its own deadline too. */
const SESSION_CONNECT_TIMEOUT_MS = 30_000;

interface Session {
  session: ClientHttp2Session;
  streams: number;
  connected: Promise<void>;
}

export class H2SessionPool {
  private sessions: Session[] = [];
  private closed = false;

  constructor(
    private readonly origin: string,
    private readonly tls: SecureClientSessionOptions,
  ) {}

  /** Opens a GET stream; resolves once the response headers arrived. `signal` cancels the stream. */
  async get(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ status: number; stream: ClientHttp2Stream }> {
    if (this.closed) throw new Error('connection pool closed');
    const slot = this.slot();
    slot.streams++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      slot.streams--;
    };
    try {
      await abortable(slot.connected, signal);
    } catch (err) {
      release();
      throw err;
    }
    const stream = slot.session.request({ ':method': 'GET', ':path': path, ...headers }, { endStream: true });
    const onAbort = () => stream.close(constants.NGHTTP2_CANCEL);
    signal.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => {
      release();
      signal.removeEventListener('abort', onAbort);
    });
    return new Promise((resolve, reject) => {
      stream.once('response', (h) => resolve({ status: Number(h[':status']), stream }));
      // Errors after the response reach the reader of the stream; none may go unhandled.
      stream.on('error', reject);
      stream.once('close', () => reject(signal.aborted ? signal.reason : new Error(`stream closed before a response (code ${stream.rstCode})`)));
    });
  }

  private slot(): Session {
    this.sessions = this.sessions.filter((s) => !s.session.closed && !s.session.destroyed);
    const free = this.sessions.find((s) => s.streams < STREAMS_PER_SESSION);
    if (free) return free;
    const session = connect(this.origin, this.tls);
    // A session error ends its streams (they see 'close' without an end); nothing else to do.
    session.on('error', () => undefined);
    session.on('goaway', () => session.close());
    // Idle sessions must not keep a CLI alive.
    session.unref();
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.destroy();
        reject(new Error(`no HTTP/2 session within ${SESSION_CONNECT_TIMEOUT_MS / 1000}s`));
      }, SESSION_CONNECT_TIMEOUT_MS);
      session.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      session.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      session.once('close', () => {
        clearTimeout(timer);
        reject(new Error('session closed'));
      });
    });
    connected.catch(() => undefined);
    const entry: Session = { session, streams: 0, connected };
    this.sessions.push(entry);
    return entry;
  }

  stats(): { sessions: number; streams: number } {
    const open = this.sessions.filter((s) => !s.session.closed && !s.session.destroyed);
    return { sessions: open.length, streams: open.reduce((n, s) => n + s.streams, 0) };
  }

  close(): void {
    this.closed = true;
    for (const s of this.sessions) s.session.destroy();
    this.sessions = [];
  }
}

function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A client's share of a pool; the pool closes when its last client releases it. */
export interface SessionLease {
  pool: H2SessionPool;
  release(): void;
}

const shared = new Map<string, { pool: H2SessionPool; users: number }>();

/** The TLS settings of a connection, only those it sets. */
function tlsOptions(o: Record<string, any>): SecureClientSessionOptions {
  return {
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.cert ? { cert: o.cert } : {}),
    ...(o.key ? { key: o.key } : {}),
    ...(o.pfx ? { pfx: o.pfx, passphrase: o.passphrase } : {}),
    ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
    ...(o.servername ? { servername: o.servername } : {}),
  };
}

/** The session pool for `origin` and the connection's TLS identity (CA, client certificate, server name). */
export async function leaseSessions(connection: Connection, origin: string): Promise<SessionLease> {
  const tls = tlsOptions(await connection.requestOptions());
  const hash = (v: unknown) => (v === undefined ? '' : createHash('sha256').update(String(v)).digest('hex').slice(0, 16));
  const key = [origin, hash(tls.ca), hash(tls.cert), hash(tls.key), hash(tls.pfx), String(tls.rejectUnauthorized), tls.servername ?? ''].join('|');
  let entry = shared.get(key);
  if (!entry) {
    entry = { pool: new H2SessionPool(origin, tls), users: 0 };
    shared.set(key, entry);
  }
  entry.users++;
  const found = entry;
  let released = false;
  return {
    pool: found.pool,
    release() {
      if (released) return;
      released = true;
      if (--found.users > 0) return;
      shared.delete(key);
      found.pool.close();
    },
  };
}

/** Open HTTP/2 sessions and watch streams over every pool (for bench:fleet's report). */
export function connectionStats(): { h2Sessions: number; h2Streams: number } {
  let h2Sessions = 0;
  let h2Streams = 0;
  for (const { pool } of shared.values()) {
    const s = pool.stats();
    h2Sessions += s.sessions;
    h2Streams += s.streams;
  }
  return { h2Sessions, h2Streams };
}
