/**
 * @kplane/kube's shared rules: the one backoff, the one error type, and the informer treating
 * resourceVersions as opaque (API conventions allow only equality).
 */
import assert from 'node:assert/strict';
import { backoffDelay, hasStatus, Informer, KubeError, type KubeClient, type KubeObject, type WatchEvent } from '@kplane/kube';

describe('kube: backoff', () => {
  it('doubles from the initial delay, caps at the maximum, and jitters by ±20 %', () => {
    const b = { initialMs: 100, maxMs: 1000 };
    assert.deepEqual([0, 1, 2, 3, 4, 10, 1000].map((n) => backoffDelay(n, b, () => 0.5)), [100, 200, 400, 800, 1000, 1000, 1000]);
    assert.equal(backoffDelay(2, b, () => 0), 320);
    assert.equal(backoffDelay(2, b, () => 1), 480);
    assert.equal(backoffDelay(-3, b, () => 0.5), 100);
  });
});

describe('kube: one error type', () => {
  it('says whether the server answered, and with what status', () => {
    const notFound = new KubeError('GET /x: 404 not found', 404, 'NotFound');
    const unreachable = new KubeError('GET /x: connect ECONNREFUSED', undefined, 'Unreachable');
    assert.equal(notFound.unreachable, false);
    assert.equal(unreachable.unreachable, true);
    assert.ok(hasStatus(notFound, 404));
    assert.ok(!hasStatus(unreachable, 404));
    assert.ok(!hasStatus(new Error('404'), 404));
  });
});

describe('kube: informer resourceVersions are opaque', () => {
  const cm = (name: string, rv: string, data: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'x', resourceVersion: rv }, data: { v: data } });

  /** A list with `items`, then one watch stream that emits `events` and stays open until stopped. */
  function api(items: KubeObject[], events: WatchEvent[]) {
    let emitted!: () => void;
    const done = new Promise<void>((resolve) => (emitted = resolve));
    const fake = {
      async request() {
        return { metadata: { resourceVersion: 'list-rv' }, items: structuredClone(items) };
      },
      async watch(_path: string, _query: unknown, onEvent: (e: WatchEvent) => void, { signal }: { signal: AbortSignal }) {
        for (const e of events) onEvent(structuredClone(e));
        emitted();
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    };
    return { api: fake as unknown as KubeClient, done };
  }

  it('keeps a later change when the write it observes was already delivered (versions not numeric)', async () => {
    // Our write produced version "20"; the watch delivered it, then a later change "3". Read as
    // numbers, 20 > 3 and our stale copy would win; only the watch's order may decide.
    const ours = cm('web', '20', 'ours');
    const { api: fake, done } = api([cm('web', '1', 'old')], [{ type: 'MODIFIED', object: ours }, { type: 'MODIFIED', object: cm('web', '3', 'someone else') }]);
    const informer = new Informer(fake, '/api/v1/configmaps', () => {}).start();
    await informer.synced;
    await done;
    informer.observe(structuredClone(ours));
    assert.equal((informer.store.get('x/web')?.data as { v: string }).v, 'someone else');
    informer.stop();
  });

  it('records our write at once when the watch has not delivered it yet', async () => {
    const { api: fake, done } = api([cm('web', '9', 'old')], []);
    const informer = new Informer(fake, '/api/v1/configmaps', () => {}).start();
    await informer.synced;
    await done;
    informer.observe(cm('web', '1', 'ours')); // newer, though "smaller" read as a number
    assert.equal((informer.store.get('x/web')?.data as { v: string }).v, 'ours');
    informer.stop();
  });
});

describe('kube: informer over the one list + watch loop', () => {
  it('resumes a broken watch from the last resourceVersion seen, without relisting, after a backoff', async () => {
    const calls: string[] = [];
    let watches = 0;
    const fake = {
      async request() {
        calls.push('list');
        return { metadata: { resourceVersion: '100' }, items: [{ metadata: { name: 'a', namespace: 'x', resourceVersion: '1' } }] };
      },
      async watch(_path: string, query: { resourceVersion: string }, onEvent: (e: WatchEvent) => void, { signal }: { signal: AbortSignal }) {
        calls.push(`watch rv=${query.resourceVersion}`);
        if (++watches === 1) {
          onEvent({ type: 'MODIFIED', object: { metadata: { name: 'a', namespace: 'x', resourceVersion: '3' } } });
          throw new KubeError('watch /api/v1/configmaps: socket hang up', undefined, 'Unreachable');
        }
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    } as unknown as KubeClient;
    const errors: number[] = [];
    const informer = new Informer(fake, '/api/v1/configmaps', () => {}, { backoffBaseMs: 1, onError: (_e, attempt) => errors.push(attempt) }).start();
    await informer.synced;
    while (calls.length < 3) await new Promise((r) => setTimeout(r, 2));
    informer.stop();
    assert.deepEqual(calls, ['list', 'watch rv=100', 'watch rv=3']);
    assert.deepEqual(errors, [1]);
    assert.equal(informer.store.get('x/a')?.metadata.resourceVersion, '3');
  });
});

describe('kube: the agent reads $KUBECONFIG as kubectl does', () => {
  it('merges several files: first definition of a name wins, current-context from the first that sets it, relative paths per file', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { join, delimiter } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { loadConnection } = await import('@kplane/kube');
    const dir = mkdtempSync(join(tmpdir(), 'kplane-kubeconfig-'));
    const saved = process.env.KUBECONFIG;
    try {
      mkdirSync(join(dir, 'a'));
      mkdirSync(join(dir, 'b'));
      writeFileSync(join(dir, 'b', 'ca.crt'), 'CA OF FILE B');
      writeFileSync(join(dir, 'a', 'config'), [
        'apiVersion: v1', 'kind: Config', 'current-context: first',
        'clusters: [{ name: shared, cluster: { server: "https://a.example:6443" } }]',
        'users: [{ name: u, user: { token: token-a } }]',
        'contexts: [{ name: first, context: { cluster: shared, user: u } }]',
      ].join('\n'));
      writeFileSync(join(dir, 'b', 'config'), [
        'apiVersion: v1', 'kind: Config', 'current-context: second',
        'clusters: [{ name: shared, cluster: { server: "https://b-loses.example:6443" } }, { name: only-b, cluster: { server: "https://b.example:6443", certificate-authority: ca.crt } }]',
        'users: [{ name: u, user: { token: token-b-loses } }]',
        'contexts: [{ name: second, context: { cluster: only-b, user: u } }]',
      ].join('\n'));
      process.env.KUBECONFIG = [join(dir, 'missing'), join(dir, 'a', 'config'), join(dir, 'b', 'config')].join(delimiter);

      const current = loadConnection({});
      assert.equal(current.server, 'https://a.example:6443'); // current-context of the first file
      assert.deepEqual((await current.requestOptions()).headers, { Authorization: 'Bearer token-a' });

      const second = loadConnection({ context: 'second' }); // a context only the second file has
      assert.equal(second.server, 'https://b.example:6443');
      const options = await second.requestOptions();
      assert.equal(String(options.ca), 'CA OF FILE B'); // resolved against b/, not a/
      assert.deepEqual(options.headers, { Authorization: 'Bearer token-a' }); // user "u": first file wins

      assert.throws(() => loadConnection({ context: 'nope' }), /Context "nope" is not in kubeconfig .*it has: first, second/);
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
