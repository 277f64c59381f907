/**
 * Watches over HTTP/2: kube-apiserver serves HTTP/2 over TLS and allows 100 concurrent streams
 * per connection. A fleet of 1,000 clusters holds 2,000 watches; as HTTP/1.1 requests that is
 * 2,000 TLS connections (and their memory and handshakes), as HTTP/2 streams it is a few dozen.
 * One pool per API server and TLS identity; a session is opened when the others are full.
 */
import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type SecureClientSessionOptions } from 'node:http2';

/** Below the server's 100, leaving room for the odd list or write on the same session. */
const STREAMS_PER_SESSION = 90;

interface Session {
  session: ClientHttp2Session;
  streams: number;
}

export class H2SessionPool {
  private sessions: Session[] = [];
  private closed = false;

  constructor(
    private readonly origin: string,
    private readonly tls: SecureClientSessionOptions,
    private readonly connectTimeoutMs: number,
  ) {}

  /** Opens a GET stream; resolves once the response headers arrived. */
  async get(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ status: number; stream: ClientHttp2Stream }> {
    if (this.closed) throw new Error('connection pool closed');
    const slot = await this.slot(signal);
    slot.streams++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      slot.streams--;
    };
    const stream = slot.session.request({ ':method': 'GET', ':path': path, ...headers }, { endStream: true });
    stream.on('close', release);
    const onAbort = () => stream.close(constants.NGHTTP2_CANCEL);
    signal.addEventListener('abort', onAbort, { once: true });
    stream.on('close', () => signal.removeEventListener('abort', onAbort));
    return new Promise((resolve, reject) => {
      stream.once('response', (h) => resolve({ status: Number(h[':status']), stream }));
      stream.once('error', reject);
      stream.once('close', () => reject(new Error(signal.aborted ? 'aborted' : `stream closed before a response (code ${stream.rstCode})`)));
    });
  }

  private async slot(signal: AbortSignal): Promise<Session> {
    this.sessions = this.sessions.filter((s) => !s.session.closed && !s.session.destroyed);
    const free = this.sessions.find((s) => s.streams < STREAMS_PER_SESSION);
    if (free) return free;
    const session = connect(this.origin, this.tls);
    const entry: Session = { session, streams: 0 };
    this.sessions.push(entry);
    // A session error ends its streams (they see 'close' without an end); nothing else to do.
    session.on('error', () => undefined);
    session.on('goaway', () => session.close());
    // Idle sessions must not keep a CLI alive.
    session.unref();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.destroy();
        reject(new Error(`no answer within ${Math.round(this.connectTimeoutMs / 1000)}s`));
      }, this.connectTimeoutMs);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      session.once('connect', () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
      session.once('error', (err) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(err);
      });
    });
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
