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

/**
 * A server that hands each request to `answer` (default: never answers). The connection's server
 * URL is on `host` (an IPv4 or IPv6 address) with `base` as its path.
 */
async function stall(answer: (req: IncomingMessage, res: ServerResponse) => void = () => undefined, { host = '127.0.0.1', base = '' } = {}): Promise<Stall> {
  const sockets: Stall['sockets'] = [];
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    answer(req, res);
  });
  server.on('connection', (socket) => sockets.push({ socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) }));
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    sockets,
    requests,
    connection: { server: `http://${host.includes(':') ? `[${host}]` : host}:${port}${base}`, source: 'test server', requestOptions: async () => ({}) },
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

describe('kube: coalesced watch reads (WatchOptions.coalesceMs)', () => {
  let s: Stall | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });
  const line = (name: string) => `${JSON.stringify({ type: 'MODIFIED', object: { metadata: { name, resourceVersion: name } } })}\n`;
  /** Writes each line as its own chunk, a turn of the event loop apart (as an API server flushes each event). */
  const writeApart = async (res: ServerResponse, names: string[]) => {
    for (const name of names) {
      res.write(line(name));
      await new Promise((r) => setImmediate(r));
    }
  };

  it('hands over the events that came within the window together, in order, in one batch', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    s = await stall((_req, res) => {
      res.writeHead(200, watchHeaders);
      void writeApart(res, names);
    });
    const client = new KubeClient(s.connection);
    const controller = new AbortController();
    const batches: string[][] = [];
    const watching = client.watch('/api/v1/configmaps', {}, (e) => {
      batches.at(-1)!.push(e.object.metadata.name);
      if (batches.flat().length === names.length) controller.abort();
    }, {
      signal: controller.signal,
      coalesceMs: 1000,
      batch: (deliver) => {
        batches.push([]);
        deliver();
      },
    });
    await watching;
    assert.deepEqual(batches.flat(), names);
    assert.equal(batches.length, 1, `one batch for events written within the window, got ${JSON.stringify(batches)}`);
  });

  it('without coalesceMs, each chunk is its own batch', async () => {
    const names = ['a', 'b', 'c'];
    s = await stall((_req, res) => {
      res.writeHead(200, watchHeaders);
      // Far enough apart to arrive as separate reads.
      void (async () => {
        for (const name of names) {
          res.write(line(name));
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
    });
    const client = new KubeClient(s.connection);
    const controller = new AbortController();
    const batches: string[][] = [];
    await client.watch('/api/v1/configmaps', {}, (e) => {
      batches.at(-1)!.push(e.object.metadata.name);
      if (batches.flat().length === names.length) controller.abort();
    }, { signal: controller.signal, batch: (deliver) => (batches.push([]), deliver()) });
    assert.deepEqual(batches, [['a'], ['b'], ['c']]);
  });

  it('delivers what it kept when the stream ends, at once, before the watch resolves', async () => {
    s = await stall((_req, res) => {
      res.writeHead(200, watchHeaders);
      void writeApart(res, ['a', 'b', 'c']).then(() => res.end());
    });
    const client = new KubeClient(s.connection);
    const seen: string[] = [];
    const started = performance.now();
    await client.watch('/api/v1/configmaps', {}, (e) => seen.push(e.object.metadata.name), { signal: new AbortController().signal, coalesceMs: 60_000 });
    assert.deepEqual(seen, ['a', 'b', 'c']);
    // Not a timing claim: only that it did not wait out the 60 s window (the test's own timeout is 20 s).
    assert.ok(performance.now() - started < 60_000);
  });

  it('an event handler that throws during a coalesced hand-over fails the watch and closes its connection', async () => {
    s = await stall((_req, res) => {
      res.writeHead(200, watchHeaders);
      void writeApart(res, ['a', 'b']);
    });
    const client = new KubeClient(s.connection);
    const err = await client
      .watch('/api/v1/configmaps', {}, (e) => {
        if (e.object.metadata.name === 'b') throw new Error('handler failed on b');
      }, { signal: new AbortController().signal, coalesceMs: 50 })
      .then(() => undefined, (e: unknown) => e);
    assert.match(String(err), /handler failed on b/);
    await s.sockets[0].closed;
  });
});

describe('kube: request client paths and deadlines shared by requests', () => {
  let s: Stall | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });
  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  it("puts the server URL's path (a proxy's, as Rancher's /k8s/clusters/<id>) before every request's and watch's path", async () => {
    s = await stall((req, res) => (req.url?.includes('watch=true') ? res.end() : json(res, { url: req.url })), { base: '/k8s/clusters/c-1/' });
    const client = new KubeClient(s.connection);
    assert.deepEqual(await client.request('GET', '/api/v1/namespaces/a/pods/b'), { url: '/k8s/clusters/c-1/api/v1/namespaces/a/pods/b' });
    await client.watch('/api/v1/pods', {}, () => undefined, { signal: new AbortController().signal });
    assert.match(s.requests[1].url ?? '', /^\/k8s\/clusters\/c-1\/api\/v1\/pods\?watch=true&allowWatchBookmarks=true$/);
  });

  it('encodes query values, leaves out undefined ones, and appends to a path that has a query already', async () => {
    s = await stall((req, res) => json(res, { url: req.url }));
    const client = new KubeClient(s.connection);
    const answer = await client.request<{ url: string }>('GET', '/api/v1/pods', { query: { labelSelector: 'app in (a,b),tier!=db', limit: 5, continue: undefined, watch: false } });
    assert.equal(answer.url, '/api/v1/pods?labelSelector=app%20in%20(a%2Cb)%2Ctier!%3Ddb&limit=5&watch=false');
    const params = new URL(answer.url, 'http://x').searchParams;
    assert.equal(params.get('labelSelector'), 'app in (a,b),tier!=db');
    const openapi = await client.getDocument('/openapi/v3/apis/apps/v1?hash=ABC', { timeoutMs: 5000, maxBytes: 1000 });
    assert.equal(JSON.parse(openapi.text).url, '/openapi/v3/apis/apps/v1?hash=ABC');
    const applied = await client.apply<{ url: string }>('/api/v1/namespaces/a/configmaps/b?dryRun=All', {}, 'kplane');
    assert.equal(applied.url, '/api/v1/namespaces/a/configmaps/b?dryRun=All&fieldManager=kplane&force=true');
  });

  it('reaches a server given by an IPv6 address', async function () {
    try {
      s = await stall((req, res) => json(res, { url: req.url }), { host: '::1' });
    } catch {
      this.skip(); // no IPv6 loopback on this machine
    }
    assert.deepEqual(await new KubeClient(s!.connection).request('GET', '/version'), { url: '/version' });
  });

  it("each request fails at its own deadline: a short one does not cut a longer one's short, and an answered one never fails later", async () => {
    // /slow answers after 600 ms; /hang never does.
    s = await stall((req, res) => {
      if (req.url === '/slow') setTimeout(() => json(res, { ok: 'slow' }), 600);
      else if (req.url === '/fast') json(res, { ok: 'fast' });
    });
    const client = new KubeClient(s.connection);
    const order: string[] = [];
    const settled = (name: string, p: Promise<unknown>) => p.finally(() => order.push(name));
    const [hang, slow, fast] = await Promise.allSettled([
      settled('hang', client.request('GET', '/hang', { timeoutMs: 200 })),
      settled('slow', client.request('GET', '/slow', { timeoutMs: 5_000 })),
      settled('fast', client.request('GET', '/fast', { timeoutMs: 300 })),
    ]);
    assert.equal(hang.status, 'rejected');
    assert.equal((hang as PromiseRejectedResult).reason.reason, 'Timeout');
    assert.deepEqual(slow, { status: 'fulfilled', value: { ok: 'slow' } });
    assert.deepEqual(fast, { status: 'fulfilled', value: { ok: 'fast' } });
    // /slow was still waiting when /hang's deadline passed.
    assert.deepEqual(order, ['fast', 'hang', 'slow']);
  });
});

