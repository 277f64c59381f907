/**
 * The one list + watch loop (kube/src/watchLoop.ts) under the agent's Informer and the plane's
 * cluster and hub watches: how a watch is followed and renewed, and when a round relists, backs
 * off, or is cut short. Driven by a scripted stand-in for KubeClient.watch and scripted rounds;
 * the real API server side is covered by test/cluster (kubeClient, fleetCli, hubPlane).
 */
import assert from 'node:assert/strict';
import { followWatch, KubeError, RelistLoop, type KubeClient, type WatchEvent } from '@kplane/kube';

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 2));
}

const gone = () => new KubeError('too old resource version', 410, 'Expired');
const cm = (rv: string) => ({ metadata: { name: 'a', resourceVersion: rv } });

describe('kube: followWatch', () => {
  it('renews the watch from the last resourceVersion seen, bookmarks included, with its selectors, deadlines and a jittered duration', async () => {
    const calls: { query: Record<string, unknown>; connectTimeoutMs?: number; idleMs?: number }[] = [];
    const scripts: ((emit: (e: WatchEvent) => void) => void)[] = [
      (emit) => emit({ type: 'ADDED', object: cm('5') }),
      (emit) => emit({ type: 'BOOKMARK', object: cm('9') }),
      () => {
        throw gone();
      },
    ];
    const client = {
      async watch(_path: string, query: Record<string, unknown>, onEvent: (e: WatchEvent) => void, options: { connectTimeoutMs?: number; idleMs?: number }) {
        calls.push({ query, connectTimeoutMs: options.connectTimeoutMs, idleMs: options.idleMs });
        scripts[calls.length - 1](onEvent);
      },
    } as unknown as KubeClient;
    const events: string[] = [];
    let contacts = 0;
    const from = { resourceVersion: '1' };
    await assert.rejects(
      followWatch(client, '/api/v1/configmaps', from, {
        signal: new AbortController().signal,
        requestTimeoutMs: 7000,
        watchSeconds: 300,
        query: { labelSelector: 'app=x' },
        onEvent: (e) => events.push(`${e.type} ${e.object.metadata.resourceVersion}`),
        onContact: () => contacts++,
      }),
      (err: unknown) => err instanceof KubeError && err.status === 410,
    );
    assert.deepEqual(calls.map((c) => [c.query.resourceVersion, c.query.labelSelector, c.connectTimeoutMs]), [['1', 'app=x', 7000], ['5', 'app=x', 7000], ['9', 'app=x', 7000]]);
    for (const { query, idleMs } of calls) {
      const seconds = query.timeoutSeconds as number;
      assert.ok(seconds >= 270 && seconds <= 330, `watch duration ${seconds}s is not 300 s ± 10 %`);
      assert.equal(idleMs, (seconds + 30) * 1000, 'the idle limit is the watch duration plus a bookmark period');
    }
    assert.deepEqual(events, ['ADDED 5'], 'bookmarks are not events');
    assert.equal(contacts, 2);
    assert.equal(from.resourceVersion, '9', 'the cursor keeps the last version seen, to resume from');
  });

  it('ends when its signal aborts', async () => {
    const stop = new AbortController();
    let watches = 0;
    const client = {
      async watch() {
        if (++watches === 2) stop.abort();
      },
    } as unknown as KubeClient;
    await followWatch(client, '/p', { resourceVersion: '' }, { signal: stop.signal, requestTimeoutMs: 1, watchSeconds: 1, onEvent: () => undefined });
    assert.equal(watches, 2);
  });
});

/** A loop whose rounds run `script` in order (then wait for their signal), recording what happens. */
class ScriptedLoop extends RelistLoop {
  readonly seen: string[] = [];
  private next = 0;
  constructor(
    private readonly script: ((loop: ScriptedLoop) => Promise<void> | void)[],
    private readonly waitMs: (loop: ScriptedLoop) => number = (loop) => loop.backoff(),
  ) {
    super({ backoffInitialMs: 1, backoffMaxMs: 4 });
  }
  protected name(): string {
    return 'scripted';
  }
  protected async round(signal: AbortSignal): Promise<void> {
    this.seen.push(`round ${this.next}${this.mustList ? ' list' : ''}`);
    await this.script[this.next++]?.(this);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
  }
  protected failed(err: unknown): number {
    const wait = this.waitMs(this);
    this.seen.push(`failed ${(err as Error).message} (${this.failures} in a row)`);
    return wait;
  }
  protected override relisting(reason: Error): void {
    this.seen.push(`relist: ${reason.message}`);
  }
  backoff(): number {
    return this.nextBackoff();
  }
  ok(): void {
    this.listed();
  }
}

describe('kube: RelistLoop', () => {
  it('relists at once after a 410 Gone, neither counting a failure nor waiting', async () => {
    const loop = new ScriptedLoop([
      () => {
        throw new Error('a');
      },
      () => {
        throw gone();
      },
      () => {
        throw new Error('b');
      },
    ]).start();
    await until(() => loop.seen.length >= 7);
    loop.stop();
    assert.deepEqual(loop.seen, ['round 0 list', 'failed a (1 in a row)', 'round 1 list', 'relist: too old resource version', 'round 2 list', 'failed b (2 in a row)', 'round 3 list']);
  });

  it('backs off after other failures, counting them until a list works again', async () => {
    const fail = (message: string) => () => {
      throw new Error(message);
    };
    const loop = new ScriptedLoop([
      fail('a'),
      fail('b'),
      (l) => {
        l.ok();
        throw new Error('c');
      },
    ]).start();
    await until(() => loop.seen.length >= 7);
    loop.stop();
    assert.deepEqual(loop.seen, [
      'round 0 list', 'failed a (1 in a row)',
      'round 1 list', 'failed b (2 in a row)',
      // It listed: the next failure counts from one again, and the next round may skip the list.
      'round 2 list', 'failed c (1 in a row)',
      'round 3',
    ]);
  });

  it('refresh() cuts the running round and relists, and skips a backoff wait', async () => {
    const loop = new ScriptedLoop(
      [
        (l) => l.ok(),
        () => {
          throw new Error('down');
        },
      ],
      () => 3_600_000,
    ).start();
    await until(() => loop.seen.length === 1);
    loop.refresh();
    await until(() => loop.seen.includes('failed down (0 in a row)'));
    // Waiting an hour now; a refresh starts the next round at once.
    loop.refresh();
    await until(() => loop.seen.includes('round 2 list'));
    loop.stop();
    assert.deepEqual(loop.seen, ['round 0 list', 'relist: refresh', 'round 1 list', 'failed down (0 in a row)', 'round 2 list']);
  });

  it('settles on the first list; stop() ends the loop', async () => {
    const loop = new ScriptedLoop([(l) => l.ok()]).start();
    await loop.settled;
    loop.stop();
    assert.equal(loop.stopped, true);
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(loop.seen, ['round 0 list']);
  });
});
