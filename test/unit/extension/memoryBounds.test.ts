/**
 * Memory bounded by bytes, not by counts (issue 10, finding 6), fed huge entries: the dashboard's
 * message history (200 snapshots of 1,000 clusters held 392 MB), the documents of Show Drift and
 * Diff Profile with Cluster (never pruned), and the agent logger's sensitive values (a set that
 * only grew, with every version of every profile).
 */
import { strict as assert } from 'node:assert';
import { DASHBOARD_HISTORY_BYTES, DRIFT_MAX_BYTES, DriftContentProvider, messageHistory, textBytes } from '@kplane/extension';
import { Logger, SECRET_VALUES_MAX_BYTES } from '@kplane/agent';

const MB = 1024 * 1024;

/** A snapshot message the size of 1,000 clusters' (about 2 MB as JSON). */
function bigSnapshot(): { type: 'snapshot'; snapshot: { takenAt: string; clusters: unknown[] } } {
  const clusters = Array.from({ length: 1000 }, (_, i) => ({ id: `cluster-${i}`, state: 'Healthy', labels: { env: 'prod', region: `r${i % 7}` }, note: 'x'.repeat(2000) }));
  return { type: 'snapshot', snapshot: { takenAt: '2026-12-01T00:00:00Z', clusters } };
}

describe('memory bounded by bytes', () => {
  it('dashboard history: 60 snapshots of 1,000 clusters keep at most its byte budget, the newest always found', () => {
    const snapshot = bigSnapshot();
    const size = textBytes(JSON.stringify(snapshot));
    assert.ok(size > 1.9 * MB, `a snapshot of ${size} bytes`);
    const history = messageHistory<unknown>();
    for (let i = 0; i < 60; i++) history.push(i % 20 === 0 ? { type: 'showCluster', context: `c${i}` } : snapshot);
    assert.ok(history.bytes <= DASHBOARD_HISTORY_BYTES, `${history.bytes} bytes held`);
    assert.ok(history.length <= Math.ceil(DASHBOARD_HISTORY_BYTES / size) + 1, `${history.length} messages held (a count of 200 held all 60, ${60 * size} bytes)`);
    assert.equal(history.last(1)[0], snapshot);
    assert.equal(history.find((m) => (m as { type: string }).type === 'showCluster'), undefined, 'older small messages went with the old snapshots');
    history.push({ type: 'showCluster', context: 'late' });
    assert.deepEqual(history.find((m) => (m as { type: string }).type === 'showCluster'), { type: 'showCluster', context: 'late' });
  });

  it('dashboard history: one message over the whole budget is kept alone until the next', () => {
    const history = messageHistory<string>(1 * MB);
    history.push('small');
    history.push('y'.repeat(3 * MB));
    assert.equal(history.length, 1);
    assert.equal(history.last(1)[0].length, 3 * MB);
    history.push('next');
    assert.deepEqual(history.last(5), ['next']);
    assert.ok(history.bytes < 100);
  });

  it('drift documents: 100 diffs of 1 MB per side keep at most the byte budget; the newest are served, the oldest say to run it again; closing frees one', () => {
    const provider = new DriftContentProvider();
    const side = (i: number, which: string) => `# ${which} ${i}\n${'data: x\n'.repeat(MB / 8)}`;
    for (let i = 0; i < 100; i++) {
      provider.set(`kplane-drift:/c/live/${i}`, side(i, 'live'));
      provider.set(`kplane-drift:/c/after/${i}`, side(i, 'after'));
    }
    assert.ok(provider.bytes <= DRIFT_MAX_BYTES, `${provider.bytes} bytes held`);
    assert.match(provider.provideTextDocumentContent('kplane-drift:/c/after/99'), /^# after 99\n/);
    assert.match(provider.provideTextDocumentContent('kplane-drift:/c/live/99'), /^# live 99\n/);
    assert.equal(provider.provideTextDocumentContent('kplane-drift:/c/live/0'), '# no longer available: run Show Drift again\n');
    const before = provider.bytes;
    provider.forget('kplane-drift:/c/live/99');
    assert.ok(provider.bytes < before - MB + 100);
    const huge = new DriftContentProvider(4 * MB);
    huge.set('a', 'z'.repeat(10 * MB));
    assert.equal(huge.provideTextDocumentContent('a').length, 10 * MB, 'a single document over the budget is still served');
    huge.set('b', 'small');
    assert.equal(huge.bytes, 5);
  });

  it('agent logger: 1,000 versions of a profile with a fresh 10 KB secret each hold one version; a deleted profile holds none; many profiles stay within the budget and the newest is masked', () => {
    const lines: string[] = [];
    const log = new Logger({}, 'info', (l) => lines.push(l));
    let secret = '';
    for (let v = 0; v < 1000; v++) {
      secret = `v${v}-${'s'.repeat(10_000)}`;
      log.setSecrets('kplane-system/edge', [secret, 'short']);
    }
    assert.equal(log.secretBytes, secret.length + 'short'.length, `${log.secretBytes} bytes held (the old set grew to about 10 MB)`);
    log.child({ profile: 'kplane-system/edge' }).info('applied', { value: secret, other: 'short' });
    assert.ok(!lines[0].includes(secret) && !lines[0].includes('short'), lines[0].slice(0, 200));
    log.forgetSecrets('kplane-system/edge');
    assert.equal(log.secretBytes, 0);

    const value = (i: number) => `${String(i).padStart(4, '0')}${'k'.repeat(100 * 1024)}`;
    for (let i = 0; i < 100; i++) log.setSecrets(`ns/p${i}`, [value(i)]);
    assert.ok(log.secretBytes <= SECRET_VALUES_MAX_BYTES, `${log.secretBytes} bytes held`);
    log.info('last', { v: value(99) });
    assert.ok(!lines[1].includes(value(99)), 'the newest profile\'s value was printed');
  });
});
