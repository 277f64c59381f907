/**
 * The agent's /metrics in a cluster (issue 10, finding 7): a bearer token, authenticated by a
 * TokenReview and authorized by a SubjectAccessReview for `get /metrics`, as controller-runtime's
 * secure metrics; 401 without one, 403 for a user without the grant, the probes always open, the
 * token in no answer and no log, decisions kept briefly and in bounded number. The reviews here
 * are a recording stand-in; test/cluster/metricsAuth.test.ts asks a real kube-apiserver.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics, MetricsAuth, defaultMetricsAuth, parseFlags, startHttpServer, type ReviewedUser, type Reviewer } from '@kplane/agent';

const SCRAPER = 'scraper-token-0123456789';
const STRANGER = 'stranger-token-abcdefghij';

class RecordingReviewer implements Reviewer {
  tokenReviews = 0;
  accessReviews = 0;
  failing = false;
  async authenticate(token: string) {
    this.tokenReviews++;
    if (this.failing) throw new Error('POST /apis/authentication.k8s.io/v1/tokenreviews: 403 forbidden');
    if (token === SCRAPER) return { user: { username: 'system:serviceaccount:monitoring:prometheus', groups: ['system:serviceaccounts'] } };
    if (token === STRANGER) return { user: { username: 'system:serviceaccount:default:stranger' } };
    if (token.startsWith('many-')) return { user: { username: token } };
    return { error: 'invalid bearer token' };
  }
  async authorize(user: ReviewedUser, verb: string, path: string) {
    this.accessReviews++;
    assert.equal(verb, 'get');
    assert.equal(path, '/metrics');
    return { allowed: user.username.endsWith(':prometheus') || user.username.startsWith('many-'), reason: user.username.endsWith(':prometheus') ? 'RBAC: allowed' : '' };
  }
}

describe('agent /metrics authentication and authorization', () => {
  it('401 without a bearer token or with one the API server refuses, 403 without the grant, 200 with it', async () => {
    const reviewer = new RecordingReviewer();
    const auth = new MetricsAuth(reviewer);
    const none = await auth.check('GET', '/metrics', undefined);
    assert.equal(none.status, 401);
    assert.match(none.message, /needs a Kubernetes bearer token \(Authorization: Bearer <token>\)/);
    assert.equal((await auth.check('GET', '/metrics', 'Basic dXNlcjpwYXNz')).status, 401);
    assert.equal(reviewer.tokenReviews, 0, 'no review without a bearer token');
    const refused = await auth.check('GET', '/metrics', 'Bearer not-a-token');
    assert.equal(refused.status, 401);
    assert.match(refused.message, /did not accept the bearer token \(invalid bearer token\)/);
    const forbidden = await auth.check('GET', '/metrics', `Bearer ${STRANGER}`);
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.message, /system:serviceaccount:default:stranger may not get \/metrics; grant it a ClusterRole with the rule \{ nonResourceURLs: \["\/metrics"\], verbs: \[get\] \}/);
    const allowed = await auth.check('GET', '/metrics', `bearer ${SCRAPER}`);
    assert.deepEqual([allowed.status, allowed.user], [200, 'system:serviceaccount:monitoring:prometheus']);
    assert.equal((await auth.check('POST', '/metrics', `Bearer ${SCRAPER}`)).status, 405);
    for (const d of [none, refused, forbidden, allowed]) assert.ok(!d.message.includes(SCRAPER) && !d.message.includes(STRANGER) && !d.message.includes('not-a-token'));
  });

  it('keeps each decision for its TTL, by token, and asks again after it', async () => {
    let now = 0;
    const reviewer = new RecordingReviewer();
    const auth = new MetricsAuth(reviewer, { allowTtlMs: 60_000, denyTtlMs: 10_000, now: () => now });
    for (let i = 0; i < 5; i++) assert.equal((await auth.check('GET', '/metrics', `Bearer ${SCRAPER}`)).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await auth.check('GET', '/metrics', `Bearer ${STRANGER}`)).status, 403);
    assert.deepEqual([reviewer.tokenReviews, reviewer.accessReviews], [2, 2]);
    now = 10_001; // the denial expired, the grant did not
    await auth.check('GET', '/metrics', `Bearer ${SCRAPER}`);
    await auth.check('GET', '/metrics', `Bearer ${STRANGER}`);
    assert.deepEqual([reviewer.tokenReviews, reviewer.accessReviews], [3, 3]);
    now = 60_001;
    await auth.check('GET', '/metrics', `Bearer ${SCRAPER}`);
    assert.deepEqual([reviewer.tokenReviews, reviewer.accessReviews], [4, 4]);
  });

  it('asks once for concurrent requests with one token, never keeps an API-server failure, and bounds what it holds', async () => {
    const reviewer = new RecordingReviewer();
    const errors: string[] = [];
    const auth = new MetricsAuth(reviewer, { maxEntries: 50, onError: (m) => errors.push(m) });
    const answers = await Promise.all(Array.from({ length: 20 }, () => auth.check('GET', '/metrics', `Bearer ${SCRAPER}`)));
    assert.ok(answers.every((a) => a.status === 200));
    assert.equal(reviewer.tokenReviews, 1);

    reviewer.failing = true;
    const failed = await auth.check('GET', '/metrics', `Bearer ${STRANGER}`);
    assert.equal(failed.status, 500);
    assert.match(failed.message, /could not ask the API server \(TokenReview\): .*403 forbidden.*needs create on tokenreviews and subjectaccessreviews/);
    assert.equal(errors.length, 1);
    assert.ok(!errors[0].includes(STRANGER));
    reviewer.failing = false;
    assert.equal((await auth.check('GET', '/metrics', `Bearer ${STRANGER}`)).status, 403, 'the failure was kept');

    for (let i = 0; i < 500; i++) await auth.check('GET', '/metrics', `Bearer many-${i}`);
    assert.equal(auth.size, 50);
    const before = reviewer.tokenReviews;
    await auth.check('GET', '/metrics', 'Bearer many-499');
    await auth.check('GET', '/metrics', 'Bearer many-0');
    assert.equal(reviewer.tokenReviews, before + 1, 'the newest is held, the oldest was dropped');

    assert.equal((await auth.check('GET', '/metrics', `Bearer ${'x'.repeat(20_000)}`)).status, 401, 'an oversized token is refused unasked');
    assert.equal(reviewer.tokenReviews, before + 1);
  });

  it('refuses more reviews in flight than its limit with 503, without queueing them on the API server', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let asked = 0;
    const slow: Reviewer = {
      authenticate: async (token) => {
        asked++;
        await gate;
        return { user: { username: token } };
      },
      authorize: async () => ({ allowed: true }),
    };
    const auth = new MetricsAuth(slow, { maxInFlight: 3 });
    const running = [1, 2, 3].map((i) => auth.check('GET', '/metrics', `Bearer t${i}`));
    const refused = await auth.check('GET', '/metrics', 'Bearer t4');
    assert.equal(refused.status, 503);
    release();
    assert.deepEqual((await Promise.all(running)).map((d) => d.status), [200, 200, 200]);
    assert.equal(asked, 3);
  });

  describe('over HTTP', () => {
    let server: Server;
    let url: string;
    const reviewer = new RecordingReviewer();
    before(async () => {
      const metrics = new Metrics();
      metrics.counter('kplane_agent_reconcile_total', 'Reconciles.');
      metrics.inc('kplane_agent_reconcile_total', { result: 'success' });
      server = await startHttpServer({ ready: true, leader: true, metrics }, '127.0.0.1:0', { inCluster: true, auth: new MetricsAuth(reviewer) });
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => {
      server.close();
      server.closeAllConnections();
    });

    it('guards /metrics only: /healthz and /readyz answer without a token', async () => {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/readyz`)).status, 200);
      const open = await fetch(`${url}/metrics`);
      assert.equal(open.status, 401);
      assert.equal(open.headers.get('www-authenticate'), 'Bearer realm="kplane-agent"');
      assert.match(await open.text(), /^Unauthorized: \/metrics needs a Kubernetes bearer token/);
      const forbidden = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${STRANGER}` } });
      assert.equal(forbidden.status, 403);
      assert.ok(!(await forbidden.text()).includes(STRANGER));
      const ok = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${SCRAPER}` } });
      assert.equal(ok.status, 200);
      assert.match(await ok.text(), /^kplane_agent_reconcile_total\{result="success"\} 1$/m);
      assert.equal((await fetch(`${url}/metrics?x=1`, { headers: { Authorization: `Bearer ${SCRAPER}` } })).status, 200);
    });
  });

  describe('over HTTPS (--metrics-cert-dir)', () => {
    let server: Server;
    let dir: string;
    let ca: Buffer;
    let port: number;
    before(async function () {
      this.timeout(30_000);
      dir = mkdtempSync(join(tmpdir(), 'kplane-metrics-tls-'));
      // A self-signed pair as a kubernetes.io/tls Secret would hold it (Node cannot issue X.509).
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=kplane-agent', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt')], { stdio: 'ignore' });
      ca = readFileSync(join(dir, 'tls.crt'));
      server = await startHttpServer({ ready: true, leader: false, metrics: new Metrics() }, '127.0.0.1:0', { inCluster: true, auth: new MetricsAuth(new RecordingReviewer()), certDir: dir });
      port = (server.address() as AddressInfo).port;
    });
    after(() => {
      server?.close();
      server?.closeAllConnections();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    const get = (path: string, token?: string) =>
      new Promise<number>((resolve, reject) => {
        httpsGet({ host: '127.0.0.1', port, path, ca, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });

    it('serves the probes and /metrics over TLS with the folder\'s key pair, with the same checks', async () => {
      assert.equal(await get('/healthz'), 200);
      assert.equal(await get('/readyz'), 200);
      assert.equal(await get('/metrics'), 401);
      assert.equal(await get('/metrics', STRANGER), 403);
      assert.equal(await get('/metrics', SCRAPER), 200);
    });

    it('refuses to start without the key pair, naming the file', async () => {
      const empty = mkdtempSync(join(tmpdir(), 'kplane-metrics-tls-empty-'));
      try {
        await assert.rejects(startHttpServer({ ready: true, leader: false, metrics: new Metrics() }, '127.0.0.1:0', { certDir: empty }), /--metrics-cert-dir .*: cannot read tls\.crt \(ENOENT\); it needs tls\.crt and tls\.key/);
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    });
  });

  it('is on by default in a pod, off elsewhere, and --metrics-auth chooses', () => {
    assert.equal(defaultMetricsAuth(true), 'kubernetes');
    assert.equal(defaultMetricsAuth(false), 'none');
    assert.equal(parseFlags(['--metrics-auth', 'kubernetes']).metricsAuth, 'kubernetes');
    assert.equal(parseFlags(['--metrics-auth=none']).metricsAuth, 'none');
    assert.throws(() => parseFlags(['--metrics-auth', 'tls']), /--metrics-auth "tls": use kubernetes or none/);
    assert.equal(parseFlags(['--metrics-cert-dir', '/tls']).metricsCertDir, '/tls');
  });
});
