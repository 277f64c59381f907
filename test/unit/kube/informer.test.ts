/**
 * The informer's bookkeeping, driven by a scripted stand-in for the agent's own HTTP client
 * (KubeClient): what it does on a 410 Gone, on a dropped stream, and on a refused first list.
 * The real API server side of the same paths is covered by test/cluster and test/faults.
 */
import assert from 'node:assert/strict';
import { KubeError, type KubeClient, type WatchEvent, Informer, type KubeObject } from '@kplane/kube';

const cm = (name: string, rv: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'x', resourceVersion: rv, managedFields: [{ manager: 'm' }] } });

/** Serves `lists` in order to each list call and runs `watches` in order, one per watch call. */
function scriptedApi(lists: KubeObject[][], watches: ((emit: (e: WatchEvent) => void) => Promise<void>)[]) {
  const calls: string[] = [];
  let listIndex = 0;
  let watchIndex = 0;
  const api = {
    async request(_method: string, path: string) {
      calls.push(`list ${path}`);
      const items = lists[Math.min(listIndex, lists.length - 1)];
      listIndex++;
      return { metadata: { resourceVersion: String(100 * listIndex) }, items: structuredClone(items) };
    },
    async watch(_path: string, query: Record<string, unknown>, onEvent: (e: WatchEvent) => void, { signal }: { signal: AbortSignal }) {
      calls.push(`watch rv=${query.resourceVersion}`);
      const script = watches[watchIndex++];
      if (!script) return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      return script(onEvent);
    },
  };
  return { api: api as unknown as KubeClient, calls };
}

