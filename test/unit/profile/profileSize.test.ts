/**
 * The size a profile may have (the limit itself is measured against a real API server in
 * test/cluster/profileSize.test.ts): what is counted, the warning and the error, and that a user
 * with a big stack meets this finding in `kplane validate` before the 4 M-character file limit.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { PROFILE_SIZE_LIMIT_BYTES, PROFILE_STORE_LIMIT_BYTES, compressLayers, storedSize, storedSizeAsWritten, validateProfile } from '@kplane/profile';
import { repoRoot } from '../../fixtures/paths.js';
import { noise } from '../../fixtures/bigProfiles.js';


/** A profile of `count` ConfigMaps of `each` characters of data (`data`: incompressible by default). */
function big(count: number, each: number, extra: Record<string, unknown> = {}, data: (i: number) => string = (i) => noise(each, i + 1)) {
  return {
    apiVersion: 'kplane.dev/v1alpha1',
    kind: 'ClusterProfile',
    metadata: { name: 'stack', ...extra },
    spec: {
      version: '1.0.0',
      layers: [{ name: 'all', namespace: 'monitoring', manifests: Array.from({ length: count }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `dashboard-${i}` }, data: { 'd.json': data(i) } })) }],
    },
  };
}

const sizeCodes = (doc: unknown) => validateProfile(doc).filter((f) => f.code === 'PROFILE_TOO_LARGE' || f.code === 'PROFILE_NEAR_SIZE_LIMIT').map((f) => `${f.code} ${f.severity} ${f.path.join('.')}`);

