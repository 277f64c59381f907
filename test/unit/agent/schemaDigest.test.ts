/**
 * The agent's cache keeps a CRD's big schemas as digests (agent/src/controller/schemaDigest.ts),
 * and drift detection (agent/src/controller/steps/drift.ts) still tells an untouched CRD from one
 * whose schema someone changed: equal digests of schemas found in sync need no look at the
 * schema, different ones are decided on the whole object read from the API server.
 */
import assert from 'node:assert/strict';
import { DIGEST_KEY, DIGEST_MIN_BYTES, DriftDetector, Logger, digestSchemas, digestsOf } from '@kplane/agent';
import type { KubeObject } from '@kplane/kube';

const described = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`field${i}`, { type: 'string', description: `field ${i} of the spec, described as controller-gen describes every field`.repeat(3) }]));

function crd(properties: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com', labels: { 'app.kubernetes.io/managed-by': 'kplane' }, annotations: { 'kplane.dev/applied-hash': 'p1' } },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties } } } } }],
    },
    ...extra,
  };
}

const live = (desired: KubeObject, resourceVersion: string, edit?: (o: any) => void): KubeObject => {
  const o = structuredClone(desired) as any;
  o.metadata.resourceVersion = resourceVersion;
  o.status = { conditions: [{ type: 'Established', status: 'True' }], acceptedNames: { kind: 'Widget' }, storedVersions: ['v1'] };
  edit?.(o);
  return o;
};

/** A DriftDetector on a fake API server: GET answers `onGet()`, a dry-run apply `onDryRun()`. */
function harness(onGet: () => KubeObject | undefined, onDryRun?: () => KubeObject) {
  const calls: string[] = [];
  const deps = {
    api: {
      request: async (method: string, path: string, opts: { query?: Record<string, unknown> } = {}) => {
        calls.push(`${method}${opts.query?.dryRun ? ' dry-run' : ''}`);
        if (method === 'GET') return onGet();
        if (method === 'PATCH' && opts.query?.dryRun && onDryRun) return onDryRun();
        throw new Error(`unexpected ${method} ${path}`);
      },
    },
    event: () => undefined,
    metrics: { inc: () => undefined },
    now: () => new Date('2026-12-01T10:00:00Z'),
  };
  const drift = new DriftDetector(deps as never);
  const ctx = { key: 'kplane-system/p', profile: { metadata: { name: 'p', namespace: 'kplane-system' } }, previous: { drift: [] }, secrets: [], log: new Logger({}, 'error', () => undefined), now: new Date('2026-12-01T10:00:00Z'), mode: 'enforce', paused: false, signal: new AbortController().signal } as never;
  return { drift, ctx, calls };
}

const ref = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.example.com' };
const target = (desired: KubeObject, cached: KubeObject | undefined) => ({ ref, desired: desired as never, print: 'p1', live: cached, path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com', versionApplied: true });

describe('CRD schemas as digests in the agent cache', () => {
  const desired = crd(described(200));

  it('keeps a big schema as a digest of its JSON, everything else as it is, and never changes the object', () => {
    const full = live(desired, '5');
    const before = JSON.stringify(full);
    assert.ok(JSON.stringify((full.spec as any).versions[0].schema).length >= DIGEST_MIN_BYTES, 'test setup: schema too small');
    const kept = digestSchemas(full) as any;
    assert.equal(JSON.stringify(full), before, 'the object given was changed');
    assert.deepEqual(Object.keys(kept.spec.versions[0].schema), [DIGEST_KEY]);
    assert.match(kept.spec.versions[0].schema[DIGEST_KEY], /^[0-9a-f]{64}$/);
    assert.deepEqual(kept.status, (full as any).status);
    assert.deepEqual(kept.metadata, full.metadata);
    assert.equal(kept.spec.versions[0].name, 'v1');
    assert.ok(JSON.stringify(kept).length < 2000, `kept ${JSON.stringify(kept).length} bytes`);
    // The same schema gives the same digest; a changed one another.
    assert.equal(digestsOf(digestSchemas(live(desired, '6')))?.signature, digestsOf(kept)?.signature);
    assert.notEqual(digestsOf(digestSchemas(live(desired, '6', (o) => (o.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.field7.type = 'integer'))))?.signature, digestsOf(kept)?.signature);
    // Small schemas and other kinds stay whole.
    const small = live(crd(described(2)), '5');
    assert.equal(digestSchemas(small), small);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, spec: { versions: [{ schema: { big: 'x'.repeat(DIGEST_MIN_BYTES) } }] } } as KubeObject;
    assert.equal(digestSchemas(cm), cm);
  });

  it('a cached CRD whose status moved is in sync without reading it again; a schema changed by someone else is drift, found on the whole object', async () => {
    let whole: KubeObject | undefined;
    const { drift, ctx, calls } = harness(() => whole);
    // The agent applied it: the answer is whole, the cache keeps digests.
    drift.applied(target(desired, undefined) as never, live(desired, '5'));
    // Its status changed (a new resourceVersion): compared without the schema, no GET.
    const statusMoved = digestSchemas(live(desired, '6', (o) => (o.status.conditions[0].reason = 'InitialNamesAccepted')));
    assert.deepEqual(await drift.inspect(ctx, target(desired, statusMoved) as never), { state: 'inSync' });
    assert.deepEqual(calls, []);
    // Someone changed a field of the schema: the digest differs, the whole object tells what.
    whole = live(desired, '7', (o) => (o.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.field7.type = 'integer'));
    const verdict = await drift.inspect(ctx, target(desired, digestSchemas(whole)) as never);
    assert.deepEqual(calls, ['GET']);
    assert.equal(verdict.state, 'drifted');
    assert.deepEqual((verdict as { diff: string[] }).diff, ['spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.field7.type']);
    // A label changed outside the schema is drift too.
    calls.length = 0;
    whole = live(desired, '8', (o) => (o.metadata.labels['app.kubernetes.io/managed-by'] = 'someone'));
    const labelled = await drift.inspect(ctx, target(desired, digestSchemas(whole)) as never);
    assert.equal(labelled.state, 'drifted');
    assert.deepEqual((labelled as { diff: string[] }).diff, ['metadata.labels.app.kubernetes.io/managed-by']);
  });

  it('after a restart, a CRD first seen as a digest is compared whole once, then by digest', async () => {
    const whole = live(desired, '5');
    const { drift, ctx, calls } = harness(() => whole, () => live(desired, '5'));
    assert.deepEqual(await drift.inspect(ctx, target(desired, digestSchemas(whole)) as never), { state: 'inSync' });
    assert.deepEqual(calls, ['PATCH dry-run', 'GET']);
    calls.length = 0;
    assert.deepEqual(await drift.inspect(ctx, target(desired, digestSchemas(live(desired, '9'))) as never), { state: 'inSync' });
    assert.deepEqual(calls, []);
  });

  it('a CRD deleted behind a digest is drift (deleted)', async () => {
    const { drift, ctx } = harness(() => undefined);
    drift.applied(target(desired, undefined) as never, live(desired, '5'));
    const gone = digestSchemas(live(desired, '6', (o) => (o.spec.versions[0].schema.openAPIV3Schema.description = 'changed')));
    // The GET answers nothing (harness returns undefined, as a 404 does in whole()).
    const verdict = await drift.inspect(ctx, target(desired, gone) as never);
    assert.equal(verdict.state, 'drifted');
    assert.deepEqual((verdict as { diff: string[] }).diff, ['(deleted)']);
  });
});