describe('kube: request client on kept-alive sockets a partition killed', () => {
  /**
   * Between the client and a real HTTP server, a TCP relay that can partition: while it does, it
   * forwards nothing and closes nothing (packets dropped). Afterwards the relay has forgotten the
   * connections of before, as a server that closed them meanwhile has: data on one is answered
   * with a reset, and the client learns the socket is dead only when it reuses it.
   */
  async function partitionable() {
    const server = createServer((_req, res) => res.end('{"kind":"Status","status":"Success"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const upstreamPort = (server.address() as AddressInfo).port;
    let epoch = 0;
    let connections = 0;
    const { createServer: createTcpServer, connect } = await import('node:net');
    // Both ends of every relayed connection, to close at the end: relay.close() leaves open the
    // ones the client's keep-alive pool still holds, and they would keep the test process alive.
    const open = new Set<{ destroy(): void }>();
    const relay = createTcpServer((client) => {
      connections++;
      const born = epoch;
      const upstream = connect(upstreamPort, '127.0.0.1');
      open.add(client).add(upstream);
      client.on('data', (chunk) => {
        if (born !== epoch) client.resetAndDestroy();
        else upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (born === epoch) client.write(chunk);
      });
      client.on('error', () => upstream.destroy()).on('close', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as AddressInfo).port;
    return {
      connection: { server: `http://127.0.0.1:${port}`, source: 'relay', requestOptions: async () => ({}) } as Connection,
      /** A partition came and went: every connection open now is dead. */
      partitionHealed: () => epoch++,
      connections: () => connections,
      close: async () => {
        relay.close();
        for (const socket of open) socket.destroy();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('a request on kept-alive sockets that died during a partition is sent again on a new connection, and the dead ones are dropped', async () => {
    const net = await partitionable();
    const client = new KubeClient(net.connection);
    try {
      // Three idle kept-alive sockets in the pool.
      await Promise.all([1, 2, 3].map(() => client.request('GET', '/version')));
      const before = net.connections();
      assert.ok(before >= 2, `expected several pooled connections, got ${before}`);
      net.partitionHealed();
      const answer = await client.request('PUT', '/apis/coordination.k8s.io/v1/namespaces/x/leases/y', { body: { spec: {} } });
      assert.equal(answer.status, 'Success');
      // One dead socket tried, the others dropped unused, then one new connection.
      assert.equal(net.connections(), before + 1, 'the retry went to another dead socket, or more connections were opened than needed');
      await client.request('GET', '/version');
      assert.equal(net.connections(), before + 1, 'the next request did not reuse the new connection');
    } finally {
      client.close();
      await net.close();
    }
  });
});
