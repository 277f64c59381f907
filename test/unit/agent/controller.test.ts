import assert from 'node:assert/strict';
import { WorkQueue, Metrics, Logger, parseFlags, AgentReporter } from '@kplane/agent';
import { parseQuantity } from '@kplane/agent/core';

describe('agent work queue', () => {
  it('de-duplicates keys and never hands out a key twice at once', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.depth, 2);
    const first = await q.get();
    assert.equal(first, 'a');
    q.add('a'); // while processing: remembered, not queued
    assert.equal(q.depth, 1);
    assert.equal(await q.get(), 'b');
    q.done('a');
    assert.equal(q.depth, 1);
    assert.equal(await q.get(), 'a');
    q.done('a');
    q.done('b');
    q.shutdown();
    assert.equal(await q.get(), undefined);
  });
  it('backs off exponentially per key and starts over after forget', () => {
    const q = new WorkQueue(100, 1000);
    assert.deepEqual([q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k'), q.addRateLimited('k')], [100, 200, 400, 800, 1000]);
    assert.equal(q.addRateLimited('other'), 100);
    q.forget('k');
    assert.equal(q.addRateLimited('k'), 100);
    q.shutdown();
  });
  it('delivers delayed keys', async () => {
    const q = new WorkQueue();
    q.addAfter('late', 20);
    const started = Date.now();
    assert.equal(await q.get(), 'late');
    assert.ok(Date.now() - started >= 15);
    q.shutdown();
  });

  it('a sooner delayed add replaces a later pending one for the same key; a later one does not', async () => {
    // The agentHealth cluster case: a run asked for its resync (minutes), the next run, waiting
    // for health, asked again in 2 s, and was held to the resync.
    const q = new WorkQueue();
    q.addAfter('k', 60_000);
    q.addAfter('k', 20);
    q.addAfter('k', 120_000);
    const started = Date.now();
    const got = await Promise.race([q.get(), new Promise((resolve) => setTimeout(() => resolve('timed out'), 2_000))]);
    assert.equal(got, 'k', 'the 20 ms request was held to the 60 s one');
    assert.ok(Date.now() - started >= 15);
    q.done('k');
    q.shutdown();
  });
});

describe('agent metrics and logs', () => {
  it('renders Prometheus text with counters, gauges and histograms', () => {
    const m = new Metrics();
    m.counter('x_total', 'X.');
    m.inc('x_total', { result: 'ok' });
    m.inc('x_total', { result: 'ok' });
    m.gauge('depth', 'D.', () => 3);
    m.histogram('d_seconds', 'D.');
    m.observe('d_seconds', 0.02);
    const text = m.render();
    assert.match(text, /^x_total\{result="ok"\} 2$/m);
    assert.match(text, /^depth 3$/m);
    assert.match(text, /^d_seconds_bucket\{le="0.025"\} 1$/m);
    assert.match(text, /^d_seconds_count 1$/m);
  });
  it('writes one JSON object per line and masks secrets', () => {
    const lines: string[] = [];
    const log = new Logger({ component: 't' }, 'info', (l) => lines.push(l));
    log.setSecrets('p', ['topsecret']);
    log.child({ profile: 'p' }).info('hello', { value: 'topsecret!' });
    log.debug('hidden');
    assert.equal(lines.length, 1);
    const parsed = JSON.parse(lines[0]);
    assert.equal(parsed.msg, 'hello');
    assert.equal(parsed.profile, 'p');
    assert.ok(!lines[0].includes('topsecret'));
  });
});

describe('agent flags', () => {
  it('has defaults and reads every flag', () => {
    const d = parseFlags([]);
    assert.equal(d.namespace, 'kplane-system');
    assert.equal(d.leaderElect, false);
    const f = parseFlags(['--kubeconfig', 'k', '--context=c', '--namespace', 'n', '--leader-elect', '--lease-duration', '6s', '--id', 'a', '--heartbeat', '2s', '--workers', '3']);
    assert.deepEqual([f.kubeconfig, f.context, f.namespace, f.leaderElect, f.leaseDurationMs, f.id, f.heartbeatMs, f.workers], ['k', 'c', 'n', true, 6000, 'a', 2000, 3]);
  });
  it('rejects bad input with a message naming the flag', () => {
    assert.throws(() => parseFlags(['--bogus']), /Unknown option "--bogus"/);
    assert.throws(() => parseFlags(['--lease-duration', 'soon']), /--lease-duration "soon" is not a duration/);
    assert.throws(() => parseFlags(['--kubeconfig']), /--kubeconfig needs a value/);
    assert.throws(() => parseFlags(['--workers', '0']), /--workers/);
    assert.throws(() => parseFlags(['--validate-schemas=no']), /--validate-schemas=no: write --validate-schemas=false/);
  });
  it('checks objects against the cluster\'s schemas unless --validate-schemas=false', () => {
    assert.equal(parseFlags([]).validateSchemas, true);
    assert.equal(parseFlags(['--validate-schemas']).validateSchemas, true);
    assert.equal(parseFlags(['--validate-schemas=true']).validateSchemas, true);
    assert.equal(parseFlags(['--validate-schemas=false']).validateSchemas, false);
  });
  it('parses Kubernetes quantities', () => {
    assert.equal(parseQuantity('250m'), 0.25);
    assert.equal(parseQuantity('1Gi'), 1024 ** 3);
    assert.ok(Number.isNaN(parseQuantity('x')));
  });
});

describe('agent reporter', () => {
  it('writes ClusterAgent profile counts as soon as a profile change moves them, and only then', async () => {
    const patches: { ready: number; total: number }[] = [];
    const api = {
      async request(method: string, path: string, options: { body?: any } = {}) {
        if (method === 'PATCH' && path.endsWith('/status')) {
          patches.push(options.body.status.profiles);
          return { metadata: { name: 'agent' }, spec: {} };
        }
        if (path === '/api/v1/nodes') return { items: [] };
        if (path === '/version') return { gitVersion: 'v1.36.3' };
        return { metadata: { name: 'agent' }, spec: {}, status: {} };
      },
      async getOrUndefined() {
        return { metadata: { name: 'agent' }, spec: {}, status: {} };
      },
    };
    const profile = (ready: boolean) => ({ metadata: { name: 'p', namespace: 'ns' }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } }) as any;
    let profiles = [profile(false)];
    // A heartbeat of an hour: only profilesChanged can cause a second write within the test.
    const reporter = new AgentReporter(api as any, 'ns', new Logger({}, 'error', () => undefined), () => profiles, () => [], 3_600_000);
    await reporter.start();
    await reporter.flush(true);
    assert.deepEqual(patches.map((p) => [p.total, p.ready]), [[1, 0]]);
    reporter.profilesChanged(); // nothing moved
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(patches.length, 1);
    profiles = [profile(true)];
    reporter.profilesChanged();
    for (let i = 0; i < 100 && patches.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(patches.map((p) => [p.total, p.ready]), [[1, 0], [1, 1]]);
    await reporter.stop();
  });
});
