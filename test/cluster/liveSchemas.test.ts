/**
 * Live per-cluster schemas against real API servers from the test bed: `kplane validate
 * --context` reads discovery and OpenAPI v3 of each context (plane/src/cluster/liveSchemas.ts).
 * A CRD installed on one cluster only is recognised there and reported as not served on the
 * other; without --context its custom resource is only noted as not checked. The cache is
 * revalidated with ETags (the second read gets 304s and reads no document again), and a stopped
 * API server falls back to the cached schemas (a failure with --strict).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { kubeClient, mergedKubeconfig, runKplane, startCluster, waitFor, type TestCluster } from '@kplane/bed';
import { KubeClient, LiveSchemaStore } from '@kplane/plane/cluster';
import { kubeConfigConnection } from '@kplane/kube';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, listKind: WidgetList }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [color]
              properties:
                color: { type: string, enum: [red, blue], description: The colour of the widget. }
                size: { type: integer }
`;

const profile = (color: string) => `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: widgets
spec:
  version: 1.0.0
  layers:
    - name: apps
      namespace: default
      manifests:
        - apiVersion: example.com/v1
          kind: Widget
          metadata: { name: w }
          spec:
            color: ${color}
        - apiVersion: apps/v1
          kind: Deployment
          metadata: { name: web }
          spec:
            replicas: 1
            selector: { matchLabels: { app: web } }
            template:
              metadata: { labels: { app: web } }
              spec:
                containers:
                  - { name: web, image: nginx }
`;

describe('live per-cluster schemas (kplane validate --context)', function () {
  this.timeout(240_000);
  let withCrd: TestCluster;
  let without: TestCluster;
  let dir: string;
  let kubeconfig: string;
  let cache: string;

  const kplane = (args: string[], cacheHome = cache) => runKplane(args, { env: { ...process.env, XDG_CACHE_HOME: cacheHome } });
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  before(async () => {
    [withCrd, without] = await Promise.all([startCluster({ name: 'schemas-crd' }), startCluster({ name: 'schemas-plain' })]);
    dir = mkdtempSync(join(tmpdir(), 'kplane-live-schemas-'));
    cache = join(dir, 'cache');
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, mergedKubeconfig([withCrd, without]), { mode: 0o600 });
    // Created as plain JSON: the bed's applyYaml goes through client-node's typed serializer,
    // which drops `enum` from a CRD schema (its model calls the field _enum).
    const client = new KubeClient(kubeConfigConnection(kubeClient(withCrd)), { context: withCrd.name });
    await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { timeoutMs: 30_000, body: parse(CRD) });
    await waitFor(() => client.request('GET', '/apis/example.com/v1', { timeoutMs: 5000 }).then(() => true, () => false), { timeoutMs: 60_000, what: 'example.com/v1 served' });
    await waitFor(async () => Boolean(((await client.request<{ paths?: Record<string, unknown> }>('GET', '/openapi/v3', { timeoutMs: 5000 })).paths ?? {})['apis/example.com/v1']), { timeoutMs: 60_000, what: 'example.com/v1 in /openapi/v3' });
    client.close();
  });

  after(async () => {
    await Promise.all([withCrd?.stop(), without?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without --context the custom resource is noted as not checked, nothing fails', async () => {
    const file = write('green.profile.yaml', profile('green'));
    const result = await kplane(['validate', file]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /information MANIFEST_KIND_UNKNOWN Widget example\.com\/v1 was not checked/);
  });

  it('--context of the cluster with the CRD checks the custom resource against its live schema', async () => {
    const file = write('green.profile.yaml', profile('green'));
    const result = await kplane(['validate', file, '--context', withCrd.name, '--kubeconfig', kubeconfig]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`error MANIFEST_INVALID_ENUM_VALUE On cluster ${withCrd.name}: Widget spec\\.color is "green"; it must be one of red, blue`));
    assert.doesNotMatch(result.stdout, /MANIFEST_KIND_UNKNOWN/);
    assert.match(result.stdout, new RegExp(`checked against: built-in Kubernetes v[\\d.]+ · ${withCrd.name} \\(live, v[\\d.]+\\)`));

    const valid = write('red.profile.yaml', profile('red'));
    const ok = await kplane(['validate', valid, '--context', withCrd.name, '--kubeconfig', kubeconfig]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });

  it('--context of both: not served on exactly the cluster without the CRD', async () => {
    const valid = write('red.profile.yaml', profile('red'));
    const result = await kplane(['validate', valid, '--context', `${withCrd.name},${without.name}`, '--kubeconfig', kubeconfig]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const notServed = result.stdout.split('\n').filter((l) => l.includes('KIND_NOT_SERVED_ON_CLUSTER'));
    assert.equal(notServed.length, 1, result.stdout);
    assert.match(notServed[0], new RegExp(`On cluster ${without.name}: Widget example\\.com/v1 is not served there`));
    // --all-contexts is the same two.
    const all = await kplane(['validate', valid, '--all-contexts', '--kubeconfig', kubeconfig]);
    assert.equal(all.stdout.split('\n').filter((l) => l.includes('KIND_NOT_SERVED_ON_CLUSTER')).length, 1, all.stdout);
  });

  it('revalidates with ETags: a second store answers from the cache after 304s, reading no document again', async () => {
    const store = () => new LiveSchemaStore({ cacheDir: join(dir, 'etag-cache') });
    const client = new KubeClient(kubeConfigConnection(kubeClient(withCrd)), { context: withCrd.name });
    const seen: string[] = [];
    const get = client.getDocument.bind(client);
    client.getDocument = async (path, options) => {
      const answer = await get(path, options);
      seen.push(`${path.split('?')[0]} ${answer.status}`);
      return answer;
    };
    try {
      const first = await store().schemaSet(client, ['example.com/v1', 'apps/v1']);
      assert.equal(first.state, 'live');
      assert.deepEqual(first.groupVersions, ['apps/v1', 'example.com/v1']);
      assert.ok(first.kube.kind('example.com/v1', 'Widget'), 'Widget known from the cluster');
      assert.ok(seen.includes('/openapi/v3/apis/example.com/v1 200'), seen.join(', '));
      seen.length = 0;
      const second = await store().schemaSet(client, ['example.com/v1', 'apps/v1']);
      assert.equal(second.state, 'live');
      // Discovery answers 304; the OpenAPI index is small and sent again (kube-apiserver gives it
      // no ETag); no group/version document is read again (cached by the hash in its URL).
      assert.deepEqual(seen.filter((s) => s.startsWith('/api')).sort(), ['/api 304', '/apis 304']);
      assert.deepEqual(seen.filter((s) => s.startsWith('/openapi/v3/')), []);
      assert.ok(second.kube.kind('example.com/v1', 'Widget'));
    } finally {
      client.close();
    }
  });

  it('an unreachable cluster is checked against its cached schemas and says how old; skipped without a cache; --strict fails', async () => {
    const file = write('green.profile.yaml', profile('green'));
    // Fill the cache while it answers.
    const warm = await kplane(['validate', file, '--context', withCrd.name, '--kubeconfig', kubeconfig, '--timeout', '5s']);
    assert.equal(warm.code, 1, warm.stdout + warm.stderr);
    await withCrd.stopApiServer();
    try {
      const cached = await kplane(['validate', file, '--context', withCrd.name, '--kubeconfig', kubeconfig, '--timeout', '3s']);
      assert.equal(cached.code, 1, cached.stdout + cached.stderr);
      assert.match(cached.stdout, /On cluster schemas-crd[^:]*: Widget spec\.color is "green"/);
      assert.match(cached.stdout, new RegExp(`${withCrd.name} \\(cached, (less than a minute|\\d+ min) old, v[\\d.]+\\)`));
      assert.match(cached.stderr, /checked against its schemas of .* ago/);

      const valid = write('red.profile.yaml', profile('red'));
      const lenient = await kplane(['validate', valid, '--context', withCrd.name, '--kubeconfig', kubeconfig, '--timeout', '3s']);
      assert.equal(lenient.code, 0, lenient.stdout + lenient.stderr);
      const strict = await kplane(['validate', valid, '--context', withCrd.name, '--kubeconfig', kubeconfig, '--timeout', '3s', '--strict']);
      assert.equal(strict.code, 1, strict.stdout + strict.stderr);

      const empty = join(dir, 'empty-cache');
      const skipped = await kplane(['validate', valid, '--context', withCrd.name, '--kubeconfig', kubeconfig, '--timeout', '3s'], empty);
      assert.equal(skipped.code, 0, skipped.stdout + skipped.stderr);
      assert.match(skipped.stderr, new RegExp(`context ${withCrd.name} skipped: .*nothing cached`));
      assert.match(skipped.stdout, new RegExp(`${withCrd.name} \\(unreachable, skipped\\)`));
    } finally {
      await withCrd.startApiServer();
    }
  });
});
