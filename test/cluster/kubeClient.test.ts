/**
 * @kplane/kube's one request client against a real kube-apiserver, both ways it watches: a
 * connection per watch (the agent) and streams on shared HTTP/2 sessions (the plane). Events
 * arrive, abort ends the watch and frees its stream, a 404 is a KubeError with its status, and the
 * agent's way never loads node:http2. Last, after an API server restart: an expired resourceVersion
 * comes as an ERROR event in the stream, which ends the watch as a 410 and makes the informer relist.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as https from 'node:https';
import { kubeClient, repoRoot, startCluster, type TestCluster } from '@kplane/bed';
import { connectionStats, Informer, KubeClient, KubeError, kubeConfigConnection, loadConnection, type Query, type WatchEvent } from '@kplane/kube';

const NS = 'transport';

describe('kube: request client on a real API server (cluster)', function () {
  let cluster: TestCluster;
  let agentSide: KubeClient;
  let planeSide: KubeClient;

  before(async function () {
    this.timeout(240_000);
    cluster = await startCluster({ name: 'kube-client' });
    agentSide = new KubeClient(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
    planeSide = new KubeClient(kubeConfigConnection(kubeClient(cluster)), { context: 'plane', http2: true });
    await agentSide.apply(`/api/v1/namespaces/${NS}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, 'test');
  });

  after(async function () {
    this.timeout(60_000);
    agentSide?.close();
    planeSide?.close();
    await cluster?.stop();
  });

  for (const side of ['agent (HTTP/1.1)', 'plane (HTTP/2)'] as const) {
    it(`${side}: a watch delivers a change made after it started, and abort ends it`, async () => {
      const client = side.startsWith('agent') ? agentSide : planeSide;
      const name = side.startsWith('agent') ? 'h1' : 'h2';
      const list = await client.request<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${NS}/configmaps`, { timeoutMs: 10_000 });
      const controller = new AbortController();
      const seen: WatchEvent[] = [];
      const watching = client.watch(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: list.metadata.resourceVersion }, (e) => {
        seen.push(e);
        if (e.type === 'ADDED' && e.object.metadata.name === name) controller.abort();
      }, { signal: controller.signal, connectTimeoutMs: 10_000, idleMs: 60_000 });
      // Multibyte data goes through the line decoder intact.
      await client.apply(`/api/v1/namespaces/${NS}/configmaps/${name}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { text: 'é € 😀 日本語'.repeat(5000) } }, 'test');
      await watching;
      const added = seen.find((e) => e.type === 'ADDED' && e.object.metadata.name === name);
      assert.equal(added?.object.data.text, 'é € 😀 日本語'.repeat(5000));
      if (side.startsWith('plane')) {
        const stats = connectionStats();
        assert.ok(stats.h2Sessions >= 1, 'the plane watched over an HTTP/2 session');
        assert.equal(stats.h2Streams, 0, 'the aborted watch freed its stream');
      }
    });

    it(`${side}: a refused request or watch is a KubeError with the server's status and reason`, async () => {
      const client = side.startsWith('agent') ? agentSide : planeSide;
      await assert.rejects(client.request('GET', `/api/v1/namespaces/${NS}/configmaps/missing`, { timeoutMs: 10_000 }), (err: any) => err.name === 'KubeError' && err.status === 404 && err.reason === 'NotFound');
      await assert.rejects(
        client.watch('/apis/nothing.example/v1/things', {}, () => undefined, { signal: new AbortController().signal, connectTimeoutMs: 10_000 }),
        (err: any) => err.name === 'KubeError' && err.status === 404 && /watch \/apis\/nothing\.example\/v1\/things: 404/.test(err.message),
      );
    });
  }

  it('the agent side (no http2 option) never loads node:http2; the plane side does', () => {
    const script = (http2: boolean) => `
      const { KubeClient, loadConnection } = await import('@kplane/kube');
      const client = new KubeClient(loadConnection({ kubeconfigPath: ${JSON.stringify(cluster.kubeconfigPath)} }), { http2: ${http2} });
      await client.request('GET', '/api/v1/namespaces/default');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      await client.watch('/api/v1/namespaces/default/configmaps', {}, () => undefined, { signal: controller.signal });
      client.close();
      console.log(JSON.stringify(process.moduleLoadList.includes('NativeModule http2')));`;
    const run = (http2: boolean) => {
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', script(http2)], { cwd: repoRoot(), encoding: 'utf8', timeout: 60_000 });
      assert.equal(out.status, 0, out.stderr);
      return JSON.parse(out.stdout.trim().split('\n').pop()!) as boolean;
    };
    assert.equal(run(false), false);
    assert.equal(run(true), true);
  });

  describe('an expired resourceVersion, after an API server restart', () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    let expired: string;

    before(async function () {
      this.timeout(180_000);
      // The restarted server's watch cache starts at the store's revision then; a version from
      // before a later write is older than that, so the server refuses to watch from it.
      const first = await agentSide.apply<{ metadata: { resourceVersion: string } }>(`${path}/expiring`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'expiring' }, data: { v: '1' } }, 'test');
      expired = first.metadata.resourceVersion;
      await agentSide.apply(`${path}/expiring`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'expiring' }, data: { v: '2' } }, 'test');
      await cluster.stopApiServer();
      await cluster.startApiServer();
    });

    it('the server answers 200 and sends an ERROR event (410 Expired); the watch rejects with that KubeError', async () => {
      // What the server sends, read without the client: the in-stream ERROR path, not a 410 response.
      const tls = await loadConnection({ kubeconfigPath: cluster.kubeconfigPath }).requestOptions();
      const raw = await new Promise<{ status?: number; first: string }>((resolve, reject) => {
        const req = https.get(new URL(`${path}?watch=1&resourceVersion=${expired}`, cluster.server), { ...tls, agent: false }, (res) => {
          res.once('data', (chunk: Buffer) => {
            resolve({ status: res.statusCode, first: chunk.toString('utf8').split('\n')[0] });
            req.destroy();
          });
        });
        req.on('error', reject);
      });
      assert.equal(raw.status, 200);
      assert.deepEqual(JSON.parse(raw.first).type, 'ERROR');
      assert.equal(JSON.parse(raw.first).object.code, 410);

      const events: WatchEvent[] = [];
      const err = await agentSide.watch(path, { resourceVersion: expired }, (e) => events.push(e), { signal: new AbortController().signal, connectTimeoutMs: 30_000 }).then(
        () => assert.fail('the watch from an expired resourceVersion resolved'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof KubeError, String(err));
      assert.equal(err.status, 410);
      assert.equal(err.reason, 'Expired');
      assert.match(err.message, new RegExp(`^watch ${path}: 410 too old resource version: ${expired} `));
      assert.deepEqual(events, [], 'the ERROR event reached onEvent');
    });

    it('an informer whose watch gets that ERROR event relists, and then sees changes', async function () {
      this.timeout(60_000);
      // The informer watches from its own list's version, which is fresh; its first watch is sent
      // from the expired one instead, as after a restart it was not connected through.
      class ResumingFromExpired extends KubeClient {
        private first = true;
        override watch(watchPath: string, query: Query, onEvent: (event: WatchEvent) => void, options: Parameters<KubeClient['watch']>[3]): Promise<void> {
          const resourceVersion = this.first ? expired : query.resourceVersion;
          this.first = false;
          return super.watch(watchPath, { ...query, resourceVersion }, onEvent, options);
        }
      }
      const client = new ResumingFromExpired(loadConnection({ kubeconfigPath: cluster.kubeconfigPath }));
      const errors: unknown[] = [];
      let relists = 0;
      let changed!: () => void;
      const sawChange = new Promise<void>((resolve) => (changed = resolve));
      const informer = new Informer(client, path, (type, obj) => {
        if (type === 'MODIFIED' && obj.metadata.name === 'expiring' && (obj.data as { v?: string }).v === '3') changed();
      }, { onRelist: () => relists++, onError: (e) => errors.push(e) }).start();
      try {
        await informer.synced;
        for (let i = 0; i < 200 && relists === 0 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(errors, [], 'the 410 went to the error path, not the relist');
        assert.equal(relists, 1);
        await agentSide.apply(`${path}/expiring`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'expiring' }, data: { v: '3' } }, 'test');
        await sawChange;
        assert.equal(relists, 1);
      } finally {
        informer.stop();
        client.close();
      }
    });
  });
});
