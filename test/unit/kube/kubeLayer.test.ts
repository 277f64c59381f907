/**
 * @kplane/kube's shared rules: the one backoff, the one error type, and the informer treating
 * resourceVersions as opaque (API conventions allow only equality).
 */
import assert from 'node:assert/strict';
import { backoffDelay, hasStatus, Informer, KubeError, type KubeApi, type KubeObject, type WatchEvent } from '@kplane/kube';

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
      async watch(_path: string, _query: unknown, onEvent: (e: WatchEvent) => void, signal: AbortSignal) {
        for (const e of events) onEvent(structuredClone(e));
        emitted();
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    };
    return { api: fake as unknown as KubeApi, done };
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
