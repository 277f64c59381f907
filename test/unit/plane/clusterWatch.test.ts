/**
 * A cluster's watch in the plane (plane/src/cluster/clusterWatch.ts) on the one list + watch loop
 * of @kplane/kube: what the fleet model shows when the API server is away, when it lacks the
 * kplane CRDs, and when it comes back. Driven by a scripted stand-in for KubeClient; the same
 * paths against real API servers run in test/cluster/fleetCli.test.ts.
 */
import { strict as assert } from 'node:assert';
import { FleetModel } from '@kplane/plane';
import { ClusterWatch, DEFAULT_WATCH_OPTIONS } from '@kplane/plane/cluster';
import { KubeError, type KubeClient, type WatchEvent } from '@kplane/kube';

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 2));
}

/** Each list call takes the next answer (a function that throws, or the list's resourceVersion); watches stay open until aborted. */
function scripted(answers: (string | (() => never))[]) {
  const watches: string[] = [];
  let calls = 0;
  const client = {
    async request(_method: string, path: string) {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (typeof answer === 'function') answer();
      return { metadata: { resourceVersion: `${answer}-${path.split('/').pop()}` }, items: [] };
    },
    async watch(path: string, query: { resourceVersion: string }, _onEvent: (e: WatchEvent) => void, { signal }: { signal: AbortSignal }) {
      watches.push(`${path.split('/').pop()} from ${query.resourceVersion}`);
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    },
    close() {},
  } as unknown as KubeClient;
  return { client, watches };
}

const options = { ...DEFAULT_WATCH_OPTIONS, backoffInitialMs: 1, backoffMaxMs: 3_600_000 };

describe('plane: cluster watch', () => {
  it('marks an unreachable API server Unreachable, retries, and on the first list is connected and watching from both lists', async () => {
    const model = new FleetModel(Date.now);
    model.addCluster('c1');
    const refused = () => {
      throw new KubeError('c1: connect ECONNREFUSED', undefined, 'Unreachable');
    };
    const { client, watches } = scripted([refused, refused, '7']);
    const watch = new ClusterWatch('c1', client, model, options).start();
    await watch.settled;
    assert.equal(model.record('c1')?.connection.kind, 'unreachable');
    await until(() => watches.length === 2);
    assert.equal(model.record('c1')?.connection.kind, 'connected');
    assert.deepEqual(watches.sort(), ['clusteragents from 7-clusteragents', 'clusterprofiles from 7-clusterprofiles']);
    watch.stop();
  });

  it('shows a cluster without the kplane CRDs (404) as connected with no agent, not Unreachable, and checks again only after the longest backoff', async () => {
    const model = new FleetModel(Date.now);
    model.addCluster('c1');
    const { client, watches } = scripted([
      () => {
        throw new KubeError('c1: GET /apis/kplane.dev/v1alpha1/...: 404 the server could not find the requested resource', 404, 'NotFound');
      },
      '1',
    ]);
    const watch = new ClusterWatch('c1', client, model, options).start();
    await watch.settled;
    assert.equal(model.record('c1')?.crdsInstalled, false);
    assert.equal(model.record('c1')?.connection.kind, 'connected');
    // The next try waits backoffMaxMs (an hour here); refresh() (the Refresh command) lists now.
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(watches.length, 0);
    watch.refresh();
    await until(() => watches.length === 2);
    watch.stop();
  });
});