describe('profile size', () => {
  it('the limits leave room for status and stay below the 1.5 MiB etcd stores', () => {
    assert.ok(PROFILE_STORE_LIMIT_BYTES < 1.5 * 1024 * 1024);
    assert.ok(PROFILE_SIZE_LIMIT_BYTES <= PROFILE_STORE_LIMIT_BYTES - 64 * 1024);
  });

  it('counts UTF-8 bytes of what the plane writes: not status, not managedFields', () => {
    const doc = big(1, 10, { annotations: { note: 'é😀' } }) as Record<string, unknown>;
    const base = storedSize(doc);
    const written = { apiVersion: doc.apiVersion, kind: doc.kind, metadata: { name: 'stack', annotations: { note: 'é😀' } }, spec: doc.spec };
    assert.equal(base, Buffer.byteLength(JSON.stringify(written), 'utf8'));
    const withStatus = { ...doc, status: { drift: 'z'.repeat(100_000) }, metadata: { ...(doc.metadata as object), managedFields: [{ manager: 'x'.repeat(100_000) }] } };
    assert.equal(storedSize(withStatus), base);
  });

  it('counts what JSON.stringify writes, manifests remembered per object, for any layers and manifests (property)', () => {
    const json = fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' });
    const layer = fc.oneof(fc.record({ name: fc.string(), manifests: fc.array(fc.oneof(fc.dictionary(fc.string({ unit: 'grapheme' }), json), json), { maxLength: 4 }) }), json);
    fc.assert(
      fc.property(fc.record({ spec: fc.oneof(fc.record({ version: fc.string(), layers: fc.oneof(fc.array(layer, { maxLength: 4 }), json) }), json) }), ({ spec }) => {
        const doc = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'p' }, spec };
        const expected = Buffer.byteLength(JSON.stringify({ apiVersion: doc.apiVersion, kind: doc.kind, metadata: { name: 'p' }, spec }), 'utf8');
        assert.equal(storedSize(doc), expected);
        // Again, with every manifest's size remembered.
        assert.equal(storedSize(doc), expected);
      }),
      { numRuns: 300 },
    );
  });

  it('measures each manifest without JSON.stringify, to the byte, on values that are hard to measure', () => {
    const tricky: unknown[] = [
      { s: 'é😀中\u0000\u0001\u001f\u007f"\\/\b\f\n\r\t', lone: '\ud800 \udc00x\udbff', pair: '\ud83d\ude00', end: 'a\ud83d' },
      { 'ké"y\n': 1, '': '', '\u2028': '\u2029' },
      [1e21, -0, 0.1, -1.5e-7, 123456789012345680000, Number.MAX_VALUE, Number.MIN_VALUE, NaN, Infinity, -Infinity, 2 ** 53],
      {},
      [],
      [[], [[]], [{}], [[[1, [2, [3]]]]]],
      { a: undefined, b: () => 1, c: Symbol('s'), d: null, e: [undefined, () => 1, Symbol('t')] },
      { only: undefined },
      [1, , 3],
      { date: new Date(0), boxed: [new String('x'), new Number(2), new Boolean(false)], nested: { toJSON: () => ({ replaced: 'ü' }) } },
      Object.assign(Object.create(null), { plain: true, n: false }),
      'a top-level string', 42, true, null,
      { deep: JSON.parse('['.repeat(2000) + '"x"' + ']'.repeat(2000)) },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'grafana', labels: { app: 'grafana' } }, data: { 'dash.json': JSON.stringify({ title: 'CPU «über»', panels: [{ expr: 'rate(x{job="a"}[5m])' }] }, null, 2) } },
    ];
    for (const manifest of tricky) {
      const doc = { apiVersion: 'kplane.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name: 'p' }, spec: { version: '1.0.0', layers: [{ name: 'l', manifests: [manifest] }] } };
      const expected = Buffer.byteLength(JSON.stringify({ apiVersion: doc.apiVersion, kind: doc.kind, metadata: { name: 'p' }, spec: doc.spec }), 'utf8');
      assert.equal(storedSize(doc), expected, JSON.stringify(manifest)?.slice(0, 80));
    }
  });

  it('nothing below 85 %, a warning above, an error above the limit, on spec', () => {
    const each = 10_000;
    const count = (share: number) => Math.floor((PROFILE_SIZE_LIMIT_BYTES * share) / (each + 100));
    assert.deepEqual(sizeCodes(big(count(0.8), each)), []);
    assert.deepEqual(sizeCodes(big(count(0.95), each)), ['PROFILE_NEAR_SIZE_LIMIT warning spec']);
    assert.deepEqual(sizeCodes(big(count(1.05), each)), ['PROFILE_TOO_LARGE error spec']);
    const [finding] = validateProfile(big(count(1.05), each)).filter((f) => f.code === 'PROFILE_TOO_LARGE');
    assert.match(finding.message, /This profile is 1\.\d\d MiB as stored \(.*do not get smaller that way\); the API server keeps at most 1\.49 MiB per object/);
    assert.match(finding.message, /spec\.dependsOn.*`kplane split`.*helm layer/);
  });

  it('judges a big profile as stored: compressed, so a 2 MB profile that compresses fits, and incompressible data still does not', () => {
    // Dashboards as real stacks have them: repetitive JSON, 2.4 MB plain.
    const dashboards = big(240, 10_000, {}, (i) => JSON.stringify(Array.from({ length: 80 }, (_, p) => ({ id: p, title: `Panel ${p} of ${i}`, expr: 'sum(rate(x[5m]))' }))).padEnd(10_000, ' '));
    assert.ok(storedSize(dashboards) > 2_000_000);
    assert.deepEqual(sizeCodes(dashboards), []);
    const asWritten = storedSizeAsWritten(dashboards);
    assert.ok(asWritten.compressed && asWritten.bytes < PROFILE_SIZE_LIMIT_BYTES / 4, JSON.stringify(asWritten));
    const random = big(240, 10_000);
    assert.ok(storedSize(random) > 2_000_000);
    assert.deepEqual(sizeCodes(random), ['PROFILE_TOO_LARGE error spec']);
    const [finding] = validateProfile(random).filter((f) => f.code === 'PROFILE_TOO_LARGE');
    assert.match(finding.message, /This profile is 2\.\d\d MiB as stored \(kplane stores the layers of a profile above 256 KiB as gzip\+base64 automatically, but these do not get smaller that way\)/);
    // Over the limit even compressed: half random, half repetitive.
    const mixed = big(300, 10_000, {}, (i) => (i % 2 ? noise(10_000, i) : 'x'.repeat(10_000)));
    assert.match(validateProfile(mixed).find((f) => f.code === 'PROFILE_TOO_LARGE')?.message ?? '', /This profile is 1\.\d\d MiB compressed \(kplane stores the layers of a profile above 256 KiB as gzip\+base64 automatically; 2\.\d\d MiB plain\)/);
    // What the size check judges is what compressLayers writes, to the byte.
    for (const doc of [dashboards, big(40, 10_000)]) assert.equal(storedSizeAsWritten(doc).bytes, storedSize(compressLayers(doc as never) as never));
  });

  it('kplane validate on a 2.4 MB stack (under the 4 M-character file limit) meets the size finding, not FILE_TOO_LARGE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kplane-size-'));
    try {
      const text = stringify(big(240, 10_000));
      assert.ok(text.length > 2_000_000 && text.length < 4 * 1024 * 1024, `test setup: ${text.length} characters`);
      writeFileSync(join(dir, 'stack.profile.yaml'), text);
      const r = spawnSync(process.execPath, [join(repoRoot, 'cli', 'bin', 'kplane.js'), 'validate', 'stack.profile.yaml'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /stack\.profile\.yaml:\d+:1: error PROFILE_TOO_LARGE This profile is 2\.\d\d MiB as stored/);
      assert.doesNotMatch(r.stdout, /error FILE_TOO_LARGE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