describe('agent informer', () => {
  it('relists after 410 Gone, reporting what changed while it was not watching', async () => {
    const events: string[] = [];
    const { api, calls } = scriptedApi(
      [[cm('a', '1'), cm('b', '2')], [cm('a', '5'), cm('c', '6')]],
      [
        async (emit) => emit({ type: 'MODIFIED', object: cm('a', '3') }),
        async () => {
          throw new KubeError('too old resource version', 410, 'Expired');
        },
      ],
    );
    let relists = 0;
    const informer = new Informer(api, '/api/v1/configmaps', (type, obj) => events.push(`${type} ${obj.metadata.name}`), { kind: 'ConfigMap', apiVersion: 'v1', onRelist: () => relists++ }).start();
    await informer.synced;
    for (let i = 0; i < 50 && !events.includes('ADDED c'); i++) await new Promise((r) => setTimeout(r, 5));
    informer.stop();
    assert.equal(relists, 1);
    assert.deepEqual(events, ['ADDED a', 'ADDED b', 'MODIFIED a', 'MODIFIED a', 'ADDED c', 'DELETED b']);
    assert.deepEqual([...informer.store.keys()].sort(), ['x/a', 'x/c']);
    assert.equal(informer.store.get('x/a')?.metadata.managedFields, undefined, 'managedFields kept in the cache');
    // The watch resumed from the last resourceVersion it saw, then from the relist's.
    assert.deepEqual(calls, ['list /api/v1/configmaps', 'watch rv=100', 'watch rv=3', 'list /api/v1/configmaps', 'watch rv=200']);
  });

  it("does not bring back an object that the agent's own write deleted (last finalizer removed), whatever came first", async () => {
    const { api } = scriptedApi([[cm('a', '1')]], [async (emit) => emit({ type: 'DELETED', object: cm('a', '3') })]);
    const events: string[] = [];
    const informer = new Informer(api, '/api/v1/configmaps', (type, obj) => events.push(`${type} ${obj.metadata.name}`), { kind: 'ConfigMap', apiVersion: 'v1' }).start();
    await informer.synced;
    for (let i = 0; i < 50 && !events.includes('DELETED a'); i++) await new Promise((r) => setTimeout(r, 5));
    // The answer to the finalizer-removing PATCH arrives after the watch's DELETED event.
    const gone = { ...cm('a', '3'), metadata: { ...cm('a', '3').metadata, deletionTimestamp: '2026-11-30T20:00:00Z', finalizers: [] } };
    informer.observe(gone);
    assert.equal(informer.store.has('x/a'), false, 'a deleted object came back into the cache');
    // An object still held by another finalizer is not gone.
    informer.observe({ ...gone, metadata: { ...gone.metadata, name: 'b', finalizers: ['other'] } });
    assert.equal(informer.store.has('x/b'), true);
    informer.stop();
  });

  it('does not bring back an object the watch saw created and deleted when the answer to our own write comes after both', async () => {
    // The agent re-creates a ConfigMap (drift correction), someone deletes it at once, and the
    // watch delivers both events before the agent reads the answer to its apply.
    const { api } = scriptedApi([[]], [async (emit) => {
      emit({ type: 'ADDED', object: cm('a', '2') });
      emit({ type: 'DELETED', object: cm('a', '3') });
    }]);
    const events: string[] = [];
    const informer = new Informer(api, '/api/v1/configmaps', (type, obj) => events.push(`${type} ${obj.metadata.name}`), { kind: 'ConfigMap', apiVersion: 'v1' }).start();
    await informer.synced;
    for (let i = 0; i < 50 && !events.includes('DELETED a'); i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(events, ['ADDED a', 'DELETED a']);
    informer.observe(cm('a', '2'));
    assert.equal(informer.store.has('x/a'), false, 'a deleted object came back into the cache: drift on it would go unseen');
    // A write the watch has not delivered yet (a re-creation after the deletion) is stored as before.
    informer.observe(cm('a', '4'));
    assert.equal(informer.store.get('x/a')?.metadata.resourceVersion, '4');
    informer.stop();
  });

  it('fails `synced` at once when the first list is forbidden, instead of waiting forever', async () => {
    const api = {
      async request() {
        throw new KubeError('configmaps is forbidden', 403, 'Forbidden');
      },
    } as unknown as KubeClient;
    const informer = new Informer(api, '/api/v1/configmaps', () => undefined).start();
    await assert.rejects(informer.synced, /forbidden/);
    assert.equal(informer.stopped, true);
  });

  it('keeps retrying with backoff when the API server is unreachable, then syncs', async () => {
    let failures = 0;
    const errors: number[] = [];
    const api = {
      async request() {
        if (failures++ < 2) throw new KubeError('connect ECONNREFUSED', undefined, 'Unreachable');
        return { metadata: { resourceVersion: '1' }, items: [cm('a', '1')] };
      },
      async watch(_p: string, _q: unknown, _e: unknown, { signal }: { signal: AbortSignal }) {
        return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    } as unknown as KubeClient;
    const informer = new Informer(api, '/api/v1/configmaps', () => undefined, { onError: (_e, attempt) => errors.push(attempt), backoffBaseMs: 5 }).start();
    await informer.synced;
    informer.stop();
    assert.deepEqual(errors, [1, 2]);
    assert.equal(informer.store.size, 1);
  });

  it('keeps what `transform` returns from the list, the watch and observe(), and leaves the caller\'s object as it was', async () => {
    const withData = (name: string, rv: string) => ({ ...cm(name, rv), data: { big: 'x'.repeat(100) } });
    const { api } = scriptedApi([[withData('a', '1')]], [async (emit) => emit({ type: 'MODIFIED', object: withData('b', '2') })]);
    const seen: string[] = [];
    const informer = new Informer(api, '/api/v1/configmaps', (type, obj) => seen.push(`${type} ${obj.metadata.name} ${JSON.stringify(obj.data)}`), {
      transform: (obj) => ({ ...obj, data: { big: `${(obj.data as { big: string }).big.length} chars` } }),
    }).start();
    await informer.synced;
    for (let i = 0; i < 50 && informer.store.size < 2; i++) await new Promise((r) => setTimeout(r, 5));
    const written = withData('c', '3');
    informer.observe(written);
    informer.stop();
    assert.deepEqual(seen, ['ADDED a {"big":"100 chars"}', 'ADDED b {"big":"100 chars"}']);
    assert.deepEqual([...informer.store.values()].map((o) => o.data), [{ big: '100 chars' }, { big: '100 chars' }, { big: '100 chars' }]);
    assert.equal((written.data as { big: string }).big.length, 100);
  });
});
