/**
 * The one request client's deadlines and cancellation, which a real API server cannot be made to
 * need: a local socket server that stalls (accepts and never answers, or answers and then goes
 * quiet) stands in for a hung server or a half-open connection. Nothing here imitates the
 * Kubernetes API; watches against a real kube-apiserver are in test/cluster/kubeClient.test.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeClient, KubeError, type Connection, type WatchEvent } from '@kplane/kube';

interface Stall {
  server: Server;
  connection: Connection;
  /** Sockets the server saw, and whether each has closed. */
  sockets: { socket: Socket; closed: Promise<void> }[];
  requests: IncomingMessage[];
  close(): Promise<void>;
}

/** A server that hands each request to `answer` (default: never answers). */
async function stall(answer: (req: IncomingMessage, res: ServerResponse) => void = () => undefined): Promise<Stall> {
  const sockets: Stall['sockets'] = [];
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    answer(req, res);
  });
  server.on('connection', (socket) => sockets.push({ socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    sockets,
    requests,
    connection: { server: `http://127.0.0.1:${port}`, source: 'test server', requestOptions: async () => ({}) },
    close: async () => {
      for (const s of sockets) s.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<KubeError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof KubeError, `a KubeError, not ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

/** Resolves when `n` requests arrived. */
async function arrived(s: Stall, n = 1): Promise<void> {
  while (s.requests.length < n) await new Promise((r) => setTimeout(r, 5));
}

const watchHeaders = { 'content-type': 'application/json', 'transfer-encoding': 'chunked' };

describe('kube: request client deadlines and cancellation', () => {
  let s: Stall | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('a request past its deadline fails as Timeout, naming the request and server, and its connection is closed', async () => {
    s = await stall();
    const client = new KubeClient(s.connection, { context: 'edge-1' });
    const err = await rejection(client.request('GET', '/api/v1/namespaces', { timeoutMs: 300 }));
    assert.equal(err.reason, 'Timeout');
    assert.equal(err.status, undefined);
    assert.match(err.message, /^edge-1: GET \/api\/v1\/namespaces: no answer from http:\/\/127\.0\.0\.1:\d+ within 300 ms$/);
    await s.sockets[0].closed;
  });

  it('aborting a request rejects it at once as Aborted and closes its connection', async () => {
    s = await stall();
    const client = new KubeClient(s.connection);
    const controller = new AbortController();
    const pending = rejection(client.request('GET', '/api/v1/pods', { timeoutMs: 60_000, signal: controller.signal }));
    await arrived(s);
    controller.abort(new Error('user pressed cancel'));
    const err = await pending;
    assert.equal(err.reason, 'Aborted');
    assert.match(err.message, /GET \/api\/v1\/pods: user pressed cancel/);
    await s.sockets[0].closed;
  });

  it('a signal aborted before the call sends nothing', async () => {
    s = await stall();
    const client = new KubeClient(s.connection);
    const err = await rejection(client.request('GET', '/version', { signal: AbortSignal.abort() }));
    assert.equal(err.reason, 'Aborted');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.requests.length, 0);
  });

  it('close() ends the requests in flight', async () => {
    s = await stall();
    const client = new KubeClient(s.connection);
    const pending = rejection(client.request('GET', '/api', { timeoutMs: 60_000 }));
    await arrived(s);
    client.close();
    assert.equal((await pending).reason, 'Aborted');
  });

  it('aborting a watch resolves it after the events so far, and closes its connection', async () => {
    s = await stall((_req, res) => {
      res.writeHead(200, watchHeaders);
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '1' } } })}\n`);
    });
    const client = new KubeClient(s.connection);
    const controller = new AbortController();
    const events: WatchEvent[] = [];
    const watching = client.watch('/api/v1/configmaps', { resourceVersion: '0' }, (e) => {
      events.push(e);
      controller.abort();
    }, { signal: controller.signal });
    await watching;
    assert.deepEqual(events.map((e) => e.object.metadata.name), ['a']);
    assert.match(s.requests[0].url ?? '', /watch=true/);
    await s.sockets[0].closed;
  });

  it('a watch that goes quiet past idleMs fails as Timeout (a half-open connection looks like that)', async () => {
    s = await stall((_req, res) => {
      res.writeHead(200, watchHeaders);
      res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '5' } } })}\n`);
    });
    const client = new KubeClient(s.connection);
    const err = await rejection(client.watch('/api/v1/secrets', {}, () => undefined, { signal: new AbortController().signal, idleMs: 200 }));
    assert.equal(err.reason, 'Timeout');
    assert.match(err.message, /watch \/api\/v1\/secrets: no data from .* for 200 ms/);
    await s.sockets[0].closed;
  });

  it('a watch whose response never begins fails at connectTimeoutMs', async () => {
    s = await stall();
    const client = new KubeClient(s.connection);
    const err = await rejection(client.watch('/api/v1/pods', {}, () => undefined, { signal: new AbortController().signal, connectTimeoutMs: 250 }));
    assert.equal(err.reason, 'Timeout');
    assert.match(err.message, /within 250 ms/);
  });

  it('a watch line over the cap ends the watch with an error naming the resource and the cap, and closes the connection', async () => {
    s = await stall((_req, res) => {
      res.writeHead(200, watchHeaders);
      res.write(`{"type":"ADDED","object":{"data":"${'x'.repeat(4096)}`);
    });
    const client = new KubeClient(s.connection);
    const err = await rejection(client.watch('/api/v1/configmaps', {}, () => undefined, { signal: new AbortController().signal, maxLineBytes: 1024 }));
    assert.equal(err.reason, 'WatchLineTooLong');
    assert.match(err.message, /watch \/api\/v1\/configmaps: .*over the cap of 1024 bytes per line/);
    await s.sockets[0].closed;
  });
});
